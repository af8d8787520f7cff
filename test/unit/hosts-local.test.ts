// The local adapter on this machine: same semantics as the ssh2 one (quiet zx, atomic uploads,
// timeouts and cancels that kill the whole process tree).
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {LocalHost} from '../../source/hosts/local-host.js';
import {sh} from '../../source/hosts/quote.js';
import {HOSTILE_STRINGS, INJECTION_MARKER} from '../harness/hostile-strings.js';

const host = new LocalHost();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pds-local-host-'));
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function running(pattern: string): string {
  return execFileSync('sh', ['-c', `ps -eo args | grep -F -- '${pattern}' | grep -v grep || true`], {encoding: 'utf8'}).trim();
}

describe('LocalHost', () => {
  it('runs commands with exit code, separate streams, stdin and streamed output', async () => {
    const chunks: string[] = [];
    const result = await host.exec('echo out; echo err >&2; cat; exit 4', {stdin: 'in\n', onStdout: (c) => chunks.push(c)});
    expect(result).toEqual({code: 4, stdout: 'out\nin\n', stderr: 'err\n'});
    expect(chunks.join('')).toBe('out\nin\n');
  });

  it('passes hostile strings as plain arguments', async () => {
    const result = await host.exec(sh`printf '%s\\0' ${HOSTILE_STRINGS}`);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE_STRINGS);
    expect(existsSync(INJECTION_MARKER)).toBe(false);
  });

  it('a timeout kills the whole process tree', async () => {
    const result = await host.exec(`sleep 1051 & sh -c 'sleep 1052; true'; wait`, {timeoutMs: 500});
    expect(result).toMatchObject({code: -1, timedOut: true});
    await new Promise((r) => setTimeout(r, 200));
    expect(running('sleep 105')).toBe('');
  });

  it('an AbortSignal cancels', async () => {
    const controller = new AbortController();
    const pending = host.exec('sleep 1053', {signal: controller.signal});
    await new Promise((r) => setTimeout(r, 300));
    expect(running('sleep 1053')).toContain('sleep 1053');
    controller.abort();
    expect(await pending).toMatchObject({code: -1, cancelled: true});
    await new Promise((r) => setTimeout(r, 200));
    expect(running('sleep 1053')).toBe('');
  });

  it('uploads atomically with mode, leaves no temporary file, and reads back', async () => {
    const path = join(dir, "it's a file");
    await host.upload('one', path, {mode: 0o640});
    await host.upload(Buffer.from([0, 1, 2, 255]), path, {mode: 0o600});
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect((await host.readFile(path)).equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
    expect(readdirSync(dir)).toEqual(["it's a file"]);
    // A local file is copied, not read whole into memory first; same mode and atomic rename.
    const source = join(tmpdir(), `pds-local-source-${process.pid}`);
    writeFileSync(source, 'from a file');
    await host.upload({localPath: source}, path, {mode: 0o644});
    expect(readFileSync(path, 'utf8')).toBe('from a file');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(["it's a file"]);
    rmSync(source);
  });

  it.skipIf(process.getuid?.() !== 0)('as root, sudo runs directly and chown works', async () => {
    expect(await host.detectPrivilege()).toBe('root');
    expect((await host.exec('id -u', {sudo: true})).stdout).toBe('0\n');
    const path = join(dir, 'owned');
    await host.upload('x', path, {sudo: true, mode: 0o644, owner: 'nobody', group: 'root'});
    expect(execFileSync('stat', ['-c', '%a %U %G', path], {encoding: 'utf8'}).trim()).toBe('644 nobody root');
    expect((await host.readFile(path, {sudo: true})).toString()).toBe('x');
  });
});
