// How a run shows its progress (plain lines without a terminal; the live view is in source/ui),
// and the recap table at the end of every run.
import {convergedResults} from './converged.js';
import {execute, recap, type ExecuteOptions, type StepResult} from './execute.js';
import type {Prompter} from '../profile/prompter.js';
import type {RunPhase} from './progress.js';
import type {RunEvent, StepDefinition, StepFailure} from './types.js';

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export type StepEndEvent = Extract<RunEvent, {type: 'step-end'}>;

/** What a failed step says under its line: the message, the command, the last lines of its output. */
export function failureLines(error: StepFailure): string[] {
  return [error.message, ...(error.command ? [`command: ${error.command}`] : []), ...(error.outputTail ?? []).map(l => `| ${l}`)];
}

/** A finished step's own line, after `[host] status`: title, elapsed time and what changed. */
export function stepSummary(event: StepEndEvent): string {
  return `${event.title} (${formatSeconds(event.elapsedMs)})${event.changes.length > 0 ? `: ${event.changes.join('; ')}` : ''}`;
}

/** One line per finished step (and a start line for steps that take a while). */
export function plainEventLine(event: RunEvent): string | undefined {
  if (event.type === 'step-start') return `[${event.host}] ... ${event.title}`;
  if (event.type === 'step-end') {
    const line = `[${event.host}] ${event.status.padEnd(7)} ${stepSummary(event)}`;
    if (event.status !== 'failed' || !event.error) return line;
    return [line, ...failureLines(event.error).map(l => `      ${l}`)].join('\n');
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

/** Where a run's progress goes: plain lines, or the live Ink view in a terminal (source/ui/live-run.tsx). */
export interface RunView {
  /** The run moved on: the converged check (every step looks at once), then the steps in order. */
  phase(phase: RunPhase): void;
  event(event: RunEvent): void;
  /** A line of its own (above a live view, which keeps drawing below it). */
  line(text: string): void;
  /** Around a question to the operator: nothing is redrawn while it is asked. */
  pause(): void | Promise<void>;
  resume(): void;
  /** Ends the live part (finished steps stay on screen); later lines are plain. */
  close(): void | Promise<void>;
  /** A live view is on screen now (lines and notes go above it). */
  readonly live: boolean;
}

/** One plain line per finished step (and a start line per step), for pipes, CI and logs. */
export function plainRunView(out: (line: string) => void): RunView {
  return {
    phase: () => {},
    event: event => {
      const line = plainEventLine(event);
      if (line) out(line);
    },
    line: out,
    pause: () => {},
    resume: () => {},
    close: () => {},
    live: false,
  };
}

/** A prompter whose questions take a live view down while they are on screen; notes go above it. */
export function pausingPrompter(prompter: Prompter, view: RunView): Prompter {
  const around = async <T>(ask: () => Promise<T>): Promise<T> => {
    await view.pause();
    try {
      return await ask();
    } finally {
      view.resume();
    }
  };
  return {
    select: question => around(() => prompter.select(question)),
    multiSelect: question => around(() => prompter.multiSelect(question)),
    text: question => around(() => prompter.text(question)),
    secret: question => around(() => prompter.secret(question)),
    confirm: question => around(() => prompter.confirm(question)),
    reveal: question => around(() => prompter.reveal(question)),
    note: (text, tone) => (view.live ? view.line(text) : prompter.note(text, tone)),
  };
}

/**
 * Run steps, showing their progress on `view` and the recap at the end; the journal is closed as
 * finished only when every step got through. What install and add share.
 */
export async function executeWithView(
  steps: StepDefinition[],
  options: ExecuteOptions,
  view: RunView,
  /** Asked once the converged check found work, before any step changes something; false stops the run. */
  beforeChanges?: () => Promise<boolean>,
): Promise<{results: StepResult[]; ok: boolean; converged: boolean; refused?: boolean}> {
  const onEvent = (event: RunEvent) => view.event(event);
  try {
    // A real run (not a dry run, not a resume) first asks whether there is anything to do at all.
    const check = !options.checkOnly && !options.resume;
    if (check) view.phase('checking');
    const converged = check ? await convergedResults(steps, {...options, onEvent}) : undefined;
    if (!converged && beforeChanges) {
      await view.pause();
      const go = await beforeChanges();
      view.resume();
      if (!go) return {results: [], ok: false, converged: false, refused: true};
    }
    if (!converged) view.phase('running');
    const {results, failed} = converged ? {results: converged, failed: false} : await execute(steps, {...options, onEvent});
    await view.close();
    view.line('');
    view.line(renderRecap(results));
    const ok = !failed && !options.signal?.aborted;
    if (ok) options.journal?.finish();
    return {results, ok, converged: converged !== undefined};
  } finally {
    await view.close();
  }
}
