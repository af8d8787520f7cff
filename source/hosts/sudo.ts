// Becoming root: detection (root / passwordless sudo / sudo with a password / none) and the
// wrapping of commands. A sudo password only ever travels on stdin, never on a command line.
import {shellQuote, sh} from './quote.js';

export type Privilege = 'root' | 'nopasswd' | 'password' | 'none';

export const SUDOERS_FILE = '/etc/sudoers.d/personium-setup';

/** The exact line that gives `user` passwordless sudo (for error hints). */
export function sudoersLine(user: string): string {
  return `${user} ALL=(ALL:ALL) NOPASSWD: ALL`;
}

export function sudoersHint(user: string): string {
  return (
    `give ${user} passwordless sudo by adding this line to ${SUDOERS_FILE} (edit with visudo -f ${SUDOERS_FILE}):\n` +
    `  ${sudoersLine(user)}`
  );
}

export type RunForCheck = (command: string, stdin?: string) => Promise<{code: number; stdout: string; stderr: string}>;

/**
 * root (uid 0); `sudo -n true` works → nopasswd; sudo present → password; else none. One
 * round trip: it runs before the root shell can start, so it is on every run's critical path.
 */
export const DETECT_PRIVILEGE_SCRIPT = `if [ "$(id -u)" = 0 ]; then echo root
elif sudo -n true 2>/dev/null; then echo nopasswd
elif command -v sudo >/dev/null 2>&1; then echo password
else echo none; fi`;

export async function detectPrivilege(run: RunForCheck): Promise<Privilege> {
  const result = await run(sh`sh -c ${DETECT_PRIVILEGE_SCRIPT}`);
  const answer = result.stdout.trim();
  // sudo asks for the password before it tells whether the user may sudo at all, so a user without
  // a sudoers entry also looks like 'password' here; checkSudoPassword tells them apart.
  if (answer === 'root' || answer === 'nopasswd' || answer === 'password') return answer;
  return 'none';
}

export type SudoCheck = 'ok' | 'wrong-password' | 'not-allowed';

/** Validate a sudo password (the password is the first line of stdin). */
export async function checkSudoPassword(run: RunForCheck, password: string): Promise<SudoCheck> {
  const result = await run("sudo -k -S -p '' true", `${password}\n`);
  if (result.code === 0) return 'ok';
  if (/not in the sudoers|not allowed|may not run sudo/i.test(result.stderr)) return 'not-allowed';
  return 'wrong-password';
}

/** Wrap a command to run as root. With 'password', the caller puts the password line first on stdin. */
export function wrapSudo(command: string, privilege: Privilege): string {
  switch (privilege) {
    case 'root':
      return sh`sh -c ${command}`;
    case 'nopasswd':
      return sh`sudo -n -- sh -c ${command}`;
    case 'password':
      // -k: always read the password line, even when sudo has cached credentials; otherwise the
      // password would be left on stdin for the command itself.
      return `sudo -k -S -p '' -- sh -c ${shellQuote(command)}`;
    case 'none':
      throw new Error('cannot run as root: no sudo');
  }
}
