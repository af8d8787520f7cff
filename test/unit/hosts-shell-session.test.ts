// The persistent shell's framing, fed by a stand-in channel: the remote side's bytes arrive in
// pieces of any size (SSH windows), and must give back exactly each command's status and output.
// The shell itself runs on real servers in test/integration/hosts-ops.test.ts.
import {EventEmitter} from 'node:events';
import {spawn} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import type {ClientChannel} from 'ssh2';
import {SHELL_SESSION_SCRIPT, SHELL_SESSION_SCRIPT_SH, ShellSession} from '../../source/hosts/shell-session.js';

/** A remote script run by this machine's sh, behind an object shaped like an ssh2 channel; output is handed over in pieces of `piece` bytes. */
function localChannel(piece: number, script: string): ClientChannel {
  const child = spawn('sh', ['-c', script], {stdio: ['pipe', 'pipe', 'pipe']});
  const channel = new EventEmitter() as EventEmitter & {stderr: EventEmitter; write: (b: Buffer | string) => boolean; end: () => void; close: () => void};
  channel.stderr = new EventEmitter();
  channel.write = b => child.stdin.write(b);
  channel.end = () => child.stdin.end();
  channel.close = () => child.kill();
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i += piece) channel.emit('data', chunk.subarray(i, i + piece));
  });
  child.stderr.on('data', (chunk: Buffer) => channel.stderr.emit('data', chunk));
  child.on('close', () => channel.emit('close'));
  return channel as unknown as ClientChannel;
}

// The Python loop (where the host has Python) and the POSIX sh loop speak the same protocol.
describe.each([
  ['Python', SHELL_SESSION_SCRIPT],
  ['sh', SHELL_SESSION_SCRIPT_SH],
])('ShellSession with the %s loop', (_name, script) => {
  it.each([1, 7, 65536])('runs commands one after another with exact output, in pieces of %i bytes', async piece => {
    const shell = await ShellSession.start(localChannel(piece, script), '');
    const pids: number[] = [];
    const first = await shell.run("printf 'out\\nR 1\\n0\\n'; printf 'err' >&2; exit 4", pid => pids.push(pid));
    expect(first.code).toBe(4);
    expect(first.stdout.toString()).toBe('out\nR 1\n0\n');
    expect(first.stderr.toString()).toBe('err');
    expect(pids).toHaveLength(1);
    const binary = await shell.run("printf '\\000\\377\\n'; head -c 100000 /dev/zero | tr '\\0' x");
    expect(binary.stdout.subarray(0, 3)).toEqual(Buffer.from([0, 255, 10]));
    expect(binary.stdout.length).toBe(100003);
    // A command cannot disturb the shell: exit, cd and variables stay in its own process.
    await shell.run('cd /; X=1; exit 0');
    expect((await shell.run('echo "${X:-unset}"')).stdout.toString()).toBe('unset\n');
    shell.close();
    expect(shell.closed).toBe(true);
    await expect(shell.run('true')).rejects.toThrow(/closed/);
  });

  it('refuses a second command while one runs, and reports a shell that ends', async () => {
    const shell = await ShellSession.start(localChannel(4096, script), '');
    const running = shell.run('sleep 0.2; echo done');
    await expect(shell.run('true')).rejects.toThrow(/busy/);
    expect((await running).stdout.toString()).toBe('done\n');
    const ended = shell.run('kill -9 $PPID; sleep 5');
    // (the loop is the parent of every command's sh, whichever language it is)
    await expect(ended).rejects.toThrow(/remote shell ended/);
  });
});
