// Generated certificates, read back by the real openssl: names, extensions, validity, key form,
// key/certificate match; then a real TLS handshake (openssl s_server / s_client) for a cell name.
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {checkServerCertificate, checkUnitCertificate} from '../../source/tls/check.js';
import {generateServerCertificate, generateUnitCertificate, MAX_SERVER_DAYS} from '../../source/tls/generate.js';

const dir = mkdtempSync(join(tmpdir(), 'tls-generate-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const FQDN = 'personium.example.test';
let counter = 0;

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
}

function save(cert: string, key: string): {cert: string; key: string} {
  const n = ++counter;
  const paths = {cert: join(dir, `gen${n}.crt`), key: join(dir, `gen${n}.key`)};
  writeFileSync(paths.cert, cert);
  writeFileSync(paths.key, key, {mode: 0o600});
  return paths;
}

function enddate(cert: string): Date {
  return new Date(openssl('x509', '-in', cert, '-noout', '-enddate').trim().replace(/^notAfter=/, ''));
}
function startdate(cert: string): Date {
  return new Date(openssl('x509', '-in', cert, '-noout', '-startdate').trim().replace(/^notBefore=/, ''));
}

function samePublicKeyByOpenssl(cert: string, key: string): void {
  const fromCert = openssl('x509', '-in', cert, '-noout', '-pubkey');
  const fromKey = openssl('pkey', '-in', key, '-pubout');
  expect(fromKey).toBe(fromCert);
}

describe('server certificate', () => {
  it('RSA 2048, per-cell: CN, both SANs, CA:false, usages, ≤ 825 days; openssl agrees on all of it', async () => {
    const now = new Date();
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN, `*.${FQDN}`], now});
    const {cert, key} = save(made.certPem, made.keyPem);
    const text = openssl('x509', '-in', cert, '-noout', '-text');
    expect(text).toMatch(/Subject: CN ?= ?personium\.example\.test\n/);
    expect(text).toMatch(/Issuer: CN ?= ?personium\.example\.test\n/);
    expect(text).toContain('DNS:personium.example.test, DNS:*.personium.example.test');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('sha256WithRSAEncryption');
    const days = (enddate(cert).getTime() - startdate(cert).getTime()) / 86_400_000;
    expect(days).toBe(MAX_SERVER_DAYS);
    expect(startdate(cert).getTime()).toBeLessThanOrEqual(now.getTime());
    expect(openssl('verify', '-CAfile', cert, cert).trim()).toBe(`${cert}: OK`);
    expect(openssl('rsa', '-in', key, '-check', '-noout').trim()).toBe('RSA key ok');
    samePublicKeyByOpenssl(cert, key);
    // Our own check accepts what we make.
    const check = await checkServerCertificate({certFile: cert, keyFile: key, names: [FQDN, `*.${FQDN}`]});
    expect(check.problems).toEqual([]);
    expect(check.info?.covers).toBe(`${FQDN}, *.${FQDN}`);
  });

  it('random 128-bit serials, different each time', async () => {
    const a = await generateServerCertificate({fqdn: FQDN, names: [FQDN]});
    const b = await generateServerCertificate({fqdn: FQDN, names: [FQDN]});
    const serial = (pem: string) => {
      const {cert} = save(pem, '');
      return openssl('x509', '-in', cert, '-noout', '-serial').trim().replace(/^serial=/, '');
    };
    const sa = serial(a.certPem);
    expect(sa).not.toBe(serial(b.certPem));
    expect(sa.length).toBe(32);
    expect(sa.toLowerCase()).toBe(a.serialNumber);
  });

  it('path-based: only the FQDN; RSA 3072 when asked; shorter validity when asked', async () => {
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN], key: {type: 'rsa', bits: 3072}, days: 90});
    const {cert, key} = save(made.certPem, made.keyPem);
    const text = openssl('x509', '-in', cert, '-noout', '-text');
    expect(text).toMatch(/DNS:personium\.example\.test\n/);
    expect(text).not.toContain('*.');
    expect(text).toContain('Public-Key: (3072 bit)');
    expect((enddate(cert).getTime() - startdate(cert).getTime()) / 86_400_000).toBe(90);
    expect(openssl('rsa', '-in', key, '-check', '-noout').trim()).toBe('RSA key ok');
    samePublicKeyByOpenssl(cert, key);
  });

  it('ECDSA P-256: digitalSignature only, ecdsa-with-SHA256; key checks out', async () => {
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN, `*.${FQDN}`], key: {type: 'ecdsa'}});
    const {cert, key} = save(made.certPem, made.keyPem);
    const text = openssl('x509', '-in', cert, '-noout', '-text');
    expect(text).toContain('id-ecPublicKey');
    expect(text).toContain('NIST CURVE: P-256');
    expect(text).toContain('ecdsa-with-SHA256');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(openssl('pkey', '-in', key, '-check', '-noout')).toContain('Key is valid');
    expect(openssl('verify', '-CAfile', cert, cert).trim()).toBe(`${cert}: OK`);
    samePublicKeyByOpenssl(cert, key);
    const check = await checkServerCertificate({certFile: cert, keyFile: key, names: [FQDN, `*.${FQDN}`]});
    expect(check.problems).toEqual([]);
    expect(check.info).toMatchObject({keyType: 'ec', keyBits: 256});
  });

  it('refuses a validity over 825 days and an empty name list', async () => {
    await expect(generateServerCertificate({fqdn: FQDN, names: [FQDN], days: 826})).rejects.toThrow(/1 to 825 days/);
    await expect(generateServerCertificate({fqdn: FQDN, names: []})).rejects.toThrow(/at least one name/);
  });

  it('a real TLS handshake verifies a cell name against it (openssl s_server / s_client)', async () => {
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN, `*.${FQDN}`]});
    const {cert, key} = save(made.certPem, made.keyPem);
    const port = await new Promise<number>(resolve => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as {port: number}).port;
        probe.close(() => resolve(p));
      });
    });
    const server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-www', '-quiet'], {stdio: 'ignore'});
    try {
      const connect = async (name: string): Promise<string> => {
        for (let i = 0; i < 50; i++) {
          try {
            return execFileSync(
              'openssl',
              ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-verify_hostname', name, '-CAfile', cert, '-verify_return_error', '-brief'],
              {input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']},
            );
          } catch (error) {
            const stderr = String((error as {stderr?: string}).stderr ?? '');
            if (!/Connection refused|connect:errno/i.test(stderr)) return `failed: ${stderr}`;
            await new Promise(r => setTimeout(r, 100));
          }
        }
        return 'failed: server did not start';
      };
      const cell = await connect(`mycell.${FQDN}`);
      expect(cell).not.toMatch(/^failed/);
      expect(await connect(`a.b.${FQDN}`)).toMatch(/^failed: [\s\S]*(hostname mismatch|verify error)/);
    } finally {
      server.kill();
    }
  });
});

