// The JDK truststore commands, run for real with this machine's keytool against a copy of the
// JDK's cacerts (a throwaway JDK home whose bin/keytool links to the real one).
import {execFileSync, spawnSync} from 'node:child_process';
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, realpathSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {generateServerCertificate} from '../../source/tls/generate.js';
import {jdkTruststoreCommands, parseTruststoreCheck} from '../../source/tls/truststore.js';

const dir = mkdtempSync(join(tmpdir(), 'tls-truststore-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function realKeytool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v keytool'], {encoding: 'utf8'});
  return found.status === 0 ? realpathSync(found.stdout.trim()) : undefined;
}
const keytool = realKeytool();
const javaHome = join(dir, 'jdk');
const store = join(javaHome, 'lib', 'security', 'cacerts');

function sh(script: string, env: NodeJS.ProcessEnv = {}): {code: number; stdout: string; stderr: string} {
  const r = spawnSync('sh', ['-c', script], {encoding: 'utf8', env: {PATH: process.env.PATH, ...env}});
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr};
}

function opensslFingerprint(cert: string): string {
  return execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {encoding: 'utf8'}).trim().replace(/^sha256 Fingerprint=/i, '');
}

function aliasFingerprints(alias: string): string[] {
  const r = spawnSync(keytool!, ['-list', '-v', '-keystore', store, '-storepass', 'changeit', '-alias', alias], {encoding: 'utf8'});
  if (r.status !== 0) return [];
  return r.stdout.match(/([0-9A-F]{2}:){31}[0-9A-F]{2}/g) ?? [];
}

async function writeCert(path: string): Promise<void> {
  const made = await generateServerCertificate({fqdn: 'personium.example.test', names: ['personium.example.test', '*.personium.example.test']});
  writeFileSync(path, made.certPem);
}

