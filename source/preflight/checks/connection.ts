// SSH connect, host key and sudo: what connecting and the first command showed.
import {resultsFor, type CheckResult} from '../types.js';

function errorName(error: Error): string {
  return error.name || error.constructor.name;
}

/** Results for a host whose connection failed (HostKeyError, HostAuthError, HostUnreachableError …). */
export function connectionFailureResults(host: string, error: Error): CheckResult[] {
  const r = resultsFor(host, 'connection');
  if (errorName(error) === 'HostKeyError') {
    return [r('HostKey', 'error').fail(error.message, 'compare the fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the server, then accept it (interactive run) or add it to known_hosts')];
  }
  const fix =
    errorName(error) === 'HostAuthError'
      ? 'check the login user and auth method in the profile (key file, agent, password)'
      : 'check the address, the SSH port, the network path and that sshd runs';
  return [r('SSH', 'error').fail(error.message, fix)];
}

export interface ConnectedFacts {
  user?: string;
  address: string;
  /** The fact script ran as root (uid 0). */
  asRoot: boolean;
  /** The login user (SUDO_USER) when root came through sudo. */
  sudoUser?: string;
  sudoError?: Error;
}

export function connectionResults(host: string, c: ConnectedFacts): CheckResult[] {
  const r = resultsFor(host, 'connection');
  const who = `${c.user ? `${c.user}@` : ''}${c.address}`;
  const results = [r('SSH', 'error').pass(`connected to ${who}`), r('HostKey', 'error').pass('host key verified')];
  const sudo = r('Sudo', 'error');
  if (c.asRoot) results.push(sudo.pass(c.sudoUser ? `root through sudo (as ${c.sudoUser})` : 'logged in as root'));
  else {
    results.push(
      sudo.fail(
        c.sudoError ? c.sudoError.message : 'the fact script did not run as root',
        `the installer needs root: log in as root, or give the user passwordless sudo (a line "${c.user ?? '<user>'} ALL=(ALL:ALL) NOPASSWD: ALL" in /etc/sudoers.d/personium-setup), or provide the sudo password`,
      ),
    );
  }
  return results;
}
