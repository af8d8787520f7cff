// Let's Encrypt planning, pure: which directory an attempt talks to, the `_acme-challenge` TXT
// records an operator has to create, the certbot command lines, and whether the certificate a
// web server already has makes a new order unnecessary. No I/O here, so every rule is unit-tested.
// The certificates module has its own planning helpers (tls/acme.ts); this step needs more than
// they give (standalone, --no-autorenew, the hook hand-off, retries rehearsing against the same
// directory when it is not Let's Encrypt's), so only the directory constants are shared.
import {shellQuote} from '../../hosts/quote.js';
import {LETSENCRYPT_DIRECTORY, LETSENCRYPT_STAGING_DIRECTORY} from '../../tls/acme.js';
import {uncoveredNames} from '../../tls/name-match.js';

/** Let's Encrypt's directories (one definition, in the certificates module). */
export const LETSENCRYPT_PRODUCTION = LETSENCRYPT_DIRECTORY;
export const LETSENCRYPT_STAGING = LETSENCRYPT_STAGING_DIRECTORY;

/** certbot's lineage name for the unit's server certificate (/etc/letsencrypt/live/<name>/). */
export const CERT_NAME = 'personium';
export const LIVE_DIR = `/etc/letsencrypt/live/${CERT_NAME}`;
export const RENEWAL_CONF = `/etc/letsencrypt/renewal/${CERT_NAME}.conf`;

/** A certificate expiring within this many days is ordered again (certbot's own renewal window). */
export const RENEW_BEFORE_DAYS = 30;

export type AcmeChallenge = 'http-01' | 'dns-01';

/** Where this tool keeps its Let's Encrypt helpers and state on the web server. */
export const ACME_PATHS = {
  /** Hook scripts certbot runs (deploy: copy into nginx's files and reload; dns: the manual DNS-01 hand-off). */
  deployHook: '/usr/local/libexec/personium-setup/certbot-deploy',
  dnsHook: '/usr/local/libexec/personium-setup/certbot-dns-hook',
  /** Spool directories of manual DNS-01 rounds (one per certbot run), and the failure marker. */
  stateDir: '/var/lib/personium-setup/letsencrypt',
  failedMarker: '/var/lib/personium-setup/letsencrypt/last-attempt-failed',
  /** CA bundle for an ACME server with a private CA (a test server); certbot reads it through REQUESTS_CA_BUNDLE. */
  caBundle: '/var/lib/personium-setup/letsencrypt/acme-ca.pem',
} as const;

function directoryHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Is this one of Let's Encrypt's own ACME directories (production or staging)? */
export function isLetsEncryptDirectory(url: string): boolean {
  const host = directoryHost(url);
  return host === 'acme-v02.api.letsencrypt.org' || host === 'acme-staging-v02.api.letsencrypt.org';
}

export interface DirectoryChoice {
  /** Where the certificate is ordered. */
  order: string;
  /**
   * Where a rehearsal (certbot --dry-run: validation and a throw-away certificate, nothing
   * saved) runs first, when this is a retry. Let's Encrypt production → its staging directory,
   * whose rate limits are far higher, so a setup that still fails does not use up production's
   * (5 failed validations per account, host name and hour; 5 duplicate certificates a week).
   * Another ACME server (a test server, a company CA) has no staging twin: the rehearsal runs
   * against it, as certbot itself does with --dry-run and a --server of its own.
   */
  rehearsal?: string;
}

/**
 * The directories an attempt uses. A first attempt orders from the configured directory
 * directly; a retry (the last attempt failed, or the operator asked for staging) rehearses first.
 * A retry never ends with a staging certificate in nginx: browsers do not trust those.
 */
export function chooseDirectories(directoryUrl: string, retry: boolean): DirectoryChoice {
  if (!retry) return {order: directoryUrl};
  if (directoryUrl === LETSENCRYPT_STAGING) return {order: directoryUrl}; // staging already: nothing to spare
  return {order: directoryUrl, rehearsal: isLetsEncryptDirectory(directoryUrl) ? LETSENCRYPT_STAGING : directoryUrl};
}

