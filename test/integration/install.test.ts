// The installation on real servers (Debian 12 test hosts with systemd and sshd, in a set of their
// own on their own bridge, reaching Debian packages through the harness apt proxy), driven through
// the command line as an operator would: `install --answers FILE --yes --bundle FIXTURE`, `--resume`,
// `--dry-run`, `start`, `stop`, `status`. The archives come from the FIXTURE bundle (stand-in
// programs under the real file names that open the real ports); everything else is the product's
// real work: apt packages, users, systemd units, memcached, nginx with TLS, the unit config, the
// bootstrap through the unit's API and the master token taken out again.
import {spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectHosts} from '../../source/hosts/connect.js';
import type {Host} from '../../source/hosts/host.js';
import {defaultProviders} from '../../source/install/providers.js';
import {runInstall} from '../../source/install/run-install.js';
import {buildPlan} from '../../source/plan/plan.js';
import {validateAnswers, type Answers} from '../../source/profile/answers.js';
import {RunLog} from '../../source/run-log.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {buildFixtureBundle} from '../fixtures/fixture-bundle.js';
import {INSTALL_BASE, INSTALL_BASE_PACKAGES, rootSsh, testHostsAvailable, type TestHostSet, runHarness} from '../harness/testhosts.js';
import {runCli, stepLines} from '../harness/cli-run.js';
import {TerminalRun} from '../harness/terminal-run.js';

