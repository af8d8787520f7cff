// Checks of certificate files the operator provides, before anything is copied to a server.
// Every problem is one message that names the file, so the wizard can show it as is.
import {createPrivateKey, type KeyObject} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {commonNames, describeCoveredNames, subjectAltNames, uncoveredNames} from './names.js';
import type {x509} from './x509.js';
import {certificatePublicKey, describeKey, parseCertificates, pemBlocks, samePublicKey, sha256Fingerprint} from './x509.js';

export type Severity = 'error' | 'warning';

export interface CertificateProblem {
  file: string;
  message: string;
  severity: Severity;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** subjectAltName dNSName entries. */
  sans: string[];
  /** One line for the summary: the names covered. */
  covers: string;
  notBefore: Date;
  notAfter: Date;
  /** 'rsa', 'ec', … */
  keyType: string;
  keyBits: number;
  serialNumber: string;
  fingerprintSha256: string;
  selfSigned: boolean;
}

/** Certificates expiring sooner than this are flagged. */
export const EXPIRY_WARNING_DAYS = 30;
export const MIN_RSA_BITS = 2048;
const DAY = 86_400_000;

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

class Problems {
  readonly list: CertificateProblem[] = [];
  error(file: string, message: string): void {
    this.list.push({file, message, severity: 'error'});
  }
  warning(file: string, message: string): void {
    this.list.push({file, message, severity: 'warning'});
  }
  get ok(): boolean {
    return !this.list.some(p => p.severity === 'error');
  }
}

async function readText(file: string, what: string, problems: Problems): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    problems.error(file, `${what} ${file} cannot be read: ${why}`);
    return undefined;
  }
}

/** Certificates of a file; problems for a file with none or with a broken one. */
function readCertificates(file: string, text: string, what: string, problems: Problems): x509.X509Certificate[] | undefined {
  const blocks = pemBlocks(text);
  if (!blocks.some(b => b.label === 'CERTIFICATE')) {
    const hint = blocks.some(b => b.label.includes('PRIVATE KEY')) ? ' (it holds a private key: are the certificate and key files swapped?)' : ' (no "-----BEGIN CERTIFICATE-----" block)';
    problems.error(file, `${what} ${file} is not a PEM certificate${hint}`);
    return undefined;
  }
  try {
    return parseCertificates(text);
  } catch (error) {
    problems.error(file, `${what} ${file} is not a PEM certificate: a CERTIFICATE block does not parse (${(error as Error).message})`);
    return undefined;
  }
}

type KeyRead = {key: KeyObject; format: 'pkcs1' | 'pkcs8' | 'sec1' | 'other'; pem: string};

/** The one private key of a file, or a problem: not a key, encrypted, broken. */
function readPrivateKey(file: string, text: string, what: string, problems: Problems): KeyRead | undefined {
  const blocks = pemBlocks(text).filter(b => b.label.endsWith('PRIVATE KEY'));
  if (blocks.length === 0) {
    const hint = pemBlocks(text).some(b => b.label === 'CERTIFICATE') ? ' (it holds a certificate: are the certificate and key files swapped?)' : ' (no "-----BEGIN … PRIVATE KEY-----" block)';
    problems.error(file, `${what} ${file} is not a PEM private key${hint}`);
    return undefined;
  }
  if (blocks.length > 1) {
    problems.error(file, `${what} ${file} holds ${blocks.length} private keys; give a file with exactly one`);
    return undefined;
  }
  const block = blocks[0]!;
  if (block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(block.headers)) {
    problems.error(
      file,
      `${what} ${file} is encrypted with a passphrase; nginx and Personium start unattended and cannot ask for it. Remove the passphrase (openssl pkey -in ${file} -out plain.key) and give the plain key, kept readable by root only`,
    );
    return undefined;
  }
  try {
    const key = createPrivateKey(block.text);
    const format = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : block.label === 'PRIVATE KEY' ? 'pkcs8' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'other';
    return {key, format, pem: block.text + '\n'};
  } catch (error) {
    problems.error(file, `${what} ${file} is not a usable PEM private key (${(error as Error).message})`);
    return undefined;
  }
}

