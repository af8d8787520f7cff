// The converged check: a re-run on a unit that already matches the profile should take a moment,
// not the time of every step's probes one after another. Every step only looks (check mode, its
// readiness tried once), all at the same time: order cannot matter when nothing is changed. If no
// step would change anything and everything answers, that is the run's result; otherwise the
// caller runs the steps for real, in order, as always.
import pLimit from 'p-limit';
import {MAX_PARALLEL_HOSTS, type StepResult} from './execute.js';
import type {Journal} from './journal.js';
import type {OsInfo, RunEvent, StepDefinition} from './types.js';
import type {Host} from '../hosts/host.js';

export interface ConvergedOptions {
  hosts: Map<string, Host>;
  os: Map<string, OsInfo>;
  signal?: AbortSignal;
  journal?: Journal;
  onEvent?: (event: RunEvent) => void;
  log: (line: string) => void;
  packageMirror?: string;
  /** At most this many hosts look at the same time (default MAX_PARALLEL_HOSTS). */
  parallel?: number;
}

interface Looked {
  step: StepDefinition;
  elapsedMs: number;
  lines: string[];
  changes: string[];
  error?: string;
}

/** The results of a run that changes nothing, or undefined when some step has work to do. */
export async function convergedResults(steps: StepDefinition[], options: ConvergedOptions): Promise<StepResult[] | undefined> {
  const started = Date.now();
  const memos = new Map<string, Map<string, unknown>>();
  const look = async (step: StepDefinition): Promise<Looked> => {
    const host = options.hosts.get(step.host);
    const os = options.os.get(step.host);
    if (!host || !os) return {step, elapsedMs: 0, lines: [], changes: [], error: 'no connection'};
    const memo = memos.get(step.host) ?? new Map<string, unknown>();
    memos.set(step.host, memo);
    const at = Date.now();
    const lines: string[] = [];
    const changes: string[] = [];
    try {
      await step.run({host, os, memo, checkOnly: true, probe: true, signal: options.signal, packageMirror: options.packageMirror, log: line => lines.push(line), changed: what => changes.push(what)});
      return {step, elapsedMs: Date.now() - at, lines, changes};
    } catch (error) {
      return {step, elapsedMs: Date.now() - at, lines, changes, error: error instanceof Error ? error.message : String(error)};
    }
  };
  // A host's steps look all at once; at most `parallel` hosts at a time.
  const slot = pLimit(Math.max(1, options.parallel ?? MAX_PARALLEL_HOSTS));
  const byHost = new Map<string, StepDefinition[]>();
  for (const step of steps) byHost.set(step.host, [...(byHost.get(step.host) ?? []), step]);
  const perHost = await Promise.all([...byHost.values()].map(queue => slot(() => Promise.all(queue.map(look)))));
  const found = new Map(perHost.flat().map(l => [l.step.key, l]));
  const looked = steps.map(step => found.get(step.key)!);
  const pending = looked.filter(l => l.changes.length > 0 || l.error !== undefined);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (pending.length > 0 || options.signal?.aborted) {
    const why = pending.slice(0, 3).map(l => `${l.step.key}: ${l.error ?? l.changes.join('; ')}`);
    options.log(`converged check (${seconds} s): ${pending.length} step(s) have work to do (${why.join(' | ')}${pending.length > 3 ? ' | …' : ''}); running the steps in order`);
    return undefined;
  }
  const slowest = [...looked].sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, 3).map(l => `${l.step.key} ${(l.elapsedMs / 1000).toFixed(2)} s`);
  options.log(`converged check (${seconds} s): every step looked and found nothing to change (longest: ${slowest.join(', ')})`);
  const emit = options.onEvent ?? (() => {});
  return looked.map(({step, elapsedMs, lines}) => {
    emit({type: 'step-start', key: step.key, host: step.host, title: step.title, at: started});
    options.log(`[${step.host}] ${step.title}`);
    for (const line of lines) options.log(`[${step.host}] ${line}`);
    options.log(`[${step.host}] ok: ${step.title}`);
    options.journal?.record(step.key, 'ok');
    emit({type: 'step-end', key: step.key, host: step.host, title: step.title, status: 'ok', elapsedMs, changes: []});
    return {key: step.key, host: step.host, id: step.id, title: step.title, status: 'ok', elapsedMs, changes: []};
  });
}
