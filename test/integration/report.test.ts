// The report on real servers (Debian 12 test hosts with systemd and sshd, a set of their own on
// their own bridge) after a real install with the FIXTURE archives (stand-in programs under the
// real file names that open the real ports; nginx, memcached, Java, systemd units, the unit config
// and certificates are the product's real work). First a clean report; then real faults, one at a
// time, each named in the report with its fix hint and exit code 1, and undone afterwards: a
// stopped service, a port bound to every interface, a server certificate without the wildcard, a
// unit certificate with the wrong CN, a PKCS#8 unit key, a missing extension, Elasticsearch down.
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {ArtifactName, LocalArtifact} from '../../source/artifacts/types.js';
import {connectHosts} from '../../source/hosts/connect.js';
import type {Host} from '../../source/hosts/host.js';
import {tlsMaterial} from '../../source/install/providers.js';
import {runInstall, type InstallProviders} from '../../source/install/run-install.js';
import {PATHS} from '../../source/plan/paths.js';
import {buildPlan} from '../../source/plan/plan.js';
import {validateAnswers, type Answers} from '../../source/profile/answers.js';
import type {Profile} from '../../source/profile/schema.js';
import {renderReportText, reportExitCode} from '../../source/report/render.js';
import {runReport} from '../../source/report/run.js';
import type {Report, ReportItem} from '../../source/report/types.js';
import {RunLog} from '../../source/run-log.js';
import {generateServerCertificate, generateUnitCertificate} from '../../source/tls/generate.js';
import {buildFixtureArtifacts} from '../fixtures/fixture-bundle.js';
import {installBaseEnv, rootSsh, testHostsAvailable, type TestHostSet, runHarness} from '../harness/testhosts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const HARNESS_ENV: Record<string, string> = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-report',
  PDS_TESTHOSTS_BRIDGE: 'pdsbr4',
  PDS_TESTHOSTS_NET: '10.213.4',
  PDS_TESTHOSTS_CGROUP: 'pds-th-report',
  ...installBaseEnv(),
};
const HOSTS = 1;
const FQDN = 'unit.report.test';

