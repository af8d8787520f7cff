// runPreflight end to end over in-memory hosts that answer the fact script like a server would,
// and the text/JSON rendering of what comes out.
import {describe, expect, it} from 'vitest';
import {HostAuthError, HostUnreachableError} from '../../source/hosts/errors.js';
import type {ExecOptions, ExecResult, Host} from '../../source/hosts/host.js';
import {buildPlan} from '../../source/plan/plan.js';
import {preflightExitCode, preflightTable, renderPreflightJson, renderPreflightText} from '../../source/preflight/render.js';
import {runPreflight} from '../../source/preflight/run.js';
import {MEDIUM, OPERATOR_NOW, profileFor, SMALL} from './preflight-fixtures.js';

interface FakeServer {
  uid?: number;
  listen?: string[];
  resolve?: Record<string, string>;
  refuseSudo?: boolean;
}

/** What the fact script prints on a clean Debian 12 server (sections in the script's order). */
function serverOutput(marker: string, s: FakeServer, command: string): string {
  const names = [...command.matchAll(/for n in (.*); do printf/g)][0]?.[1]?.split(' ') ?? [];
  const sec = (name: string, ...lines: string[]) => `\n--${marker} ${name}\n${lines.join('\n')}\n`;
  const now = OPERATOR_NOW / 1000;
  return [
    sec('os', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'ID=debian', 'VERSION_ID="12"'),
    sec('uname', 'x86_64', '6.1.0-18-amd64'),
    sec('id', String(s.uid ?? 0), s.uid === 0 || s.uid === undefined ? 'deploy' : ''),
    sec('systemd', 'yes'),
    sec('cpu', '4'),
    sec('mem', 'MemTotal: 16000000 kB', 'MemAvailable: 15000000 kB', 'SwapTotal: 0 kB', 'Swappiness: 60'),
    sec('df', ...['/', '/opt', '/personium', '/personium_nfs', '/var'].map(p => `${p} / 100000000 80000000 /`)),
    sec('listen', 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=401,fd=3))', ...(s.listen ?? [])),
    sec('pids', '401 ssh.service sshd'),
    sec('sysctl', 'max_map_count 65530', `writable ${s.uid === 0 || s.uid === undefined ? 'yes' : 'unknown'}`, 'nr_open 1048576', 'threads_max 62892'),
    sec('limits', 'session Max open files 1024 1048576 files', 'session Max processes 31446 31446 processes', 'CapEff:\t000001ffffffffff'),
    sec('addrs', '127.0.0.1', '192.0.2.10'),
    sec('proxy'),
    sec('pkg', 'apt-get'),
    sec('pkglock', 'method fcntl'),
    sec('security'),
    sec('firewall', 'firewalld inactive', 'ufw inactive', 'nftables inactive'),
    sec('existing'),
    sec('tools', 'python3', 'bash', 'timeout', 'curl'),
    sec('resolve', ...names.map(n => `${n.replace(/'/g, '')} ${s.resolve?.[n.replace(/'/g, '')] ?? ''}`)),
    sec('hostname', 'name server1', 'addrs 127.0.1.1'),
    sec('pkgsource', 'url http://deb.debian.org/', 'http 200'),
    sec('time', `${now.toFixed(3)}000000 ${(now + 0.05).toFixed(3)}000000`),
    sec('end'),
  ].join('');
}

class FakeHost implements Host {
  readonly commands: Array<{command: string; sudo: boolean}> = [];
  constructor(
    readonly name: string,
    readonly address: string,
    private readonly server: FakeServer = {},
  ) {}
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push({command, sudo: options.sudo === true});
    if (options.sudo && this.server.refuseSudo) throw new HostAuthError(this.name, `deploy may not use sudo on ${this.name}; give deploy passwordless sudo`);
    const marker = /^M=--(\S+)$/m.exec(command)?.[1];
    if (!marker) return {code: 127, stdout: '', stderr: 'unexpected command'};
    const server = this.server.refuseSudo ? {...this.server, uid: 1000} : this.server;
    return {code: 0, stdout: serverOutput(marker, server, command), stderr: ''};
  }
  async upload(): Promise<void> {}
  async readFile(): Promise<Buffer> {
    return Buffer.alloc(0);
  }
  async close(): Promise<void> {}
}

const small = profileFor('small', SMALL);
const base = {
  profile: small,
  plan: buildPlan(small),
  skipPublicCheck: true,
  operatorNow: () => OPERATOR_NOW,
  probeUrl: async () => ({ok: true, detail: 'HTTP 200'}),
};
const resolvesRight = {'unit.example.test': '192.0.2.10'};

