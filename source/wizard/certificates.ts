// Provided certificate files are checked as soon as they are named (in the wizard) and before
// any command uses the profile (answers files): parse, key match, names, chain, expiry.
import {expandHome} from '../hosts/ssh-config.js';
import type {Plan} from '../plan/plan.js';
import type {Problem} from '../profile/answers.js';
import {serverCertificateNames, type Profile} from '../profile/schema.js';
import type {CertificateProblem} from '../tls/check.js';

// The X.509 library loads only when there are provided files to check (most profiles have none).
const tlsCheck = () => import('../tls/check.js');

export interface CertificateReport {
  errors: Problem[];
  warnings: string[];
  /** Names the provided certificates really cover, for the summary. */
  serverCovers?: string[];
  unitSubject?: string;
}

function split(problems: CertificateProblem[], key: string, report: CertificateReport): void {
  for (const p of problems) {
    if (p.severity === 'error') report.errors.push({key, message: `${p.file}: ${p.message}`});
    else report.warnings.push(`${key}: ${p.file}: ${p.message}`);
  }
}

export async function checkServerFiles(profile: Profile, report: CertificateReport = {errors: [], warnings: []}): Promise<CertificateReport> {
  if (profile.https.mode !== 'provided') return report;
  const https = profile.https;
  const {checkServerCertificate} = await tlsCheck();
  const result = await checkServerCertificate({
    certFile: expandHome(https.certFile),
    keyFile: expandHome(https.keyFile),
    chainFile: https.chainFile ? expandHome(https.chainFile) : undefined,
    names: serverCertificateNames(profile),
  });
  split(result.problems, 'https.certFile', report);
  if (result.info) report.serverCovers = result.info.sans;
  return report;
}

export async function checkUnitFiles(profile: Profile, report: CertificateReport = {errors: [], warnings: []}): Promise<CertificateReport> {
  if (profile.unitCertificate.mode !== 'provided') return report;
  const unit = profile.unitCertificate;
  const {checkUnitCertificate} = await tlsCheck();
  const result = await checkUnitCertificate({
    certFile: expandHome(unit.certFile),
    keyFile: expandHome(unit.keyFile),
    trustedRoots: unit.trustedRoots.map(expandHome),
    fqdn: profile.unit.fqdn,
  });
  split(result.problems, 'unitCertificate.certFile', report);
  report.warnings.push(...result.notices.map(n => `unitCertificate.keyFile: ${n}`));
  if (result.info) report.unitSubject = result.info.subject;
  return report;
}

export async function checkProfileCertificates(profile: Profile): Promise<CertificateReport> {
  return checkUnitFiles(profile, await checkServerFiles(profile));
}

/** The plan shows what provided certificates really cover, not what they should. */
export function withCertificateFacts(plan: Plan, report: CertificateReport): Plan {
  const certificates = plan.certificates.map((c, i) =>
    i === 0 && report.serverCovers ? {...c, names: report.serverCovers} : i === 1 && report.unitSubject ? {...c, names: [report.unitSubject]} : c,
  );
  return {...plan, certificates};
}
