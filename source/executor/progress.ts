// What a live view of a run shows, kept from the run's events: per host the step running now and
// since when, how many of its steps are done and how they ended; overall, done of total and the
// time since the start. Plain data, so the Ink view only renders it and tests need no terminal.
import type {RunEvent, StepDefinition, StepStatus} from './types.js';

export type RunPhase = 'checking' | 'running';

export interface HostProgress {
  host: string;
  total: number;
  done: number;
  counts: Record<StepStatus, number>;
  /** The step running on this host now. */
  current?: {title: string; since: number};
  /** Its latest output line (e.g. a readiness wait saying what it waits for). */
  lastLine?: string;
}

export interface RunSnapshot {
  phase: RunPhase;
  /** When the phase began (the converged check takes a moment of its own). */
  phaseSince: number;
  startedAt: number;
  now: number;
  total: number;
  done: number;
  hosts: HostProgress[];
}

const noCounts = (): Record<StepStatus, number> => ({ok: 0, changed: 0, failed: 0, skipped: 0});

export class RunProgress {
  private readonly hosts = new Map<string, HostProgress>();
  private readonly finished = new Set<string>();
  private phaseName: RunPhase = 'checking';
  private phaseSince: number;

  constructor(
    steps: ReadonlyArray<Pick<StepDefinition, 'key' | 'host'>>,
    private readonly startedAt: number,
  ) {
    this.phaseSince = startedAt;
    for (const step of steps) {
      const host = this.hosts.get(step.host) ?? {host: step.host, total: 0, done: 0, counts: noCounts()};
      host.total++;
      this.hosts.set(step.host, host);
    }
  }

  phase(phase: RunPhase, at: number): void {
    if (phase === this.phaseName) return;
    this.phaseName = phase;
    this.phaseSince = at;
  }

  event(event: RunEvent): void {
    const host = this.hosts.get(event.host);
    if (!host) return;
    if (event.type === 'step-start') {
      host.current = {title: event.title, since: event.at};
      delete host.lastLine;
    } else if (event.type === 'line') {
      if (host.current) host.lastLine = event.line;
    } else {
      // A step ends once; the converged check's results and a resumed step count like any other.
      if (this.finished.has(event.key)) return;
      this.finished.add(event.key);
      host.done++;
      host.counts[event.status]++;
      if (host.current?.title === event.title) {
        delete host.current;
        delete host.lastLine;
      }
    }
  }

  snapshot(now: number): RunSnapshot {
    const hosts = [...this.hosts.values()].map(h => ({...h, counts: {...h.counts}, ...(h.current ? {current: {...h.current}} : {})}));
    return {
      phase: this.phaseName,
      phaseSince: this.phaseSince,
      startedAt: this.startedAt,
      now,
      total: hosts.reduce((n, h) => n + h.total, 0),
      done: hosts.reduce((n, h) => n + h.done, 0),
      hosts,
    };
  }
}

/** "[#####-----]" of `width` cells for done of total. */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** Elapsed time as the live view shows it: "8 s", "1 min 05 s". */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}
