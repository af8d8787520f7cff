// Checks of provided certificate files. Every fixture is made here with the real openssl (good
// ones and broken ones), and every accepted one is cross-checked with openssl too.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {checkServerCertificate, checkUnitCertificate, type CertificateProblem} from '../../source/tls/check.js';

const dir = mkdtempSync(join(tmpdir(), 'tls-check-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const FQDN = 'personium.example.test';
const PER_CELL = [FQDN, `*.${FQDN}`];
const f = (name: string) => join(dir, name);

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
}
const san = (...names: string[]) => `subjectAltName=${names.map(n => `DNS:${n}`).join(',')}`;

/** Self-signed with openssl req -x509 (key made first unless it exists). */
function selfSigned(name: string, opts: {key?: string; newkey?: string; subj?: string; days?: number; ext?: string[]}): void {
  const args = ['req', '-x509', '-nodes', '-subj', opts.subj ?? `/CN=${FQDN}`, '-days', String(opts.days ?? 100), '-out', f(`${name}.crt`)];
  if (opts.key) args.push('-key', f(opts.key));
  else args.push('-newkey', opts.newkey ?? 'rsa:2048', '-keyout', f(`${name}.key`));
  for (const e of opts.ext ?? []) args.push('-addext', e);
  openssl(...args);
}

/** Self-signed with explicit dates (openssl ca -selfsign), SANs copied from the request. */
function selfSignedDated(name: string, key: string, start: string, end: string, names: string[]): void {
  writeFileSync(f('index.txt'), '');
  writeFileSync(f('serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(
    f('ca.cnf'),
    ['[ca]', 'default_ca = c', '[c]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = p', 'copy_extensions = copy', 'unique_subject = no', '[p]', 'commonName = supplied', ''].join('\n'),
  );
  openssl('req', '-new', '-key', f(key), '-subj', `/CN=${FQDN}`, '-addext', san(...names), '-out', f(`${name}.csr`));
  openssl('ca', '-batch', '-config', f('ca.cnf'), '-selfsign', '-keyfile', f(key), '-in', f(`${name}.csr`), '-out', f(`${name}.crt`), '-startdate', start, '-enddate', end, '-notext');
}

/** A certificate issued by a CA: openssl x509 -req with an extension file. */
function issued(name: string, ca: string, subj: string, ext: string[]): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-subj', subj, '-out', f(`${name}.csr`));
  writeFileSync(f(`${name}.ext`), ext.join('\n') + '\n');
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-days', '100', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`));
}

const errors = (problems: CertificateProblem[]) => problems.filter(p => p.severity === 'error');
const warnings = (problems: CertificateProblem[]) => problems.filter(p => p.severity === 'warning');

beforeAll(() => {
  selfSigned('good', {ext: [san(...PER_CELL)]});
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('other.key'));
  selfSigned('wrongname', {key: 'good.key', ext: [san('other.example.test', `*.other.example.test`)]});
  selfSigned('nowild', {key: 'good.key', ext: [san(FQDN)]});
  selfSigned('nosan', {key: 'good.key'});
  selfSignedDated('expired', 'good.key', '20200101000000Z', '20200201000000Z', PER_CELL);
  selfSignedDated('future', 'good.key', '20991201000000Z', '21001201000000Z', PER_CELL);
  selfSigned('soon', {key: 'good.key', days: 10, ext: [san(...PER_CELL)]});
  selfSigned('weak', {newkey: 'rsa:1024', ext: [san(...PER_CELL)]});
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes256', '-pass', 'pass:secret', '-out', f('encrypted8.key'));
  openssl('rsa', '-in', f('good.key'), '-aes256', '-traditional', '-passout', 'pass:secret', '-out', f('encrypted1.key'));
  writeFileSync(f('garbage.txt'), 'this is not a certificate\n');
  writeFileSync(f('broken.crt'), '-----BEGIN CERTIFICATE-----\nTUlJQmFkIGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n');

  // root → intermediate → leaf
  selfSigned('root', {subj: '/CN=Test Root CA', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']});
  issued('inter', 'root', '/CN=Test Intermediate CA', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']);
  issued('leaf', 'inter', `/CN=${FQDN}`, ['basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth', san(...PER_CELL)]);
  writeFileSync(f('chain-good.pem'), readFileSync(f('inter.crt'), 'utf8'));
  writeFileSync(f('chain-with-root.pem'), readFileSync(f('inter.crt'), 'utf8') + readFileSync(f('root.crt'), 'utf8'));
  writeFileSync(f('chain-wrong.pem'), readFileSync(f('root.crt'), 'utf8') + readFileSync(f('inter.crt'), 'utf8'));
  writeFileSync(f('fullchain.pem'), readFileSync(f('leaf.crt'), 'utf8') + readFileSync(f('inter.crt'), 'utf8'));
  selfSigned('stranger', {subj: '/CN=Stranger CA', ext: ['basicConstraints=critical,CA:TRUE']});

  // Unit certificates
  openssl('genrsa', '-traditional', '-out', f('unit1.key'), '2048');
  selfSigned('unit1', {key: 'unit1.key'});
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('unit8.key'));
  selfSigned('unit8', {key: 'unit8.key'});
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('unitec.key'));
  selfSigned('unitec', {key: 'unitec.key'});
  selfSigned('unitcn', {key: 'unit1.key', subj: '/CN=other.example.test'});
  selfSigned('unitcnwww', {key: 'unit1.key', subj: `/CN=www.${FQDN}`});
  selfSignedDated('rootold', 'other.key', '20200101000000Z', '20200201000000Z', [FQDN]);
  writeFileSync(f('two-roots.pem'), readFileSync(f('root.crt'), 'utf8') + readFileSync(f('stranger.crt'), 'utf8'));
});

describe('openssl sees the fixtures as intended', () => {
  it('dates, names, sizes and the chain', () => {
    expect(openssl('x509', '-in', f('expired.crt'), '-noout', '-enddate')).toContain('2020');
    expect(openssl('x509', '-in', f('future.crt'), '-noout', '-startdate')).toContain('2099');
    expect(() => openssl('x509', '-in', f('soon.crt'), '-noout', '-checkend', String(11 * 86400))).toThrow();
    expect(openssl('x509', '-in', f('weak.crt'), '-noout', '-text')).toContain('Public-Key: (1024 bit)');
    expect(openssl('x509', '-in', f('nowild.crt'), '-noout', '-ext', 'subjectAltName')).not.toContain('*.');
    expect(openssl('x509', '-in', f('nosan.crt'), '-noout', '-text')).not.toContain('Subject Alternative Name');
    expect(openssl('verify', '-CAfile', f('root.crt'), '-untrusted', f('chain-good.pem'), f('leaf.crt')).trim()).toBe(`${f('leaf.crt')}: OK`);
    expect(openssl('verify', '-CAfile', f('good.crt'), f('good.crt')).trim()).toBe(`${f('good.crt')}: OK`);
    expect(openssl('pkey', '-in', f('other.key'), '-pubout')).not.toBe(openssl('x509', '-in', f('good.crt'), '-noout', '-pubkey'));
    expect(readFileSync(f('unit8.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(f('encrypted8.key'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(readFileSync(f('encrypted1.key'), 'utf8')).toContain('Proc-Type: 4,ENCRYPTED');
  });
});

describe('checkServerCertificate', () => {
  it('accepts a good self-signed certificate, with its details', async () => {
    const r = await checkServerCertificate({certFile: f('good.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.info).toMatchObject({subject: `CN=${FQDN}`, issuer: `CN=${FQDN}`, sans: PER_CELL, keyType: 'rsa', keyBits: 2048, selfSigned: true});
    expect(r.info!.fingerprintSha256).toBe(openssl('x509', '-in', f('good.crt'), '-noout', '-fingerprint', '-sha256').trim().replace(/^sha256 Fingerprint=/i, ''));
    const enddate = new Date(openssl('x509', '-in', f('good.crt'), '-noout', '-enddate').trim().replace('notAfter=', ''));
    expect(r.info!.notAfter.getTime()).toBe(enddate.getTime());
  });

  it('wrong key for the certificate', async () => {
    const r = await checkServerCertificate({certFile: f('good.crt'), keyFile: f('other.key'), names: PER_CELL});
    expect(r.ok).toBe(false);
    expect(errors(r.problems)).toEqual([{file: f('other.key'), severity: 'error', message: `the server key ${f('other.key')} does not belong to the certificate ${f('good.crt')} (their public keys differ)`}]);
  });

  it('SAN missing the FQDN', async () => {
    const r = await checkServerCertificate({certFile: f('wrongname.crt'), keyFile: f('good.key'), names: PER_CELL});
    const messages = errors(r.problems).map(p => p.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toBe(`the server certificate ${f('wrongname.crt')} does not cover ${FQDN}; it covers other.example.test, *.other.example.test`);
    expect(messages[1]).toContain(`does not cover *.${FQDN} (per-cell URLs https://<cell>.${FQDN}/ need this wildcard)`);
  });

  it('per-cell mode: a certificate without the wildcard; path-based mode accepts it', async () => {
    const perCell = await checkServerCertificate({certFile: f('nowild.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(errors(perCell.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('nowild.crt')} does not cover *.${FQDN} (per-cell URLs https://<cell>.${FQDN}/ need this wildcard); it covers ${FQDN}`,
    ]);
    const pathBased = await checkServerCertificate({certFile: f('nowild.crt'), keyFile: f('good.key'), names: [FQDN]});
    expect(pathBased.problems).toEqual([]);
  });

  it('no subjectAltName at all (CN only)', async () => {
    const r = await checkServerCertificate({certFile: f('nosan.crt'), keyFile: f('good.key'), names: [FQDN]});
    expect(errors(r.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('nosan.crt')} has no subjectAltName; browsers and Java ignore the CN (${FQDN}), so it covers no name. It must list ${FQDN}`,
    ]);
  });

  it('expired', async () => {
    const r = await checkServerCertificate({certFile: f('expired.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(errors(r.problems).map(p => p.message)).toEqual([`the server certificate ${f('expired.crt')} expired on 2020-02-01`]);
  });

  it('not yet valid', async () => {
    const r = await checkServerCertificate({certFile: f('future.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(errors(r.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('future.crt')} is not valid yet: it starts on 2099-12-01T00:00:00.000Z (check this machine's clock, or wait)`,
    ]);
  });

  it('expiring in 10 days: a warning, still ok', async () => {
    const r = await checkServerCertificate({certFile: f('soon.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(r.ok).toBe(true);
    expect(errors(r.problems)).toEqual([]);
    expect(warnings(r.problems)).toHaveLength(1);
    expect(warnings(r.problems)[0]!.message).toMatch(new RegExp(`^the server certificate ${f('soon.crt')} expires on \\d{4}-\\d\\d-\\d\\d, in 10 days; renew it soon$`));
  });

  it('a 1024-bit key', async () => {
    const r = await checkServerCertificate({certFile: f('weak.crt'), keyFile: f('weak.key'), names: PER_CELL});
    expect(errors(r.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('weak.crt')} has a 1024-bit RSA key; at least 2048 bits are needed (clients refuse shorter keys)`,
    ]);
  });

  it('an encrypted key, PKCS#8 or traditional', async () => {
    for (const key of ['encrypted8.key', 'encrypted1.key']) {
      const r = await checkServerCertificate({certFile: f('good.crt'), keyFile: f(key), names: PER_CELL});
      expect(errors(r.problems)).toHaveLength(1);
      expect(errors(r.problems)[0]).toMatchObject({file: f(key)});
      expect(errors(r.problems)[0]!.message).toMatch(new RegExp(`^the server key ${f(key)} is encrypted with a passphrase; nginx and Personium start unattended and cannot ask for it`));
    }
  });

  it('a chain in order, as a separate file, with the root, or inside the certificate file', async () => {
    for (const [certFile, chainFile] of [
      ['leaf.crt', 'chain-good.pem'],
      ['leaf.crt', 'chain-with-root.pem'],
      ['fullchain.pem', undefined],
    ] as const) {
      const r = await checkServerCertificate({certFile: f(certFile), keyFile: f('leaf.key'), chainFile: chainFile && f(chainFile), names: PER_CELL});
      expect(r.problems).toEqual([]);
      expect(r.info).toMatchObject({issuer: 'CN=Test Intermediate CA', selfSigned: false});
      // What nginx would serve verifies with openssl against the root.
      writeFileSync(f('served.pem'), r.fullChainPem!);
      expect(openssl('verify', '-CAfile', f('root.crt'), '-untrusted', f('served.pem'), f('served.pem')).trim()).toBe(`${f('served.pem')}: OK`);
    }
  });

  it('a chain in the wrong order', async () => {
    const r = await checkServerCertificate({certFile: f('leaf.crt'), keyFile: f('leaf.key'), chainFile: f('chain-wrong.pem'), names: PER_CELL});
    expect(errors(r.problems)).toEqual([
      {
        file: f('chain-wrong.pem'),
        severity: 'error',
        message: `the chain in ${f('chain-wrong.pem')} is out of order: "CN=${FQDN}" is issued by "CN=Test Intermediate CA", which must come right after it, not "CN=Test Root CA" (leaf first, then its issuer, and so on)`,
      },
    ]);
  });

  it('a chain that does not belong to the certificate; no chain for an issued certificate is a warning', async () => {
    const r = await checkServerCertificate({certFile: f('leaf.crt'), keyFile: f('leaf.key'), chainFile: f('stranger.crt'), names: PER_CELL});
    expect(errors(r.problems).map(p => p.message)).toEqual([
      `the chain in ${f('stranger.crt')} does not fit: "CN=${FQDN}" (issuer "CN=Test Intermediate CA") is not signed by the next certificate "CN=Stranger CA" nor by any later one`,
    ]);
    const bare = await checkServerCertificate({certFile: f('leaf.crt'), keyFile: f('leaf.key'), names: PER_CELL});
    expect(bare.ok).toBe(true);
    expect(warnings(bare.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('leaf.crt')} is issued by "CN=Test Intermediate CA" but no chain (intermediate certificates) is given; clients that do not have the intermediate will refuse it`,
    ]);
  });

  it('garbage files, a broken certificate block, swapped files', async () => {
    const garbage = await checkServerCertificate({certFile: f('garbage.txt'), keyFile: f('garbage.txt'), chainFile: f('garbage.txt'), names: PER_CELL});
    expect(errors(garbage.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('garbage.txt')} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`,
      `the server key ${f('garbage.txt')} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" block)`,
      `the chain file ${f('garbage.txt')} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`,
    ]);
    const broken = await checkServerCertificate({certFile: f('broken.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(errors(broken.problems)).toHaveLength(1);
    expect(errors(broken.problems)[0]!.message).toMatch(new RegExp(`^the server certificate ${f('broken.crt')} is not a PEM certificate: a CERTIFICATE block does not parse`));
    const swapped = await checkServerCertificate({certFile: f('good.key'), keyFile: f('good.crt'), names: PER_CELL});
    expect(errors(swapped.problems).map(p => p.message)).toEqual([
      `the server certificate ${f('good.key')} is not a PEM certificate (it holds a private key: are the certificate and key files swapped?)`,
      `the server key ${f('good.crt')} is not a PEM private key (it holds a certificate: are the certificate and key files swapped?)`,
    ]);
  });

  it('a missing file', async () => {
    const r = await checkServerCertificate({certFile: f('missing.crt'), keyFile: f('good.key'), names: PER_CELL});
    expect(r.ok).toBe(false);
    expect(errors(r.problems)).toEqual([{file: f('missing.crt'), severity: 'error', message: `the server certificate ${f('missing.crt')} cannot be read: no such file`}]);
  });
});

describe('checkUnitCertificate', () => {
  it('accepts a PKCS#1 unit certificate (openssl genrsa -traditional) trusted by itself', async () => {
    const r = await checkUnitCertificate({certFile: f('unit1.crt'), keyFile: f('unit1.key'), trustedRoots: [f('unit1.crt')], fqdn: FQDN});
    expect(r.problems).toEqual([]);
    expect(r.notices).toEqual([]);
    expect(r.keyConverted).toBe(false);
    expect(r.keyPem).toBe(readFileSync(f('unit1.key'), 'utf8'));
  });

  it('a PKCS#8 key is converted to PKCS#1 with a notice; openssl agrees it is PKCS#1 and matches', async () => {
    const r = await checkUnitCertificate({certFile: f('unit8.crt'), keyFile: f('unit8.key'), trustedRoots: [f('unit8.crt')], fqdn: FQDN});
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.keyConverted).toBe(true);
    expect(r.notices).toEqual([
      {
        file: f('unit8.key'),
        message: `the unit key ${f('unit8.key')} is PKCS#8 ("BEGIN PRIVATE KEY"); Personium reads PKCS#1 only, so the tool installs it converted to PKCS#1 ("BEGIN RSA PRIVATE KEY"). The file itself is not changed`,
      },
    ]);
    writeFileSync(f('converted.key'), r.keyPem!);
    expect(r.keyPem!.split('\n')[0]).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(openssl('rsa', '-in', f('converted.key'), '-check', '-noout').trim()).toBe('RSA key ok');
    expect(openssl('pkey', '-in', f('converted.key'), '-pubout')).toBe(openssl('x509', '-in', f('unit8.crt'), '-noout', '-pubkey'));
    // openssl's own traditional output is the same key, byte for byte.
    expect(openssl('rsa', '-in', f('unit8.key'), '-traditional')).toBe(r.keyPem);
  });

  it('an EC key is refused, with the reason', async () => {
    const r = await checkUnitCertificate({certFile: f('unitec.crt'), keyFile: f('unitec.key'), fqdn: FQDN});
    expect(r.ok).toBe(false);
    expect(errors(r.problems)).toEqual([
      {file: f('unitec.crt'), severity: 'error', message: `the unit certificate ${f('unitec.crt')} has an EC key; Personium signs tokens with RSA keys only (it reads PKCS#1 RSA keys)`},
      {file: f('unitec.key'), severity: 'error', message: `the unit key ${f('unitec.key')} is an EC key; Personium reads PKCS#1 RSA keys only, so an RSA key (2048 bits or more) is needed`},
    ]);
    expect(r.keyPem).toBeUndefined();
  });

  it('the CN must be the FQDN exactly', async () => {
    for (const [cert, cn] of [
      ['unitcn.crt', 'other.example.test'],
      ['unitcnwww.crt', `www.${FQDN}`],
    ] as const) {
      const r = await checkUnitCertificate({certFile: f(cert), keyFile: f('unit1.key'), fqdn: FQDN});
      expect(errors(r.problems).map(p => p.message)).toEqual([
        `the unit certificate ${f(cert)} has CN ${cn}, but its CN must be exactly the unit FQDN ${FQDN}: Personium takes the unit's name from it, and tokens fail (PR401-AU-0008) or requests are refused when they differ`,
      ]);
    }
  });

  it('wrong key, expired certificate', async () => {
    const wrong = await checkUnitCertificate({certFile: f('unit1.crt'), keyFile: f('unit8.key'), fqdn: FQDN});
    expect(errors(wrong.problems).map(p => p.message)).toEqual([`the unit key ${f('unit8.key')} does not belong to the certificate ${f('unit1.crt')} (their public keys differ)`]);
    const expired = await checkUnitCertificate({certFile: f('expired.crt'), keyFile: f('good.key'), fqdn: FQDN});
    expect(errors(expired.problems).map(p => p.message)).toEqual([`the unit certificate ${f('expired.crt')} expired on 2020-02-01`]);
  });

  it('trusted roots: several allowed; each must parse; expired, duplicate, multi-certificate and missing ones are named', async () => {
    const several = await checkUnitCertificate({certFile: f('unit1.crt'), keyFile: f('unit1.key'), trustedRoots: [f('unit1.crt'), f('root.crt'), f('stranger.crt')], fqdn: FQDN});
    expect(several.problems).toEqual([]);
    const bad = await checkUnitCertificate({
      certFile: f('unit1.crt'),
      keyFile: f('unit1.key'),
      trustedRoots: [f('unit1.crt'), f('garbage.txt'), f('missing-root.crt'), f('rootold.crt'), f('two-roots.pem'), f('root.crt')],
      fqdn: FQDN,
    });
    expect(bad.problems).toEqual([
      {file: f('garbage.txt'), severity: 'error', message: `the trusted root ${f('garbage.txt')} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`},
      {file: f('missing-root.crt'), severity: 'error', message: `the trusted root ${f('missing-root.crt')} cannot be read: no such file`},
      {file: f('rootold.crt'), severity: 'error', message: `the trusted root ${f('rootold.crt')} expired on 2020-02-01; Personium refuses to load an expired root`},
      {file: f('rootold.crt'), severity: 'error', message: `the trusted root ${f('rootold.crt')} has the same issuer name "CN=${FQDN}" as ${f('unit1.crt')}; Personium refuses two roots with one name`},
      {
        file: f('two-roots.pem'),
        severity: 'warning',
        message: `the trusted root ${f('two-roots.pem')} holds 2 certificates; Personium reads the first one only ("CN=Test Root CA"): give one file per root`,
      },
      {file: f('root.crt'), severity: 'error', message: `the trusted root ${f('root.crt')} has the same issuer name "CN=Test Root CA" as ${f('two-roots.pem')}; Personium refuses two roots with one name`},
    ]);
  });

  it('roots that did not sign the unit certificate: a warning', async () => {
    const r = await checkUnitCertificate({certFile: f('unit1.crt'), keyFile: f('unit1.key'), trustedRoots: [f('root.crt')], fqdn: FQDN});
    expect(r.ok).toBe(true);
    expect(warnings(r.problems).map(p => p.message)).toEqual([
      `the unit certificate ${f('unit1.crt')} (issuer "CN=${FQDN}") is not signed by any of the trusted roots; this unit would refuse trans-cell tokens its own cells issue. Add its issuer (or, when self-signed, the certificate itself) to the trusted roots`,
    ]);
  });

  it('garbage and missing files', async () => {
    const r = await checkUnitCertificate({certFile: f('garbage.txt'), keyFile: f('missing.key'), fqdn: FQDN});
    expect(r.problems).toEqual([
      {file: f('missing.key'), severity: 'error', message: `the unit key ${f('missing.key')} cannot be read: no such file`},
      {file: f('garbage.txt'), severity: 'error', message: `the unit certificate ${f('garbage.txt')} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`},
    ]);
  });
});
