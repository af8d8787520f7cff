// Where an install run gets its archives and certificates. Certificates already on the servers
// are reused while they still fit the profile (names, key, validity), so a re-run changes
// nothing; otherwise they are made (self-signed) or read from the profile's files (provided).
import {createHash, X509Certificate, createPrivateKey} from 'node:crypto';
import {readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import type {ArtifactName, ArtifactRef, LocalArtifact} from '../artifacts/types.js';
import {versionMatrix, type VersionSet} from '../presets.js';
import {serverCertificateNames, type Profile} from '../profile/schema.js';
import {expandHome} from '../hosts/ssh-config.js';
import {checkServerCertificate, checkUnitCertificate} from '../tls/check.js';
import {generateServerCertificate, generateUnitCertificate} from '../tls/generate.js';
import type {TlsMaterial} from './context.js';
import type {ExistingTls, InstallProviders} from './run-install.js';

/** Certificates that expire sooner than this are made again. */
const RENEW_BEFORE_DAYS = 30;

/** The archives a profile needs, with the file names mirrors and bundles use. */
export function installArtifactRefs(profile: Profile, set: VersionSet): ArtifactRef[] {
  const ref = (name: ArtifactName, entry: {version: string; url: string; sha256?: string | null; sha512?: string; checksumUrl?: string}): ArtifactRef => ({
    name,
    version: entry.version,
    fileName: decodeURIComponent(new URL(entry.url).pathname.split('/').at(-1) ?? name),
    url: entry.url,
    sha256: entry.sha256,
    sha512: entry.sha512,
    checksumUrl: entry.checksumUrl,
  });
  const extensions = versionMatrix().extensions;
  return [
    ref('personium-core', set.core),
    ref('personium-engine', set.engine),
    ref('elasticsearch', set.elasticsearch),
    ref('tomcat', set.tomcat),
    ref('activemq', set.activemq),
    ...Object.keys(profile.extensions).map(name => ref(`extension:${name}`, extensions[name as keyof typeof extensions])),
  ];
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Archives from a bundle directory (file names as in the version matrix). A pinned SHA-256 must
 * match; the others are recorded as the bundle holds them.
 */
export async function artifactsFromDirectory(dir: string, refs: ArtifactRef[], log: (line: string) => void): Promise<Map<ArtifactName, LocalArtifact>> {
  const out = new Map<ArtifactName, LocalArtifact>();
  for (const ref of refs) {
    const path = join(dir, ref.fileName);
    try {
      statSync(path);
    } catch {
      throw new Error(`the bundle ${dir} has no ${ref.fileName} (${ref.name} ${ref.version})`);
    }
    const sha256 = sha256Of(path);
    if (ref.sha256 && ref.sha256 !== sha256) throw new Error(`${ref.fileName} in ${dir} does not match its pinned SHA-256`);
    log(`artifact ${ref.fileName} ${sha256}`);
    out.set(ref.name, {ref, path, sha256, verifiedBy: ref.sha256 ? 'pinned' : 'bundle-manifest'});
  }
  return out;
}

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
    const checked = await checkServerCertificate({certFile: expandHome(https.certFile), keyFile: expandHome(https.keyFile), chainFile: https.chainFile ? expandHome(https.chainFile) : undefined, names});
    if (!checked.ok || !checked.fullChainPem) throw new Error(`the server certificate cannot be used: ${problemsText(checked.problems)}`);
    serverCert = checked.fullChainPem;
    serverKey = readFileSync(expandHome(https.keyFile), 'utf8');
  } else if (certificateFits(existing.serverCert, existing.serverKey, names)) {
    log('server certificate: the one on the web server still fits; kept');
    serverCert = existing.serverCert!;
    serverKey = existing.serverKey!;
  } else {
    if (https.mode === 'letsencrypt') log('Let\'s Encrypt is not available in this version: a self-signed certificate is used until it is');
    log(`server certificate: made self-signed for ${names.join(', ')}`);
    const made = await generateServerCertificate({fqdn, names});
    serverCert = made.certPem;
    serverKey = made.keyPem;
  }

  let unitCert: string;
  let unitKey: string;
  let unitRoots: TlsMaterial['unitRoots'] = [];
  const unit = profile.unitCertificate;
  if (unit.mode === 'provided') {
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
    const made = await generateUnitCertificate({fqdn});
    unitCert = made.certPem;
    unitKey = made.keyPem;
  }
  return {serverCert, serverKey, unitCert, unitKey, unitRoots, selfSignedServer: https.mode !== 'provided'};
}

export function defaultProviders(): InstallProviders {
  return {
    artifacts: async (profile, set, log) => {
      const refs = installArtifactRefs(profile, set);
      const source = profile.artifacts;
      if (source.source === 'bundle' && source.bundleFile && statSync(expandHome(source.bundleFile)).isDirectory()) {
        return artifactsFromDirectory(expandHome(source.bundleFile), refs, log);
      }
      throw new Error(`artifacts from ${source.source === 'bundle' ? `the bundle file ${source.bundleFile}` : source.source} are not available in this version yet; give --bundle DIR with ${refs.map(r => r.fileName).join(', ')}`);
    },
    tls: tlsMaterial,
  };
}
