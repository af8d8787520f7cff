// Preflight against real servers (Debian 12 test hosts with systemd and sshd): clean servers
// first, then faults made for real on them (a port taken by a listener, the deploy user's sudo
// removed, a wrong /etc/hosts answer for the FQDN, low limits, a held dpkg lock, no wildcard
// DNS) and undone afterwards. Reachability is measured with real temporary listeners.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectHosts} from '../../source/hosts/connect.js';
import type {Host} from '../../source/hosts/host.js';
import type {ConnectOptions, HostSpec as ConnectSpec} from '../../source/hosts/spec.js';
import {buildPlan} from '../../source/plan/plan.js';
import {mergeAnswers, presetAnswers, validateAnswers, type Answers} from '../../source/profile/answers.js';
import type {Profile} from '../../source/profile/schema.js';
import {preflightExitCode, renderPreflightText} from '../../source/preflight/render.js';
import {runPreflight} from '../../source/preflight/run.js';
import type {CheckResult, PreflightResult} from '../../source/preflight/types.js';
import {downTestHosts, rootSsh, testHostsAvailable, upTestHosts, type TestHostSet} from '../harness/testhosts.js';

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping preflight integration tests: ${available.reason}`);

const FQDN = 'unit.preflight.test';

describe.skipIf(!available.ok)('preflight on real servers', () => {
  let set: TestHostSet;
  let work: string;
  let mirror: Server;
  let mirrorUrl: string;
  let web: string; // addresses of host1..3
  let ap: string;
  let es: string;

  beforeAll(async () => {
    set = await upTestHosts(3);
    [web, ap, es] = set.hosts.map(h => h.address) as [string, string, string];
    work = mkdtempSync(join(tmpdir(), 'pds-preflight-'));
    writeFileSync(join(work, 'bundle.tar'), 'offline bundle stand-in');
    // A package mirror the servers can reach: an HTTP server on the bridge address (the servers reach nothing else).
    const bridge = web.replace(/\.\d+$/, '.1');
    mirror = createServer((_req, res) => res.end('mirror\n'));
    await new Promise<void>(resolve => mirror.listen(0, bridge, resolve));
    mirrorUrl = `http://${bridge}:${(mirror.address() as AddressInfo).port}/`;
    // Name resolution the way an operator would set it up without DNS: /etc/hosts on each server.
    await Promise.all(['host1', 'host2', 'host3'].map(h => rootSsh(set, h, `sed -i '/ ${FQDN}$/d' /etc/hosts && echo '${web} ${FQDN}' >>/etc/hosts`)));
  });
  afterAll(async () => {
    await new Promise(resolve => (mirror ? mirror.close(resolve) : resolve(undefined)));
    if (work) rmSync(work, {recursive: true, force: true});
    if (set) await downTestHosts();
  });

  function profile(extra: Answers = {}): Profile {
    const answers = mergeAnswers(
      presetAnswers('medium-large'),
      {
        hosts: [
          {name: 'web1', address: web, user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}, roles: ['web']},
          {name: 'ap1', address: ap, user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}, roles: ['ap', 'mq', 'nfs']},
          {name: 'es1', address: es, user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}, roles: ['es']},
        ],
        unit: {fqdn: FQDN, cellUrlMode: 'path-based', publicAddress: web},
        artifacts: {source: 'bundle', bundleFile: join(work, 'bundle.tar'), packageMirror: mirrorUrl},
      },
      extra,
    );
    return validateAnswers(answers, 'integration test').profile;
  }

  /** Fresh connections (sudo is detected per connection), a full preflight, connections closed. */
  async function preflight(p: Profile, ignore: string[] = []): Promise<{result: PreflightResult; ms: number}> {
    const options: ConnectOptions = {knownHostsFiles: [set.knownHostsFile], toolKnownHostsFile: join(work, 'known_hosts'), sshConfigFile: 'none', connectTimeoutMs: 5000, retries: 1};
    const specs: ConnectSpec[] = p.hosts.map(h => ({name: h.name, address: h.address, user: h.user, auth: {method: 'key', keyFile: set.keyFile}}));
    const connected = await connectHosts(specs, options);
    try {
      const started = Date.now();
      const result = await runPreflight({
        profile: p,
        plan: buildPlan(p),
        hosts: connected.hosts as Map<string, Host>,
        connectErrors: connected.errors,
        ignore,
        // The operator's view of the names: this machine has no DNS for the test FQDN.
        resolveOperator: async name => {
          if (name === FQDN) return [web];
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), {code: 'ENOTFOUND'});
        },
        listenSeconds: 15,
      });
      return {result, ms: Date.now() - started};
    } finally {
      await connected.close();
    }
  }

  const bad = (result: PreflightResult) => result.results.filter(r => r.status !== 'pass').map(r => `${r.host} ${r.id} ${r.status}`);
  const find = (result: PreflightResult, host: string, id: string): CheckResult => {
    const r = result.results.find(x => x.host === host && x.id === id);
    expect(r, `${host} ${id}`).toBeDefined();
    return r!;
  };

  it('clean servers: everything passes but what these containers really lack (vm.max_map_count, open files)', async () => {
    const {result, ms} = await preflight(profile());
    console.log(renderPreflightText(result));
    // Two real limits of these test hosts (containers): /proc/sys is read-only, so vm.max_map_count
    // cannot be raised, and systemd there lacks CAP_SYS_RESOURCE, so no service gets more open files
    // than its own hard limit. Both would stop a multi-server Elasticsearch.
    expect(bad(result)).toEqual(['es1 MaxMapCount fail', 'es1 Nofile fail']);
    expect(find(result, 'es1', 'MaxMapCount').message).toMatch(/cannot be changed/);
    expect(preflightExitCode(result)).toBe(1);
    const ceiling = /at most (\d+)/.exec(find(result, 'es1', 'Nofile').message)?.[1];
    expect(Number(ceiling)).toBeLessThan(65535);
    // What systemd really gives a service that asks for 65535 agrees with the check.
    const real = await rootSsh(set, 'host3', "systemd-run --quiet --wait --pipe -p LimitNOFILE=65535 sh -c 'ulimit -Hn'");
    expect(real.stdout.trim()).toBe(ceiling);
    // Measured for real: temporary listeners answered the probes from the peers and from this machine.
    expect(find(result, 'ap1', 'Reach-ap1-es1-9200')).toMatchObject({status: 'pass', message: expect.stringContaining('temporary listener')});
    expect(find(result, 'web1', 'Reach-web1-ap1-18888').status).toBe('pass');
    expect(find(result, '(operator)', 'Public-443').status).toBe('pass');
    expect(find(result, '(operator)', 'Public-80').status).toBe('pass');
    expect(find(result, 'ap1', 'DNS-FQDN').message).toContain(`${FQDN} → ${web}`);
    expect(find(result, 'ap1', 'PackageSource').message).toContain(mirrorUrl);
    expect(find(result, 'es1', 'Sudo').message).toContain('through sudo (as deploy)');
    for (const h of ['web1', 'ap1', 'es1']) expect(find(result, h, 'ClockSkew').status).toBe('pass');
    // The temporary listeners are gone.
    const leftovers = await rootSsh(set, 'host3', "ss -Htln 'sport = :9200'");
    expect(leftovers.stdout.trim()).toBe('');
    console.log(`preflight of 3 servers: ${ms} ms`);

    // Ignoring the one error keeps it as a warning and lets the install go on.
    const ignored = (await preflight(profile(), ['maxmapcount', 'NOFILE'])).result;
    expect(preflightExitCode(ignored)).toBe(0);
    expect(find(ignored, 'es1', 'MaxMapCount')).toMatchObject({status: 'warn', ignored: true});
    expect(find(ignored, 'es1', 'Nofile')).toMatchObject({status: 'warn', ignored: true});
  }, 120_000);

  it('faults made for real are found, named and explained', async () => {
    const faults = {
      // a listener on Elasticsearch's port
      portTaken: ['host3', 'systemd-run --unit=pf-fake-es --working-directory=/tmp python3 -m http.server 9200 && for i in $(seq 50); do ss -Htln "sport = :9200" | grep -q . && break; sleep 0.1; done'],
      portUndo: ['host3', 'systemctl stop pf-fake-es; systemctl reset-failed pf-fake-es 2>/dev/null; true'],
      // deploy loses sudo on the AP server
      sudo: ['host2', 'mv /etc/sudoers.d/90-deploy /root/90-deploy.off && gpasswd -d deploy sudo >/dev/null'],
      sudoUndo: ['host2', 'mv /root/90-deploy.off /etc/sudoers.d/90-deploy; adduser deploy sudo >/dev/null; true'],
      // the FQDN answers a wrong address on the AP server
      dns: ['host2', `sed -i 's/^${web.replace(/\./g, '\\.')} ${FQDN}$/10.213.99.99 ${FQDN}/' /etc/hosts`],
      dnsUndo: ['host2', `sed -i 's/^10\\.213\\.99\\.99 ${FQDN}$/${web} ${FQDN}/' /etc/hosts`],
      // low process limits for login sessions on the ES server
      limits: ['host3', "printf '*\\thard\\tnproc\\t1024\\nroot\\thard\\tnproc\\t1024\\n*\\tsoft\\tnproc\\t1024\\nroot\\tsoft\\tnproc\\t1024\\n' >/etc/security/limits.d/10-pf-low.conf"],
      limitsUndo: ['host3', 'rm -f /etc/security/limits.d/10-pf-low.conf'],
      // something holds the dpkg lock on the web server
      lock: ['host1', `systemd-run --unit=pf-dpkg-lock python3 -c 'import fcntl,time; f=open("/var/lib/dpkg/lock-frontend","w"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(120)' && sleep 0.5`],
      lockUndo: ['host1', 'systemctl stop pf-dpkg-lock; systemctl reset-failed pf-dpkg-lock 2>/dev/null; true'],
    } as const;
    const apply = async (key: keyof typeof faults) => {
      const [host, command] = faults[key];
      const r = await rootSsh(set, host, command);
      expect(r.code, `${key}: ${r.stderr}`).toBe(0);
    };
    try {
      for (const key of ['portTaken', 'sudo', 'dns', 'limits', 'lock'] as const) await apply(key);
      // Per-cell URLs: a random label under the FQDN must resolve, and /etc/hosts cannot hold a wildcard.
      const {result} = await preflight(profile({unit: {cellUrlMode: 'per-cell'}}));
      console.log(renderPreflightText(result));

      const port = find(result, 'es1', 'Port-9200');
      expect(port.status).toBe('fail');
      expect(port.message).toMatch(/port 9200 is taken: python3 \(pid \d+, pf-fake-es\.service\)/);
      // The peer still reaches port 9200 (held by the stand-in), so reachability is measured anyway.
      expect(find(result, 'ap1', 'Reach-ap1-es1-9200').message).toMatch(/listener already there/);

      const sudo = find(result, 'ap1', 'Sudo');
      expect(sudo.status).toBe('fail');
      expect(sudo.message).toMatch(/sudo/);
      expect(sudo.fix).toContain('NOPASSWD');
      // Without root, what the login user can see is still checked.
      expect(find(result, 'ap1', 'OS').status).toBe('pass');

      const dns = find(result, 'ap1', 'DNS-FQDN');
      expect(dns.status).toBe('fail');
      expect(dns.message).toContain(`${FQDN} resolves to 10.213.99.99, not to ${web}`);
      expect(find(result, 'ap1', 'DNS-Wildcard').status).toBe('fail');
      expect(find(result, '(operator)', 'DNS-Wildcard').message).toMatch(/ENOTFOUND/);

      const nproc = find(result, 'es1', 'Nproc');
      expect(nproc.status).toBe('warn');
      expect(nproc.message).toContain('capped at 1024');

      const lock = find(result, 'web1', 'PackageLock');
      expect(lock.status).toBe('fail');
      expect(lock.message).toMatch(/lock-frontend is held by python3 \(pid \d+\)/);

      expect(preflightExitCode(result)).toBe(1);
    } finally {
      for (const key of ['portUndo', 'sudoUndo', 'dnsUndo', 'limitsUndo', 'lockUndo'] as const) {
        const [host, command] = faults[key];
        await rootSsh(set, host, command);
      }
    }
    // Fixed: the "try again" after the operator repaired things comes back clean.
    const again = (await preflight(profile())).result;
    expect(bad(again)).toEqual(['es1 MaxMapCount fail', 'es1 Nofile fail']);
  }, 180_000);
});