function infoOf(cert: x509.X509Certificate): CertificateInfo {
  const key = describeKey(certificatePublicKey(cert));
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    sans: subjectAltNames(cert),
    covers: describeCoveredNames(cert),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyType: key.type,
    keyBits: key.bits,
    serialNumber: cert.serialNumber,
    fingerprintSha256: sha256Fingerprint(cert),
    selfSigned: cert.subject === cert.issuer,
  };
}

function checkDates(file: string, what: string, cert: x509.X509Certificate, now: Date, problems: Problems): void {
  if (now < cert.notBefore) {
    problems.error(file, `${what} ${file} is not valid yet: it starts on ${cert.notBefore.toISOString()} (check this machine's clock, or wait)`);
  } else if (now > cert.notAfter) {
    problems.error(file, `${what} ${file} expired on ${day(cert.notAfter)}`);
  } else {
    const days = Math.ceil((cert.notAfter.getTime() - now.getTime()) / DAY);
    if (days < EXPIRY_WARNING_DAYS) {
      problems.warning(file, `${what} ${file} expires on ${day(cert.notAfter)}, in ${days} day${days === 1 ? '' : 's'}; renew it soon`);
    }
  }
}

function checkKeyStrength(file: string, what: string, key: KeyObject, problems: Problems): void {
  const d = describeKey(key);
  if ((d.type === 'rsa' || d.type === 'rsa-pss') && d.bits < MIN_RSA_BITS) {
    problems.error(file, `${what} ${file} has a ${d.bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are needed (clients refuse shorter keys)`);
  }
}

/** Is `cert` signed by `issuer` (names chain and the signature verifies)? */
export async function signedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return await cert.verify({publicKey: issuer.publicKey, signatureOnly: true});
  } catch {
    return false;
  }
}

export interface ServerCertificateCheck {
  certFile: string;
  keyFile: string;
  /** Intermediates, the leaf's issuer first. The cert file may also carry them after the leaf. */
  chainFile?: string;
  /** Names the certificate must cover: serverCertificateNames(profile). */
  names: readonly string[];
  now?: Date;
}

export interface ServerCertificateResult {
  ok: boolean;
  problems: CertificateProblem[];
  /** About the leaf certificate, when it could be read. */
  info?: CertificateInfo;
  /** What nginx serves as ssl_certificate: the leaf, then the chain, as PEM. */
  fullChainPem?: string;
}

/**
 * Checks a provided server certificate: the files parse, the key is plain and matches, the SAN
 * covers every name, the chain is in order, the key is long enough and the dates are right.
 */
