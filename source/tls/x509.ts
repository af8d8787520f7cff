// The one place that loads @peculiar/x509: it needs a Reflect metadata polyfill before it is
// evaluated (its dependency injection container checks for one at load time), and it signs and
// verifies through WebCrypto, which is Node's own here. Import x509 from this module, never
// from the package directly, so the order always holds.
import 'reflect-metadata';
import {createHash, createPublicKey, webcrypto, type KeyObject} from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export {x509};

export interface PemBlock {
  label: string;
  /** The whole block, BEGIN and END lines included. */
  text: string;
  headers: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in a text, in order (anything between blocks is ignored, as openssl does). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1]!;
    const inner = match[2]!;
    // RFC 1421 headers (Proc-Type, DEK-Info: an encrypted traditional key) end at an empty line.
    const lines = inner.split(/\r?\n/);
    let headers = '';
    let body = inner;
    if (/^[A-Za-z-]+:/.test(lines[0] ?? '')) {
      const blank = lines.findIndex(line => line.trim() === '');
      headers = lines.slice(0, blank < 0 ? lines.length : blank).join('\n');
      body = blank < 0 ? '' : lines.slice(blank + 1).join('\n');
    }
    out.push({label, text: match[0], headers, der: Buffer.from(body.replace(/\s+/g, ''), 'base64')});
  }
  return out;
}

/** The certificates in a PEM text; a block that does not parse throws. */
export function parseCertificates(text: string): x509.X509Certificate[] {
  return pemBlocks(text)
    .filter(block => block.label === 'CERTIFICATE')
    .map(block => new x509.X509Certificate(new Uint8Array(block.der)));
}

/** The certificate's public key as Node sees it (SubjectPublicKeyInfo). */
export function certificatePublicKey(cert: x509.X509Certificate): KeyObject {
  return createPublicKey({key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki'});
}

export interface KeyDescription {
  /** 'rsa', 'ec', 'ed25519', … as Node names them. */
  type: string;
  /** RSA modulus length or EC field size, in bits. */
  bits: number;
  /** EC curve name (prime256v1, secp384r1, …). */
  curve?: string;
}

const CURVE_BITS: Record<string, number> = {prime256v1: 256, secp384r1: 384, secp521r1: 521};

export function describeKey(key: KeyObject): KeyDescription {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') return {type, bits: details.modulusLength ?? 0};
  if (type === 'ec') return {type, bits: CURVE_BITS[details.namedCurve ?? ''] ?? 0, curve: details.namedCurve};
  if (type === 'ed25519') return {type, bits: 256};
  if (type === 'ed448') return {type, bits: 456};
  return {type, bits: 0};
}

/** Same key pair? Compares the DER SubjectPublicKeyInfo of both sides. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const spki = (k: KeyObject) => (k.type === 'private' ? createPublicKey(k) : k).export({type: 'spki', format: 'der'});
  return spki(a).equals(spki(b));
}

/** SHA-256 fingerprint as keytool and openssl print it: AB:CD:… */
export function sha256Fingerprint(cert: x509.X509Certificate): string {
  const hex = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}
