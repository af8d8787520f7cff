// Self-signed certificates made in process: the nginx server certificate and the unit
// certificate that signs SAML trans-cell tokens. Keys come from WebCrypto (Node's), the
// certificate is built and signed by @peculiar/x509, and node:crypto writes the key PEM.
import {createPrivateKey, webcrypto} from 'node:crypto';
import {x509} from './x509.js';

/**
 * Longest validity for a generated server certificate. Apple platforms refuse TLS server
 * certificates valid for more than 825 days (since iOS 13 / macOS 10.15, even when the operator
 * trusts the certificate by hand), and publicly trusted CAs are held to 398 days by browsers;
 * 825 keeps a self-signed certificate usable on every client while a re-run renews it in time.
 */
export const MAX_SERVER_DAYS = 825;
export const DEFAULT_SERVER_DAYS = 825;
/** Unit certificates are not TLS certificates; Personium's own procedure uses 10 years. */
export const DEFAULT_UNIT_YEARS = 10;
/** Started a little in the past so a server whose clock is slightly behind accepts it at once. */
const BACKDATE_MS = 5 * 60_000;

export type ServerKeySpec = {type: 'rsa'; bits?: 2048 | 3072 | 4096} | {type: 'ecdsa'};

export interface GeneratedCertificate {
  certPem: string;
  keyPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

export interface ServerCertificateOptions {
  /** Unit FQDN: the subject CN. */
  fqdn: string;
  /** Names for the subjectAltName, from serverCertificateNames(profile). */
  names: readonly string[];
  key?: ServerKeySpec;
  /** 1 to 825 (default 825). */
  days?: number;
  now?: Date;
}

/** A random positive 128-bit serial (first byte nonzero and below 0x80: minimal positive DER). */
export function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return Buffer.from(bytes).toString('hex');
}

type SigningAlgorithm = webcrypto.RsaHashedKeyGenParams | (webcrypto.EcKeyGenParams & {hash: string});

function algorithmFor(spec: ServerKeySpec): SigningAlgorithm {
  if (spec.type === 'ecdsa') return {name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256'};
  const bits = spec.bits ?? 2048;
  if (![2048, 3072, 4096].includes(bits)) throw new Error(`an RSA key is 2048, 3072 or 4096 bits (not ${bits})`);
  return {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: bits};
}

async function keyPair(algorithm: SigningAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(keys: webcrypto.CryptoKeyPair, type: 'pkcs8' | 'pkcs1'): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return createPrivateKey({key: der, format: 'der', type: 'pkcs8'}).export({type, format: 'pem'}).toString();
}

function validity(now: Date, days: number): {notBefore: Date; notAfter: Date} {
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  return {notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000)};
}

/**
 * Self-signed nginx certificate: CN = FQDN, SAN = the given names, CA:false, serverAuth.
 * RSA keys get keyUsage digitalSignature + keyEncipherment (RSA key exchange in TLS 1.2);
 * an ECDSA key gets digitalSignature only, because an EC key cannot encipher and strict TLS
 * stacks refuse keyEncipherment on one. The key PEM is PKCS#8 ("BEGIN PRIVATE KEY"), which
 * nginx reads for both kinds.
 */
export async function generateServerCertificate(options: ServerCertificateOptions): Promise<GeneratedCertificate> {
  const days = options.days ?? DEFAULT_SERVER_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_SERVER_DAYS) {
    throw new Error(`a server certificate is valid for 1 to ${MAX_SERVER_DAYS} days (asked: ${days})`);
  }
  if (options.names.length === 0) throw new Error('a server certificate needs at least one name');
  const spec = options.key ?? {type: 'rsa', bits: 2048};
  const algorithm = algorithmFor(spec);
  const keys = await keyPair(algorithm);
  const {notBefore, notAfter} = validity(options.now ?? new Date(), days);
  const serialNumber = randomSerialNumber();
  const usage = spec.type === 'rsa' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name: [{CN: [options.fqdn]}],
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(options.names.map(value => ({type: 'dns' as const, value}))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys, 'pkcs8'), serialNumber, notBefore, notAfter};
}

export interface UnitCertificateOptions {
  fqdn: string;
  years?: number;
  now?: Date;
}

/**
 * Self-signed unit certificate: CN = FQDN (Personium takes the unit's own name from it), RSA
 * 2048, key as PKCS#1 ("BEGIN RSA PRIVATE KEY", the only form Personium's key reader takes).
 * It is also its own trust root (x509.root), so it is marked CA:true like `openssl req -x509`
 * makes it.
 */
export async function generateUnitCertificate(options: UnitCertificateOptions): Promise<GeneratedCertificate> {
  const years = options.years ?? DEFAULT_UNIT_YEARS;
  if (!Number.isInteger(years) || years < 1 || years > 30) throw new Error(`a unit certificate is valid for 1 to 30 years (asked: ${years})`);
  const algorithm = algorithmFor({type: 'rsa', bits: 2048});
  const keys = await keyPair(algorithm);
  const now = options.now ?? new Date();
  const {notBefore} = validity(now, 1);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const serialNumber = randomSerialNumber();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name: [{CN: [options.fqdn]}],
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys, 'pkcs1'), serialNumber, notBefore, notAfter};
}
