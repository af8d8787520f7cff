// Runs steps across hosts: steps of one host one after another, hosts in parallel, and a step
// only once everything it needs (on any host) has finished. Stops starting new steps at the
// first failure, lets running ones finish, and journals every result so `--resume` can skip
// what an interrupted run already did.
import pLimit from 'p-limit';
import type {Host} from '../hosts/host.js';
import type {Journal} from './journal.js';
import {StepError, type OsInfo, type RunEvent, type StepDefinition, type StepStatus} from './types.js';

export interface ExecuteOptions {
  hosts: Map<string, Host>;
  os: Map<string, OsInfo>;
  checkOnly?: boolean;
  signal?: AbortSignal;
  journal?: Journal;
  /** Skip steps the journal records as done (ok or changed) in the run being resumed. */
  resume?: boolean;
  onEvent?: (event: RunEvent) => void;
  log: (line: string) => void;
  /** Tries for retryable steps on transient (connection) errors. */
  retries?: number;
  /** Waits before the retries (tests make them short). */
  retryDelaysMs?: number[];
  /** Distribution packages from this mirror (StepContext.packageMirror). */
  packageMirror?: string;
  /** At most this many hosts run a step at the same time (default MAX_PARALLEL_HOSTS). */
  parallel?: number;
}

/** How many hosts work at once by default (Ansible's forks default is 5; SSH sessions are cheap here). */
export const MAX_PARALLEL_HOSTS = 10;

export interface StepResult {
  key: string;
  host: string;
  id: string;
  title: string;
  status: StepStatus;
  elapsedMs: number;
  changes: string[];
  error?: {message: string; command?: string; outputTail?: string[]};
}

export interface ExecuteResult {
  results: StepResult[];
  failed: boolean;
}

const TRANSIENT = /ECONNRESET|ETIMEDOUT|EPIPE|Not connected|No response from server|connection (was )?lost|connection closed|Channel open failure/i;

/** In a failed command's output: the package manager or a download could not reach the network. */
const NETWORK_OUTPUT = /Temporary failure resolving|Could not resolve host|Failed to fetch|Curl error \(\d+\)|Cannot download|Network is unreachable|Could not connect to/i;

/** A failure worth another try of an idempotent step: the connection, or the network under a command. */
function isTransient(error: unknown, message: string): boolean {
  if (TRANSIENT.test(message)) return true;
  return error instanceof StepError && (error.outputTail ?? []).some(line => NETWORK_OUTPUT.test(line));
}

/** Waits before each retry: 1 s, then 3 s (a network blip or sshd restarting). */
const RETRY_DELAYS_MS = [1_000, 3_000];

