// What the executor runs: steps with dependencies, per host, each idempotent (it looks before it
// changes anything and says whether it changed something).
import type {Host} from '../hosts/host.js';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface OsInfo {
  /** apt (Debian, Ubuntu) or dnf (RHEL, Rocky, Alma). */
  family: 'debian' | 'rhel';
  id: string;
  versionId: string;
  /** VERSION_CODENAME (Debian and Ubuntu: bookworm, jammy, noble), for apt sources. */
  codename?: string;
}

export interface StepContext {
  host: Host;
  os: OsInfo;
  /** Check mode (`--dry-run` against real hosts): look, report what would change, change nothing. */
  checkOnly: boolean;
  /**
   * With checkOnly, for the converged check (converged.ts): readiness is tried once instead of
   * skipped, so "nothing to change" also means "everything answers".
   */
  probe?: boolean;
  signal?: AbortSignal;
  /** A line for the run log (secrets are redacted by the log). */
  log(line: string): void;
  /** Remember that something changed (a file, a package, a service state). */
  changed(what: string): void;
  /** Values shared between steps of one run on this host (e.g. "apt lists refreshed"). */
  memo: Map<string, unknown>;
  /** The profile's artifacts.packageMirror: distribution packages come from there, not the host's own sources. */
  packageMirror?: string;
}

export interface StepDefinition {
  /** Unique in a run: `<host>:<id>`. */
  key: string;
  host: string;
  id: string;
  title: string;
  /** Keys of steps (on any host) that must have finished first: the boot order lives here. */
  needs: string[];
  /** Safe to retry on a transient network error. */
  retryable?: boolean;
  run(ctx: StepContext): Promise<void>;
}

export type RunEvent =
  | {type: 'step-start'; key: string; host: string; title: string; at: number}
  | {type: 'step-end'; key: string; host: string; title: string; status: StepStatus; elapsedMs: number; changes: string[]; error?: StepFailure}
  | {type: 'line'; key: string; host: string; line: string};

export interface StepFailure {
  message: string;
  command?: string;
  /** The last lines of the failing command's output. */
  outputTail?: string[];
}

/** A step failed in a way the operator can act on. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    readonly outputTail?: string[],
  ) {
    super(message);
    this.name = 'StepError';
  }
}
