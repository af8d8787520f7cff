// The installation on real servers (Debian 12 test hosts with systemd and sshd, their own set on
// their own bridge, reaching Debian packages through the harness apt proxy). The archives are
// stand-ins with the real file names whose programs (python3) open the real ports: Elasticsearch
// on 9200/9300 with /_cluster/health, ActiveMQ on 61616, and a Tomcat that serves the Personium
// bootstrap API (cells, accounts, roles, token, master-token auth) on the server.xml connector.
// Everything else is the product's real work: packages through apt, users, systemd units,
// memcached, nginx with TLS, the unit config, the bootstrap and the master token removal.
import {execFile, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {ArtifactName, LocalArtifact} from '../../source/artifacts/types.js';
import {serviceStates, runServiceAction} from '../../source/cli/service-commands.js';
import type {Host} from '../../source/hosts/host.js';
import {connectHosts} from '../../source/hosts/connect.js';
import {tlsMaterial} from '../../source/install/providers.js';
import {runInstall, type InstallOutcome, type InstallProviders} from '../../source/install/run-install.js';
import {buildPlan} from '../../source/plan/plan.js';
import {findVersionSet} from '../../source/presets.js';
import {validateAnswers, type Answers} from '../../source/profile/answers.js';
import type {Profile} from '../../source/profile/schema.js';
import {RunLog} from '../../source/run-log.js';
import {installArtifactRefs} from '../../source/install/providers.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {rootSsh, testHostsAvailable, type TestHostSet} from '../harness/testhosts.js';

// A harness of its own (directory, bridge, subnet, cgroup, base with the big packages baked in),
// so the shared set of the other integration tests is never touched.
const HARNESS_ENV = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-install',
  PDS_TESTHOSTS_BASE: '/var/cache/pds-th-install/base',
  PDS_TESTHOSTS_BRIDGE: 'pdsbr3',
  PDS_TESTHOSTS_NET: '10.213.3',
  PDS_TESTHOSTS_CGROUP: 'pds-th-install',
  // Baked into the base so apt work stays out of the timed path; the install still checks them,
  // and installs what is missing (unzip, systemd-timesyncd) for real through the apt proxy.
  PDS_TESTHOSTS_EXTRA_PACKAGES: 'openjdk-17-jre-headless,nginx,memcached,python3',
};
const HOSTS = 5;
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../harness/testhosts.sh');
const FQDN = 'personium.test';

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping install integration tests: ${available.reason}`);

function harness(...args: string[]): Promise<{code: number; out: string}> {
  return new Promise(resolve => {
    execFile(SCRIPT, args, {env: {...process.env, ...HARNESS_ENV}, timeout: 900_000, maxBuffer: 16 << 20}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}`});
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Stand-in archives: real file names, python programs that open the real ports.

const FAKE_ES = `#!/usr/bin/env python3
import os, re, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
conf = os.environ.get('ES_PATH_CONF') or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'config')
text = open(os.path.join(conf, 'elasticsearch.yml')).read()
addr = re.search(r'^network.host:\\s*"?([^"\\n]+)"?', text, re.M).group(1)
data = re.search(r'^path.data:\\s*(\\S+)', text, re.M).group(1)
open(os.path.join(data, 'node.lock'), 'w').close()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"cluster_name":"personium","status":"green","number_of_nodes":1}'
        self.send_response(200); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind((addr, 9300)); t.listen(16)
threading.Thread(target=lambda: [t.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
ThreadingHTTPServer((addr, 9200), H).serve_forever()
`;

const FAKE_MQ = `#!/usr/bin/env python3
import os, re, socket
home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
uri = re.search(r'uri="tcp://\\[?([^\\]"]+?)\\]?:(\\d+)', open(os.path.join(home, 'conf/activemq.xml')).read())
open(os.path.join(home, 'data/broker.lock'), 'w').close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((uri.group(1), int(uri.group(2)))); s.listen(16)
while True: s.accept()[0].close()
`;