export async function execute(steps: StepDefinition[], options: ExecuteOptions): Promise<ExecuteResult> {
  const keys = new Set(steps.map(s => s.key));
  for (const step of steps) {
    for (const need of step.needs) if (!keys.has(need)) throw new Error(`step ${step.key} needs unknown step ${need}`);
  }
  assertNoDeadlock(steps);
  const done = new Map<string, StepStatus>();
  const results: StepResult[] = [];
  let failed = false;
  const memos = new Map<string, Map<string, unknown>>();
  const emit = options.onEvent ?? (() => {});
  // A step holds a slot only while it runs, never while it waits for its needs (that could
  // deadlock: the step it waits for may need the slot).
  const slot = pLimit(Math.max(1, options.parallel ?? MAX_PARALLEL_HOSTS));

  // Each host works through its own queue; a step waits for its needs to settle.
  const settled = new Map<string, Promise<StepStatus>>();
  const resolvers = new Map<string, (status: StepStatus) => void>();
  for (const step of steps) settled.set(step.key, new Promise(resolve => resolvers.set(step.key, resolve)));

  const runOne = async (step: StepDefinition): Promise<void> => {
    const needs = await Promise.all(step.needs.map(k => settled.get(k)!));
    const finish = (result: StepResult) => {
      results.push(result);
      done.set(step.key, result.status);
      options.journal?.record(step.key, result.status);
      resolvers.get(step.key)!(result.status);
    };
    const base = {key: step.key, host: step.host, id: step.id, title: step.title, elapsedMs: 0, changes: [] as string[]};
    const needFailed = needs.some(s => s === 'failed' || s === 'skipped');
    if (options.resume && options.journal?.isDone(step.key) && !failed && !needFailed) {
      finish({...base, status: 'ok', changes: ['(done in the interrupted run)']});
      emit({type: 'step-end', key: step.key, host: step.host, title: step.title, status: 'ok', elapsedMs: 0, changes: []});
      return;
    }
    await slot(async () => {
      // Looked at once the slot is ours: a failure elsewhere while this step waited stops it too.
      if (failed || options.signal?.aborted || needFailed) {
        finish({...base, status: 'skipped'});
        emit({type: 'step-end', key: step.key, host: step.host, title: step.title, status: 'skipped', elapsedMs: 0, changes: []});
        return;
      }
      await runStep(step, base, finish);
    });
  };

  const runStep = async (step: StepDefinition, base: Omit<StepResult, 'status'>, finish: (result: StepResult) => void): Promise<void> => {
    const host = options.hosts.get(step.host);
    const os = options.os.get(step.host);
    if (!host || !os) throw new Error(`no connection or OS facts for host ${step.host}`);
    const memo = memos.get(step.host) ?? new Map<string, unknown>();
    memos.set(step.host, memo);
    const started = Date.now();
    emit({type: 'step-start', key: step.key, host: step.host, title: step.title, at: started});
    options.log(`[${step.host}] ${step.title}`);
    const tries = step.retryable ? Math.max(1, options.retries ?? 3) : 1;
    for (let attempt = 1; ; attempt++) {
      const changes: string[] = [];
      try {
        await step.run({
          host,
          os,
          memo,
          checkOnly: options.checkOnly ?? false,
          signal: options.signal,
          ...(options.packageMirror ? {packageMirror: options.packageMirror} : {}),
          log: line => {
            options.log(`[${step.host}] ${line}`);
            emit({type: 'line', key: step.key, host: step.host, line});
          },
          changed: what => changes.push(what),
        });
        const status: StepStatus = changes.length > 0 ? 'changed' : 'ok';
        const elapsedMs = Date.now() - started;
        options.log(`[${step.host}] ${status}: ${step.title}${changes.length > 0 ? ` (${changes.join('; ')})` : ''}`);
        finish({...base, status, elapsedMs, changes});
        emit({type: 'step-end', key: step.key, host: step.host, title: step.title, status, elapsedMs, changes});
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt < tries && isTransient(error, message) && !options.signal?.aborted) {
          options.log(`[${step.host}] ${step.title}: ${message}; retrying (${attempt + 1}/${tries})`);
          await new Promise(resolve => setTimeout(resolve, options.retryDelaysMs?.[attempt - 1] ?? RETRY_DELAYS_MS[attempt - 1] ?? 3_000));
          // A lost connection is opened again first; if that fails too, the next try says so.
          await host.reconnect?.().then(
            reopened => reopened && options.log(`[${step.host}] connected again`),
            (error: unknown) => options.log(`[${step.host}] cannot connect again: ${error instanceof Error ? error.message : String(error)}`),
          );
          continue;
        }
        failed = true;
        const detail =
          error instanceof StepError ? {message, command: error.command, outputTail: error.outputTail} : {message};
        const elapsedMs = Date.now() - started;
        options.log(`[${step.host}] FAILED: ${step.title}: ${message}${detail.command ? `\n  command: ${detail.command}` : ''}`);
        finish({...base, status: 'failed', elapsedMs, changes, error: detail});
        emit({type: 'step-end', key: step.key, host: step.host, title: step.title, status: 'failed', elapsedMs, changes, error: detail});
        return;
      }
    }
  };

  const byHost = new Map<string, StepDefinition[]>();
  for (const step of steps) byHost.set(step.host, [...(byHost.get(step.host) ?? []), step]);
  await Promise.all(
    [...byHost.values()].map(async queue => {
      for (const step of queue) await runOne(step);
    }),
  );
  await options.journal?.flush();
  // Report in the order the steps were given, not the order they finished.
  const order = new Map(steps.map((s, i) => [s.key, i]));
  results.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  return {results, failed};
}

/**
 * Steps of a host run in the given order, so a need that points "forward" in another host's
 * queue can deadlock. Checked up front: needs plus queue order must form no cycle.
 */
function assertNoDeadlock(steps: StepDefinition[]): void {
  const before = new Map<string, string[]>();
  const lastOnHost = new Map<string, string>();
  for (const step of steps) {
    const previous = lastOnHost.get(step.host);
    before.set(step.key, [...step.needs, ...(previous ? [previous] : [])]);
    lastOnHost.set(step.host, step.key);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') throw new Error(`steps wait on each other: ${[...path, key].join(' → ')}`);
    state.set(key, 'visiting');
    for (const next of before.get(key) ?? []) visit(next, [...path, key]);
    state.set(key, 'done');
  };
  for (const step of steps) visit(step.key, []);
}

/** Host × status counts for the recap table. */
export function recap(results: StepResult[]): Array<{host: string} & Record<StepStatus, number>> {
  const rows = new Map<string, {host: string} & Record<StepStatus, number>>();
  for (const r of results) {
    const row = rows.get(r.host) ?? {host: r.host, ok: 0, changed: 0, failed: 0, skipped: 0};
    row[r.status]++;
    rows.set(r.host, row);
  }
  return [...rows.values()];
}
