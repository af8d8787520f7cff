// `personium-setup add` on a real server (a Debian 12 test host of its own set), through the
// command line as an operator runs it. The host is prepared as an installed unit would look to
// the add command (the personium user, the engine's extensions directory, core's plugin
// directory, a unit config with other keys, and a `tomcat` service: a small HTTP server on
// 127.0.0.1:18888 that logs each start), so the test needs no full installation. Extension jars
// come from the FIXTURE bundle; the OIDC discovery document is served over HTTPS from the test
// bridge address; the plugin jar is built here with the fixture zip writer.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:https';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runAddInteractive} from '../../source/cli/add.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {FakePrompter} from '../helpers/fake-prompter.js';
import {buildFixtureBundle, zipFile} from '../fixtures/fixture-bundle.js';
import {rootSsh, testHostsAvailable, type TestHostSet, runHarness} from '../harness/testhosts.js';

const HARNESS_ENV = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-addons',
  PDS_TESTHOSTS_BASE: '/var/cache/pds-testhosts/base',
  PDS_TESTHOSTS_BRIDGE: 'pdsbr6',
  PDS_TESTHOSTS_NET: '10.213.6',
  PDS_TESTHOSTS_CGROUP: 'pds-th-addons',
};
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BRIDGE_ADDRESS = `${HARNESS_ENV.PDS_TESTHOSTS_NET}.1`;
const HOST_ADDRESS = `${HARNESS_ENV.PDS_TESTHOSTS_NET}.11`;
const EXT = '/personium/personium-engine/extensions';
const PLUGINS = '/personium/personium-core/plugins';
const CONFIG_PATH = '/personium/personium-core/conf/personium-unit-config.properties';
const CONFIG = [
  '# Managed by personium-setup. Edits are replaced on the next run.',
  'io.personium.core.unitScheme=https',
  'io.personium.core.text=caf\\u00E9',
  'io.personium.core.plugin.path=/personium/personium-core/plugins',
  '',
].join('\n');

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping add integration tests: ${available.reason}`);

const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);

const PREPARE = `set -e
export DEBIAN_FRONTEND=noninteractive
command -v unzip >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends unzip >/dev/null; }
id -u personium >/dev/null 2>&1 || useradd --system --no-create-home personium
install -d ${EXT} ${PLUGINS} /personium/personium-core/conf /srv/fake-core/personium-core
echo '{"unit":"stand-in"}' > /srv/fake-core/personium-core/index.html
# A stand-in for Tomcat with core: static files, with the header core puts on every answer.
cat > /srv/fake-core.py <<'PY'
import functools, http.server
class Core(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('X-Personium-Version', '1.8.3')
        super().end_headers()
http.server.ThreadingHTTPServer(('127.0.0.1', 18888), functools.partial(Core, directory='/srv/fake-core')).serve_forever()
PY
cat > /etc/systemd/system/tomcat.service <<'UNIT'
[Service]
ExecStartPre=/bin/sh -c 'date +%s.%N >> /var/log/tomcat-starts'
ExecStart=/usr/bin/python3 /srv/fake-core.py
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now tomcat >/dev/null 2>&1
`;

describe.skipIf(!available.ok)('add on a real server, through the command line', () => {
  let set: TestHostSet;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let discovery: Server;
  let configURL: string;
  let pluginJar: string;
  const keyFile = join(HARNESS_ENV.PDS_TESTHOSTS_DIR, 'id_ed25519');

  beforeAll(async () => {
    await harness('down');
    const up = await harness('up', '1', '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
    set = {dir, keyFile, knownHostsFile: join(dir, 'known_hosts'), sshConfigFile: join(dir, 'ssh_config'), hosts: [{name: 'host1', address: HOST_ADDRESS}]};
    const prepared = await rootSsh(set, 'host1', PREPARE);
    if (prepared.code !== 0) throw new Error(`preparing host1 failed:\n${prepared.stdout}${prepared.stderr}`);
    const config = await rootSsh(set, 'host1', `cat > ${CONFIG_PATH} && chown root:personium ${CONFIG_PATH} && chmod 640 ${CONFIG_PATH}`, CONFIG);
    if (config.code !== 0) throw new Error(config.stderr);

    work = mkdtempSync(join(tmpdir(), 'pds-addons-'));
    const bundle = join(work, 'fixture-bundle.tar.gz');
    await buildFixtureBundle(bundle, '1.8.3', {extensions: ['httpclient', 'mailsender', 'ew-services']});

    // The discovery document over HTTPS on the bridge address, with a certificate for that address.
    const key = join(work, 'idp.key');
    const cert = join(work, 'idp.crt');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${BRIDGE_ADDRESS}`, '-addext', `subjectAltName=IP:${BRIDGE_ADDRESS}`, '-keyout', key, '-out', cert], {encoding: 'utf8'});
    if (made.status !== 0) throw new Error(made.stderr);
    discovery = createServer({key: readFileSync(key), cert: readFileSync(cert)}, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({issuer: `https://${BRIDGE_ADDRESS}`, jwks_uri: `https://${BRIDGE_ADDRESS}/jwks`}));
    });
    await new Promise<void>(resolve => discovery.listen(0, BRIDGE_ADDRESS, resolve));
    configURL = `https://${BRIDGE_ADDRESS}:${(discovery.address() as {port: number}).port}/.well-known/openid-configuration`;

    pluginJar = join(work, 'kc-plugin.jar');
    writeFileSync(pluginJar, zipFile([{name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\r\nPlugin-Class: io.example.auth.KcPluginLoader\r\n\r\n'}, {name: 'io/example/auth/KcPluginLoader.class', content: Buffer.from([0xca, 0xfe, 0xba, 0xbe])}]));

    env = {
      PATH: process.env.PATH,
      HOME: work,
      XDG_CONFIG_HOME: join(work, 'config'),
      XDG_STATE_HOME: join(work, 'state'),
      XDG_CACHE_HOME: join(work, 'cache'),
      PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE: '1',
      NODE_EXTRA_CA_CERTS: cert,
    };
    writeFileSync(
      join(work, 'answers.json'),
      JSON.stringify({
        pattern: 'small',
        hosts: [{name: 'server1', address: HOST_ADDRESS, user: 'deploy', auth: {method: 'key', keyFile}, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
        unit: {fqdn: 'personium.test', cellUrlMode: 'per-cell'},
        artifacts: {source: 'bundle', bundleFile: bundle},
      }),
    );
  });

  afterAll(async () => {
    discovery?.close();
    if (work) rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  });

  function cli(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'source/cli.tsx'), ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']});
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', code => {
        console.log(`$ personium-setup ${args.join(' ')}   (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code})\n${stdout}${stderr}`);
        resolve({code, stdout, stderr});
      });
    });
  }
  const starts = async () => Number((await rootSsh(set, 'host1', 'wc -l < /var/log/tomcat-starts')).stdout.trim());
  const remote = async (command: string) => (await rootSsh(set, 'host1', command)).stdout;

  it('adds two extensions with settings, an OIDC provider and a plugin jar; a re-run changes nothing; removing restarts once more', {timeout: 600_000}, async () => {
    const before = await starts();
    const first = await cli([
      'add', '--answers', join(work, 'answers.json'), '--profile', 'lab', '--accept-new-host-keys',
      '--extension', 'httpclient', '--extension', 'mailsender', '--set', 'smtpHost=mail.example.com', '--set', 'smtpPort=2525',
      '--oidc', `name=kc,configURL=${configURL},trustedClientIds=app1 app2`,
      '--plugin-jar', pluginJar,
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/extension httpclient\s+-\s+1\.2\.0\s+add: new/);
    expect(first.stdout).toMatch(/oidc kc\s+-\s+https:/);
    expect(first.stdout).toMatch(/plugin kc-plugin\.jar\s+-\s+io\.example\.auth\.KcPluginLoader\s+add/);
    expect(first.stdout).toMatch(/\n[1-9]\d* changed\./);
    // Adding ends with the confirmation report (this installed-looking host has no nginx or ES, so it lists failures).
    expect(first.stdout).toContain('Personium unit report: https://');
    expect(first.stderr).not.toMatch(/cannot be reached/);
    expect(await starts()).toBe(before + 1);

    const files = await remote(`stat -c '%n %U %G %a' ${EXT}/* ${PLUGINS}/* ${CONFIG_PATH}`);
    expect(files).toContain(`${EXT}/personium-ex-httpclient.jar root personium 644`);
    expect(files).toContain(`${EXT}/personium-ex-mailsender.jar root personium 644`);
    expect(files).toContain(`${EXT}/Ext_MailSender.properties root personium 640`);
    expect(files).toContain(`${PLUGINS}/kc-plugin.jar root personium 644`);
    expect(files).toContain(`${CONFIG_PATH} root personium 640`);
    const mail = parseProperties(await remote(`cat ${EXT}/Ext_MailSender.properties`));
    expect(mail.get('io.personium.engine.extension.MailSender.smtp.host')).toBe('mail.example.com');
    expect(mail.get('io.personium.engine.extension.MailSender.smtp.port')).toBe('2525');
    expect(await remote(`sha256sum < ${PLUGINS}/kc-plugin.jar | cut -d' ' -f1`)).toBe(`${spawnSync('sha256sum', [pluginJar], {encoding: 'utf8'}).stdout.split(' ')[0]}\n`);
    const config = await remote(`cat ${CONFIG_PATH}`);
    expect(config.startsWith(CONFIG)).toBe(true);
    const keys = parseProperties(config);
    expect(keys.get('io.personium.plugin.oidc.kc.configURL')).toBe(configURL);
    expect(keys.get('io.personium.plugin.oidc.kc.trustedClientIds')).toBe('app1 app2');
    expect(keys.get('io.personium.plugin.oidc.kc.enabled')).toBe('true');

    // From the saved profile, nothing asked: nothing differs, nothing restarts.
    const again = await cli(['add', '--profile', 'lab', '--accept-new-host-keys', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.changed).toBe(0);
    expect(report.hosts[0].diff.extensions.unchanged).toEqual(['httpclient', 'mailsender']);
    expect(report.hosts[0].diff.oidc.unchanged).toEqual(['kc']);
    expect(report.hosts[0].diff.pluginJars.unchanged).toEqual(['kc-plugin.jar']);
    expect(report.hosts[0].installed.pluginJars[0].pluginClass).toBe('io.example.auth.KcPluginLoader');
    expect(report.hosts[0].installed.extensions.map((e: {name: string}) => e.name).sort()).toEqual(['httpclient', 'mailsender']);
    expect(await starts()).toBe(before + 1);
    const plain = await cli(['add', '--profile', 'lab', '--accept-new-host-keys']);
    expect(plain.stdout).toMatch(/\n0 changed\./);

    // A jar without Plugin-Class: refused, exit 2, nothing touched.
    const bad = join(work, 'bad.jar');
    writeFileSync(bad, zipFile([{name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\n\n'}]));
    const refused = await cli(['add', '--profile', 'lab', '--accept-new-host-keys', '--plugin-jar', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Plugin-Class/);
    expect(await remote(`ls ${PLUGINS}`)).toBe('kc-plugin.jar\n');

    // --dry-run looks at the server, says what would change, and changes nothing (no restart, profile kept).
    const dry = await cli(['add', '--profile', 'lab', '--accept-new-host-keys', '--remove', 'httpclient', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/personium-ex-httpclient\.jar removed/);
    expect(dry.stdout).toMatch(/Dry run: [1-9]\d* would change; nothing was changed/);
    expect(await remote(`ls ${EXT}`)).toContain('personium-ex-httpclient.jar');
    expect(await starts()).toBe(before + 1);

    // Removing: the jar and its properties go, the provider's keys go, every other line stays.
    const removed = await cli(['add', '--profile', 'lab', '--accept-new-host-keys', '--remove', 'mailsender', '--remove', 'oidc:kc', '--remove', 'kc-plugin.jar']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await remote(`ls ${EXT}; echo --; ls ${PLUGINS}`)).toBe('personium-ex-httpclient.jar\n--\n');
    expect(await remote(`cat ${CONFIG_PATH}`)).toBe(CONFIG);
    expect(await starts()).toBe(before + 2);
    const saved = JSON.parse(readFileSync(join(work, 'config', 'personium-setup', 'profile-lab.json'), 'utf8'));
    expect(Object.keys(saved.profile.extensions)).toEqual(['httpclient']);
    expect(saved.profile.authPlugins).toEqual({oidc: [], jars: []});

    // The interactive flow (the wizard's "add" choice), in this process with a scripted prompter:
    // what the server has is pre-selected; choosing ew-services adds it with one more restart.
    const saveEnv = Object.fromEntries(['XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', 'PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE'].map(k => [k, process.env[k]]));
    Object.assign(process.env, {XDG_CONFIG_HOME: env.XDG_CONFIG_HOME, XDG_STATE_HOME: env.XDG_STATE_HOME, XDG_CACHE_HOME: env.XDG_CACHE_HOME, PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE: '1'});
    try {
      let initial: unknown;
      const prompter = new (class extends FakePrompter {
        override async multiSelect<T extends string>(q: {id: string; initial?: T[]}): Promise<T[]> {
          initial = q.initial;
          return super.multiSelect<T>(q);
        }
      })([
        ['add.extensions', ['httpclient', 'ew-services']],
        ['add.confirm', true],
      ]);
      await runAddInteractive(prompter, {profile: 'lab', acceptNewHostKeys: true});
      expect(process.exitCode ?? 0).toBe(0);
      expect(initial).toEqual(['httpclient']);
      expect(prompter.remaining).toBe(0);
    } finally {
      for (const [key, value] of Object.entries(saveEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(await remote(`ls ${EXT}`)).toBe('personium-ex-ew-services.jar\npersonium-ex-httpclient.jar\n');
    expect(await starts()).toBe(before + 3);
    expect(Object.keys(JSON.parse(readFileSync(join(work, 'config', 'personium-setup', 'profile-lab.json'), 'utf8')).profile.extensions).sort()).toEqual(['ew-services', 'httpclient']);
  });
});