describe.skipIf(!keytool)('JDK truststore import (real keytool)', {timeout: 120_000}, () => {
  const certDir = join(dir, "it's a dir");
  const cert = join(certDir, 'server cert.pem');

  beforeAll(async () => {
    mkdirSync(join(javaHome, 'bin'), {recursive: true});
    mkdirSync(join(javaHome, 'lib', 'security'), {recursive: true});
    symlinkSync(keytool!, join(javaHome, 'bin', 'keytool'));
    const systemStore = join(realpathSync(join(keytool!, '..', '..')), 'lib', 'security', 'cacerts');
    if (existsSync(systemStore)) copyFileSync(realpathSync(systemStore), store);
    else execFileSync(keytool!, ['-genkeypair', '-keystore', store, '-storepass', 'changeit', '-alias', 'seed', '-dname', 'CN=seed', '-keyalg', 'RSA']);
    mkdirSync(certDir);
    await writeCert(cert);
  });

  it('the scripts are valid sh', () => {
    const {check, apply} = jdkTruststoreCommands({certPath: cert, javaHome});
    for (const script of [check, apply]) expect(spawnSync('sh', ['-n', '-c', script]).status).toBe(0);
  });

  it('imports, then skips the same certificate, then replaces a different one', async () => {
    const {check, apply, alias} = jdkTruststoreCommands({certPath: cert, javaHome});
    expect(alias).toBe('personium-unit-server');
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('absent');

    const first = sh(apply);
    expect(first.stderr).toBe('');
    expect(first).toMatchObject({code: 0, stdout: 'imported\n'});
    expect(aliasFingerprints(alias)).toContain(opensslFingerprint(cert));
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('same');

    expect(sh(apply)).toMatchObject({code: 0, stdout: 'unchanged\n'});

    await writeCert(cert);
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('different');
    expect(sh(apply)).toMatchObject({code: 0, stdout: 'replaced\n'});
    expect(aliasFingerprints(alias)).toContain(opensslFingerprint(cert));
    expect(sh(apply)).toMatchObject({code: 0, stdout: 'unchanged\n'});
    // Java itself trusts it now: the store lists the alias as a trusted certificate entry.
    const listing = execFileSync(keytool!, ['-list', '-keystore', store, '-storepass', 'changeit', '-alias', alias], {encoding: 'utf8'});
    expect(listing).toContain('trustedCertEntry');
  });

  it('finds the JDK through JAVA_HOME when no home is given; another alias is kept apart', () => {
    const {apply, check} = jdkTruststoreCommands({certPath: cert, alias: 'personium-test-2'});
    expect(apply).toContain('${JAVA_HOME:-}');
    expect(sh(apply, {JAVA_HOME: javaHome})).toMatchObject({code: 0, stdout: 'imported\n'});
    expect(parseTruststoreCheck(sh(check, {JAVA_HOME: javaHome}).stdout)).toBe('same');
    expect(aliasFingerprints('personium-test-2')).toContain(opensslFingerprint(cert));
  });

  it('with a stamp file, skips keytool while store and certificate are unchanged, and looks again when either changes', async () => {
    const stampFile = join(dir, 'state', 'stamp');
    const options = {certPath: cert, javaHome, alias: 'stamped', stampFile};
    const {check, apply} = jdkTruststoreCommands(options);
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('absent');
    expect(sh(apply)).toMatchObject({code: 0, stdout: 'imported\n'});
    // Now answered from the stamp; a keytool that is not there proves keytool was not run.
    const noKeytool = `${check}`.replace(/^keytool=.*$/m, 'keytool=/bin/false');
    expect(sh(noKeytool).stdout).toBe('stamp=match\n');
    expect(parseTruststoreCheck(sh(noKeytool).stdout)).toBe('same');
    // A new certificate (or a rewritten store) no longer matches the stamp: keytool decides.
    await writeCert(cert);
    expect(sh(check).stdout).toMatch(/^have=/);
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('different');
    expect(sh(apply)).toMatchObject({code: 0, stdout: 'replaced\n'});
    expect(sh(noKeytool).stdout).toBe('stamp=match\n');
    execFileSync(keytool!, ['-delete', '-keystore', store, '-storepass', 'changeit', '-alias', 'stamped']);
    expect(parseTruststoreCheck(sh(check).stdout)).toBe('absent');
  });

  it('fails clearly on a missing certificate or truststore', () => {
    const missing = sh(jdkTruststoreCommands({certPath: join(dir, 'none.pem'), javaHome}).apply);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no certificate at ${join(dir, 'none.pem')}`);
    const noStore = sh(jdkTruststoreCommands({certPath: cert, javaHome: join(dir, 'nojdk')}).apply);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain('no keytool at');
    const wrongPass = sh(jdkTruststoreCommands({certPath: cert, javaHome, alias: 'personium-test-3', storepass: 'wrong-pass'}).apply);
    expect(wrongPass.code).toBe(1);
    expect(wrongPass.stderr).toMatch(/password was incorrect/);
  });
});

describe('truststore command builder', () => {
  it('quotes the values; refuses an odd alias; reads the check output', () => {
    const {apply} = jdkTruststoreCommands({certPath: "/tmp/x'; rm -rf /; '", javaHome: '/usr/lib/jvm/java-17'});
    expect(apply).toContain(`cert='/tmp/x'\\''; rm -rf /; '\\'''`);
    expect(apply).toContain('store="$java_home/lib/security/cacerts"');
    expect(apply).toContain('pass=changeit');
    expect(() => jdkTruststoreCommands({certPath: '/x', alias: 'a b'})).toThrow(/alias/);
    expect(parseTruststoreCheck('have=\nwant=AA\n')).toBe('absent');
    expect(parseTruststoreCheck('have=AA\nwant=AA\n')).toBe('same');
    expect(parseTruststoreCheck('have=AB\nwant=AA\n')).toBe('different');
    expect(() => parseTruststoreCheck('have=\nwant=\n')).toThrow(/no fingerprint/);
  });
});
