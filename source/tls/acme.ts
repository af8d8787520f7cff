// Let's Encrypt planning: which challenge, which DNS records, which certbot command. Pure
// functions; running certbot (and waiting for the operator's DNS records) is the install step's job.
import {command, shellQuote} from '../hosts/quote.js';
import type {Profile} from '../profile/schema.js';
import {serverCertificateNames} from '../profile/schema.js';

export const LETSENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING_DIRECTORY = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export type AcmeChallenge = 'http-01' | 'dns-01';

/**
 * http-01 for path-based URLs (only the FQDN is needed, port 80 must reach nginx); dns-01 for
 * per-cell URLs, because Let's Encrypt issues the *.FQDN wildcard only through DNS.
 */
export function chooseChallenge(cellUrlMode: 'per-cell' | 'path-based', requested?: AcmeChallenge): AcmeChallenge {
  if (cellUrlMode === 'per-cell' && requested === 'http-01') {
    throw new Error('per-cell URLs need a *.FQDN certificate, which Let\'s Encrypt issues only with the dns-01 challenge');
  }
  return requested ?? (cellUrlMode === 'per-cell' ? 'dns-01' : 'http-01');
}

export interface DnsChallengeRecord {
  /** Record name: _acme-challenge.<fqdn>. */
  name: string;
  type: 'TXT';
  /** The certificate name this record proves. */
  forName: string;
}

/**
 * The TXT records DNS-01 needs, one per certificate name. FQDN and *.FQDN both validate at
 * _acme-challenge.FQDN, so per-cell mode needs two TXT values under the same name (both kept:
 * replacing the first with the second fails the first validation).
 */
export function dnsChallengeRecords(names: readonly string[]): DnsChallengeRecord[] {
  return names.map(forName => ({name: `_acme-challenge.${forName.replace(/^\*\./, '')}`, type: 'TXT' as const, forName}));
}

export interface DirectoryChoice {
  url: string;
  /** A staging rehearsal (certbot --dry-run): nothing is saved and no hook runs. */
  rehearsal: boolean;
}

/**
 * The first attempt goes to the configured directory. A retry first rehearses against the
 * staging directory (its rate limits are far higher, so repeated failures do not lock the
 * domain out of production for an hour or a week); once a rehearsal passed, the next attempt
 * returns to the configured directory.
 */
export function directoryForAttempt(directoryUrl: string, attempt: number, rehearsalPassed = false): DirectoryChoice {
  if (attempt <= 1 || rehearsalPassed || directoryUrl === LETSENCRYPT_STAGING_DIRECTORY) return {url: directoryUrl, rehearsal: false};
  return {url: LETSENCRYPT_STAGING_DIRECTORY, rehearsal: true};
}

export interface DeployHookOptions {
  /** Where nginx reads its certificate and key; the new files are copied there first. */
  serverCertPath?: string;
  serverKeyPath?: string;
}

/**
 * What certbot runs after each issue or renewal (RENEWED_LINEAGE is set by certbot): copy the
 * files where nginx reads them, then reload nginx only if its configuration still tests good.
 */
export function deployHook(options: DeployHookOptions = {}): string {
  const parts: string[] = [];
  if (options.serverCertPath) parts.push(`install -m 0644 "$RENEWED_LINEAGE/fullchain.pem" ${shellQuote(options.serverCertPath)}`);
  if (options.serverKeyPath) parts.push(`install -m 0600 "$RENEWED_LINEAGE/privkey.pem" ${shellQuote(options.serverKeyPath)}`);
  parts.push('nginx -t', 'systemctl reload nginx');
  return parts.join(' && ');
}

export interface CertbotOptions extends DeployHookOptions {
  /** Certificate names, FQDN first (serverCertificateNames). */
  names: readonly string[];
  email: string;
  challenge: AcmeChallenge;
  directoryUrl: string;
  /** Staging rehearsal: adds --dry-run. */
  rehearsal?: boolean;
  /** http-01: the directory nginx serves /.well-known/acme-challenge/ from. */
  webroot?: string;
  /**
   * dns-01: scripts certbot runs to publish and remove each TXT value (it sets CERTBOT_DOMAIN
   * and CERTBOT_VALIDATION). --non-interactive has no prompt to wait at, so they are required.
   */
  authHook?: string;
  cleanupHook?: string;
  /** Lineage name: /etc/letsencrypt/live/<certName>/ (default: the first name). */
  certName?: string;
}

export interface CertbotCommand {
  argv: string[];
  /** The same, as one shell command line with every argument quoted. */
  command: string;
}

/** The certbot certonly command line for a plan. */
export function certbotCommand(options: CertbotOptions): CertbotCommand {
  if (options.names.length === 0) throw new Error('certbot needs at least one name');
  const wildcard = options.names.some(name => name.startsWith('*.'));
  if (wildcard && options.challenge !== 'dns-01') throw new Error('a wildcard name needs the dns-01 challenge');
  const argv = ['certbot', 'certonly', '--non-interactive', '--agree-tos', '-m', options.email, '--server', options.directoryUrl];
  argv.push('--cert-name', options.certName ?? options.names[0]!.replace(/^\*\./, ''));
  if (options.challenge === 'http-01') {
    if (!options.webroot) throw new Error('http-01 needs the webroot nginx serves /.well-known/acme-challenge/ from');
    argv.push('--webroot', '-w', options.webroot);
  } else {
    if (!options.authHook) throw new Error('dns-01 without a prompt needs a manual auth hook that publishes the TXT record');
    argv.push('--manual', '--preferred-challenges', 'dns', '--manual-auth-hook', options.authHook);
    if (options.cleanupHook) argv.push('--manual-cleanup-hook', options.cleanupHook);
  }
  for (const name of options.names) argv.push('-d', name);
  // Re-running with an unchanged, still valid certificate is a no-op; new names expand it.
  argv.push('--keep-until-expiring', '--expand');
  if (options.rehearsal) argv.push('--dry-run');
  else argv.push('--deploy-hook', deployHook(options));
  return {argv, command: command(argv)};
}

export interface LetsEncryptPlan {
  challenge: AcmeChallenge;
  names: string[];
  /** DNS-01 only: the TXT records the operator (or the hook) creates. */
  dnsRecords: DnsChallengeRecord[];
  directory: DirectoryChoice;
  certbot: CertbotCommand;
  /** Where certbot keeps the current files. */
  livePath: string;
}

export interface LetsEncryptPlanOptions extends DeployHookOptions {
  /** 1 for the first try. */
  attempt?: number;
  rehearsalPassed?: boolean;
  webroot?: string;
  authHook?: string;
  cleanupHook?: string;
}

/** Everything about Let's Encrypt for a profile with https.mode = letsencrypt. */
export function planLetsEncrypt(profile: Profile, options: LetsEncryptPlanOptions = {}): LetsEncryptPlan {
  const https = profile.https;
  if (https.mode !== 'letsencrypt') throw new Error(`https.mode is ${https.mode}, not letsencrypt`);
  const challenge = chooseChallenge(profile.unit.cellUrlMode, https.challenge);
  const names = serverCertificateNames(profile);
  const directory = directoryForAttempt(https.directoryUrl, options.attempt ?? 1, options.rehearsalPassed);
  const certbot = certbotCommand({
    ...options,
    names,
    email: https.email,
    challenge,
    directoryUrl: directory.url,
    rehearsal: directory.rehearsal,
  });
  return {
    challenge,
    names,
    dnsRecords: challenge === 'dns-01' ? dnsChallengeRecords(names) : [],
    directory,
    certbot,
    livePath: `/etc/letsencrypt/live/${profile.unit.fqdn}`,
  };
}
