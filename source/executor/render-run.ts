// Plain lines for runs without a terminal, and the recap table at the end of every run.
import {convergedResults} from './converged.js';
import {execute, recap, type ExecuteOptions, type StepResult} from './execute.js';
import type {RunEvent, StepDefinition} from './types.js';

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** One line per finished step (and a start line for steps that take a while). */
export function plainEventLine(event: RunEvent): string | undefined {
  if (event.type === 'step-start') return `[${event.host}] ... ${event.title}`;
  if (event.type === 'step-end') {
    const detail = event.changes.length > 0 ? `: ${event.changes.join('; ')}` : '';
    const line = `[${event.host}] ${event.status.padEnd(7)} ${event.title} (${formatSeconds(event.elapsedMs)})${detail}`;
    if (event.status !== 'failed' || !event.error) return line;
    const tail = event.error.outputTail?.map(l => `      | ${l}`).join('\n');
    return `${line}\n      ${event.error.message}${event.error.command ? `\n      command: ${event.error.command}` : ''}${tail ? `\n${tail}` : ''}`;
  }
  return undefined;
}

export function renderRecap(results: StepResult[]): string {
  const rows = recap(results);
  const width = Math.max(4, ...rows.map(r => r.host.length));
  const lines = [`${'host'.padEnd(width)}  ok  changed  failed  skipped`];
  for (const r of rows) {
    lines.push(`${r.host.padEnd(width)}  ${String(r.ok).padStart(2)}  ${String(r.changed).padStart(7)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}`);
  }
  const changed = results.filter(r => r.status === 'changed').length;
  lines.push(changed === 0 && !results.some(r => r.status === 'failed') ? 'Nothing changed: the unit already matches the profile.' : `${changed} step(s) changed something.`);
  return lines.join('\n');
}

/**
 * Run steps with one plain line per event and the recap at the end; the journal is closed as
 * finished only when every step got through. What install and add share.
 */
export async function executeWithLines(
  steps: StepDefinition[],
  options: ExecuteOptions,
  out: (line: string) => void,
  /** Asked once the converged check found work, before any step changes something; false stops the run. */
  beforeChanges?: () => Promise<boolean>,
): Promise<{results: StepResult[]; ok: boolean; converged: boolean; refused?: boolean}> {
  const onEvent = (event: RunEvent) => {
    const line = plainEventLine(event);
    if (line) out(line);
  };
  // A real run (not a dry run, not a resume) first asks whether there is anything to do at all.
  const converged = options.checkOnly || options.resume ? undefined : await convergedResults(steps, {...options, onEvent});
  if (!converged && beforeChanges && !(await beforeChanges())) return {results: [], ok: false, converged: false, refused: true};
  const {results, failed} = converged ? {results: converged, failed: false} : await execute(steps, {...options, onEvent});
  out('');
  out(renderRecap(results));
  const ok = !failed && !options.signal?.aborted;
  if (ok) options.journal?.finish();
  return {results, ok, converged: converged !== undefined};
}