export async function checkServerCertificate(input: ServerCertificateCheck): Promise<ServerCertificateResult> {
  const problems = new Problems();
  const now = input.now ?? new Date();
  const what = 'the server certificate';
  const [certText, keyText, chainText] = await Promise.all([
    readText(input.certFile, what, problems),
    readText(input.keyFile, 'the server key', problems),
    input.chainFile ? readText(input.chainFile, 'the chain file', problems) : Promise.resolve(''),
  ]);

  const certs = certText === undefined ? undefined : readCertificates(input.certFile, certText, what, problems);
  const key = keyText === undefined ? undefined : readPrivateKey(input.keyFile, keyText, 'the server key', problems);
  let chain: {cert: x509.X509Certificate; file: string}[] = [];
  if (input.chainFile && chainText !== undefined) {
    const fromChain = readCertificates(input.chainFile, chainText, 'the chain file', problems);
    if (fromChain) chain = fromChain.map(cert => ({cert, file: input.chainFile!}));
  }
  if (!certs) return {ok: problems.ok, problems: problems.list};

  const leaf = certs[0]!;
  chain = [...certs.slice(1).map(cert => ({cert, file: input.certFile})), ...chain];
  const info = infoOf(leaf);

  if (key) {
    if (!samePublicKey(certificatePublicKey(leaf), key.key)) {
      problems.error(input.keyFile, `the server key ${input.keyFile} does not belong to the certificate ${input.certFile} (their public keys differ)`);
    }
  }
  checkKeyStrength(input.certFile, what, certificatePublicKey(leaf), problems);

  if (info.sans.length === 0) {
    problems.error(input.certFile, `${what} ${input.certFile} has no subjectAltName; browsers and Java ignore the CN (${commonNames(leaf).join(', ') || 'none'}), so it covers no name. It must list ${input.names.join(', ')}`);
  } else {
    for (const name of uncoveredNames(info.sans, input.names)) {
      const why = name.startsWith('*.') ? ' (per-cell URLs https://<cell>.' + name.slice(2) + '/ need this wildcard)' : '';
      problems.error(input.certFile, `${what} ${input.certFile} does not cover ${name}${why}; it covers ${info.covers}`);
    }
  }
  checkDates(input.certFile, what, leaf, now, problems);

  // Each certificate must be signed by the next one: leaf ← chain[0] ← chain[1] …
  const sequence = [{cert: leaf, file: input.certFile}, ...chain];
  const label = (c: x509.X509Certificate) => `"${c.subject}"`;
  for (let i = 0; i + 1 < sequence.length; i++) {
    const cert = sequence[i]!.cert;
    const next = sequence[i + 1]!;
    if (await signedBy(cert, next.cert)) continue;
    let issuer: x509.X509Certificate | undefined;
    for (const later of sequence.slice(i + 2)) if (!issuer && (await signedBy(cert, later.cert))) issuer = later.cert;
    if (issuer) {
      problems.error(
        next.file,
        `the chain in ${next.file} is out of order: ${label(cert)} is issued by ${label(issuer)}, which must come right after it, not ${label(next.cert)} (leaf first, then its issuer, and so on)`,
      );
    } else {
      problems.error(next.file, `the chain in ${next.file} does not fit: ${label(cert)} (issuer "${cert.issuer}") is not signed by the next certificate ${label(next.cert)} nor by any later one`);
    }
    break;
  }
  for (const c of chain) checkDates(c.file, 'a chain certificate in', c.cert, now, problems);
  if (chain.length === 0 && !info.selfSigned) {
    problems.warning(input.certFile, `${what} ${input.certFile} is issued by "${info.issuer}" but no chain (intermediate certificates) is given; clients that do not have the intermediate will refuse it`);
  }

  const fullChainPem = [leaf, ...chain.map(c => c.cert)].map(c => c.toString('pem')).join('\n') + '\n';
  return {ok: problems.ok, problems: problems.list, info, fullChainPem};
}

export interface UnitCertificateCheck {
  certFile: string;
  keyFile: string;
  /** Root certificates for io.personium.core.x509.root (one certificate per file). */
  trustedRoots?: readonly string[];
  fqdn: string;
  now?: Date;
}

export interface UnitCertificateResult {
  ok: boolean;
  problems: CertificateProblem[];
  /** Things done to the input that the operator should know (a converted key). */
  notices: {file: string; message: string}[];
  info?: CertificateInfo;
  /** The key to install: PKCS#1 PEM, converted from PKCS#8 when needed. */
  keyPem?: string;
  /** True when keyPem was converted from the file's PKCS#8. */
  keyConverted: boolean;
}

/**
 * Checks a provided unit certificate. Personium takes the unit's name from the certificate CN
 * (so it must be the FQDN exactly), reads the key with a PKCS#1 RSA reader only, and loads each
 * root file's first certificate into a map keyed by issuer name, refusing an expired root or
 * two roots with the same name.
 */