describe('runPreflight', () => {
  it('a clean server: one exec as root, every check passes, exit code 0', async () => {
    const host = new FakeHost('server1', '192.0.2.10', {resolve: {...resolvesRight}});
    // The wildcard label is random per run: answer every name under the FQDN.
    host.exec = new Proxy(host.exec, {
      apply: (target, self, args: [string, ExecOptions?]) => {
        const names = [...args[0].matchAll(/for n in (.*); do printf/g)][0]?.[1]?.split(' ') ?? [];
        for (const n of names) if (n.endsWith('.unit.example.test')) (self as FakeHost)['server'].resolve![n] = '192.0.2.10';
        return Reflect.apply(target, self, args);
      },
    });
    const result = await runPreflight({...base, hosts: new Map([['server1', host]])});
    expect(result.results.filter(r => r.status !== 'pass')).toEqual([]);
    expect(host.commands).toHaveLength(1);
    expect(host.commands[0]!.sudo).toBe(true);
    expect(preflightExitCode(result)).toBe(0);
    expect(result.results.slice(0, 3).map(r => r.id)).toEqual(['SSH', 'HostKey', 'Sudo']);
    expect(result.results.some(r => r.id === 'Artifacts' && r.host === '(operator)')).toBe(true);
    expect(result.hosts[0]).toMatchObject({name: 'server1', connected: true});
    expect(result.hosts[0]!.facts?.os?.id).toBe('debian');
  });

  it('a port taken by a listener fails with its process; ignoring it leaves a warning and exit 0', async () => {
    const server = {resolve: resolvesRight, listen: ['LISTEN 0 5 0.0.0.0:9200 0.0.0.0:* users:(("python3",pid=4242,fd=3))']};
    const run = (ignore?: string[]) => runPreflight({...base, hosts: new Map([['server1', new FakeHost('server1', '192.0.2.10', server)]]), ...(ignore ? {ignore} : {})});
    const failed = await run();
    expect(preflightExitCode(failed)).toBe(1);
    const text = renderPreflightText(failed);
    expect(text).toMatch(/\[ERROR Port-9200\] server1: port 9200 is taken: python3 \(pid 4242\) on 0\.0\.0\.0:9200/);
    expect(text).toContain('--ignore-preflight-errors=');
    const ignored = await run(['Port-9200', 'DNS-Wildcard']);
    expect(preflightExitCode(ignored)).toBe(0);
    expect(ignored.results.find(r => r.id === 'Port-9200')).toMatchObject({status: 'warn', ignored: true});
    expect(renderPreflightText(ignored)).toMatch(/\[WARNING Port-9200\] .*\(error ignored\)/);
  });

  it('sudo refused: the Sudo check fails with the reason, the facts come from the login user', async () => {
    const host = new FakeHost('server1', '192.0.2.10', {refuseSudo: true, resolve: resolvesRight});
    const result = await runPreflight({...base, hosts: new Map([['server1', host]])});
    expect(host.commands.map(c => c.sudo)).toEqual([true, false]);
    expect(result.results.find(r => r.id === 'Sudo')).toMatchObject({status: 'fail', message: expect.stringContaining('may not use sudo')});
    expect(result.results.find(r => r.id === 'MaxMapCount')!.message).toMatch(/needs root/);
    expect(result.results.find(r => r.id === 'OS')!.status).toBe('pass');
  });

  it('hosts that could not connect get their SSH result and nothing else; the others are checked', async () => {
    const medium = profileFor('medium-large', MEDIUM);
    const result = await runPreflight({
      ...base,
      profile: medium,
      plan: buildPlan(medium),
      hosts: new Map([['ap1', new FakeHost('ap1', '10.0.0.12')]]),
      connectErrors: new Map([
        ['web1', new HostUnreachableError('web1', 'web1 (deploy@198.51.100.10:22) is unreachable: connection timed out')],
        ['es1', new HostAuthError('es1', 'es1 refused the login')],
      ]),
    });
    expect(result.results.filter(r => r.host === 'web1').map(r => [r.id, r.status])).toEqual([
      ['SSH', 'fail'],
      ['Reach-web1-ap1-18888', 'warn'],
    ]);
    expect(result.results.filter(r => r.host === 'es1').map(r => [r.id, r.status])).toEqual([['SSH', 'fail']]);
    expect(result.results.filter(r => r.host === 'ap1').length).toBeGreaterThan(15);
    // Reachability to and from hosts that are not connected is reported as not tested.
    expect(result.results.find(r => r.id === 'Reach-ap1-es1-9200')).toMatchObject({status: 'warn', message: expect.stringContaining('es1 is not connected')});
    expect(result.hosts.map(h => [h.name, h.connected])).toEqual([['web1', false], ['ap1', true], ['es1', false]]);

    const table = preflightTable(result);
    expect(table.rows.map(r => r.host)).toEqual(['web1', 'ap1', 'es1', '(operator)']);
    const web = table.rows[0]!;
    expect(web.cells.find(c => c.kind === 'connection')).toMatchObject({status: 'fail', text: 'FAIL', ids: ['SSH']});
    expect(web.cells.find(c => c.kind === 'network')).toMatchObject({status: 'warn', text: 'warn'});
    expect(web.cells.find(c => c.kind === 'ports')).toMatchObject({text: '—'});
    const json = JSON.parse(renderPreflightJson(result)) as {ok: boolean; counts: {errors: number}; results: unknown[]};
    expect(json.ok).toBe(false);
    expect(json.counts.errors).toBeGreaterThanOrEqual(2);
    expect(json.results).toHaveLength(result.results.length);
  });
});

describe('rendering', () => {
  it('one row per host, one column per kind, then the problems with fix hints', async () => {
    const result = await runPreflight({...base, hosts: new Map([['server1', new FakeHost('server1', '192.0.2.10', {resolve: {}})]])});
    const text = renderPreflightText(result);
    const [header, row] = text.split('\n');
    expect(header).toMatch(/^HOST\s+SSH\/sudo\s+OS\s+CPU\/mem\/disk\s+Ports\s+ES limits\s+Clock\s+Names\/DNS\s+Packages\s+Security/);
    expect(row).toMatch(/^server1\s+ok\s+ok\s+ok\s+ok\s+ok\s+ok\s+FAIL\s/);
    expect(text).toContain('[ERROR DNS-Wildcard] server1: *.unit.example.test has no wildcard answer on server1');
    expect(text).toMatch(/\n {4}fix: add a wildcard record "\*\.unit\.example\.test" pointing where unit\.example\.test does/);
    expect(text).toMatch(/Preflight: \d+ passed, 1 error, 0 warnings in \d+\.\d s\./);
  });
});
