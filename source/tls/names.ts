// The names in a certificate (SAN dNSName entries, CN) and a summary of what it covers; the
// matching rules themselves are in name-match.ts.
import {x509} from './x509.js';

export {nameCovers, uncoveredNames} from './name-match.js';

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
