// The journal: written after every step, so an interrupted run (Ctrl-C, lost connection,
// reboot of the operator machine) can resume where it stopped.
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {StepStatus} from './types.js';

interface JournalData {
  profile: string;
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

  /** A new journal, or (resume) the previous one when that run did not finish. */
  static open(path: string, profile: string, resume: boolean): {journal: Journal; resumed: boolean} {
    if (resume) {
      try {
        const previous = JSON.parse(readFileSync(path, 'utf8')) as JournalData;
        if (!previous.finishedAt && previous.profile === profile) return {journal: new Journal(path, previous), resumed: true};
      } catch {
        // No journal or unreadable: start afresh.
      }
    }
    const journal = new Journal(path, {profile, startedAt: new Date().toISOString(), steps: {}});
    journal.write();
    return {journal, resumed: false};
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
