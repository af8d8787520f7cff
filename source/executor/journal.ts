// The journal: written after every step, so an interrupted run (Ctrl-C, lost connection,
// reboot of the operator machine) can resume where it stopped.
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {StepStatus} from './types.js';

interface JournalData {
  profile: string;
  /** What the run was for (journalFingerprint): a changed profile is not resumed. */
  fingerprint?: string;
  startedAt: string;
  finishedAt?: string;
  steps: Record<string, StepStatus>;
}

export class Journal {
  private data: JournalData;

  private constructor(
    readonly path: string,
    data: JournalData,
  ) {
    this.data = data;
  }

  /**
   * A new journal, or (resume) the previous one when that run did not finish and was for the same
   * profile contents: steps done with other values must run again (`changed` says the profile
   * differs from the interrupted run's).
   */
  static open(path: string, profile: string, resume: boolean, fingerprint?: string): {journal: Journal; resumed: boolean; changed?: boolean} {
    let changed = false;
    if (resume) {
      try {
        const previous = JSON.parse(readFileSync(path, 'utf8')) as JournalData;
        if (!previous.finishedAt && previous.profile === profile) {
          if (fingerprint === undefined || previous.fingerprint === undefined || previous.fingerprint === fingerprint) return {journal: new Journal(path, previous), resumed: true};
          changed = true;
        }
      } catch {
        // No journal or unreadable: start afresh.
      }
    }
    const journal = new Journal(path, {profile, ...(fingerprint ? {fingerprint} : {}), startedAt: new Date().toISOString(), steps: {}});
    journal.write();
    return {journal, resumed: false, ...(changed ? {changed} : {})};
  }

  /** Whether the last run of this profile recorded at `path` got through every step. */
  static lastRunFinished(path: string, profile: string): boolean {
    try {
      const previous = JSON.parse(readFileSync(path, 'utf8')) as JournalData;
      return previous.profile === profile && typeof previous.finishedAt === 'string';
    } catch {
      return false;
    }
  }

  isDone(key: string): boolean {
    const status = this.data.steps[key];
    return status === 'ok' || status === 'changed';
  }

  record(key: string, status: StepStatus): void {
    if (status === 'skipped' && this.isDone(key)) return;
    this.data.steps[key] = status;
    this.write();
  }

  finish(): void {
    this.data.finishedAt = new Date().toISOString();
    this.write();
  }

  async flush(): Promise<void> {
    this.write();
  }

  private write(): void {
    mkdirSync(dirname(this.path), {recursive: true, mode: 0o700});
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(this.data, null, 2), {mode: 0o600});
    renameSync(temp, this.path);
  }
}

/** What a run is for, as one hash: the validated profile (secret references, never secrets) and the version set. */
export function journalFingerprint(profile: unknown, versionSetId: string): string {
  return createHash('sha256').update(JSON.stringify({profile, versionSetId})).digest('hex').slice(0, 16);
}
