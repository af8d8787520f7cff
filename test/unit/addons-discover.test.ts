// Discovery of an existing unit, without any server: the real read-only script under this
// machine's sh (as is, and with its paths pointed at a scratch folder), the parser on hand-made
// script output, and the answers built from findings, validated against the real profile schema.
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  addressOf,
  DiscoveryError,
  discoveredAnswers,
  discoveryScript,
  parseFindings,
  rolesOf,
  SECRET_ON_SERVER,
  type GivenHost,
  type HostFindings,
} from '../../source/addons/discover.js';
import {PATHS} from '../../source/plan/paths.js';
import {newMarker} from '../../source/preflight/facts.js';
import {versionMatrix} from '../../source/presets.js';
import {AnswersError, validateAnswers, type Answers} from '../../source/profile/answers.js';
import {generateUnitCertificate} from '../../source/tls/generate.js';

const FQDN = 'personium.example.test';
const MARKER = 'pf-0123456789abcdef';
const matrix = versionMatrix();
const work = mkdtempSync(join(tmpdir(), 'addons-discover-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

let unitCertPem = '';
let mixedCaseCertPem = '';
let otherCertPem = '';
beforeAll(async () => {
  unitCertPem = (await generateUnitCertificate({fqdn: FQDN})).certPem;
  mixedCaseCertPem = (await generateUnitCertificate({fqdn: 'Personium.Example.TEST'})).certPem;
  otherCertPem = (await generateUnitCertificate({fqdn: 'unit.example.test'})).certPem;
});

const b64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');

/** Output in the script's own shape: each section starts with a line `--<marker> <name>`. */
function output(sections: Record<string, string>, marker = MARKER): string {
  return Object.entries(sections)
    .map(([name, text]) => `\n--${marker} ${name}\n${text}`)
    .join('\n');
}

const SITE = `server {\n  listen 443 ssl;\n  server_name ${FQDN} *.${FQDN};\n  location / { proxy_pass http://127.0.0.1:8080; }\n}`;

const SMALL_CONFIG = [
  '# written by personium-setup',
  'io.personium.core.es.hosts=127.0.0.1\\:9200',
  'io.personium.core.eventbus.broker=tcp\\://127.0.0.1\\:61616',
  'io.personium.core.pathBasedCellUrl.enabled=false',
  'io.personium.plugin.oidc.google.enabled=true',
  'io.personium.plugin.oidc.google.configURL=https://accounts.google.com/.well-known/openid-configuration',
  'io.personium.plugin.oidc.google.trustedClientIds=a b',
  'io.personium.plugin.oidc.corp.enabled=true',
  'io.personium.plugin.oidc.corp.configURL=https://idp.example.test/.well-known/openid-configuration',
  'io.personium.plugin.oidc.corp.trustedClientIds=*',
  'io.personium.plugin.oidc.corp.pluginName=Corp IdP',
].join('\n');

const MAIL_PROPS = [
  'io.personium.engine.extension.MailSender.smtp.host=smtp.example.test',
  'io.personium.engine.extension.MailSender.smtp.port=587',
].join('\n');

function smallOutput(overrides: Record<string, string> = {}): string {
  return output({
    services: 'tomcat\nelasticsearch\nactivemq\nnginx',
    nginx: SITE,
    config: SMALL_CONFIG,
    unitcert: unitCertPem,
    core: '1.8.3',
    engine: '1.6.0',
    nfsmount: '',
    nfsexport: '',
    extjars: 'personium-ex-httpclient.jar\npersonium-ex-mailsender.jar',
    extprops: `Ext_MailSender.properties ${b64(MAIL_PROPS)}`,
    ...overrides,
  });
}

const SMALL_HOST: Answers = {name: 'unit1', address: '192.0.2.10', user: 'admin', auth: {method: 'key', keyFile: '/home/admin/.ssh/id_ed25519'}};

function findings(partial: Partial<HostFindings>): HostFindings {
  return {services: [], nfsExported: false, extensionJars: [], extensionProperties: new Map(), addresses: [], ...partial};
}

describe('discoveryScript on this machine', () => {
  it('is valid POSIX sh', () => {
    const script = discoveryScript(newMarker());
    const check = spawnSync('sh', ['-n', '-c', script], {encoding: 'utf8'});
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('runs, exits 0 and parses to empty findings here (no Personium on this machine)', () => {
    const marker = newMarker();
    const run = spawnSync('sh', ['-c', discoveryScript(marker)], {encoding: 'utf8', timeout: 30_000});
    expect(run.status).toBe(0);
    for (const name of ['services', 'nginx', 'config', 'unitcert', 'core', 'engine', 'nfsmount', 'nfsexport', 'extjars', 'extprops', 'javahome', 'addrs']) {
      expect(run.stdout).toContain(`--${marker} ${name}\n`);
    }
    const f = parseFindings(run.stdout, marker);
    expect(Array.isArray(f.services)).toBe(true);
    for (const service of f.services) expect(['tomcat', 'elasticsearch', 'activemq', 'nginx', 'nfs-server', 'nfs-kernel-server']).toContain(service);
    expect(f.unitConfig).toBeUndefined();
    expect(f.unitCertPem).toBeUndefined();
    expect(f.coreVersion).toBeUndefined();
    expect(f.engineVersion).toBeUndefined();
    expect(f.extensionJars).toEqual([]);
    expect(f.extensionProperties).toBeInstanceOf(Map);
    expect(f.extensionProperties.size).toBe(0);
    expect(f.nfsExported).toBe(false);
    expect(rolesOf(f)).not.toContain('ap');
  });

  it('reads a unit laid out in a scratch folder (the same script, its paths pointed there)', () => {
    const root = join(work, 'server');
    const paths = {
      unitConfig: join(root, 'unit-config.properties'),
      unitCert: join(root, 'unit.crt'),
      site: join(root, 'personium.conf'),
      webapps: join(root, 'webapps'),
      extensions: join(root, 'extensions'),
      setenv: join(root, 'setenv.sh'),
    };
    const pomDir = join(paths.webapps, 'personium-core/META-INF/maven/io.personium/personium-core');
    mkdirSync(pomDir, {recursive: true});
    mkdirSync(paths.extensions, {recursive: true});
    writeFileSync(join(pomDir, 'pom.properties'), '#Generated by Maven\ngroupId=io.personium\nartifactId=personium-core\nversion=1.8.3\n');
    writeFileSync(paths.unitConfig, SMALL_CONFIG + '\n');
    writeFileSync(paths.unitCert, unitCertPem);
    writeFileSync(paths.site, SITE + '\n');
    writeFileSync(join(paths.extensions, 'personium-ex-mailsender.jar'), 'not really a jar');
    writeFileSync(join(paths.extensions, 'Ext_MailSender.properties'), MAIL_PROPS + '\n');
    writeFileSync(paths.setenv, '# Managed by personium-setup\nJAVA_HOME="/opt/jdk-17.0.18+8"\nexport JAVA_HOME\n');

    const marker = newMarker();
    let script = discoveryScript(marker);
    for (const [from, to] of [
      [PATHS.unitConfig, paths.unitConfig],
      [PATHS.unitCert, paths.unitCert],
      [PATHS.nginxSite, paths.site],
      [PATHS.webapps, paths.webapps],
      [PATHS.extensionsDir, paths.extensions],
      [PATHS.tomcatSetenv, paths.setenv],
    ] as const) {
      expect(script).toContain(from);
      script = script.split(from).join(to);
    }
    const stdout = execFileSync('sh', ['-c', script], {encoding: 'utf8', timeout: 30_000});
    const f = parseFindings(stdout, marker);
    expect(f.nginxSite).toBe(SITE);
    expect(f.unitConfig?.get('io.personium.core.es.hosts')).toBe('127.0.0.1:9200');
    expect(f.unitCertPem).toBe(unitCertPem.trim());
    expect(f.coreVersion).toBe('1.8.3');
    expect(f.engineVersion).toBeUndefined();
    expect(f.extensionJars).toEqual(['personium-ex-mailsender.jar']);
    expect([...f.extensionProperties]).toEqual([['Ext_MailSender.properties', MAIL_PROPS + '\n']]);
    expect(f.javaHome).toBe('/opt/jdk-17.0.18+8');

    // systemctl is this machine's: give the services a small server has.
    const answers = discoveredAnswers([{answers: SMALL_HOST, findings: {...f, services: ['tomcat', 'elasticsearch', 'activemq', 'nginx']}}], matrix);
    expect(answers.pattern).toBe('small');
    expect(answers.unit).toEqual({fqdn: FQDN, cellUrlMode: 'per-cell'});
    expect(answers.extensions).toEqual({mailsender: {smtpHost: 'smtp.example.test', smtpPort: 587}});
    const {profile} = validateAnswers(answers, 'discovered');
    expect(profile.pattern).toBe('small');
    // Tomcat runs on a JDK the tool unpacked: the profile keeps the tarball.
    expect(profile.artifacts.jdk).toBe('tarball');
  });
});

describe('parseFindings', () => {
  it('reads every section of a small server', () => {
    const f = parseFindings(smallOutput(), MARKER);
    expect(f.services).toEqual(['tomcat', 'elasticsearch', 'activemq', 'nginx']);
    expect(f.nginxSite).toBe(SITE);
    expect(f.unitConfig?.get('io.personium.core.es.hosts')).toBe('127.0.0.1:9200');
    expect(f.unitConfig?.get('io.personium.core.eventbus.broker')).toBe('tcp://127.0.0.1:61616');
    expect(f.unitConfig?.get('io.personium.plugin.oidc.google.trustedClientIds')).toBe('a b');
    expect(f.unitCertPem).toBe(unitCertPem.trim());
    expect(f.coreVersion).toBe('1.8.3');
    expect(f.engineVersion).toBe('1.6.0');
    expect(f.nfsMount).toBeUndefined();
    expect(f.nfsExported).toBe(false);
    expect(f.extensionJars).toEqual(['personium-ex-httpclient.jar', 'personium-ex-mailsender.jar']);
    expect(f.extensionProperties.get('Ext_MailSender.properties')).toBe(MAIL_PROPS);
    expect(rolesOf(f)).toEqual(['web', 'ap', 'es', 'mq', 'nfs']);
  });

  it('ignores text before the first section and another marker', () => {
    const f = parseFindings(`motd line\n${output({services: 'nginx'}, 'pf-other')}${output({services: 'tomcat'})}`, MARKER);
    expect(f.services).toEqual(['tomcat']);
  });

  it('reads an NFS mount and an export', () => {
    expect(parseFindings(output({nfsmount: '10.0.4.11:/personium_nfs nfs4'}), MARKER).nfsMount).toBe('10.0.4.11:/personium_nfs nfs4');
    const nfs = parseFindings(output({services: 'nfs-server', nfsexport: '/personium_nfs 10.0.2.0/24(rw,sync)'}), MARKER);
    expect(nfs.nfsExported).toBe(true);
    expect(rolesOf(nfs)).toEqual(['nfs']);
  });
});

describe('discoveredAnswers', () => {
  it('small: one server with every role, FQDN from the unit certificate, extensions and OIDC read back', () => {
    const f = parseFindings(smallOutput({unitcert: mixedCaseCertPem, javahome: '/usr/lib/jvm/java-17-openjdk-amd64'}), MARKER);
    const answers = discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix);
    const set = matrix.sets.find(s => s.core.version === '1.8.3' || s.core.reportedVersion === '1.8.3')!;
    expect(answers).toEqual({
      pattern: 'small',
      hosts: [{...SMALL_HOST, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
      unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
      versionSet: set.id,
      extensions: {httpclient: {}, mailsender: {smtpHost: 'smtp.example.test', smtpPort: 587}},
      authPlugins: {
        oidc: [
          {name: 'google', configURL: 'https://accounts.google.com/.well-known/openid-configuration', trustedClientIds: ['a', 'b']},
          {name: 'corp', configURL: 'https://idp.example.test/.well-known/openid-configuration', trustedClientIds: ['*'], pluginName: 'Corp IdP'},
        ],
      },
    });
    expect(set.id).toBe('1.8.3');
    const {profile} = validateAnswers(answers, 'discovered');
    expect(profile.pattern).toBe('small');
    expect(profile.unit.fqdn).toBe(FQDN);
    expect(profile.hosts[0]).toMatchObject({name: 'unit1', address: '192.0.2.10', user: 'admin', port: 22});
    expect(profile.extensions.mailsender).toMatchObject({smtpHost: 'smtp.example.test', smtpPort: 587});
    expect(profile.authPlugins.oidc.map(p => p.name)).toEqual(['google', 'corp']);
    expect(profile.artifacts.jdk).toBe('distribution');
  });

  it('prefers the unit certificate CN to the nginx server_name', () => {
    const f = parseFindings(smallOutput({unitcert: otherCertPem}), MARKER);
    expect((discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix).unit as Answers).fqdn).toBe('unit.example.test');
  });

  it('falls back to the nginx server_name when there is no unit certificate', () => {
    const f = parseFindings(smallOutput({unitcert: '', nginx: 'server {\n  server_name Personium.Example.Test *.Personium.Example.Test;\n}'}), MARKER);
    expect((discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix).unit as Answers).fqdn).toBe(FQDN);
  });

  it('falls back to the server_name when the certificate cannot be read', () => {
    const f = parseFindings(smallOutput({unitcert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----'}), MARKER);
    expect((discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix).unit as Answers).fqdn).toBe(FQDN);
  });

  it('medium-large: ES and NFS found through the AP server become new hosts with the first host\'s SSH settings', () => {
    const web: GivenHost = {
      answers: {name: 'web1', address: '10.0.1.11', port: 2222, user: 'ops', auth: {method: 'key', keyFile: '/keys/ops'}, sudo: 'nopasswd'},
      findings: parseFindings(output({services: 'nginx', nginx: SITE}), MARKER),
    };
    const ap: GivenHost = {
      answers: {name: 'ap1', address: '10.0.2.11', user: 'deploy', auth: {method: 'agent'}},
      findings: parseFindings(
        output({
          services: 'tomcat\nactivemq',
          config: ['io.personium.core.es.hosts=10.0.3.11\\:9200', 'io.personium.core.eventbus.broker=tcp\\://10.0.2.11\\:61616'].join('\n'),
          unitcert: unitCertPem,
          core: '1.8.3',
          nfsmount: '10.0.4.11:/personium_nfs nfs4',
        }),
        MARKER,
      ),
    };
    expect(rolesOf(web.findings)).toEqual(['web']);
    expect(rolesOf(ap.findings)).toEqual(['ap', 'mq']);
    const answers = discoveredAnswers([web, ap], matrix);
    const ssh = {port: 2222, user: 'ops', auth: {method: 'key', keyFile: '/keys/ops'}, sudo: 'nopasswd'};
    expect(answers.pattern).toBe('medium-large');
    expect(answers.hosts).toEqual([
      {...web.answers, roles: ['web']},
      {...ap.answers, roles: ['ap', 'mq']},
      {...ssh, name: 'es1', address: '10.0.3.11', roles: ['es']},
      {...ssh, name: 'nfs1', address: '10.0.4.11', roles: ['nfs']},
    ]);
    expect(answers.unit).toEqual({fqdn: FQDN, cellUrlMode: 'per-cell'});
    expect(answers.versionSet).toBe('1.8.3');
    expect(answers.extensions).toEqual({});
    expect(answers.authPlugins).toEqual({oidc: []});
    // unit.publicAddress is optional in the schema (the web host's address stands in for it).
    const {profile} = validateAnswers(answers, 'discovered');
    expect(profile.unit.publicAddress).toBeUndefined();
    expect(profile.hosts.map(h => [h.name, h.address, h.user, h.port, h.roles])).toEqual([
      ['web1', '10.0.1.11', 'ops', 2222, ['web']],
      ['ap1', '10.0.2.11', 'deploy', 22, ['ap', 'mq']],
      ['es1', '10.0.3.11', 'ops', 2222, ['es']],
      ['nfs1', '10.0.4.11', 'ops', 2222, ['nfs']],
    ]);
  });

  it('medium-large: a broker on another server becomes an mq host; a core reported as 1.7.26 is set 1.8.0', () => {
    const web: GivenHost = {answers: {name: 'web1', address: '10.0.1.11'}, findings: parseFindings(output({services: 'nginx', nginx: SITE}), MARKER)};
    const ap: GivenHost = {
      answers: {name: 'ap1', address: '10.0.2.11'},
      findings: findings({
        services: ['tomcat'],
        unitConfig: new Map([
          ['io.personium.core.es.hosts', '10.0.3.11:9200,10.0.3.12:9200'],
          ['io.personium.core.eventbus.broker', 'tcp://10.0.5.11:61616'],
        ]),
        unitCertPem,
        coreVersion: '1.7.26',
      }),
    };
    const answers = discoveredAnswers([web, ap], matrix);
    expect((answers.hosts as Answers[]).map(h => [h.name, h.address, h.roles])).toEqual([
      ['web1', '10.0.1.11', ['web']],
      ['ap1', '10.0.2.11', ['ap', 'nfs']],
      ['es1', '10.0.3.11', ['es']],
      ['mq1', '10.0.5.11', ['mq']],
    ]);
    expect(answers.versionSet).toBe('1.8.0');
    expect(validateAnswers(answers, 'discovered').profile.pattern).toBe('medium-large');
  });

  it('a server given by name whose unit config names its own IP address is that one server, not a second', () => {
    const web: GivenHost = {answers: {name: 'web1', address: 'web.internal'}, findings: parseFindings(output({services: 'nginx', nginx: SITE, addrs: '127.0.0.1\n10.0.1.11'}), MARKER)};
    const ap: GivenHost = {
      answers: {name: 'ap1', address: 'ap-alias'},
      findings: findings({
        services: ['tomcat', 'activemq', 'elasticsearch'],
        unitConfig: new Map([
          ['io.personium.core.es.hosts', '10.0.2.11:9200'],
          ['io.personium.core.eventbus.broker', 'tcp://10.0.2.11:61616'],
        ]),
        unitCertPem,
        coreVersion: '1.8.3',
        addresses: ['127.0.0.1', '10.0.2.11'],
      }),
    };
    const answers = discoveredAnswers([web, ap], matrix);
    expect((answers.hosts as Answers[]).map(h => [h.name, h.address, h.roles])).toEqual([
      ['web1', 'web.internal', ['web']],
      ['ap1', 'ap-alias', ['ap', 'es', 'mq', 'nfs']],
    ]);
  });

  it('path-based cell URLs', () => {
    const f = parseFindings(smallOutput({config: SMALL_CONFIG.replace('pathBasedCellUrl.enabled=false', 'pathBasedCellUrl.enabled=true')}), MARKER);
    const answers = discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix);
    expect(answers.unit).toEqual({fqdn: FQDN, cellUrlMode: 'path-based'});
    expect(validateAnswers(answers, 'discovered').profile.unit.cellUrlMode).toBe('path-based');
  });

  describe('errors', () => {
    it('no server runs Tomcat with a unit config', () => {
      const web: GivenHost = {answers: {name: 'web1', address: '10.0.1.11'}, findings: parseFindings(output({services: 'nginx\ntomcat', nginx: SITE}), MARKER)};
      expect(() => discoveredAnswers([web], matrix)).toThrow(DiscoveryError);
      expect(() => discoveredAnswers([web], matrix)).toThrow(/none of the servers given runs Personium \(Tomcat with .*personium-unit-config\.properties\)/);
    });

    it('no web server given', () => {
      const f = parseFindings(smallOutput({services: 'tomcat\nelasticsearch\nactivemq'}), MARKER);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(DiscoveryError);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/none of the servers given serves the unit \(nginx with .*\): give the web server too/);
    });

    it('nginx without the unit site is no web server', () => {
      const f = parseFindings(smallOutput({nginx: ''}), MARKER);
      expect(rolesOf(f)).toEqual(['ap', 'es', 'mq', 'nfs']);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/none of the servers given serves the unit/);
    });

    it('a core version no set has', () => {
      const f = parseFindings(smallOutput({core: '1.7.0'}), MARKER);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(DiscoveryError);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/unit1 runs personium-core 1\.7\.0, which no version set has \(1\.8\.3, 1\.8\.0/);
    });

    it('an unknown core version', () => {
      const f = parseFindings(smallOutput({core: ''}), MARKER);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/runs personium-core \(version unknown\)/);
    });

    it('no unit certificate and no server_name', () => {
      const f = parseFindings(smallOutput({unitcert: '', nginx: 'server {\n  listen 443 ssl;\n}'}), MARKER);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(DiscoveryError);
      expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/cannot tell the unit FQDN: no readable unit certificate at \/opt\/x509\/unit\.crt and no server_name in .*; give it with --fqdn/);
    });

    it('a wildcard or catch-all server_name is no FQDN', () => {
      for (const name of ['*.personium.example.test', '_']) {
        const f = parseFindings(smallOutput({unitcert: '', nginx: `server {\n  server_name ${name};\n}`}), MARKER);
        expect(() => discoveredAnswers([{answers: SMALL_HOST, findings: f}], matrix)).toThrow(/cannot tell the unit FQDN/);
      }
    });
  });

  describe('slack-messenger', () => {
    const slackOutput = (props: string) =>
      smallOutput({extjars: 'personium-ex-slack-messenger-1.0.3-libs.jar', extprops: `Ext_Slack.properties ${b64(props)}`});

    it('an API token on the server stands as SECRET_ON_SERVER, which the schema refuses until one is given', () => {
      const props = ['io.personium.engine.extension.Slack.apitoken=xoxb-secret', 'io.personium.engine.extension.Slack.channel=#ops'].join('\n');
      const answers = discoveredAnswers([{answers: SMALL_HOST, findings: parseFindings(slackOutput(props), MARKER)}], matrix);
      expect(answers.extensions).toEqual({'slack-messenger': {channel: '#ops', token: SECRET_ON_SERVER}});
      expect(JSON.stringify(answers)).not.toContain('xoxb-secret');
      let error: unknown;
      try {
        validateAnswers(answers, 'discovered');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AnswersError);
      expect((error as AnswersError).problems.map(p => p.key)).toContain('extensions.slack-messenger.token');
    });

    it('without an API token there is no token key', () => {
      const props = ['io.personium.engine.extension.Slack.proxy.host=proxy.example.test', 'io.personium.engine.extension.Slack.proxy.port=3128'].join('\n');
      const answers = discoveredAnswers([{answers: SMALL_HOST, findings: parseFindings(slackOutput(props), MARKER)}], matrix);
      expect(answers.extensions).toEqual({'slack-messenger': {proxyHost: 'proxy.example.test', proxyPort: 3128}});
      expect(validateAnswers(answers, 'discovered').profile.extensions['slack-messenger']).toEqual({proxyHost: 'proxy.example.test', proxyPort: 3128});
    });
  });
});

describe('addressOf', () => {
  it('takes the host part', () => {
    expect(addressOf('10.0.3.11:9200')).toBe('10.0.3.11');
    expect(addressOf('tcp://10.0.2.11:61616')).toBe('10.0.2.11');
    expect(addressOf('[fd00::1]:9200')).toBe('fd00::1');
    expect(addressOf('host.example:/personium_nfs')).toBe('host.example');
    expect(addressOf('a:9200,b:9200')).toBe('a');
    expect(addressOf('es.example')).toBe('es.example');
    expect(addressOf('')).toBeUndefined();
    expect(addressOf(undefined)).toBeUndefined();
  });
});
