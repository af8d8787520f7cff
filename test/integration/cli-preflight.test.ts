// `personium-setup preflight` as a user runs it: the built CLI, an answers file naming three
// real test servers, host keys never seen before (accepted only because the flag says so).
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {downTestHosts, testHostsAvailable, upTestHosts, type TestHostSet} from '../harness/testhosts.js';

const available = await testHostsAvailable();
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

describe.skipIf(!available.ok)(`preflight command on three test servers${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let set: TestHostSet;
  let home: string;
  let answers: string;

  beforeAll(async () => {
    set = await upTestHosts(3);
    home = mkdtempSync(join(tmpdir(), 'cli-preflight-'));
    answers = join(home, 'unit.yaml');
    const [web, ap, es] = set.hosts;
    const host = (name: string, address: string, roles: string) =>
      `  - name: ${name}\n    address: ${address}\n    user: deploy\n    auth: {method: key, keyFile: ${set.keyFile}}\n    roles: [${roles}]\n`;
    writeFileSync(
      answers,
      `pattern: medium-large\nhosts:\n${host('web1', web!.address, 'web')}${host('ap1', ap!.address, 'ap, mq, nfs')}${host('es1', es!.address, 'es')}unit:\n  fqdn: personium.example.test\n  cellUrlMode: path-based\n  publicAddress: ${web!.address}\n`,
    );
  });
  afterAll(async () => {
    await downTestHosts();
  });

  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, 'preflight', '--answers', answers, '--skip-public-check', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      env: {PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state')},
    });

  it('refuses unknown host keys without the flag', () => {
    const result = run([]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/HostKey|host key/i);
    expect(result.stdout).toMatch(/SHA256:/);
  });

  it('prints a full table with the flag, pins the keys, and exits by the checks', () => {
    const result = run(['--accept-new-host-keys']);
    expect(result.stdout).toMatch(/^HOST/m);
    for (const name of ['web1', 'ap1', 'es1']) expect(result.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    const pinned = readFileSync(join(home, 'config', 'personium-setup', 'known_hosts'), 'utf8');
    for (const h of set.hosts) expect(pinned).toContain(h.address);

    const json = JSON.parse(run(['--json']).stdout) as {results: Array<{id: string; host: string; status: string}>};
    expect(json.results.find(r => r.host === 'ap1' && r.id === 'SSH')?.status).toBe('pass');
    expect(json.results.find(r => r.host === 'es1' && r.id === 'OS')?.status).toBe('pass');
    expect(json.results.some(r => r.id === 'Port-9200' && r.host === 'es1')).toBe(true);

    // Whatever these containers cannot do (their /proc/sys is read-only) stays visible when ignored.
    const all = run(['--ignore-preflight-errors=all']);
    expect(all.status).toBe(0);
  }, 180_000);
});