/** The challenge for a set of names: a wildcard can only be validated through DNS. */
export function challengeFor(names: readonly string[], wanted?: AcmeChallenge): AcmeChallenge {
  const wildcard = names.some(n => n.startsWith('*.'));
  if (wanted === 'http-01' && wildcard) throw new Error(`${names.find(n => n.startsWith('*.'))} needs the dns-01 challenge: Let's Encrypt validates wildcards only through DNS`);
  return wanted ?? (wildcard ? 'dns-01' : 'http-01');
}

/** `_acme-challenge.<name>`: the TXT record name DNS-01 validates, for a name or its wildcard. */
export function txtRecordName(name: string): string {
  return `_acme-challenge.${name.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase()}`;
}

export interface TxtRecord {
  /** Full record name, e.g. `_acme-challenge.personium.example.com` (no trailing dot). */
  name: string;
  /** The TXT value certbot asked for (the base64url key authorization digest). */
  value: string;
}

/**
 * TXT records from certbot's (CERTBOT_DOMAIN, CERTBOT_VALIDATION) pairs. The wildcard and the
 * apex share one name, so `FQDN` + `*.FQDN` give two values on the same name: both must exist
 * at once (two TXT records, not one replacing the other). Duplicates collapse.
 */
export function txtRecords(pairs: readonly {domain: string; validation: string}[]): TxtRecord[] {
  const seen = new Set<string>();
  const out: TxtRecord[] = [];
  for (const {domain, validation} of pairs) {
    const record = {name: txtRecordName(domain), value: validation};
    const key = `${record.name} ${record.value}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(record);
    }
  }
  return out;
}

/** The records as an operator reads them: one zone-file line each, ready to paste. */
export function describeTxtRecords(records: readonly TxtRecord[], ttl = 60): string[] {
  return records.map(r => `${r.name}. ${ttl} IN TXT "${r.value}"`);
}

/** Parse the hook's spool file: one "domain validation" line per challenge. */
export function parseSpool(text: string): {domain: string; validation: string}[] {
  return text
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(parts => parts.length === 2 && parts[0] && parts[1])
    .map(([domain, validation]) => ({domain: domain!, validation: validation!}));
}

/** How the HTTP-01 answer is served. */
export type HttpMode = 'webroot' | 'standalone';

export interface CertbotCommand {
  challenge: AcmeChallenge;
  /** HTTP-01 only: webroot (nginx serves the files on port 80) or standalone (certbot listens on 80). */
  httpMode?: HttpMode;
  names: readonly string[];
  email: string;
  server: string;
  webroot: string;
  /** A rehearsal: certbot --dry-run (nothing saved, no deploy hook). */
  dryRun?: boolean;
  /** A lineage exists but must be replaced now (expiring, wrong names, other directory). */
  forceRenewal?: boolean;
  /** Environment for certbot (REQUESTS_CA_BUNDLE, the DNS hook's spool). */
  env?: Record<string, string>;
}

/** Marks standalone's nginx stop for the post hook, so it only starts what it stopped. */
const STOPPED_MARK = '/run/personium-setup-certbot-stopped-nginx';

/**
 * certbot's argument vector (quote each element when putting it on a shell line). The deploy
 * hook (copy the lineage into nginx's files, `nginx -t`, reload) is saved in the renewal
 * configuration, so the renewals certbot's timer makes reach nginx too.
 */
export function certbotArgs(c: CertbotCommand): string[] {
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const args = [
    ...(env.length > 0 ? ['env', ...env] : []),
    'certbot',
    'certonly',
    '--non-interactive',
    '--agree-tos',
    '--no-eff-email',
    '-m',
    c.email,
    '--server',
    c.server,
    '--cert-name',
    CERT_NAME,
    ...c.names.flatMap(n => ['-d', n]),
  ];
  if (c.challenge === 'http-01') {
    if ((c.httpMode ?? 'webroot') === 'webroot') {
      args.push('--webroot', '-w', c.webroot);
    } else {
      // Port 80 is free now; at renewal time nginx may hold it, so certbot stops it for the few
      // seconds of the validation and starts it again (only if it was the one that stopped it).
      args.push(
        '--standalone',
        // certbot wants a program in PATH as a hook's first word, hence sh -c.
        '--pre-hook',
        `sh -c ${shellQuote(`if systemctl is-active -q nginx; then systemctl stop nginx && touch ${STOPPED_MARK}; fi`)}`,
        '--post-hook',
        `sh -c ${shellQuote(`if [ -e ${STOPPED_MARK} ]; then rm -f ${STOPPED_MARK}; systemctl start nginx; fi`)}`,
      );
    }
  } else {
    args.push(
      '--manual',
      '--preferred-challenges',
      'dns',
      '--manual-auth-hook',
      `${ACME_PATHS.dnsHook} auth`,
      '--manual-cleanup-hook',
      `${ACME_PATHS.dnsHook} cleanup`,
      // The operator makes the TXT records by hand: certbot's timer cannot renew this one.
      '--no-autorenew',
    );
  }
  args.push('--deploy-hook', ACME_PATHS.deployHook);
  if (c.forceRenewal) args.push('--force-renewal');
  if (c.dryRun) args.push('--dry-run');
  return args;
}

export interface ExistingCertificate {
  /** DNS names of the lineage's certificate (subjectAltName). */
  dnsNames: string[];
  notAfter: Date;
  /** `server` of the renewal configuration (the directory it came from). */
  server?: string;
}

export type OrderDecision = {order: false; why: string} | {order: true; why: string; forceRenewal: boolean};

/**
 * Whether a new order is needed: none when the lineage covers every name, comes from the
 * configured directory and has more than RENEW_BEFORE_DAYS left.
 */
export function decideOrder(existing: ExistingCertificate | undefined, names: readonly string[], directoryUrl: string, now: number): OrderDecision {
  if (!existing) return {order: true, why: 'no Let\'s Encrypt certificate yet', forceRenewal: false};
  const days = Math.floor((existing.notAfter.getTime() - now) / 86_400_000);
  const missing = uncoveredNames(existing.dnsNames, names);
  if (missing.length > 0) return {order: true, why: `the certificate does not cover ${missing.join(', ')}`, forceRenewal: true};
  if (existing.server && existing.server.replace(/\/$/, '') !== directoryUrl.replace(/\/$/, '')) {
    return {order: true, why: `the certificate came from ${existing.server}, not ${directoryUrl}`, forceRenewal: true};
  }
  if (days < RENEW_BEFORE_DAYS) return {order: true, why: days < 0 ? 'the certificate has expired' : `the certificate expires in ${days} days`, forceRenewal: true};
  return {order: false, why: `the certificate covers ${names.join(', ')} and is valid for ${days} more days`};
}

/** `key = value` settings of a certbot renewal configuration (the [renewalparams] keys included). */
export function parseRenewalConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * The useful lines of a failed certbot run (its own "Detail:", "Type:" and error lines), for a
 * message an operator can act on without reading certbot's log.
 */
export function certbotFailureDetail(output: string): string[] {
  const lines = output
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  const keep = lines.filter(l => /^(Domain|Type|Detail|Hint|Error|An unexpected error|Certbot failed|Challenge failed|personium-setup:)|\b(unauthorized|rateLimited|rejectedIdentifier|connection|dns)\b/i.test(l));
  const unique = [...new Set(keep.filter(l => !/^Saving debug log/.test(l) && !/^Ask for help/.test(l) && !/^See the logfile/.test(l)))];
  return (unique.length > 0 ? unique : lines.slice(-5)).slice(0, 12);
}
