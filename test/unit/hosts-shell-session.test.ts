// The persistent shell's framing, fed by a stand-in channel: the remote side's bytes arrive in
// pieces of any size (SSH windows), and must give back exactly each command's status and output.
// Also the Python loop's concurrency and its file facts (the same as the portable script's).
// The shell itself runs on real servers in test/integration/hosts-ops.test.ts.
import {EventEmitter} from 'node:events';
import {execFileSync, spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import type {ClientChannel} from 'ssh2';
import {FILE_FACTS_SCRIPT, parseFileFacts} from '../../source/hosts/file-facts.js';
import {PYTHON_LOOP_CAPACITY, SHELL_SESSION_SCRIPT, SHELL_SESSION_SCRIPT_SH, ShellPool, ShellSession} from '../../source/hosts/shell-session.js';

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

  it('reports a shell that ends', async () => {
    const shell = await ShellSession.start(localChannel(4096, script), '');
    const ended = shell.run('kill -9 $PPID; sleep 5');
    // (the loop is the parent of every command's sh, whichever language it is)
    await expect(ended).rejects.toThrow(/remote shell ended/);
  });
});

describe('ShellSession concurrency', () => {
  it('the sh loop refuses a second command while one runs', async () => {
    const shell = await ShellSession.start(localChannel(4096, SHELL_SESSION_SCRIPT_SH), '');
    expect(shell.loop).toBe('sh');
    expect(shell.capacity).toBe(1);
    const running = shell.run('sleep 0.2; echo done');
    await expect(shell.run('true')).rejects.toThrow(/busy/);
    expect((await running).stdout.toString()).toBe('done\n');
    shell.close();
  });

  it('the Python loop runs commands at once and answers each by its id, in the order they end', async () => {
    const shell = await ShellSession.start(localChannel(7, SHELL_SESSION_SCRIPT), '');
    expect(shell.loop).toBe('py');
    const ended: string[] = [];
    const slow = shell.run('sleep 0.4; echo slow').then(r => (ended.push('slow'), r));
    const fast = shell.run('echo fast; exit 3').then(r => (ended.push('fast'), r));
    const started = performance.now();
    const all = await Promise.all([slow, fast, ...Array.from({length: 8}, () => shell.run('sleep 0.3'))]);
    // Ten commands of 0.3-0.4 s took about as long as the slowest: they ran at the same time.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(ended).toEqual(['fast', 'slow']);
    expect(all[0]).toMatchObject({code: 0});
    expect(all[0]!.stdout.toString()).toBe('slow\n');
    expect(all[1]).toMatchObject({code: 3});
    expect(all[1]!.stdout.toString()).toBe('fast\n');
    await expect(Promise.all(Array.from({length: shell.capacity + 1}, () => shell.run('sleep 0.1')))).rejects.toThrow(/busy/);
    shell.close();
  });
});

describe('giving up on a command that does not end', () => {
  it('the Python loop stops waiting for it alone: the others go on and its late answer is dropped', async () => {
    const shell = await ShellSession.start(localChannel(4096, SHELL_SESSION_SCRIPT), '');
    const giveUp = new AbortController();
    const stuck = shell.run('sleep 0.6; echo late', () => {}, giveUp.signal);
    setTimeout(() => giveUp.abort(), 50);
    await expect(stuck).rejects.toThrow(/no longer waited for/);
    expect(shell.capacity).toBe(PYTHON_LOOP_CAPACITY - 1); // it still runs on the server
    expect((await shell.run('echo meanwhile')).stdout.toString()).toBe('meanwhile\n');
    await new Promise(r => setTimeout(r, 800)); // the late answer arrives and is read past
    expect((await shell.run('echo after')).stdout.toString()).toBe('after\n');
    expect(shell.capacity).toBe(PYTHON_LOOP_CAPACITY);
    expect(shell.closed).toBe(false);
    shell.close();
  });

  it('the sh loop, one command at a time, is closed instead', async () => {
    const shell = await ShellSession.start(localChannel(4096, SHELL_SESSION_SCRIPT_SH), '');
    const giveUp = new AbortController();
    const stuck = shell.run('sleep 5', () => {}, giveUp.signal);
    giveUp.abort();
    await expect(stuck).rejects.toThrow(/closed/);
    expect(shell.closed).toBe(true);
  });
});

