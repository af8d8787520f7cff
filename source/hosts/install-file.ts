// Shared by both adapters: file names and the root-side command of an atomic upload.
import {randomBytes} from 'node:crypto';
import {posix} from 'node:path';
import {sh} from './quote.js';

/** A hidden temporary name in the target's own directory, so the final rename is atomic. */
export function tempNameNextTo(target: string): string {
  return posix.join(posix.dirname(target), `.${posix.basename(target)}.personium-setup-${randomBytes(6).toString('hex')}`);
}

export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * As root: copy a staged file next to the target with mode and owner (install), then rename it
 * over the target (mv within one directory is atomic). A target that is a mount point (a
 * container's bind-mounted /etc/hosts) cannot be renamed over: it is written in place instead.
 * Where SELinux is on, the file gets its policy's label back (a renamed file keeps the
 * temporary's). The staged file is left to the caller.
 */
export function installFileCommand(staged: string, target: string, mode: number, owner?: string, group?: string): string {
  const tmp = tempNameNextTo(target);
  const ownership = `${owner ? sh` -o ${owner}` : ''}${group ? sh` -g ${group}` : ''}`;
  return (
    sh`install -m ${modeString(mode)}` +
    ownership +
    sh` -- ${staged} ${tmp} && { mv -f -- ${tmp} ${target} || { mountpoint -q -- ${target} && cat -- ${tmp} > ${target} && rm -f -- ${tmp}; }; } || { rm -f -- ${tmp}; exit 1; }` +
    sh`; if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then restorecon -- ${target} || true; fi`
  );
}

/** owner[:group] for chown, or undefined when neither is set. */
export function chownSpec(owner?: string, group?: string): string | undefined {
  if (!owner && !group) return undefined;
  return `${owner ?? ''}${group ? `:${group}` : ''}`;
}
