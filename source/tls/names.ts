// Which host names a certificate covers, by the rules browsers and Java apply to subjectAltName
// dNSName entries (RFC 6125 §6.4.3, as narrowed by the CA/Browser Forum): a wildcard stands for
// exactly one whole left-most label. The CN is not looked at: clients ignore it when a SAN is
// present and modern ones ignore it always.
import {x509} from './x509.js';

function labels(name: string): string[] {
  return name.toLowerCase().replace(/\.$/, '').split('.');
}

/**
 * Does the certificate name `pattern` (a SAN dNSName) cover `name`?
 * `*.example.com` covers `a.example.com`, but neither `example.com` nor `a.b.example.com`.
 * A required name that is itself a wildcard (`*.example.com`, for per-cell URLs) is covered only
 * by the same wildcard: a list of single names cannot stand for every cell.
 */
export function nameCovers(pattern: string, name: string): boolean {
  const p = labels(pattern);
  const n = labels(name);
  if (p.length !== n.length || p.some(label => label === '') || n.some(label => label === '')) return false;
  if (p.join('.') === n.join('.')) return true;
  if (p[0] !== '*' || n[0] === '*') return false;
  // Only a full-label wildcard on the left; partial ones (f*.example.com) are not honoured here.
  return p.slice(1).join('.') === n.slice(1).join('.');
}

/** The required names no SAN entry covers. */
export function uncoveredNames(sans: readonly string[], required: readonly string[]): string[] {
  return required.filter(name => !sans.some(san => nameCovers(san, name)));
}

/** dNSName entries of the subjectAltName extension (empty when there is none). */
export function subjectAltNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!ext) return [];
  return ext.names.items.filter(item => item.type === 'dns').map(item => item.value);
}

/** The subject's CN values (normally one). */
export function commonNames(cert: x509.X509Certificate): string[] {
  return cert.subjectName.getField('CN');
}

/**
 * One line for the wizard's summary: the names a certificate covers, e.g.
 * "personium.example.com, *.personium.example.com". Without a SAN it says so, since no client
 * will accept the certificate for any name then.
 */
export function describeCoveredNames(cert: x509.X509Certificate | string): string {
  const c = typeof cert === 'string' ? new x509.X509Certificate(cert) : cert;
  const sans = subjectAltNames(c);
  if (sans.length > 0) return sans.join(', ');
  const cn = commonNames(c);
  return cn.length > 0 ? `no names (CN ${cn.join(', ')} only, without a subjectAltName, which clients ignore)` : 'no names';
}
