// A log file for every run: every command, answer source and result, with secrets redacted.
// Files are 0600 in $XDG_STATE_HOME/personium-setup/logs (default ~/.local/state/...).
import {appendFileSync, mkdirSync, openSync, closeSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';

const secrets = new Set<string>();

/** Any value registered here is replaced by *** in every later log line. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

export function logDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'personium-setup', 'logs');
}

export class RunLog {
  readonly path: string;

  constructor(command: string, directory = logDirectory()) {
    mkdirSync(directory, {recursive: true, mode: 0o700});
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.path = join(directory, `${stamp}-${command}.log`);
    closeSync(openSync(this.path, 'a', 0o600));
  }

  write(line: string): void {
    appendFileSync(this.path, `${new Date().toISOString()} ${redact(line)}\n`);
  }
}
