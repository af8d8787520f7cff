// Where an install run gets its archives and certificates. Certificates already on the servers
// are reused while they still fit the profile (names, key, validity), so a re-run changes
// nothing; otherwise they are made (self-signed) or read from the profile's files (provided).
import {X509Certificate, createPrivateKey} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {resolveArtifacts} from '../artifacts/bundle.js';
import {serverCertificateNames, type Profile} from '../profile/schema.js';
import {expandHome} from '../hosts/ssh-config.js';
// The X.509 library (check.js, generate.js) is loaded only when a certificate is made or read
// from the profile's files: a re-run that keeps the servers' certificates never needs it.
import type {TlsMaterial} from './context.js';
import type {ExistingTls, InstallProviders} from './run-install.js';

/** Certificates that expire sooner than this are made again. */
const RENEW_BEFORE_DAYS = 30;

function certificateFits(certPem: string | undefined, keyPem: string | undefined, names: string[]): boolean {
  if (!certPem || !keyPem) return false;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * 86_400_000) return false;
    const san = (cert.subjectAltName ?? '').split(',').map(s => s.trim().replace(/^DNS:/, ''));
    return names.every(name => san.includes(name));
  } catch {
    return false;
  }
}

function unitCertificateFits(certPem: string | undefined, keyPem: string | undefined, fqdn: string): boolean {
  if (!certPem || !keyPem || !keyPem.includes('BEGIN RSA PRIVATE KEY')) return false;
  try {
    const cert = new X509Certificate(certPem);
    return cert.checkPrivateKey(createPrivateKey(keyPem)) && cert.subject.split('\n').includes(`CN=${fqdn}`) && new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_DAYS * 86_400_000;
  } catch {
    return false;
  }
}

function problemsText(problems: Array<{severity: string; message: string}>): string {
  return problems.filter(p => p.severity === 'error').map(p => p.message).join('; ');
}

export async function tlsMaterial(profile: Profile, existing: ExistingTls, log: (line: string) => void): Promise<TlsMaterial> {
  const fqdn = profile.unit.fqdn;
  const names = serverCertificateNames(profile);
  let serverCert: string;
  let serverKey: string;
  const https = profile.https;
  if (https.mode === 'provided') {
    const {checkServerCertificate} = await import('../tls/check.js');
    const checked = await checkServerCertificate({certFile: expandHome(https.certFile), keyFile: expandHome(https.keyFile), chainFile: https.chainFile ? expandHome(https.chainFile) : undefined, names});
    if (!checked.ok || !checked.fullChainPem) throw new Error(`the server certificate cannot be used: ${problemsText(checked.problems)}`);
    serverCert = checked.fullChainPem;
    serverKey = readFileSync(expandHome(https.keyFile), 'utf8');
  } else if (certificateFits(existing.serverCert, existing.serverKey, names)) {
    log('server certificate: the one on the web server still fits; kept');
    serverCert = existing.serverCert!;
    serverKey = existing.serverKey!;
  } else {
    if (https.mode === 'letsencrypt') log('server certificate: a self-signed placeholder until Let\'s Encrypt issues the real one');
    log(`server certificate: made self-signed for ${names.join(', ')}`);
    const {generateServerCertificate} = await import('../tls/generate.js');
    const made = await generateServerCertificate({fqdn, names});
    serverCert = made.certPem;
    serverKey = made.keyPem;
  }

  let unitCert: string;
  let unitKey: string;
  let unitRoots: TlsMaterial['unitRoots'] = [];
  const unit = profile.unitCertificate;
  if (unit.mode === 'provided') {
    const {checkUnitCertificate} = await import('../tls/check.js');
    const checked = await checkUnitCertificate({certFile: expandHome(unit.certFile), keyFile: expandHome(unit.keyFile), trustedRoots: unit.trustedRoots.map(expandHome), fqdn});
    if (!checked.ok || !checked.keyPem) throw new Error(`the unit certificate cannot be used: ${problemsText(checked.problems)}`);
    for (const notice of checked.notices) log(`${notice.file}: ${notice.message}`);
    unitCert = readFileSync(expandHome(unit.certFile), 'utf8');
    unitKey = checked.keyPem;
    unitRoots = unit.trustedRoots.map(path => ({fileName: path.split('/').at(-1) ?? path, pem: readFileSync(expandHome(path), 'utf8')}));
  } else if (unitCertificateFits(existing.unitCert, existing.unitKey, fqdn)) {
    log('unit certificate: the one on the AP server still fits; kept');
    unitCert = existing.unitCert!;
    unitKey = existing.unitKey!;
  } else {
    log(`unit certificate: made self-signed, CN=${fqdn}`);
    const {generateUnitCertificate} = await import('../tls/generate.js');
    const made = await generateUnitCertificate({fqdn});
    unitCert = made.certPem;
    unitKey = made.keyPem;
  }
  return {serverCert, serverKey, unitCert, unitKey, unitRoots, selfSignedServer: https.mode === 'self-signed'};
}

export function defaultProviders(): InstallProviders {
  return {
    artifacts: (profile, set, log) => resolveArtifacts(profile, set, {onNotice: log}),
    tls: tlsMaterial,
  };
}
