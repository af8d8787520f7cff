// What the report needs to know about a certificate, read with node:crypto: the names it
// covers, its validity, its fingerprint. Pure; PEM text in, plain data out.
import {X509Certificate} from 'node:crypto';

export interface CertificateInfo {
  subject: string;
  /** Common name of the subject, when it has one. */
  cn?: string;
  /** DNS names of the subjectAltName extension. */
  dnsNames: string[];
  issuer: string;
  selfSigned: boolean;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint, upper-case hex with colons (as keytool prints it). */
  fingerprint256: string;
  /** Whether the certificate is valid for a host name (SAN, or CN when there is no SAN). */
  covers(name: string): boolean;
}

function field(dn: string, key: string): string | undefined {
  for (const part of dn.split(/\n|,\s*(?=[A-Za-z.0-9]+=)/)) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim().toUpperCase() === key) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The first certificate of a PEM text (the leaf of a chain). Throws on text that is no certificate. */
export function readCertificate(pem: string): CertificateInfo {
  const x = new X509Certificate(pem);
  const dnsNames = (x.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(entry => entry.startsWith('DNS:'))
    .map(entry => entry.slice(4).trim().toLowerCase());
  const cn = field(x.subject, 'CN');
  return {
    subject: x.subject.replace(/\n/g, ', '),
    ...(cn ? {cn} : {}),
    dnsNames,
    issuer: x.issuer.replace(/\n/g, ', '),
    selfSigned: x.checkIssued(x),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    fingerprint256: x.fingerprint256.toUpperCase(),
    covers: (name: string) => x.checkHost(name) !== undefined,
  };
}

/** Whole days from `now` until the certificate expires (negative when expired). */
export function daysLeft(info: Pick<CertificateInfo, 'notAfter'>, now: number): number {
  return Math.floor((info.notAfter.getTime() - now) / 86_400_000);
}

/** The key's PEM header: PKCS#1 RSA, PKCS#8, encrypted PKCS#8, an EC key … */
export function keyFormat(header: string | undefined): 'pkcs1' | 'pkcs8' | 'pkcs8-encrypted' | 'other' | 'missing' {
  if (!header) return 'missing';
  if (/BEGIN RSA PRIVATE KEY/.test(header)) return 'pkcs1';
  if (/BEGIN PRIVATE KEY/.test(header)) return 'pkcs8';
  if (/BEGIN ENCRYPTED PRIVATE KEY/.test(header)) return 'pkcs8-encrypted';
  return 'other';
}
