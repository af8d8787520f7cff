// The add command's pieces on this machine: jar manifests, the OIDC key merge (every other line
// byte for byte), the state read by the real shell script, the difference, the discovery check
// and the flags, plus the refusals that exit 2 before any server is contacted.
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {JarError, jarEntries, parseManifest, pluginClassOf} from '../../source/addons/jar.js';
import {installedOidc, mergeOidcProperties, oidcKeys} from '../../source/addons/oidc.js';
import {diffAddons, diffSize, extensionOfFile, parseState, stateScript, type InstalledAddons, type WantedAddons} from '../../source/addons/state.js';
import {askAddons} from '../../source/addons/interactive.js';
import {prepareAddons} from '../../source/addons/run.js';
import {versionMatrix} from '../../source/presets.js';
import {FakePrompter} from '../helpers/fake-prompter.js';
import {AddonsError, checkDiscovery, checkPluginJar, extensionProperties} from '../../source/addons/wanted.js';
import {applyAddFlags, parseOidcFlag, parseSetFlag} from '../../source/cli/add.js';
import {UsageError} from '../../source/cli/common.js';
import {main} from '../../source/cli.js';
import {AnswersError, parseAnswersText, validateAnswers, type Answers} from '../../source/profile/answers.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {zipFile} from '../fixtures/fixture-bundle.js';

const work = mkdtempSync(join(tmpdir(), 'addons-'));
const examples = new URL('../../presets/examples/', import.meta.url).pathname;

function pluginJar(manifest: string | undefined): Buffer {
  const entries = [{name: 'io/example/Plugin.class', content: Buffer.from([0xca, 0xfe, 0xba, 0xbe])}];
  return zipFile(manifest === undefined ? entries : [{name: 'META-INF/MANIFEST.MF', content: manifest}, ...entries]);
}

describe('jar manifests', () => {
  it('reads Plugin-Class from a jar built with the fixture zip writer', () => {
    const jar = pluginJar('Manifest-Version: 1.0\r\nPlugin-Class: io.example.auth.KeycloakPluginLoader\r\n\r\n');
    expect(jarEntries(jar)).toContain('META-INF/MANIFEST.MF');
    expect(pluginClassOf(jar, 'x.jar')).toBe('io.example.auth.KeycloakPluginLoader');
  });

  it('joins continuation lines (72-byte manifest lines) and stops at the first blank line', () => {
    const m = parseManifest('Manifest-Version: 1.0\nPlugin-Class: io.example.very.long.pack\n age.Name\n\nName: other\nPlugin-Class: no\n');
    expect(m.get('Plugin-Class')).toBe('io.example.very.long.package.Name');
  });

  it('refuses a jar without Plugin-Class, without a manifest, and a file that is not a zip', () => {
    expect(() => pluginClassOf(pluginJar('Manifest-Version: 1.0\n\n'), 'a.jar')).toThrow(/names no Plugin-Class/);
    expect(() => pluginClassOf(pluginJar(undefined), 'b.jar')).toThrow(JarError);
    expect(() => pluginClassOf(Buffer.from('just text, not a zip at all, long enough'), 'c.jar')).toThrow(/not a jar \(zip\)/);
    expect(() => pluginClassOf(pluginJar('Plugin-Class: not a class;rm\n\n'), 'd.jar')).toThrow(/not a Java class name/);
  });

  it('checkPluginJar: a path with a good jar gives its hash and class; other files are refused', async () => {
    const good = join(work, 'keycloak-plugin.jar');
    writeFileSync(good, pluginJar('Plugin-Class: io.example.Loader\n\n'));
    const checked = await checkPluginJar(good);
    expect(checked).toMatchObject({file: 'keycloak-plugin.jar', pluginClass: 'io.example.Loader'});
    expect(checked.sha256).toMatch(/^[0-9a-f]{64}$/);
    const bad = join(work, 'plain.jar');
    writeFileSync(bad, pluginJar('Manifest-Version: 1.0\n\n'));
    await expect(checkPluginJar(bad)).rejects.toThrow(AddonsError);
    const notJar = join(work, 'plugin.zip');
    writeFileSync(notJar, pluginJar('Plugin-Class: io.example.Loader\n\n'));
    await expect(checkPluginJar(notJar)).rejects.toThrow(/must end in \.jar/);
    await expect(checkPluginJar(join(work, 'missing.jar'))).rejects.toThrow(/cannot read it/);
  });
});