describe('ShellPool', () => {
  it('starts one Python shell for many concurrent commands, and as many sh shells as it may', async () => {
    for (const [script, shells] of [[SHELL_SESSION_SCRIPT, 1], [SHELL_SESSION_SCRIPT_SH, 3]] as const) {
      let started = 0;
      const pool = new ShellPool(3, () => (started++, ShellSession.start(localChannel(4096, script), '')), () => false);
      const run = async () => {
        const shell = (await pool.acquire())!;
        try {
          return (await shell.run('sleep 0.1; echo ok')).stdout.toString();
        } finally {
          pool.release(shell);
        }
      };
      expect(await Promise.all(Array.from({length: 9}, run))).toEqual(Array.from({length: 9}, () => 'ok\n'));
      expect(started).toBe(shells);
      pool.closeAll();
    }
  });
});

describe('file facts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-facts-'));
  writeFileSync(join(dir, 'a file'), 'hello\n', {mode: 0o640});
  writeFileSync(join(dir, 'empty'), '');
  mkdirSync(join(dir, 'sub'), {mode: 0o750});
  symlinkSync('a file', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const paths = ['a file', 'empty', 'sub', 'link', 'dangling', 'fifo', 'missing', "it's\nodd"].map(n => join(dir, n));
  const me = execFileSync('id', ['-un'], {encoding: 'utf8'}).trim();
  const group = execFileSync('id', ['-gn'], {encoding: 'utf8'}).trim();

  it('the Python loop answers exactly as the portable script does', async () => {
    const portable = execFileSync('sh', ['-c', FILE_FACTS_SCRIPT, 'file-facts', 'hash', ...paths], {encoding: 'utf8'});
    const shell = await ShellSession.start(localChannel(7, SHELL_SESSION_SCRIPT), '');
    const native = (await shell.fileFacts(paths)).stdout.toString();
    shell.close();
    expect(native).toBe(portable);
    const facts = parseFileFacts(native, paths.length);
    expect(facts[0]).toEqual({type: 'file', mode: '640', user: me, group, size: 6, sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03'});
    expect(facts[1]).toMatchObject({type: 'file', size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'});
    expect(facts[2]).toMatchObject({type: 'directory', mode: '750'});
    expect(facts[2]!.sha256).toBeUndefined();
    expect(facts[3]).toMatchObject({type: 'symlink'}); // the link itself, not what it points to
    expect(facts[4]).toMatchObject({type: 'symlink'});
    expect(facts[5]).toMatchObject({type: 'other'}); // a FIFO is never opened
    expect(facts.slice(6)).toEqual([undefined, undefined]);
  });

  it('without hashes no file is read, in both answers', async () => {
    const portable = execFileSync('sh', ['-c', FILE_FACTS_SCRIPT, 'file-facts', 'nohash', ...paths], {encoding: 'utf8'});
    const shell = await ShellSession.start(localChannel(4096, SHELL_SESSION_SCRIPT), '');
    const native = (await shell.fileFacts(paths, false)).stdout.toString();
    shell.close();
    expect(native).toBe(portable);
    expect(parseFileFacts(native, paths.length)[0]).toEqual({type: 'file', mode: '640', user: me, group, size: 6});
  });

  it('a reply that does not fit the question is an error, not a wrong answer', () => {
    expect(() => parseFileFacts('-\n', 2)).toThrow(/2 paths asked, 1 lines/);
    expect(() => parseFileFacts('file 6x4 root root 1 -\n', 1)).toThrow(/cannot read/);
  });
});