// The Personium API the bootstrap uses, behind the connector server.xml defines; state in a file
// under /personium so it survives restarts; __ctl needs the unit config's master token.
const FAKE_CORE = `#!/usr/bin/env python3
import json, os, re, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
xml = open(os.path.join(home, 'conf/server.xml')).read()
m = re.search(r'<Connector[^>]*?address="([^"]+)"[^>]*?port="(\\d+)"', xml, re.S)
CONF = next(a.split('=', 1)[1] for a in os.environ.get('CATALINA_OPTS', '').split() if a.startswith('-Dio.personium.configurationFile='))
for war in ('personium-core.war', 'personium-engine.war'):
    assert os.path.exists(os.path.join(home, 'webapps', war)), war + ' is not deployed'
STATE = '/personium/personium-core/fixture-state.json'
def prop(key):
    for line in open(CONF):
        if line.startswith(key + '='): return line.split('=', 1)[1].strip()
def load():
    try: return json.load(open(STATE))
    except Exception: return {'cells': {}}
def save(s):
    json.dump(s, open(STATE + '.tmp', 'w')); os.rename(STATE + '.tmp', STATE)
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def reply(self, code, body=b''):
        self.send_response(code); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def route(self, method):
        n = int(self.headers.get('Content-Length') or 0); data = self.rfile.read(n) if n else b''
        path = urllib.parse.unquote(self.path.split('?')[0])
        if not path.startswith('/personium-core'): return self.reply(404)
        path = path[len('/personium-core'):] or '/'
        host = (self.headers.get('Host') or '').split(':')[0]
        unit = UNIT
        s = load()
        parts = [p for p in path.split('/') if p]
        if host != unit and host.endswith('.' + unit): cell, rest = host[:-len(unit) - 1], parts
        elif parts and not parts[0].startswith('__'): cell, rest = parts[0], parts[1:]
        else: cell, rest = None, parts
        if cell is None and not rest and method == 'GET':
            return self.reply(200, json.dumps({'unit': {'url': 'https://%s/' % unit, 'path_based_cellurl_enabled': prop('io.personium.core.pathBasedCellUrl.enabled') == 'true'}}).encode())
        if cell is not None and rest == ['__token'] and method == 'POST':
            f = urllib.parse.parse_qs(data.decode()); c = s['cells'].get(cell, {'accounts': {}})
            ok = f.get('grant_type') == ['password'] and c['accounts'].get(f.get('username', [''])[0]) == f.get('password', [None])[0]
            return self.reply(200, b'{"access_token":"AR~x","token_type":"Bearer"}') if ok else self.reply(400, b'{"code":"PR400-AN-0017"}')
        token = prop('io.personium.core.masterToken')
        if not token or self.headers.get('Authorization') != 'Bearer ' + token: return self.reply(401, b'{"code":"PR401-AU-0001"}')
        if cell is None:
            one = re.fullmatch(r"__ctl/Cell\\('([^']+)'\\)", '/'.join(rest))
            if method == 'GET' and one: return self.reply(200 if one.group(1) in s['cells'] else 404, b'{}')
            if method == 'POST' and rest == ['__ctl', 'Cell']:
                name = json.loads(data)['Name']
                if name in s['cells']: return self.reply(409, b'{}')
                s['cells'][name] = {'owner': self.headers.get('X-Personium-Unit-User'), 'accounts': {}, 'roles': [], 'links': []}; save(s); return self.reply(201, b'{}')
            return self.reply(400, b'{}')
        c = s['cells'].get(cell)
        if c is None or rest[:1] != ['__ctl']: return self.reply(404, b'{}')
        tail = '/'.join(rest[1:])
        one = re.fullmatch(r"(Account|Role)\\('([^']+)'\\)(/\\$links/_Account)?", tail)
        if method == 'GET' and one and not one.group(3):
            return self.reply(200 if one.group(2) in (c['accounts'] if one.group(1) == 'Account' else c['roles']) else 404, b'{}')
        if method == 'POST' and one and one.group(3):
            if one.group(2) in c['links']: return self.reply(409, b'{}')
            c['links'].append(one.group(2)); save(s); return self.reply(204)
        if method == 'POST' and tail in ('Account', 'Role'):
            name = json.loads(data)['Name']
            if tail == 'Account':
                if name in c['accounts']: return self.reply(409, b'{}')
                c['accounts'][name] = self.headers.get('X-Personium-Credential')
            else:
                if name in c['roles']: return self.reply(409, b'{}')
                c['roles'].append(name)
            save(s); return self.reply(201, b'{}')
        return self.reply(400, b'{}')
    def do_GET(self): self.route('GET')
    def do_POST(self): self.route('POST')
    def log_message(self, *a): pass
UNIT = '__FQDN__'
ThreadingHTTPServer((m.group(1), int(m.group(2))), H).serve_forever()
`;