export async function checkUnitCertificate(input: UnitCertificateCheck): Promise<UnitCertificateResult> {
  const problems = new Problems();
  const notices: {file: string; message: string}[] = [];
  const now = input.now ?? new Date();
  const what = 'the unit certificate';
  const [certText, keyText] = await Promise.all([readText(input.certFile, what, problems), readText(input.keyFile, 'the unit key', problems)]);
  const certs = certText === undefined ? undefined : readCertificates(input.certFile, certText, what, problems);
  const key = keyText === undefined ? undefined : readPrivateKey(input.keyFile, keyText, 'the unit key', problems);

  let info: CertificateInfo | undefined;
  let keyPem: string | undefined;
  let keyConverted = false;
  const cert = certs?.[0];
  if (cert) {
    info = infoOf(cert);
    if (certs!.length > 1) problems.warning(input.certFile, `${what} ${input.certFile} holds ${certs!.length} certificates; Personium reads the first one only`);
    const cns = commonNames(cert);
    if (cns.length !== 1 || cns[0] !== input.fqdn) {
      const found = cns.length === 0 ? 'no CN' : `CN ${cns.join(', ')}`;
      problems.error(
        input.certFile,
        `${what} ${input.certFile} has ${found}, but its CN must be exactly the unit FQDN ${input.fqdn}: Personium takes the unit's name from it, and tokens fail (PR401-AU-0008) or requests are refused when they differ`,
      );
    }
    if (info.keyType !== 'rsa') {
      problems.error(input.certFile, `${what} ${input.certFile} has an ${info.keyType.toUpperCase()} key; Personium signs tokens with RSA keys only (it reads PKCS#1 RSA keys)`);
    } else {
      checkKeyStrength(input.certFile, what, certificatePublicKey(cert), problems);
    }
    checkDates(input.certFile, what, cert, now, problems);
  }

  if (key) {
    const type = key.key.asymmetricKeyType;
    if (type !== 'rsa') {
      problems.error(input.keyFile, `the unit key ${input.keyFile} is an ${String(type).toUpperCase()} key; Personium reads PKCS#1 RSA keys only, so an RSA key (2048 bits or more) is needed`);
    } else {
      if (cert && !samePublicKey(certificatePublicKey(cert), key.key)) {
        problems.error(input.keyFile, `the unit key ${input.keyFile} does not belong to the certificate ${input.certFile} (their public keys differ)`);
      }
      if (key.format === 'pkcs1') {
        keyPem = key.pem;
      } else {
        keyPem = key.key.export({type: 'pkcs1', format: 'pem'}).toString();
        keyConverted = true;
        notices.push({
          file: input.keyFile,
          message: `the unit key ${input.keyFile} is PKCS#8 ("BEGIN PRIVATE KEY"); Personium reads PKCS#1 only, so the tool installs it converted to PKCS#1 ("BEGIN RSA PRIVATE KEY"). The file itself is not changed`,
        });
      }
    }
  }

  const roots = await checkTrustedRoots(input.trustedRoots ?? [], now, problems);
  if (cert && roots.length > 0) {
    let trusted = false;
    for (const root of roots) if (await signedBy(cert, root)) trusted = true;
    if (!trusted) {
      problems.warning(
        input.certFile,
        `${what} ${input.certFile} (issuer "${cert.issuer}") is not signed by any of the trusted roots; this unit would refuse trans-cell tokens its own cells issue. Add its issuer (or, when self-signed, the certificate itself) to the trusted roots`,
      );
    }
  }

  return {ok: problems.ok, problems: problems.list, notices, info, keyPem, keyConverted};
}

async function checkTrustedRoots(files: readonly string[], now: Date, problems: Problems): Promise<x509.X509Certificate[]> {
  const roots: x509.X509Certificate[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    const text = await readText(file, 'the trusted root', problems);
    if (text === undefined) continue;
    const certs = readCertificates(file, text, 'the trusted root', problems);
    if (!certs) continue;
    const root = certs[0]!;
    if (certs.length > 1) problems.warning(file, `the trusted root ${file} holds ${certs.length} certificates; Personium reads the first one only ("${root.subject}"): give one file per root`);
    if (now > root.notAfter) problems.error(file, `the trusted root ${file} expired on ${day(root.notAfter)}; Personium refuses to load an expired root`);
    else if (now < root.notBefore) problems.error(file, `the trusted root ${file} is not valid yet: it starts on ${root.notBefore.toISOString()}`);
    const other = byName.get(root.issuer);
    if (other !== undefined) {
      problems.error(file, `the trusted root ${file} has the same issuer name "${root.issuer}" as ${other}; Personium refuses two roots with one name`);
    } else {
      byName.set(root.issuer, file);
    }
    roots.push(root);
  }
  return roots;
}