// The lab's DNS, as an operator's zone would answer: the FQDN and every name under it (per-cell
// URLs) → the web server. A hosts file cannot hold a wildcard, so a tiny resolver on the server.
const LAB_DNS = `import socket, struct, sys
zone, addr = sys.argv[1].lower(), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 53))
while True:
    data, peer = s.recvfrom(512)
    tid = struct.unpack('>H', data[:2])[0]; i = 12; labels = []
    while data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode()); i += 1 + data[i]
    qtype = struct.unpack('>H', data[i + 1:i + 3])[0]; q = data[12:i + 5]
    name = '.'.join(labels).lower(); ok = name == zone or name.endswith('.' + zone)
    answer = b'\\xc0\\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + socket.inet_aton(addr) if ok and qtype == 1 else b''
    s.sendto(struct.pack('>HHHHHH', tid, 0x8180 | (0 if ok else 3), 1, 1 if answer else 0, 0, 0) + q + answer, peer)
`;

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping report integration tests: ${available.reason}`);

const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);

const item = (report: Report, id: string): ReportItem => {
  const found = report.items.find(i => i.id === id);
  if (!found) throw new Error(`no item ${id}: ${report.items.map(i => i.id).join(', ')}`);
  return found;
};
const failures = (report: Report) => report.items.filter(i => i.status === 'fail').map(i => `${i.host} ${i.id}: ${i.found}`);

describe.skipIf(!available.ok)('report on real servers after an install', () => {
  let set: TestHostSet;
  let work: string;
  let profile: Profile;
  let answers: Answers;
  let hosts: Map<string, Host>;
  let closeHosts: () => Promise<void>;
  const savedEnv = {...process.env};
  const address = (n: number) => `${HARNESS_ENV.PDS_TESTHOSTS_NET}.${10 + n}`;
  const ssh = async (command: string) => {
    const r = await rootSsh(set, 'host1', command);
    if (r.code !== 0) throw new Error(`${command}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  async function report(): Promise<Report & {text: string}> {
    const r = await runReport({
      profile,
      plan: buildPlan(profile),
      hosts,
      profileName: 'report-test',
      // The test's stand-in for public DNS: the FQDN and every name under it → the web server.
      resolveOperator: async name => (name === FQDN || name.endsWith(`.${FQDN}`) ? [address(1)] : []),
    });
    const text = renderReportText(r);
    return {...r, text};
  }

  beforeAll(async () => {
    const started = Date.now();
    await harness('down');
    const up = await harness('up', String(HOSTS), '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR!;
    set = {
      dir,
      keyFile: join(dir, 'id_ed25519'),
      knownHostsFile: join(dir, 'known_hosts'),
      sshConfigFile: join(dir, 'ssh_config'),
      hosts: Array.from({length: HOSTS}, (_, i) => ({name: `host${i + 1}`, address: address(i + 1)})),
    };
    console.log(`report test hosts up in ${((Date.now() - started) / 1000).toFixed(1)} s (base ${HARNESS_ENV.PDS_TESTHOSTS_BASE})`);
    work = mkdtempSync(join(tmpdir(), 'pds-report-'));
    process.env.XDG_CONFIG_HOME = join(work, 'config');
    process.env.XDG_STATE_HOME = join(work, 'state');

    answers = {
      pattern: 'small',
      hosts: [{name: 'server1', address: address(1), user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
      unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
      extensions: {httpclient: {}},
      memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
    };
    profile = validateAnswers(answers, 'test').profile;

    // The FIXTURE archives, handed to the installer as already verified artifacts.
    const entries = await buildFixtureArtifacts(join(work, 'bundle'), profile.versionSet, {extensions: ['httpclient']});
    const artifacts = new Map<ArtifactName, LocalArtifact>(entries.map(e => [e.ref.name, {ref: e.ref, path: e.path, sha256: e.sha256, verifiedBy: 'bundle-manifest'}]));
    const providers: InstallProviders = {artifacts: async () => artifacts, tls: tlsMaterial};
    const lines: string[] = [];
    const installStarted = Date.now();
    const outcome = await runInstall({profile, plan: buildPlan(profile), profileName: 'report-test', acceptNewHostKeys: true, providers, out: line => lines.push(line), log: new RunLog('install-report-test')});
    console.log(`install: ${((Date.now() - installStarted) / 1000).toFixed(1)} s\n${lines.join('\n')}`);
    if (!outcome.ok) throw new Error(`the install failed:\n${lines.join('\n')}`);

    await ssh(`cat > /root/lab-dns.py <<'EOF'\n${LAB_DNS}EOF\nsystemd-run --unit pds-lab-dns python3 /root/lab-dns.py ${FQDN} ${address(1)} && sleep 0.3 && cp /etc/resolv.conf /root/resolv.conf.saved 2>/dev/null; echo 'nameserver 127.0.0.1' > /etc/resolv.conf && getent ahosts cell1.${FQDN} | grep -q ${address(1)}`);

    const connected = await connectHosts([{name: 'server1', address: address(1), user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}}], {acceptNewHostKeys: true});
    expect(connected.errors.size).toBe(0);
    hosts = connected.hosts as Map<string, Host>;
    closeHosts = () => connected.close();
  }, 900_000);

  afterAll(async () => {
    if (closeHosts) await closeHosts();
    process.env.XDG_CONFIG_HOME = savedEnv.XDG_CONFIG_HOME;
    process.env.XDG_STATE_HOME = savedEnv.XDG_STATE_HOME;
    if (work) rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  }, 300_000);

  it('a freshly installed unit gives a clean report (exit 0) in a few seconds', {timeout: 120_000}, async () => {
    const r = await report();
    console.log(`${r.text}\n(${r.elapsedMs} ms)`);
    expect(failures(r)).toEqual([]);
    expect(reportExitCode(r)).toBe(0);
    for (const id of ['Service-tomcat', 'Port-18888', 'Port-11211', 'Version-tomcat', 'Version-core', 'Version-elasticsearch', 'ES-Health', 'Memcached-lock', 'ActiveMQ-Answers', 'Config-Keys', 'Cert-Server-Names', 'Cert-Unit-CN', 'Cert-Unit-Key', 'Cert-JVM-Trust', 'Extension-httpclient', 'NFS-Write', 'Security-MasterToken', 'Security-TomcatUsers', 'E2E-Unit', 'E2E-Cert-Served', 'E2E-TLS', 'DNS-Operator-Wildcard']) {
      expect(item(r, id).status, `${id}: ${item(r, id).found}`).toBe('pass');
    }
    expect(r.elapsedMs).toBeLessThan(10_000);
  });

  /** Make a fault, check the report names it with a fix and fails, undo it. */
  async function fault(make: string, undo: string, check: (r: Report) => void): Promise<void> {
    await ssh(make);
    try {
      const r = await report();
      console.log(failures(r).join('\n'));
      check(r);
      expect(reportExitCode(r)).toBe(1);
    } finally {
      await ssh(undo);
    }
  }

  it('a stopped service', {timeout: 120_000}, async () => {
    await fault('systemctl stop personium-memcached-cache', 'systemctl start personium-memcached-cache', r => {
      expect(item(r, 'Service-personium-memcached-cache')).toMatchObject({status: 'fail', fix: expect.stringContaining('systemctl start personium-memcached-cache')});
      expect(item(r, 'Memcached-cache').status).toBe('fail');
      expect(item(r, 'Port-11212').status).toBe('fail');
    });
  });

  it('a port bound to the wrong address', {timeout: 120_000}, async () => {
    const unit = PATHS.memcachedUnit('lock');
    await fault(
      `cp ${unit} /root/lock.service && sed -i 's/-l 127.0.0.1/-l 0.0.0.0/' ${unit} && systemctl daemon-reload && systemctl restart personium-memcached-lock && sleep 0.5`,
      `cp /root/lock.service ${unit} && systemctl daemon-reload && systemctl restart personium-memcached-lock`,
      r => {
        expect(item(r, 'Port-11211')).toMatchObject({status: 'fail', found: expect.stringContaining('every interface'), fix: expect.stringContaining('127.0.0.1')});
      },
    );
  });

  it('a server certificate without the wildcard', {timeout: 120_000}, async () => {
    const cert = await generateServerCertificate({fqdn: FQDN, names: [FQDN]});
    writeFileSync(join(work, 'server.crt'), cert.certPem);
    const put = `cp ${PATHS.serverCert} /root/server.crt && cp ${PATHS.serverKey} /root/server.key && cat > ${PATHS.serverCert} <<'EOF'\n${cert.certPem}EOF\ncat > ${PATHS.serverKey} <<'EOF'\n${cert.keyPem}EOF\nsystemctl reload nginx && sleep 0.5`;
    await fault(put, `cp /root/server.crt ${PATHS.serverCert} && cp /root/server.key ${PATHS.serverKey} && systemctl reload nginx && sleep 0.5`, r => {
      expect(item(r, 'Cert-Server-Names')).toMatchObject({status: 'fail', found: expect.stringContaining(`*.${FQDN} not covered`), fix: expect.stringContaining('per-cell')});
      // nginx serves the new file, which Tomcat's Java does not trust.
      expect(item(r, 'E2E-Cert-Served').status).toBe('pass');
      expect(item(r, 'Cert-JVM-Trust').status).toBe('fail');
    });
  });

  it('a unit certificate with the wrong CN', {timeout: 120_000}, async () => {
    const cert = await generateUnitCertificate({fqdn: 'wrong.example'});
    await fault(
      `cp ${PATHS.unitCert} /root/unit.crt && cp ${PATHS.unitKey} /root/unit.key && cat > ${PATHS.unitCert} <<'EOF'\n${cert.certPem}EOF\ncat > ${PATHS.unitKey} <<'EOF'\n${cert.keyPem}EOF\n`,
      `cp /root/unit.crt ${PATHS.unitCert} && cp /root/unit.key ${PATHS.unitKey}`,
      r => {
        expect(item(r, 'Cert-Unit-CN')).toMatchObject({status: 'fail', found: expect.stringContaining('CN=wrong.example'), fix: expect.stringContaining(`CN=${FQDN}`)});
      },
    );
  });

  it('a PKCS#8 unit key', {timeout: 120_000}, async () => {
    await fault(`cp ${PATHS.unitKey} /root/unit.key && openssl pkey -in /root/unit.key -out ${PATHS.unitKey}`, `cp /root/unit.key ${PATHS.unitKey}`, r => {
      expect(item(r, 'Cert-Unit-Key')).toMatchObject({status: 'fail', found: expect.stringContaining('PKCS#8'), fix: expect.stringContaining('-traditional')});
      // The key still belongs to the certificate: only its format is wrong.
      expect(r.items.some(i => i.id === 'Cert-Unit-Pair')).toBe(false);
    });
  });

  it('a missing extension', {timeout: 120_000}, async () => {
    const jar = `${PATHS.extensionsDir}/personium-ex-httpclient.jar`;
    await fault(`mv ${jar} /root/`, `mv /root/personium-ex-httpclient.jar ${jar}`, r => {
      expect(item(r, 'Extension-httpclient')).toMatchObject({status: 'fail', found: 'missing', fix: expect.stringContaining('run install again')});
    });
  });

  it('Elasticsearch down', {timeout: 180_000}, async () => {
    await fault(
      'systemctl stop elasticsearch',
      'systemctl start elasticsearch && for i in $(seq 1 60); do curl -sf http://127.0.0.1:9200/_cluster/health >/dev/null && exit 0; sleep 0.5; done; exit 1',
      r => {
        expect(item(r, 'ES-Health')).toMatchObject({status: 'fail', fix: expect.stringContaining('journalctl -u elasticsearch')});
        expect(item(r, 'Service-elasticsearch').status).toBe('fail');
        expect(item(r, 'Port-9200').status).toBe('fail');
      },
    );
  });

  it('after the faults are undone the report is clean again; the command gives exit 0, JSON and Markdown', {timeout: 120_000}, async () => {
    const r = await report();
    expect(failures(r)).toEqual([]);

    const answersFile = join(work, 'answers.json');
    writeFileSync(answersFile, JSON.stringify(answers));
    const out = join(work, 'report.md');
    mkdirSync(join(work, 'cli-home'), {recursive: true});
    const cli = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'report', '--answers', answersFile, '--accept-new-host-keys', '--skip-public-check', '--json', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {PATH: process.env.PATH, HOME: join(work, 'cli-home'), XDG_CONFIG_HOME: join(work, 'cli-config'), XDG_STATE_HOME: join(work, 'cli-state')},
    });
    expect(cli.status, cli.stderr).toBe(0);
    const json = JSON.parse(cli.stdout) as {ok: boolean; items: ReportItem[]};
    expect(json.ok).toBe(true);
    // Secrets never appear: the unit config was masked on the server.
    const secrets = await ssh(`cat ${PATHS.secretsDir}/setup-secrets.json`);
    for (const value of Object.values(JSON.parse(secrets) as Record<string, string>)) {
      expect(cli.stdout).not.toContain(value);
      expect(readFileSync(out, 'utf8')).not.toContain(value);
    }
    expect(readFileSync(out, 'utf8')).toContain('# Personium unit report: https://unit.report.test/');
  });
});