// A harness of its own (directory, bridge, subnet, cgroup, and a base with the big packages baked
// in), so the shared set of the other integration tests is never touched.
const HARNESS_ENV = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-install',
  PDS_TESTHOSTS_BASE: INSTALL_BASE,
  PDS_TESTHOSTS_BRIDGE: 'pdsbr3',
  PDS_TESTHOSTS_NET: '10.213.3',
  PDS_TESTHOSTS_CGROUP: 'pds-th-install',
  // Baked into the base so apt work stays out of the timed path; the install still checks them,
  // and installs what is missing (unzip, systemd-timesyncd) for real through the apt proxy.
  PDS_TESTHOSTS_EXTRA_PACKAGES: INSTALL_BASE_PACKAGES,
};
const HOSTS = 8;
const FQDN = 'personium.test';

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping install integration tests: ${available.reason}`);

const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);

describe.skipIf(!available.ok)('install on real servers, through the command line', () => {
  let set: TestHostSet;
  let work: string;
  let bundle: string;
  let env: NodeJS.ProcessEnv;
  const address = (n: number) => `${HARNESS_ENV.PDS_TESTHOSTS_NET}.${10 + n}`;
  const keyFile = join(HARNESS_ENV.PDS_TESTHOSTS_DIR, 'id_ed25519');
  const saved = {XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, XDG_STATE_HOME: process.env.XDG_STATE_HOME, allow: process.env.PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE};

  beforeAll(async () => {
    const started = Date.now();
    await harness('down');
    const up = await harness('up', String(HOSTS), '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
    set = {
      dir,
      keyFile,
      knownHostsFile: join(dir, 'known_hosts'),
      sshConfigFile: join(dir, 'ssh_config'),
      hosts: Array.from({length: HOSTS}, (_, i) => ({name: `host${i + 1}`, address: address(i + 1)})),
    };
    work = mkdtempSync(join(tmpdir(), 'pds-install-'));
    bundle = join(work, 'fixture-bundle.tar.gz');
    // With the JDK tarball (a jlink-made Java 17), which the medium-large run takes.
    await buildFixtureBundle(bundle, '1.8.3', {jdk: true});
    // The operator machine's state (pinned host keys, journals, logs, admin password files), for
    // this process (in-process runs) and the CLI children alike.
    process.env.XDG_CONFIG_HOME = join(work, 'config');
    process.env.XDG_STATE_HOME = join(work, 'state');
    process.env.PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE = '1';
    env = {PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, XDG_STATE_HOME: process.env.XDG_STATE_HOME, PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE: '1'};
    console.log(`test hosts up and fixture bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  afterAll(async () => {
    for (const [key, value] of [['XDG_CONFIG_HOME', saved.XDG_CONFIG_HOME], ['XDG_STATE_HOME', saved.XDG_STATE_HOME], ['PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE', saved.allow]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (work) rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  });

  /** The unit admin password from the 0600 file the install writes on this machine. */
  const adminPassword = (file: string) => /^password=(\S+)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? '';

  const cli = (args: string[], onLine?: (line: string, child: ChildProcess) => void, childEnv: NodeJS.ProcessEnv = env) => runCli(args, childEnv, onLine);

  const server = (n: number, roles: string[], name = `server${n}`) => ({name, address: address(n), user: 'deploy', auth: {method: 'key', keyFile}, roles});

  function answersFile(name: string, answers: Answers): string {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify(answers, null, 2));
    return path;
  }

  function smallAnswers(n: number): Answers {
    return {
      pattern: 'small',
      hosts: [server(n, ['web', 'ap', 'es', 'mq', 'nfs'])],
      unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
      extensions: {httpclient: {}},
      memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
    };
  }

  const installArgs = (answers: string, profile: string, extra: string[]) => ['install', '--answers', answers, '--yes', '--bundle', bundle, '--accept-new-host-keys', '--ignore-preflight-errors=all', '--profile', profile, ...extra];
  const install = (answers: string, profile: string, ...extra: string[]) => cli(installArgs(answers, profile, extra));
  const statusOf = (out: string, title: RegExp) => stepLines(out).find(l => title.test(l))?.split(/\s+/)[1];

  it('small: install --answers --yes makes a unit served over HTTPS; a second run changes nothing; --dry-run finds nothing to do', {timeout: 900_000}, async () => {
    const answers = answersFile('small', smallAnswers(1));
    const first = await install(answers, 'small');
    expect(first.code, first.stderr).toBe(0);
    const lines = stepLines(first.stdout);
    expect(lines).toHaveLength(11);
    // Java was baked into the base: found, not installed again. Everything else was made now,
    // packages the base lacked through apt (the harness proxy).
    expect(lines.filter(l => !/ changed /.test(l))).toEqual([expect.stringMatching(/^\[server1\] ok {6}Install Java 17/)]);
    expect(lines[0]).toMatch(/packages: .*unzip/);
    expect(first.stdout).toContain('Unit ready.');
    // Preflight ran before anything changed (its errors in these containers are ignored by the
    // flag and stay visible), and the run ends with the confirmation report.
    expect(first.stderr).toMatch(/^HOST\s+SSH\/sudo/m);
    expect(first.stdout).toContain(`Personium unit report: https://${FQDN}/`);
    expect(first.stdout).toContain(`Unit URL:         https://${FQDN}/`);
    expect(first.stdout).toContain(`Admin cell:       https://unitadmin.${FQDN}/`);
    const passwordFile = /Admin password: {3}in (\S+) \(mode 0600\)/.exec(first.stdout)?.[1];
    expect(statSync(passwordFile!).mode & 0o777).toBe(0o600);
    expect(first.stdout).toContain(`new: read it with  cat ${passwordFile}`);
    const password = adminPassword(passwordFile!);
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    // Without a terminal the password is not printed (CI logs keep output), and it is in no log.
    expect(first.stdout + first.stderr).not.toContain(password);
    const log = /Log: (\S+)/.exec(first.stderr)?.[1];
    expect(readFileSync(log!, 'utf8')).not.toContain(password);

    // Through nginx from outside, as a client: the unit answers, with the profile's certificate.
    const ca = join(work, 'server1.crt');
    writeFileSync(ca, (await rootSsh(set, 'host1', 'cat /etc/nginx/personium/server.crt')).stdout);
    const served = spawnSync('curl', ['-sS', '--cacert', ca, '--resolve', `${FQDN}:443:${address(1)}`, `https://${FQDN}/`], {encoding: 'utf8'});
    expect(served.status, served.stderr).toBe(0);
    expect(JSON.parse(served.stdout)).toMatchObject({unit: {url: `https://${FQDN}/`, path_based_cellurl_enabled: false}});
    const token = spawnSync('curl', ['-sS', '--cacert', ca, '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `unitadmin.${FQDN}:443:${address(1)}`, '-d', `grant_type=password&username=unitadmin&password=${password}`, `https://unitadmin.${FQDN}/__token`], {encoding: 'utf8'});
    expect(token.stdout).toBe('200');
    const cert = spawnSync('sh', ['-c', `echo | openssl s_client -connect ${address(1)}:443 -servername ${FQDN} 2>/dev/null | openssl x509 -noout -ext subjectAltName -fingerprint -sha256`], {encoding: 'utf8'});
    expect(cert.stdout).toContain(`DNS:${FQDN}`);
    expect(cert.stdout).toContain(`DNS:*.${FQDN}`);
    expect(cert.stdout).toContain(spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', ca], {encoding: 'utf8'}).stdout.trim());
    const redirect = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', `Host: ${FQDN}`, `http://${address(1)}/x`], {encoding: 'utf8'});
    expect(redirect.stdout).toBe(`301 https://${FQDN}/x`);
    const tls11 = spawnSync('sh', ['-c', `echo | openssl s_client -connect ${address(1)}:443 -tls1_1 2>&1`], {encoding: 'utf8'});
    expect(tls11.stdout).toMatch(/no peer certificate available/);

    // On the server: internal services on loopback only, master token gone, no manager application.
    const facts = await rootSsh(
      set,
      'host1',
      [
        "ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' '",
        'echo',
        'grep -c masterToken /personium/personium-core/conf/personium-unit-config.properties || true',
        'ls /opt/tomcat/webapps',
        "stat -c '%U %a' /opt/tomcat/conf/server.xml /personium/personium-core/conf/personium-unit-config.properties /opt/x509/unit.key",
        'grep max_map /etc/sysctl.d/60-personium-elasticsearch.conf',
        "sed -n '/BEGIN personium-setup/,/END personium-setup/p' /etc/hosts",
        'head -1 /opt/x509/unit.key',
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/keytool -list -cacerts -storepass changeit -alias personium-unit-server >/dev/null && echo trusted",
        'systemctl is-enabled memcached.service || true',
      ].join('; '),
    );
    console.log(facts.stdout);
    const listening = facts.stdout.split('\n')[0]!.split(' ');
    for (const port of [11211, 11212, 9200, 9300, 61616, 18888]) expect(listening, `port ${port}`).toContain(`127.0.0.1:${port}`);
    expect(listening.some(l => /^(0\.0\.0\.0|\*|\[::\]):443$/.test(l))).toBe(true);
    expect(listening.some(l => /:(11211|9200|61616|18888)$/.test(l) && !l.startsWith('127.0.0.1:'))).toBe(false);
    expect(facts.stdout).toMatch(/\n0\n/);
    expect(facts.stdout).toMatch(/\npersonium-core\.war\npersonium-engine\.war\n/);
    expect(facts.stdout).not.toMatch(/\n(manager|host-manager|examples|docs|ROOT)\n/);
    expect(facts.stdout).toContain('personium 640');
    expect(facts.stdout).toContain('vm.max_map_count = 262144');
    expect(facts.stdout).toContain(`127.0.0.1\t${FQDN} unitadmin.${FQDN}`);
    expect(facts.stdout).toContain('-----BEGIN RSA PRIVATE KEY-----');
    expect(facts.stdout).toContain('trusted');
    expect(facts.stdout).toMatch(/disabled\s*$/);
    const secretsBefore = (await rootSsh(set, 'host1', 'cat /personium/personium-core/conf/setup-secrets.json')).stdout;

    // The same command again: every step looks, none changes anything; secrets and password stay.
    const second = await install(answers, 'small');
    expect(second.code, second.stderr).toBe(0);
    expect(stepLines(second.stdout).filter(l => !/^\[server1\] ok /.test(l))).toEqual([]);
    expect(second.stdout).toContain('Nothing changed: the unit already matches the profile.');
    expect(second.stdout).not.toContain('new: read it with');
    expect((await rootSsh(set, 'host1', 'cat /personium/personium-core/conf/setup-secrets.json')).stdout).toBe(secretsBefore);
    // The tool's secrets file lost: secret16 and the salt come back from the unit config, never
    // made anew (that would lock every user out), and the file is written again.
    const before = await rootSsh(set, 'host1', 'sha256sum < /personium/personium-core/conf/personium-unit-config.properties; rm /personium/personium-core/conf/setup-secrets.json');
    const third = await install(answers, 'small');
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('Unit secrets: secret16 and the password salt taken from the unit config on the AP server and kept in /personium/personium-core/conf/setup-secrets.json again');
    expect(stepLines(third.stdout).filter(l => !/^\[server1\] ok /.test(l))).toEqual([]);
    const after = await rootSsh(set, 'host1', 'sha256sum < /personium/personium-core/conf/personium-unit-config.properties; stat -c %a /personium/personium-core/conf/setup-secrets.json');
    expect(after.stdout).toBe(`${before.stdout}600\n`);
    const restored = JSON.parse((await rootSsh(set, 'host1', 'cat /personium/personium-core/conf/setup-secrets.json')).stdout) as {secret16: string; salt: string};
    expect({secret16: restored.secret16, salt: restored.salt}).toEqual({secret16: JSON.parse(secretsBefore).secret16, salt: JSON.parse(secretsBefore).salt});
    // --dry-run looks at the real server and finds nothing to do.
    const dry = await install(answers, 'small', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing would change.');
    console.log(`timings: small install ${(first.ms / 1000).toFixed(1)} s, re-run ${(second.ms / 1000).toFixed(1)} s, dry run ${(dry.ms / 1000).toFixed(1)} s`);
  });

  it('small: stop in reverse boot order, start in boot order with readiness waits, status shows each service', {timeout: 600_000}, async () => {
    const service = (command: string) => cli([command, '--profile', 'small', '--accept-new-host-keys']);
    const stop = await service('stop');
    expect(stop.code, stop.stderr).toBe(0);
    const stopped = stop.stdout.split('\n').filter(l => l.includes('stopped '));
    const at = (name: string) => stopped.findIndex(l => l.includes(`stopped ${name} `));
    expect(at('nginx')).toBeLessThan(at('tomcat'));
    for (const data of ['elasticsearch', 'activemq', 'personium-memcached-lock']) expect(at('tomcat')).toBeLessThan(at(data));
    const down = await service('status');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/server1\s+tomcat\s+inactive\s+enabled/);

    const start = await service('start');
    expect(start.code, start.stderr).toBe(0);
    const up = await service('status');
    expect(up.code).toBe(0);
    expect(up.stdout.trim().split('\n').slice(1).map(l => l.split(/\s+/).slice(1).join(' '))).toEqual([
      'personium-memcached-lock active enabled',
      'personium-memcached-cache active enabled',
      'elasticsearch active enabled',
      'activemq active enabled',
      'tomcat active enabled',
      'nginx active enabled',
    ]);
    // systemd's own record of when each became active: the boot order, for real.
    const since = await rootSsh(set, 'host1', 'for s in personium-memcached-lock personium-memcached-cache elasticsearch activemq tomcat nginx; do echo "$s $(systemctl show -p ActiveEnterTimestampMonotonic --value $s)"; done');
    const when = new Map(since.stdout.trim().split('\n').map(l => [l.split(' ')[0]!, Number(l.split(' ')[1])]));
    for (const data of ['personium-memcached-lock', 'personium-memcached-cache', 'elasticsearch', 'activemq']) expect(when.get(data)!).toBeLessThan(when.get('tomcat')!);
    expect(when.get('tomcat')!).toBeLessThan(when.get('nginx')!);
  });

  it('add from a machine that never saw the small unit: the layout is read from the server, an extension lands with one restart, a re-run changes nothing, removing takes it out', {timeout: 600_000}, async () => {
    // Another operator machine: no saved profile, no pinned host keys; only how to log in.
    const other = mkdtempSync(join(work, 'other-'));
    const otherEnv = {...env, HOME: other, XDG_CONFIG_HOME: join(other, 'config'), XDG_STATE_HOME: join(other, 'state')};
    const login = answersFile('login-only', {hosts: [{address: address(1), user: 'deploy', auth: {method: 'key', keyFile}}], artifacts: {source: 'bundle', bundleFile: bundle}} as Answers);
    const invocation = async () => (await rootSsh(set, 'host1', 'systemctl show -p InvocationID --value tomcat')).stdout.trim();
    const add = (...args: string[]) => cli(['add', '--profile', 'found', '--accept-new-host-keys', ...args], undefined, otherEnv);
    const restarts = (out: string) => (out.match(/tomcat restarted/g) ?? []).length;
    const before = await invocation();

    const first = await add('--answers', login, '--extension', 'mailsender', '--set', 'smtpHost=mail.example.test', '--set', 'smtpPort=2525');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`reading the unit's layout from ${address(1)}`);
    expect(first.stdout).toContain(`unit: https://${FQDN}/ (per-cell), pattern small, version set 1.8.3`);
    expect(first.stdout).toMatch(/server1 \([\d.]+\): web, ap, es, mq, nfs/);
    expect(first.stdout).toContain('extensions: httpclient; OIDC providers: none');
    expect(first.stdout).toMatch(/extension httpclient\s+1\.2\.0\s+1\.2\.0\s+unchanged/);
    expect(first.stdout).toMatch(/extension mailsender\s+-\s+1\.5\.4/);
    expect(restarts(first.stdout)).toBe(1);
    const after = await invocation();
    expect(after).not.toBe(before);
    const ext = '/personium/personium-engine/extensions';
    expect((await rootSsh(set, 'host1', `stat -c '%n %U %G %a' ${ext}/personium-ex-mailsender.jar`)).stdout).toBe(`${ext}/personium-ex-mailsender.jar root personium 644\n`);
    const mail = parseProperties((await rootSsh(set, 'host1', `cat ${ext}/Ext_MailSender.properties`)).stdout);
    expect(mail.get('io.personium.engine.extension.MailSender.smtp.host')).toBe('mail.example.test');
    expect(mail.get('io.personium.engine.extension.MailSender.smtp.port')).toBe('2525');
    // The unit came back, and the report that ends the run lists the extension.
    expect(first.stdout).toMatch(/PASS .*mailsender.*\[Extension-mailsender\]/);
    expect(first.stdout).toMatch(/PASS .*\[E2E-Unit\]/);
    expect(existsSync(join(other, 'config', 'personium-setup', 'profile-found.json'))).toBe(true);

    // Now the profile is saved: nothing differs, nothing restarts.
    const again = await add();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/\n0 changed\./);
    expect(await invocation()).toBe(after);

    const removed = await add('--remove', 'mailsender');
    expect(removed.code, removed.stderr).toBe(0);
    expect(restarts(removed.stdout)).toBe(1);
    expect((await rootSsh(set, 'host1', `ls ${ext}`)).stdout).toBe('personium-ex-httpclient.jar\n');
  });

  it('small: a run killed mid-way (SIGKILL) resumes with --resume and completes', {timeout: 900_000}, async () => {
    const answers = answersFile('killed', smallAnswers(2));
    let killedAfter = '';
    const killed = await cli(installArgs(answers, 'killed', []), (line, child) => {
      if (!killedAfter && /^\[server2\] changed ActiveMQ/.test(line)) {
        killedAfter = line;
        child.kill('SIGKILL');
      }
    });
    expect(killed.signal).toBe('SIGKILL');
    const journal = JSON.parse(readFileSync(join(process.env.XDG_STATE_HOME!, 'personium-setup', 'journal-killed.json'), 'utf8'));
    expect(journal.finishedAt).toBeUndefined();
    expect(journal.steps).toMatchObject({'server2:os.prepare': 'changed', 'server2:elasticsearch': 'changed', 'server2:activemq': 'changed'});

    const resumed = await install(answers, 'killed', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Resuming the interrupted run/m);
    const lines = stepLines(resumed.stdout);
    // Done before the kill: not run again.
    for (const line of lines.slice(0, 6)) expect(line).toMatch(/\] ok .*\(0\.0 s\)$/);
    for (const title of [/personium-core/, /nginx/, /unit admin/]) expect(statusOf(resumed.stdout, title)).toBe('changed');
    expect(lines.some(l => / failed /.test(l))).toBe(false);
    expect(resumed.stdout).toContain('Unit ready.');
    const again = await install(answers, 'killed');
    expect(stepLines(again.stdout).filter(l => !/\] ok /.test(l))).toEqual([]);
  });

  it('a failing step stops the run with the command, the output tail and the log path; fixed, --resume completes', {timeout: 900_000}, async () => {
    const answers = answersFile('killed', smallAnswers(2));
    // Break Elasticsearch's data path: a file where its directory must be.
    await rootSsh(set, 'host2', 'systemctl stop elasticsearch && rm -rf /personium/elasticsearch/data && echo not-a-directory > /personium/elasticsearch/data');
    const broken = await install(answers, 'killed');
    expect(broken.code).toBe(1);
    const failedLine = stepLines(broken.stdout).find(l => / failed /.test(l));
    expect(failedLine).toMatch(/^\[server2\] failed +Elasticsearch/);
    expect(broken.stdout).toMatch(/\n {6}command exited with 1\n {6}command: install -d -m 750 .*\/personium\/elasticsearch\/data\n {6}\| .*(File exists|Not a directory)/);
    for (const title of [/Tomcat/, /personium-core/, /nginx/, /unit admin/]) expect(statusOf(broken.stdout, title)).toBe('skipped');
    const log = /The installation stopped\. Details: (\S+)/.exec(broken.stderr)?.[1];
    expect(existsSync(log!)).toBe(true);
    expect(readFileSync(log!, 'utf8')).toMatch(/FAILED: Elasticsearch/);
    expect(broken.stderr).toContain('--resume');

    await rootSsh(set, 'host2', 'rm -f /personium/elasticsearch/data');
    const fixed = await install(answers, 'killed', '--resume');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(statusOf(fixed.stdout, /Elasticsearch/)).toBe('changed');
    expect(stepLines(fixed.stdout)[0]).toMatch(/ok {6}Prepare the OS.*\(0\.0 s\)$/);
  });

  it('small: a run whose SSH connection is cut resumes with --resume and completes (packages from artifacts.packageMirror)', {timeout: 900_000}, async () => {
    // This server's apt has no way out (no proxy setting): packages can only come from the mirror
    // the profile names (the harness proxy's mirror path), and its own sources and lists stay as they are.
    await rootSsh(set, 'host6', 'rm -f /etc/apt/apt.conf.d/01pds-testhosts-proxy');
    const systemLists = (await rootSsh(set, 'host6', 'ls /var/lib/apt/lists | sort | md5sum')).stdout;
    const packageMirror = `http://${HARNESS_ENV.PDS_TESTHOSTS_NET}.1:3142/mirror/deb.debian.org/debian`;
    const profile = validateAnswers({...smallAnswers(6), artifacts: {source: 'bundle', bundleFile: bundle, packageMirror}}, 'test').profile;
    const connected = await connectHosts([{name: 'server6', address: address(6), port: 22, user: 'deploy', auth: {method: 'key', keyFile}}], {acceptNewHostKeys: true});
    const real = connected.hosts.get('server6') as Host;
    let cut = false;
    // The connection goes down once the ActiveMQ step is done; from then on nothing reaches the server.
    const cutting: Host = {
      name: real.name,
      address: real.address,
      exec: async (command, options) => {
        if (cut) throw new Error('Not connected');
        return real.exec(command, options);
      },
      upload: async (...args) => {
        if (cut) throw new Error('Not connected');
        return real.upload(...args);
      },
      readFile: async (...args) => real.readFile(...args),
      close: () => real.close(),
    };
    const lines: string[] = [];
    const outcome = await runInstall({
      profile,
      plan: buildPlan(profile),
      profileName: 'cut',
      providers: defaultProviders(),
      out: line => {
        lines.push(line);
        if (/\] changed ActiveMQ/.test(line) && !cut) {
          cut = true;
          void real.close();
        }
      },
      log: new RunLog('install-cut'),
      hosts: new Map([['server6', cutting]]),
    });
    console.log(lines.join('\n'));
    expect(outcome.ok).toBe(false);
    const done = outcome.results.filter(r => r.status === 'changed' || r.status === 'ok').map(r => r.id);
    expect(done).toEqual(['os.prepare', 'jdk', 'memcached', 'nfs.storage', 'elasticsearch', 'activemq']);
    expect(outcome.results.find(r => r.id === 'tomcat')).toMatchObject({status: 'failed', error: {message: 'Not connected'}});
    expect(outcome.results.find(r => r.id === 'os.prepare')?.changes.join(' ')).toMatch(/packages: .*unzip/);
    const mirrored = await rootSsh(set, 'host6', `dpkg-query -W -f='\${db:Status-Status}' unzip; echo; cat /etc/personium-setup/apt-mirror.list; ls /var/lib/personium-setup/apt-lists; ls /var/lib/apt/lists | sort | md5sum`);
    expect(mirrored.stdout).toMatch(/^installed\n/);
    expect(mirrored.stdout).toContain(`deb ${packageMirror} bookworm main`);
    expect(mirrored.stdout).toContain('_mirror_deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages');
    expect(mirrored.stdout.endsWith(systemLists)).toBe(true);

    const resumed = await install(answersFile('cut', profile as unknown as Answers), 'cut', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Resuming the interrupted run/m);
    for (const title of [/Prepare the OS/, /Java/, /memcached/, /Shared storage/, /Elasticsearch/, /ActiveMQ/]) expect(statusOf(resumed.stdout, title)).toBe('ok');
    for (const title of [/Tomcat/, /personium-core/, /Engine extensions/, /nginx/, /unit admin/]) expect(statusOf(resumed.stdout, title)).toBe('changed');
    expect(resumed.stdout).toContain('Unit ready.');
  });

  it('the wizard in a terminal, as an operator answers it: small installs from the --bundle given, the live view runs, the admin password is shown once and taken off the screen; again from the saved profile, nothing changes', {timeout: 900_000}, async () => {
    const run = new TerminalRun(['install', '--profile', 'wizard', '--bundle', bundle, '--skip-public-check'], env);
    try {
      const ctrlU = '\u0015'; // clears the text a question starts with
      await run.answer([
        ['Which kind of unit?', '2'], // Small
        ['server1: address', `${address(8)}\r`],
        ['server1: SSH port', '\r'],
        ['server1: SSH user', ctrlU, 'deploy\r'],
        ['server1: how to log in', '2'], // key file
        ['server1: private key file', ctrlU, `${keyFile}\r`],
        ['how does deploy become root?', '\r'],
        ['Unit FQDN', 'not a name\r'],
        ['✖', ctrlU, `${FQDN}\r`], // asked again, the reason inline
        ['Cell URLs', '2'], // path-based: no wildcard DNS here
        ['Public address of the web server', '\r'],
        ['Server certificate for', '1'],
        ['Unit certificate (signs tokens', '1'],
        ['Engine extensions to install', '\r'],
        ['Add an OpenID Connect login provider?', 'n'],
        ['Save this profile and go on?', 'y'],
      ]);
      const key = await run.waitFor('unknown host key');
      expect(key).toMatch(/ssh-ed25519 SHA256:/);
      await run.keys('y');
      await run.waitFor('Install the unit on server1 now?', 120_000);
      await run.keys('y');
      await run.waitFor('Unit admin password (account unitadmin)', 600_000);
      const saved = JSON.parse(readFileSync(join(work, 'config', 'personium-setup', 'profile-wizard.json'), 'utf8')) as {profile: {artifacts: {source: string}}};
      expect(saved.profile.artifacts.source).toBe('bundle'); // --bundle held through the pattern chosen in the wizard
      const passwordFile = join(work, 'state', 'personium-setup', 'unitadmin-wizard.txt');
      const password = adminPassword(passwordFile);
      expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
      expect((await run.screen()).join('\n')).toContain(password);
      await run.keys('\r');
      expect(await run.exited).toBe(0);

      // The live view drew the run; what stays is the transcript, the steps, the summary and the report.
      expect(run.text()).toMatch(/\d+\/10 steps · \d+ s/); // no extension chosen: no extension step
      const screen = await run.screen();
      const all = screen.join('\n');
      expect(all).not.toContain(password);
      expect(screen.join(' ').replace(/\s+/g, ' ')).toContain(`✔ Unit admin password (account unitadmin) · taken off the screen; kept in ${passwordFile} (mode 0600)`);
      expect(all).not.toContain('read it with'); // it was on screen; no need to read the file
      expect(screen.filter(l => l.startsWith('? '))).toEqual([]); // no question left half-drawn
      expect(screen.filter(l => /^\[server1\] (changed|ok) /.test(l))).toHaveLength(10);
      expect(all).toContain('Unit ready.');
      expect(all).toMatch(/Report: \d+ passed/);
      const token = spawnSync('curl', ['-ksS', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `${FQDN}:443:${address(8)}`, '-d', `grant_type=password&username=unitadmin&password=${password}`, `https://${FQDN}/unitadmin/__token`], {encoding: 'utf8'});
      expect(token.stdout).toBe('200');
    } finally {
      run.kill();
      console.log(`wizard run:\n${(await run.screen()).join('\n')}`);
    }

    // Again from the saved profile: every answer is the default, Enter all the way; nothing changes.
    const again = new TerminalRun(['install', '--profile', 'wizard', '--skip-public-check'], env);
    try {
      const prompts = ['A saved profile was found', 'Which kind of unit?', 'server1: address', 'SSH port', 'SSH user', 'how to log in', 'private key file', 'become root?', 'Unit FQDN', 'Cell URLs', 'Public address', 'Server certificate for', 'Unit certificate (signs tokens', 'Engine extensions', 'OpenID Connect', 'Save this profile', 'Install the unit on server1 now?'];
      await again.answer(prompts.map(prompt => [prompt, '\r']), 120_000);
      expect(await again.exited).toBe(0);
      const all = (await again.screen()).join('\n');
      expect(all).toContain('Nothing changed: the unit already matches the profile.');
      expect(all).not.toContain('Unit admin password (account unitadmin)');
      expect(all).not.toContain('unknown host key'); // pinned the first time
    } finally {
      again.kill();
      console.log(`wizard re-run:\n${(await again.screen()).join('\n')}`);
    }
  });

  it('medium-large on three servers: web, AP (with MQ and storage) and ES apart, on private addresses, one unit; Java from the JDK tarball', {timeout: 900_000}, async () => {
    const answers = answersFile('medium', {
      pattern: 'medium-large',
      hosts: [server(3, ['web'], 'web1'), server(4, ['ap', 'mq', 'nfs'], 'ap1'), server(5, ['es'], 'es1')],
      unit: {fqdn: FQDN, cellUrlMode: 'path-based', publicAddress: address(3)},
      memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
      artifacts: {jdk: 'tarball'},
    });
    // A host firewall on the ES server (SSH let in first): the install opens 9200 and 9300 to the
    // unit's servers only, and core on the AP server gets through.
    const ufw = await rootSsh(set, 'host5', 'ufw allow 22/tcp >/dev/null && ufw --force enable >/dev/null && ufw status | head -1');
    expect(ufw.stdout.trim()).toBe('Status: active');
    const first = await install(answers, 'medium');
    expect(first.code, first.stderr).toBe(0);
    const rules = (await rootSsh(set, 'host5', 'ufw status')).stdout.split('\n').map(l => l.trim().split(/\s{2,}/).join(' ')).filter(l => /^9[23]00\/tcp /.test(l));
    expect(rules.sort()).toEqual([`9200/tcp ALLOW ${address(3)}`, `9200/tcp ALLOW ${address(4)}`, `9300/tcp ALLOW ${address(3)}`, `9300/tcp ALLOW ${address(4)}`]);
    // Tomcat and ActiveMQ run on the unpacked JDK (the FIXTURE Tomcat refuses a JAVA_HOME without
    // bin/java), whose truststore got the self-signed server certificate; ES 7 needs no Java.
    const home = '/opt/jdk-17.0.18+8';
    const java = await rootSsh(set, 'host4', `readlink /opt/jdk; ${home}/bin/java -version 2>&1 | head -1; grep '^JAVA_HOME=' /opt/tomcat/bin/setenv.sh; systemctl show -p Environment --value activemq | tr ' ' '\\n' | grep '^JAVA_HOME='; systemctl is-active tomcat activemq`);
    const [link, version, ...rest] = java.stdout.trim().split('\n');
    expect(link).toBe(home);
    expect(version).toMatch(/version "17\./);
    expect(rest).toEqual([`JAVA_HOME="${home}"`, `JAVA_HOME=${home}`, 'active', 'active']);
    expect(first.stdout).toContain(`PASS  Tomcat's Java trusts the server certificate: in ${home}/lib/security/cacerts  [Cert-JVM-Trust]`);
    expect(first.stdout).toMatch(/PASS {2}Java: 17\.\S+ {2}\[Version-java\]/);
    expect((await rootSsh(set, 'host5', 'ls -d /opt/jdk* 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    // ES listens on its private address only; Tomcat too; core points at them.
    const es = await rootSsh(set, 'host5', "ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' '");
    expect(es.stdout).toContain(`${address(5)}:9200`);
    expect(es.stdout).not.toMatch(/(0\.0\.0\.0|\*|127\.0\.0\.1):9200/);
    const conf = parseProperties((await rootSsh(set, 'host4', 'cat /personium/personium-core/conf/personium-unit-config.properties')).stdout);
    expect(conf.get('io.personium.core.es.hosts')).toBe(`${address(5)}:9200`);
    expect(conf.get('io.personium.core.eventbus.broker')).toBe(`tcp://${address(4)}:61616`);
    expect(conf.get('io.personium.core.lock.memcached.host')).toBe(address(4));
    expect(conf.get('io.personium.core.pathBasedCellUrl.enabled')).toBe('true');
    expect(conf.get('io.personium.core.es.index.numberOfShards')).toBe('1');
    expect(conf.has('io.personium.core.masterToken')).toBe(false);
    const nginxConf = (await rootSsh(set, 'host3', 'cat /etc/nginx/conf.d/personium.conf')).stdout;
    expect(nginxConf).toContain(`server ${address(4)}:18888`);
    const served = spawnSync('curl', ['-ksS', '--resolve', `${FQDN}:443:${address(3)}`, `https://${FQDN}/`], {encoding: 'utf8'});
    expect(JSON.parse(served.stdout)).toMatchObject({unit: {path_based_cellurl_enabled: true}});
    const password = adminPassword(/Admin password: {3}in (\S+) \(mode 0600\)/.exec(first.stdout)![1]!);
    const token = spawnSync('curl', ['-ksS', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `${FQDN}:443:${address(3)}`, '-d', `grant_type=password&username=unitadmin&password=${password}`, `https://${FQDN}/unitadmin/__token`], {encoding: 'utf8'});
    expect(token.stdout).toBe('200');
    const second = await install(answers, 'medium');
    expect(second.code).toBe(0);
    expect(stepLines(second.stdout).filter(l => !/\] ok /.test(l))).toEqual([]);
    console.log(`timings: medium-large install ${(first.ms / 1000).toFixed(1)} s, re-run ${(second.ms / 1000).toFixed(1)} s`);
  });

  it('the official pin (core 1.8.0 on Elasticsearch 6.6.1 over transport): small installs with the keys 1.8.0 reads; a re-run changes nothing', {timeout: 900_000}, async () => {
    const bundle180 = join(work, 'fixture-bundle-1.8.0.tar.gz');
    await buildFixtureBundle(bundle180, '1.8.0', {extensions: ['httpclient']});
    const answers = answersFile('official', {...smallAnswers(7), versionSet: '1.8.0', unit: {fqdn: FQDN, cellUrlMode: 'path-based'}});
    const args = ['install', '--answers', answers, '--yes', '--bundle', bundle180, '--accept-new-host-keys', '--ignore-preflight-errors=all', '--profile', 'official'];
    const first = await cli(args);
    expect(first.code, first.stderr).toBe(0);
    const conf = parseProperties((await rootSsh(set, 'host7', 'cat /personium/personium-core/conf/personium-unit-config.properties')).stdout);
    expect(conf.get('io.personium.core.es.hosts')).toBe('127.0.0.1:9300');
    expect(conf.get('io.personium.core.es.cluster.name')).toBe('personium');
    // ES 6 has no JDK of its own: its unit names the distribution's JDK 17; it listens on transport 9300.
    const es = await rootSsh(set, 'host7', "systemctl show -p Environment --value elasticsearch; readlink /opt/elasticsearch; ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' '");
    expect(es.stdout).toContain('JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64');
    expect(es.stdout).toContain('/opt/elasticsearch-6.6.1');
    expect(es.stdout).toContain('127.0.0.1:9300');
    // The war of 1.8.0 reports itself as 1.7.26; the report knows.
    expect(first.stdout).toMatch(/PASS {2}Version the unit reports: 1\.7\.26/);
    const second = await cli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Nothing changed: the unit already matches the profile.');
  });
});