interface Fixture {
  dir: string;
  artifacts: Map<ArtifactName, LocalArtifact>;
}

/** The stand-in archives for a version set, under the real file names. */
function buildFixture(dir: string, profile: Profile): Fixture {
  const set = findVersionSet(profile.versionSet)!;
  const refs = installArtifactRefs(profile, set);
  const file = (root: string, path: string, content: string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), {recursive: true});
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };
  const src = join(dir, 'src');
  const trees: Record<string, (root: string) => void> = {
    elasticsearch: root => {
      file(root, 'bin/elasticsearch', FAKE_ES, 0o755);
      file(root, 'config/log4j2.properties', '# stand-in\n');
      file(root, 'config/jvm.options', '-Xms1g\n');
    },
    tomcat: root => {
      // Stock Tomcat ships conf 0600 and the manager applications: the install must deal with both.
      file(root, 'bin/catalina.sh', '#!/bin/sh\n. "$(dirname "$0")/setenv.sh"\nexport CATALINA_OPTS\nexec python3 "$(dirname "$0")/core-fixture.py" "$@"\n', 0o755);
      file(root, 'bin/core-fixture.py', FAKE_CORE.replace('__FQDN__', FQDN), 0o755);
      file(root, 'conf/web.xml', '<web-app/>\n', 0o600);
      file(root, 'conf/server.xml', '<Server/>\n', 0o600);
      file(root, 'webapps/manager/index.html', 'manager\n');
      file(root, 'webapps/ROOT/index.html', 'tomcat\n');
      mkdirSync(join(root, 'logs'), {recursive: true});
    },
    activemq: root => {
      file(root, 'bin/activemq', '#!/bin/sh\nexec python3 "$(dirname "$0")/broker-fixture.py"\n', 0o755);
      file(root, 'bin/broker-fixture.py', FAKE_MQ, 0o755);
      file(root, 'conf/credentials.properties', 'activemq.username=system\n');
      mkdirSync(join(root, 'data'), {recursive: true});
    },
  };
  const artifacts = new Map<ArtifactName, LocalArtifact>();
  for (const ref of refs) {
    const path = join(dir, ref.fileName);
    const tree = trees[ref.name];
    if (tree) {
      const top = ref.fileName.replace(/(-linux-x86_64|-bin)?\.tar\.gz$/, '');
      const root = join(src, top);
      tree(root);
      const tar = spawnSync('tar', ['-czf', path, '-C', src, top]);
      if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    } else {
      writeFileSync(path, `stand-in ${ref.fileName}\n`);
    }
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    artifacts.set(ref.name, {ref, path, sha256, verifiedBy: 'bundle-manifest'});
  }
  return {dir, artifacts};
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!available.ok)('install on real servers', () => {
  let set: TestHostSet;
  let work: string;
  const savedEnv = {...process.env};
  const address = (n: number) => `${HARNESS_ENV.PDS_TESTHOSTS_NET}.${10 + n}`;

  beforeAll(async () => {
    const started = Date.now();
    await harness('down');
    const up = await harness('up', String(HOSTS), '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    console.log(`test hosts up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
    set = {
      dir,
      keyFile: join(dir, 'id_ed25519'),
      knownHostsFile: join(dir, 'known_hosts'),
      sshConfigFile: join(dir, 'ssh_config'),
      hosts: Array.from({length: HOSTS}, (_, i) => ({name: `host${i + 1}`, address: address(i + 1)})),
    };
    work = mkdtempSync(join(tmpdir(), 'pds-install-'));
    // The operator machine's state (pinned host keys, journals, logs, admin password files).
    process.env.XDG_CONFIG_HOME = join(work, 'config');
    process.env.XDG_STATE_HOME = join(work, 'state');
  });
  afterAll(async () => {
    process.env.XDG_CONFIG_HOME = savedEnv.XDG_CONFIG_HOME;
    process.env.XDG_STATE_HOME = savedEnv.XDG_STATE_HOME;
    if (work) rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  });

  const host = (n: number, roles: string[], name = `server${n}`) => ({
    name,
    address: address(n),
    user: 'deploy',
    auth: {method: 'key', keyFile: join(HARNESS_ENV.PDS_TESTHOSTS_DIR, 'id_ed25519')},
    roles,
  });

  function smallProfile(n: number, extra: Answers = {}): Profile {
    return validateAnswers(
      {
        pattern: 'small',
        hosts: [host(n, ['web', 'ap', 'es', 'mq', 'nfs'])],
        unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
        extensions: {httpclient: {}},
        memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
        ...extra,
      },
      'test',
    ).profile;
  }

  // One set of archives per layout for the whole file (rebuilt archives would differ byte-wise).
  const fixtures = new Map<string, Fixture>();
  function providers(profile: Profile): InstallProviders {
    const key = profile.hosts.map(h => h.name).join('-');
    let fixture = fixtures.get(key);
    if (!fixture) {
      const dir = join(work, `bundle-${key}`);
      mkdirSync(dir, {recursive: true});
      fixture = buildFixture(dir, profile);
      fixtures.set(key, fixture);
    }
    const artifacts = fixture.artifacts;
    return {artifacts: async () => artifacts, tls: tlsMaterial};
  }

  async function install(profile: Profile, name: string, options: {resume?: boolean; checkOnly?: boolean; hosts?: Map<string, Host>; provide?: InstallProviders} = {}): Promise<InstallOutcome & {lines: string[]; ms: number}> {
    const lines: string[] = [];
    const started = Date.now();
    const outcome = await runInstall({
      profile,
      plan: buildPlan(profile),
      profileName: name,
      acceptNewHostKeys: true,
      providers: options.provide ?? providers(profile),
      out: line => lines.push(line),
      log: new RunLog(`install-${name}`),
      resume: options.resume,
      checkOnly: options.checkOnly,
      hosts: options.hosts,
    });
    const ms = Date.now() - started;
    console.log(`${name}${options.resume ? ' --resume' : ''}${options.checkOnly ? ' --dry-run' : ''}: ${(ms / 1000).toFixed(1)} s\n${lines.join('\n')}`);
    return {...outcome, lines, ms};
  }

  const statuses = (o: InstallOutcome) => Object.fromEntries(o.results.map(r => [r.id, r.status]));

  async function connect(profile: Profile): Promise<{hosts: Map<string, Host>; close: () => Promise<void>}> {
    const connected = await connectHosts(
      profile.hosts.map(h => ({name: h.name, address: h.address, port: 22, user: h.user, auth: {method: 'key' as const, keyFile: (h.auth as {keyFile: string}).keyFile}})),
      {acceptNewHostKeys: true},
    );
    expect(connected.errors.size).toBe(0);
    return {hosts: connected.hosts as Map<string, Host>, close: () => connected.close()};
  }

  it('small: a fresh server becomes a unit served over HTTPS; a second run changes nothing', {timeout: 900_000}, async () => {
    const profile = smallProfile(1);
    const first = await install(profile, 'small');
    expect(first.ok).toBe(true);
    // Java was baked into the base: found, not installed again. Everything else was made now.
    expect(first.results.filter(r => r.status !== 'changed').map(r => `${r.id} ${r.status}`)).toEqual(['jdk ok']);
    // Packages the base lacked were installed for real, through the apt proxy.
    expect(first.results.find(r => r.id === 'os.prepare')!.changes.join(' ')).toMatch(/packages: .*unzip/);
    expect(first.newAdminPassword).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(statSync(first.adminPasswordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.adminPasswordFile, 'utf8')).toContain(`password=${first.newAdminPassword}`);

    // Through nginx from outside, as a client: the unit's answer, with the profile's certificate.
    const ca = join(work, 'server1.crt');
    writeFileSync(ca, (await rootSsh(set, 'host1', 'cat /etc/nginx/personium/server.crt')).stdout);
    const served = spawnSync('curl', ['-sS', '--cacert', ca, '--resolve', `${FQDN}:443:${address(1)}`, `https://${FQDN}/`], {encoding: 'utf8'});
    expect(served.status, served.stderr).toBe(0);
    expect(JSON.parse(served.stdout)).toMatchObject({unit: {url: `https://${FQDN}/`}});
    const cell = spawnSync('curl', ['-ksS', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `unitadmin.${FQDN}:443:${address(1)}`, '-d', `grant_type=password&username=unitadmin&password=${first.newAdminPassword}`, `https://unitadmin.${FQDN}/__token`], {encoding: 'utf8'});
    expect(cell.stdout).toBe('200');
    const cert = spawnSync('sh', ['-c', `echo | openssl s_client -connect ${address(1)}:443 -servername ${FQDN} 2>/dev/null | openssl x509 -noout -ext subjectAltName -fingerprint -sha256`], {encoding: 'utf8'});
    expect(cert.stdout).toContain(`DNS:${FQDN}`);
    expect(cert.stdout).toContain(`DNS:*.${FQDN}`);
    const onServer = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], {input: (await rootSsh(set, 'host1', 'cat /etc/nginx/personium/server.crt')).stdout, encoding: 'utf8'});
    expect(cert.stdout).toContain(onServer.stdout.trim());
    const redirect = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', `Host: ${FQDN}`, `http://${address(1)}/x`], {encoding: 'utf8'});
    expect(redirect.stdout).toBe(`301 https://${FQDN}/x`);
    const tls11 = spawnSync('sh', ['-c', `echo | openssl s_client -connect ${address(1)}:443 -tls1_1 2>&1`], {encoding: 'utf8'});
    expect(tls11.stdout).toMatch(/no peer certificate available/);

    // What is on the server: bound to loopback only, master token gone, secrets kept, no manager.
    const facts = await rootSsh(
      set,
      'host1',
      [
        "ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' '",
        'echo',
        'grep -c masterToken /personium/personium-core/conf/personium-unit-config.properties || true',
        'ls /opt/tomcat/webapps',
        "stat -c '%U %a' /opt/tomcat/conf/server.xml /personium/personium-core/conf/personium-unit-config.properties /opt/x509/unit.key",
        'cat /etc/sysctl.d/60-personium-elasticsearch.conf | grep max_map',
        "sed -n '/BEGIN personium-setup/,/END personium-setup/p' /etc/hosts",
        'systemctl is-enabled memcached.service || true',
      ].join('; '),
    );
    console.log(facts.stdout);
    const listening = facts.stdout.split('\n')[0]!.split(' ');
    for (const port of [11211, 11212, 9200, 9300, 61616, 18888]) expect(listening, `port ${port}`).toContain(`127.0.0.1:${port}`);
    expect(listening.some(l => /^(0\.0\.0\.0|\*|\[::\]):443$/.test(l))).toBe(true);
    expect(listening.some(l => /:(11211|9200|61616|18888)$/.test(l) && !l.startsWith('127.0.0.1:'))).toBe(false);
    expect(facts.stdout).toMatch(/\n0\n/);
    expect(facts.stdout).toMatch(/personium-core\.war\npersonium-engine\.war\n/);
    expect(facts.stdout).not.toMatch(/\nmanager\n/);
    expect(facts.stdout).toContain('personium 640');
    expect(facts.stdout).toContain('vm.max_map_count = 262144');
    expect(facts.stdout).toContain(`127.0.0.1\t${FQDN} unitadmin.${FQDN}`);
    expect(facts.stdout).toMatch(/disabled\s*$/);
    const secretsBefore = (await rootSsh(set, 'host1', 'cat /personium/personium-core/conf/setup-secrets.json')).stdout;

    // The same profile again: every step looks, none changes anything.
    const second = await install(profile, 'small');
    expect(second.ok).toBe(true);
    expect(second.results.filter(r => r.status !== 'ok').map(r => `${r.id} ${r.status} ${r.changes.join('; ')}`)).toEqual([]);
    expect(second.lines.join('\n')).toContain('Nothing changed: the unit already matches the profile.');
    expect(second.newAdminPassword).toBeUndefined();
    expect((await rootSsh(set, 'host1', 'cat /personium/personium-core/conf/setup-secrets.json')).stdout).toBe(secretsBefore);
    // --dry-run against the converged server: nothing would change.
    const dry = await install(profile, 'small', {checkOnly: true});
    expect(dry.ok).toBe(true);
    expect(dry.results.every(r => r.status === 'ok')).toBe(true);
    console.log(`timings: install ${(first.ms / 1000).toFixed(1)} s, re-run ${(second.ms / 1000).toFixed(1)} s, dry run ${(dry.ms / 1000).toFixed(1)} s`);
  });

  it('small: stop runs in reverse boot order, start in boot order with readiness waits, status shows each service', {timeout: 600_000}, async () => {
    const profile = smallProfile(1);
    const plan = buildPlan(profile);
    const {hosts, close} = await connect(profile);
    try {
      const said: string[] = [];
      expect(await runServiceAction(hosts, plan, 'stop', line => said.push(line), () => {})).toBe(true);
      expect((await serviceStates(hosts, plan)).every(s => s.active === 'inactive')).toBe(true);
      expect(said.findIndex(l => l.includes('stopped nginx'))).toBeLessThan(said.findIndex(l => l.includes('stopped tomcat')));
      expect(said.findIndex(l => l.includes('stopped tomcat'))).toBeLessThan(said.findIndex(l => l.includes('stopped elasticsearch')));
      expect(await runServiceAction(hosts, plan, 'start', line => said.push(line), () => {})).toBe(true);
      const states = await serviceStates(hosts, plan);
      expect(states.map(s => `${s.service} ${s.active} ${s.enabled}`)).toEqual([
        'personium-memcached-lock active enabled',
        'personium-memcached-cache active enabled',
        'elasticsearch active enabled',
        'activemq active enabled',
        'tomcat active enabled',
        'nginx active enabled',
      ]);
      // systemd's own record of when each became active: the boot order, for real.
      const since = await rootSsh(set, 'host1', `for s in ${states.map(s => s.service).join(' ')}; do echo "$s $(systemctl show -p ActiveEnterTimestampMonotonic --value $s)"; done`);
      const at = new Map(since.stdout.trim().split('\n').map(l => [l.split(' ')[0]!, Number(l.split(' ')[1])]));
      for (const data of ['personium-memcached-lock', 'personium-memcached-cache', 'elasticsearch', 'activemq']) expect(at.get(data)!).toBeLessThan(at.get('tomcat')!);
      expect(at.get('tomcat')!).toBeLessThan(at.get('nginx')!);
    } finally {
      await close();
    }
  });

  it('small: a run whose connection is cut resumes with --resume and completes', {timeout: 900_000}, async () => {
    const profile = smallProfile(2);
    const provide = providers(profile);
    const {hosts} = await connect(profile);
    // Cut the SSH connection once the ActiveMQ step has finished.
    const real = hosts.get('server2')!;
    let cut = false;
    const cutting: Host = {
      name: real.name,
      address: real.address,
      exec: async (command, opts) => {
        if (cut) throw new Error('Not connected');
        return real.exec(command, opts);
      },
      upload: async (...args) => {
        if (cut) throw new Error('Not connected');
        return real.upload(...args);
      },
      readFile: async (...args) => real.readFile(...args),
      close: () => real.close(),
    };
    const lines: string[] = [];
    const first = runInstall({
      profile,
      plan: buildPlan(profile),
      profileName: 'resume',
      providers: provide,
      out: line => {
        lines.push(line);
        if (/\] changed ActiveMQ/.test(line) && !cut) {
          cut = true;
          void real.close();
        }
      },
      log: new RunLog('install-resume'),
      hosts: new Map([['server2', cutting]]),
    });
    const outcome = await first;
    console.log(lines.join('\n'));
    expect(outcome.ok).toBe(false);
    const done = outcome.results.filter(r => r.status === 'changed' || r.status === 'ok').map(r => r.id);
    expect(done).toEqual(['os.prepare', 'jdk', 'memcached', 'nfs.storage', 'elasticsearch', 'activemq']);
    expect(outcome.results.find(r => r.id === 'tomcat')!.status).toBe('failed');

    const resumed = await install(profile, 'resume', {resume: true, provide});
    expect(resumed.ok).toBe(true);
    expect(resumed.lines[1]).toMatch(/^Resuming the interrupted run/);
    const s = statuses(resumed);
    for (const id of done) expect(s[id]).toBe('ok');
    for (const id of ['tomcat', 'personium', 'extensions', 'nginx', 'bootstrap']) expect(s[id]).toBe('changed');
    expect(resumed.results.find(r => r.id === 'elasticsearch')!.elapsedMs).toBe(0);
    // And the unit is whole: a normal run finds nothing to do.
    const again = await install(profile, 'resume', {provide});
    expect(again.results.filter(r => r.status !== 'ok').map(r => r.id)).toEqual([]);
  });

  it('a failing step stops the run with the command, its output and the steps after it skipped; fixed, the run completes', {timeout: 900_000}, async () => {
    const profile = smallProfile(2);
    const provide = providers(profile);
    // Break Elasticsearch's data path: a file where its directory must be.
    await rootSsh(set, 'host2', 'systemctl stop elasticsearch && rm -rf /personium/elasticsearch/data && echo not-a-directory > /personium/elasticsearch/data');
    const broken = await install(profile, 'failing', {provide});
    expect(broken.ok).toBe(false);
    const failed = broken.results.find(r => r.status === 'failed')!;
    expect(failed.id).toBe('elasticsearch');
    expect(failed.error!.command).toContain('/personium/elasticsearch/data');
    expect(failed.error!.outputTail!.join('\n')).toMatch(/File exists|Not a directory/);
    const text = broken.lines.join('\n');
    expect(text).toMatch(/failed +Elasticsearch/);
    expect(text).toContain(`command: ${failed.error!.command}`);
    expect(text).toMatch(/\| .*(File exists|Not a directory)/);
    for (const id of ['tomcat', 'personium', 'extensions', 'nginx', 'bootstrap']) expect(statuses(broken)[id]).toBe('skipped');
    expect(existsSync(join(process.env.XDG_STATE_HOME!, 'personium-setup', 'journal-failing.json'))).toBe(true);

    await rootSsh(set, 'host2', 'rm -f /personium/elasticsearch/data');
    const fixed = await install(profile, 'failing', {resume: true, provide});
    expect(fixed.ok).toBe(true);
    expect(statuses(fixed).elasticsearch).toBe('changed');
    expect(fixed.results.find(r => r.id === 'os.prepare')!.elapsedMs).toBe(0);
  });

  it('medium-large on three servers: ES and the AP side on their own servers, private addresses, one unit', {timeout: 900_000}, async () => {
    const profile = validateAnswers(
      {
        pattern: 'medium-large',
        hosts: [host(3, ['web'], 'web1'), host(4, ['ap', 'mq', 'nfs'], 'ap1'), host(5, ['es'], 'es1')],
        unit: {fqdn: FQDN, cellUrlMode: 'path-based', publicAddress: address(3)},
        memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
        security: {disableMasterToken: true},
      },
      'test',
    ).profile;
    const first = await install(profile, 'medium');
    expect(first.ok).toBe(true);
    // ES listens on its private address only; Tomcat too; core points at them.
    const es = await rootSsh(set, 'host5', "ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' '");
    expect(es.stdout).toContain(`${address(5)}:9200`);
    expect(es.stdout).not.toMatch(/(0\.0\.0\.0|\*):9200/);
    const conf = parseProperties((await rootSsh(set, 'host4', 'cat /personium/personium-core/conf/personium-unit-config.properties')).stdout);
    expect(conf.get('io.personium.core.es.hosts')).toBe(`${address(5)}:9200`);
    expect(conf.get('io.personium.core.eventbus.broker')).toBe(`tcp://${address(4)}:61616`);
    expect(conf.get('io.personium.core.lock.memcached.host')).toBe(address(4));
    expect(conf.get('io.personium.core.pathBasedCellUrl.enabled')).toBe('true');
    expect(conf.has('io.personium.core.masterToken')).toBe(false);
    const served = spawnSync('curl', ['-ksS', '--resolve', `${FQDN}:443:${address(3)}`, `https://${FQDN}/`], {encoding: 'utf8'});
    expect(JSON.parse(served.stdout)).toMatchObject({unit: {path_based_cellurl_enabled: true}});
    const token = spawnSync('curl', ['-ksS', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `${FQDN}:443:${address(3)}`, '-d', `grant_type=password&username=unitadmin&password=${first.newAdminPassword}`, `https://${FQDN}/unitadmin/__token`], {encoding: 'utf8'});
    expect(token.stdout).toBe('200');
    const second = await install(profile, 'medium');
    expect(second.results.filter(r => r.status !== 'ok').map(r => `${r.key} ${r.changes.join('; ')}`)).toEqual([]);
    console.log(`timings: medium-large install ${(first.ms / 1000).toFixed(1)} s, re-run ${(second.ms / 1000).toFixed(1)} s`);
  });
});