const CONFIG = [
  '# Managed by personium-setup.',
  'io.personium.core.masterToken=abc',
  'io.personium.core.unitScheme = https',
  '! a bang comment',
  'io.personium.core.multi=one \\',
  '    two',
  'io.personium.core.text=caf\\u00E9 \\u3042',
  '',
  '# OpenID Connect providers (built-in OIDC plugin)',
  'io.personium.plugin.oidc.google.enabled=true',
  'io.personium.plugin.oidc.google.configURL=https\\://accounts.google.com/.well-known/openid-configuration',
  'io.personium.plugin.oidc.google.trustedClientIds=a b',
  'io.personium.core.after=1',
  '',
].join('\n');

describe('OIDC keys merged into the unit config', () => {
  const kc = {name: 'kc', configURL: 'https://kc.example/realms/x/.well-known/openid-configuration', trustedClientIds: ['app1', 'app2']};
  const otherLines = (text: string) => text.split('\n').filter(l => !l.startsWith('io.personium.plugin.oidc.'));

  it('reads the installed providers from the keys', () => {
    const installed = installedOidc(parseProperties(CONFIG));
    expect([...installed.keys()]).toEqual(['google']);
    expect(installed.get('google')!.get('io.personium.plugin.oidc.google.trustedClientIds')).toBe('a b');
  });

  it('adding a provider appends its keys and leaves every other line byte for byte', () => {
    const merged = mergeOidcProperties(CONFIG, new Map([['kc', oidcKeys(kc)]]));
    expect(merged.startsWith(CONFIG)).toBe(true);
    const parsed = parseProperties(merged);
    expect(parsed.get('io.personium.plugin.oidc.kc.configURL')).toBe(kc.configURL);
    expect(parsed.get('io.personium.plugin.oidc.kc.trustedClientIds')).toBe('app1 app2');
    expect(parsed.get('io.personium.plugin.oidc.kc.enabled')).toBe('true');
    expect(parsed.get('io.personium.core.multi')).toBe('one two');
    // Adding again changes nothing.
    expect(mergeOidcProperties(merged, new Map([['kc', oidcKeys(kc)]]))).toBe(merged);
    // Removing it again gives back the original text.
    expect(mergeOidcProperties(merged, new Map([['kc', undefined]]))).toBe(CONFIG);
    // A file without a final newline gets one only when keys are appended.
    expect(mergeOidcProperties('a=1', new Map([['kc', undefined]]))).toBe('a=1');
    expect(mergeOidcProperties('a=1', new Map([['kc', oidcKeys(kc)]]))).toMatch(/^a=1\nio\.personium\.plugin\.oidc\.kc\.enabled=true\n/);
  });

  it('changing a provider replaces its block in place; removing one takes out only its keys', () => {
    const google = {name: 'google', configURL: 'https://accounts.google.com/.well-known/openid-configuration', trustedClientIds: ['c']};
    const changed = mergeOidcProperties(CONFIG, new Map([['google', oidcKeys(google)]]));
    expect(otherLines(changed)).toEqual(otherLines(CONFIG));
    const lines = changed.split('\n');
    expect(lines.indexOf('io.personium.plugin.oidc.google.trustedClientIds=c')).toBeLessThan(lines.indexOf('io.personium.core.after=1'));
    const removed = mergeOidcProperties(CONFIG, new Map([['google', undefined]]));
    expect(removed).toBe(otherLines(CONFIG).join('\n'));
    expect(installedOidc(parseProperties(removed)).size).toBe(0);
    // Other providers' keys with a shared prefix stay.
    const two = mergeOidcProperties(CONFIG, new Map([['google2', oidcKeys({...google, name: 'google2'})]]));
    expect(installedOidc(parseProperties(mergeOidcProperties(two, new Map([['google', undefined]])))).has('google2')).toBe(true);
  });
});

