// `personium-setup bundle` through the built CLI against a mirror on 127.0.0.1 that serves
// FIXTURE archives (the real ones cannot be downloaded here) with their .sha512 files.
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildFixtureArtifacts} from '../fixtures/fixture-bundle.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'cli-bundle-'));
let server: Server;
let mirror = '';

function run(args: string[]): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'c'), XDG_STATE_HOME: join(home, 's'), XDG_CACHE_HOME: join(home, 'cache')},
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', c => (stdout += c));
    child.stderr.on('data', c => (stderr += c));
    child.on('close', status => resolve({status, stdout, stderr}));
  });
}

beforeAll(async () => {
  const dir = join(home, 'mirror');
  const entries = await buildFixtureArtifacts(dir, '1.8.3', {extensions: ['httpclient']});
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    const data = readFileSync(e.path);
    files.set(`/${basename(e.path)}`, data);
    files.set(`/${basename(e.path)}.sha512`, Buffer.from(`${createHash('sha512').update(data).digest('hex')}  ${basename(e.path)}\n`));
  }
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  mirror = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

const answers = (versionSet: string) => {
  const file = join(home, `unit-${versionSet}.yaml`);
  writeFileSync(
    file,
    `pattern: small\nhosts:\n  - {name: s1, address: 192.0.2.10, roles: [web, ap, es, mq, nfs]}\nunit: {fqdn: unit.example.test}\nversionSet: "${versionSet}"\nextensions: {httpclient: {}}\nartifacts: {source: mirror, mirrorUrl: "${mirror}"}\n`,
  );
  return file;
};

describe('bundle command', () => {
  it('needs --out', async () => {
    const result = await run(['bundle', '--answers', answers('1.8.3')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--out');
  });

  it('refuses an archive whose hash differs from the one pinned in the version matrix', async () => {
    // The fixture engine war is not the real personium-engine 1.6.0, whose sha256 is pinned.
    const out = join(home, 'refused.tar.gz');
    const result = await run(['bundle', '--answers', answers('1.8.3'), '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/personium-engine-1\.6\.0\.war/);
    expect(result.stderr).toMatch(/0ec57828248b728bb6eb0c36e8071222677f1f7ff16b28f7a7ec90703e1fc4a1/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