describe('unit certificate', () => {
  it('CN = FQDN, RSA 2048 as PKCS#1, 10 years; openssl agrees', async () => {
    const now = new Date();
    const made = await generateUnitCertificate({fqdn: FQDN, now});
    const {cert, key} = save(made.certPem, made.keyPem);
    expect(readFileSync(key, 'utf8').split('\n')[0]).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(openssl('rsa', '-in', key, '-check', '-noout').trim()).toBe('RSA key ok');
    const text = openssl('x509', '-in', cert, '-noout', '-text');
    expect(text).toMatch(/Subject: CN ?= ?personium\.example\.test\n/);
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('sha256WithRSAEncryption');
    const start = startdate(cert);
    const end = enddate(cert);
    expect(end.getUTCFullYear() - start.getUTCFullYear()).toBe(10);
    expect(end.getUTCMonth()).toBe(start.getUTCMonth());
    expect(openssl('verify', '-CAfile', cert, cert).trim()).toBe(`${cert}: OK`);
    samePublicKeyByOpenssl(cert, key);
    const check = await checkUnitCertificate({certFile: cert, keyFile: key, trustedRoots: [cert], fqdn: FQDN});
    expect(check.problems).toEqual([]);
    expect(check.notices).toEqual([]);
    expect(check.keyConverted).toBe(false);
    expect(check.keyPem).toBe(made.keyPem);
  });
});