describe('installed state, read by the real script', () => {
  it('lists extension jars (versions from the file name or manifest), Ext_*.properties, plugin jars with Plugin-Class and OIDC keys', () => {
    const ext = join(work, 'ext');
    const plugins = join(work, 'plugins');
    mkdirSync(ext, {recursive: true});
    mkdirSync(plugins, {recursive: true});
    writeFileSync(join(ext, 'personium-ex-mailsender-1.5.4-libs.jar'), zipFile([{name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\n\n'}]));
    writeFileSync(join(ext, 'personium-ex-httpclient.jar'), zipFile([{name: 'META-INF/MANIFEST.MF', content: 'Implementation-Version: 1.2.0\n\n'}]));
    writeFileSync(join(ext, 'personium-ex-slack-messenger.jar'), zipFile([{name: 'x', content: 'y'}]));
    writeFileSync(join(ext, 'someone-elses.jar'), zipFile([{name: 'x', content: 'y'}]));
    writeFileSync(join(ext, 'Ext_MailSender.properties'), 'io.personium.engine.extension.MailSender.smtp.host=mail\n');
    writeFileSync(join(plugins, 'kc.jar'), pluginJar('Plugin-Class: io.example.Loader\n\n'));
    const config = join(work, 'unit.properties');
    writeFileSync(config, CONFIG);
    const stdout = execFileSync('sh', ['-c', stateScript({extensionsDir: ext, pluginsDir: plugins, unitConfig: config})], {encoding: 'utf8'});
    const state = parseState('ap1', stdout);
    expect(state.extensions.get('mailsender')).toMatchObject({file: 'personium-ex-mailsender-1.5.4-libs.jar', version: '1.5.4'});
    expect(state.extensions.get('httpclient')).toMatchObject({file: 'personium-ex-httpclient.jar', version: '1.2.0'});
    expect(state.extensions.get('slack-messenger')?.version).toBeUndefined();
    expect(state.otherJars.map(j => j.file)).toEqual(['someone-elses.jar']);
    expect(state.properties.get('Ext_MailSender.properties')).toContain('smtp.host=mail');
    expect(state.pluginJars).toHaveLength(1);
    expect(state.pluginJars[0]!.manifest.get('Plugin-Class')).toBe('io.example.Loader');
    expect(state.unitConfig).toBe(CONFIG);
    expect([...state.oidc.keys()]).toEqual(['google']);
    expect(state.warnings).toEqual([]);
  });

  it('an empty host: no jars, and a warning when the unit config is missing', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty, {recursive: true});
    const stdout = execFileSync('sh', ['-c', stateScript({extensionsDir: join(empty, 'e'), pluginsDir: join(empty, 'p'), unitConfig: join(empty, 'c')})], {encoding: 'utf8'});
    const state = parseState('ap1', stdout);
    expect(state.extensions.size + state.pluginJars.length + state.properties.size).toBe(0);
    expect(state.warnings.join()).toMatch(/missing/);
  });

  it('extension names from file names, longest name first', () => {
    expect(extensionOfFile('personium-ex-slack-messenger-1.0.3-libs.jar')).toEqual({name: 'slack-messenger', version: '1.0.3'});
    expect(extensionOfFile('personium-ex-ew-services.jar')).toEqual({name: 'ew-services'});
    expect(extensionOfFile('personium-ex-unknown-1.0.jar')).toBeUndefined();
  });
});

function installed(partial: Partial<InstalledAddons> = {}): InstalledAddons {
  return {host: 'ap1', extensions: new Map(), otherJars: [], properties: new Map(), pluginJars: [], oidc: new Map(), warnings: [], unitConfig: '', ...partial};
}

describe('diffAddons', () => {
  const props = {file: 'Ext_MailSender.properties', content: 'io.personium.engine.extension.MailSender.smtp.host=mail\n'};
  const wanted: WantedAddons = {
    extensions: [
      {name: 'httpclient', version: '1.2.0', sha256: 'h'.repeat(64)},
      {name: 'mailsender', version: '1.5.4', sha256: 'm'.repeat(64), properties: props},
    ],
    oidc: new Map([['kc', new Map([['io.personium.plugin.oidc.kc.enabled', 'true']])]]),
    pluginJars: [{file: 'kc.jar', sha256: 'k'.repeat(64), pluginClass: 'io.example.Loader'}],
    removePluginJars: ['old.jar'],
  };

  it('nothing installed: everything is added', () => {
    const diff = diffAddons(installed(), wanted);
    expect(diff.extensions.add.map(c => c.name)).toEqual(['httpclient', 'mailsender']);
    expect(diff.oidc.add.map(c => c.name)).toEqual(['kc']);
    expect(diff.pluginJars.add.map(c => c.name)).toEqual(['kc.jar']);
    expect(diffSize(diff)).toBe(4);
  });

  it('the same things installed: unchanged, size 0', () => {
    const diff = diffAddons(
      installed({
        extensions: new Map([
          ['httpclient', {name: 'httpclient', file: 'personium-ex-httpclient.jar', sha256: 'h'.repeat(64)}],
          ['mailsender', {name: 'mailsender', file: 'personium-ex-mailsender.jar', sha256: 'm'.repeat(64)}],
        ]),
        properties: new Map([[props.file, props.content]]),
        oidc: new Map([['kc', new Map([['io.personium.plugin.oidc.kc.enabled', 'true']])]]),
        pluginJars: [{file: 'kc.jar', sha256: 'k'.repeat(64), manifest: new Map()}],
      }),
      wanted,
    );
    expect(diffSize(diff)).toBe(0);
    expect(diff.extensions.unchanged).toEqual(['httpclient', 'mailsender']);
    expect(diff.oidc.unchanged).toEqual(['kc']);
    expect(diff.pluginJars.unchanged).toEqual(['kc.jar']);
  });

  it('other jar, other settings, other keys: updates; unwanted ones: removals; unmanaged plugin jars stay', () => {
    const diff = diffAddons(
      installed({
        extensions: new Map([
          ['httpclient', {name: 'httpclient', file: 'personium-ex-httpclient-1.1.0-libs.jar', sha256: 'x'.repeat(64), version: '1.1.0'}],
          ['mailsender', {name: 'mailsender', file: 'personium-ex-mailsender.jar', sha256: 'm'.repeat(64)}],
          ['ew-services', {name: 'ew-services', file: 'personium-ex-ew-services.jar', sha256: 'e'.repeat(64)}],
        ]),
        properties: new Map([
          [props.file, 'io.personium.engine.extension.MailSender.smtp.host=localhost\n'],
          ['Ext_Slack.properties', '#\n'],
        ]),
        oidc: new Map([
          ['kc', new Map([['io.personium.plugin.oidc.kc.enabled', 'false']])],
          ['google', new Map([['io.personium.plugin.oidc.google.enabled', 'true']])],
        ]),
        pluginJars: [
          {file: 'kc.jar', sha256: 'z'.repeat(64), manifest: new Map()},
          {file: 'old.jar', sha256: 'o'.repeat(64), manifest: new Map()},
          {file: 'hand-made.jar', sha256: 'p'.repeat(64), manifest: new Map()},
        ],
      }),
      wanted,
    );
    expect(diff.extensions.update.map(c => [c.name, c.reason])).toEqual([
      ['httpclient', '1.1.0 → 1.2.0'],
      ['mailsender', 'settings (Ext_MailSender.properties)'],
    ]);
    expect(diff.extensions.remove.map(c => c.name)).toEqual(['ew-services']);
    expect(diff.staleProperties).toEqual(['Ext_Slack.properties']);
    expect(diff.oidc.update.map(c => c.name)).toEqual(['kc']);
    expect(diff.oidc.remove.map(c => c.name)).toEqual(['google']);
    expect(diff.pluginJars.update.map(c => c.name)).toEqual(['kc.jar']);
    expect(diff.pluginJars.remove.map(c => c.name)).toEqual(['old.jar']);
  });

  it('without a resolved hash the versions decide', () => {
    const w: WantedAddons = {extensions: [{name: 'httpclient', version: '1.2.0'}], oidc: new Map(), pluginJars: [], removePluginJars: []};
    const same = diffAddons(installed({extensions: new Map([['httpclient', {name: 'httpclient', file: 'f', sha256: 'a', version: '1.2.0'}]])}), w);
    expect(same.extensions.unchanged).toEqual(['httpclient']);
  });
});

describe('OIDC discovery check', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const bodies: Record<string, string> = {
        '/good': JSON.stringify({issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks'}),
        '/noissuer': JSON.stringify({hello: 1}),
        '/html': '<html>login</html>',
      };
      const body = bodies[req.url ?? ''];
      if (body === undefined) res.statusCode = 404;
      res.end(body ?? 'no');
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('accepts an OpenID configuration; refuses reachable non-configurations; only warns when unreachable', async () => {
    expect(await checkDiscovery('x', `${base}/good`)).toEqual({reachable: true, issuer: 'https://idp.example'});
    await expect(checkDiscovery('x', `${base}/noissuer`)).rejects.toThrow(/without an "issuer"/);
    await expect(checkDiscovery('x', `${base}/html`)).rejects.toThrow(/did not answer JSON/);
    await expect(checkDiscovery('x', `${base}/missing`)).rejects.toThrow(/HTTP 404/);
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const result = await checkDiscovery('x', `http://127.0.0.1:${port}/.well-known/openid-configuration`);
    expect(result.reachable).toBe(false);
  });
});

/** The small example without its extensions and auth plugins. */
function bareSmall(): Answers {
  const small = parseAnswersText(readFileSync(join(examples, 'small.yaml'), 'utf8'), 'small.yaml');
  delete small.extensions;
  delete small.authPlugins;
  return small;
}

describe('add flags', () => {
  it('--set goes to the extension that takes the key; secrets only as references; ports as numbers', () => {
    expect(parseSetFlag('smtpHost=mail.example.com', [])).toEqual(['mailsender', 'smtpHost', 'mail.example.com']);
    expect(parseSetFlag('mailsender.smtpPort=587', [])).toEqual(['mailsender', 'smtpPort', 587]);
    expect(parseSetFlag('token=env:SLACK_TOKEN', [])).toEqual(['slack-messenger', 'token', {env: 'SLACK_TOKEN'}]);
    expect(() => parseSetFlag('token=xoxb-secret', [])).toThrow(UsageError);
    expect(() => parseSetFlag('colour=blue', [])).toThrow(/no extension takes this setting/);
    expect(() => parseSetFlag('bogus.smtpHost=x', [])).toThrow(/unknown extension "bogus"/);
  });

  it('--oidc splits on ",key=" so values may hold commas-free URLs and space-separated ids', () => {
    expect(parseOidcFlag('name=kc,configURL=https://kc.example/realms/a/.well-known/openid-configuration,trustedClientIds=app1 app2')).toEqual({
      name: 'kc',
      configURL: 'https://kc.example/realms/a/.well-known/openid-configuration',
      trustedClientIds: ['app1', 'app2'],
    });
    expect(() => parseOidcFlag('configURL=https://x')).toThrow(/name=… is needed/);
    expect(() => parseOidcFlag('name=a,colour=b')).toThrow(UsageError);
  });

  it('applyAddFlags adds, replaces and removes; the schema then checks the settings', () => {
    const base: Answers = {extensions: {httpclient: {}}, authPlugins: {oidc: [{name: 'google', configURL: 'https://g.example/.well-known/openid-configuration', trustedClientIds: ['*']}], jars: ['/x/a.jar']}};
    const request = applyAddFlags(base, {
      extension: ['mailsender'],
      set: ['smtpHost=mail.example.com'],
      oidc: ['name=kc,configURL=https://kc.example/.well-known/openid-configuration,trustedClientIds=app'],
      pluginJar: ['/y/b.jar'],
      remove: ['httpclient', 'oidc:google', 'a.jar', 'ew-services'],
    });
    expect(request.answers.extensions).toEqual({mailsender: {smtpHost: 'mail.example.com'}});
    expect((request.answers.authPlugins as Answers).oidc).toEqual([{name: 'kc', configURL: 'https://kc.example/.well-known/openid-configuration', trustedClientIds: ['app']}]);
    expect((request.answers.authPlugins as Answers).jars).toEqual(['/y/b.jar']);
    expect(request.removePluginJars).toEqual(['a.jar']);
    expect(request.notPresent).toEqual(['ew-services']);
    expect(request.oidcGiven).toEqual(['kc']);
    expect(base.extensions).toEqual({httpclient: {}});
    expect(() => applyAddFlags({}, {remove: ['whatever']})).toThrow(UsageError);
  });

  it('mailsender without an SMTP host is a schema error', () => {
    const small = bareSmall();
    const request = applyAddFlags(small, {extension: ['mailsender']});
    expect(() => validateAnswers(request.answers, 'x')).toThrow(AnswersError);
    const ok = validateAnswers(applyAddFlags(small, {extension: ['mailsender'], set: ['smtpHost=mail.example.com']}).answers, 'x');
    expect(extensionProperties(ok.profile, 'mailsender')?.content).toContain('io.personium.engine.extension.MailSender.smtp.host=mail.example.com');
  });
});

describe('personium-setup add refusals (exit 2, before any server is contacted)', () => {
  const answersFile = join(work, 'bare-small.json');
  writeFileSync(answersFile, JSON.stringify(bareSmall()));
  const add = (...args: string[]) => main(['node', 'personium-setup', 'add', '--answers', answersFile, ...args]);
  let stderr = '';
  const original = process.stderr.write.bind(process.stderr);
  beforeAll(() => {
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
  });
  afterAll(() => {
    process.stderr.write = original;
  });

  it('unknown extension, mailsender without SMTP host, jar without Plugin-Class, a configURL that is not an OpenID configuration', async () => {
    stderr = '';
    expect(await add('--extension', 'bogus')).toBe(2);
    expect(stderr).toMatch(/unknown extension "bogus"/);
    stderr = '';
    expect(await add('--extension', 'mailsender')).toBe(2);
    expect(stderr).toMatch(/smtpHost/);
    const bad = join(work, 'no-class.jar');
    writeFileSync(bad, pluginJar('Manifest-Version: 1.0\n\n'));
    stderr = '';
    expect(await add('--plugin-jar', bad)).toBe(2);
    expect(stderr).toMatch(/names no Plugin-Class.*Nothing was changed/s);
  });
});

describe('prepareAddons: checks on this machine before any server', () => {
  it('a configURL that answers but is not an OpenID configuration is refused; an unreachable one only warns', async () => {
    const request = applyAddFlags(bareSmall(), {oidc: ['name=kc,configURL=https://idp.example/.well-known/openid-configuration,trustedClientIds=app']});
    const {profile} = validateAnswers(request.answers, 'x');
    const html = (async () => new Response('<html>login</html>', {status: 200})) as typeof fetch;
    const noArtifacts = async () => new Map();
    await expect(prepareAddons({profile, checkOidc: ['kc'], fetch: html, artifacts: noArtifacts, warn: () => {}})).rejects.toThrow(/did not answer JSON/);
    const down = (async () => {
      throw new TypeError('fetch failed', {cause: new Error('getaddrinfo ENOTFOUND idp.example')});
    }) as typeof fetch;
    const warnings: string[] = [];
    const prepared = await prepareAddons({profile, checkOidc: ['kc'], fetch: down, artifacts: noArtifacts, warn: line => warnings.push(line)});
    expect(warnings.join()).toMatch(/cannot be reached from this machine \(getaddrinfo ENOTFOUND/);
    expect([...prepared.wanted.oidc.keys()]).toEqual(['kc']);
  });
});

describe('interactive add: the extension multi-select', () => {
  class Capturing extends FakePrompter {
    initial: unknown;
    override async multiSelect<T extends string>(q: {id: string; initial?: T[]}): Promise<T[]> {
      this.initial = q.initial;
      return super.multiSelect<T>(q);
    }
  }
  const matrix = versionMatrix();

  it('pre-selects installed and listed extensions; unselecting removes, selecting adds; mailsender asks its SMTP server', async () => {
    const prompter = new Capturing([
      ['add.extensions', ['mailsender', 'ew-services']],
      ['add.mailsender.smtpHost', 'not a host!'],
      ['add.mailsender.smtpHost', 'mail.example.com'],
      ['add.mailsender.smtpPort', '587'],
      ['add.confirm', true],
    ]);
    const request = await askAddons(prompter, {extensions: {httpclient: {}}}, new Set(['ew-services']), matrix);
    expect(prompter.initial).toEqual(['httpclient', 'ew-services']);
    expect(prompter.rejected).toHaveLength(1);
    expect(request?.answers.extensions).toEqual({'ew-services': {}, mailsender: {smtpHost: 'mail.example.com', smtpPort: 587}});
  });

  it('the same selection (or a "no" at the confirmation) changes nothing', async () => {
    expect(await askAddons(new FakePrompter([['add.extensions', ['httpclient']]]), {extensions: {httpclient: {}}}, new Set(), matrix)).toBeUndefined();
    expect(await askAddons(new FakePrompter([['add.extensions', []], ['add.confirm', false]]), {extensions: {httpclient: {}}}, new Set(), matrix)).toBeUndefined();
  });
});

describe('addon steps', () => {
  it('one step per AP host, each after the previous one (a rolling restart)', async () => {
    const {addonSteps, coreUrl} = await import('../../source/addons/apply.js');
    const profile = validateAnswers({...bareSmall(), pattern: 'medium-large', hosts: [
      {name: 'web1', address: '192.0.2.1', roles: ['web']},
      {name: 'ap1', address: '192.0.2.2', privateAddress: '10.0.0.2', roles: ['ap']},
      {name: 'ap2', address: '192.0.2.3', roles: ['ap']},
      {name: 'data', address: '192.0.2.4', roles: ['es', 'mq', 'nfs']},
    ]}, 'x').profile;
    const wanted: WantedAddons = {extensions: [], oidc: new Map(), pluginJars: [], removePluginJars: []};
    const steps = addonSteps(profile, ['ap1', 'ap2'], new Map(), {wanted, artifacts: new Map(), pluginJarBytes: new Map()}, async () => installed());
    expect(steps.map(s => [s.key, s.needs])).toEqual([
      ['ap1:addons', []],
      ['ap2:addons', ['ap1:addons']],
    ]);
    expect(coreUrl(profile, 'ap1')).toBe('http://10.0.0.2:18888/personium-core/');
    expect(coreUrl(validateAnswers(bareSmall(), 'x').profile, 'server1')).toBe('http://127.0.0.1:18888/personium-core/');
  });
});
