// The server certificate from Let's Encrypt (or another ACME directory) with certbot on the web
// server, after the nginx step (nginx serves /.well-known/acme-challenge/ from PATHS.acmeWebroot
// on port 80):
//   * HTTP-01 (path-based URLs): certbot --webroot. When nothing listens on port 80 yet (nginx not
//     set up), certbot --standalone answers on 80 itself; its renewals then stop nginx for the few
//     seconds of the validation and start it again. Something else on 80 that does not serve the
//     webroot is an error before any ACME call.
//   * DNS-01 (per-cell URLs, *.FQDN): certbot --manual with hooks; the auth hook hands the TXT
//     records to this tool through a spool directory, the operator creates them (confirmTxt), the
//     tool waits until they resolve (waitTxt), then lets certbot ask for validation.
//   * A retry (the last attempt failed, or staging is asked for) first rehearses with
//     `certbot --dry-run` against Let's Encrypt's staging directory, so a setup that still fails
//     does not use up production's rate limits; only a passing rehearsal goes on to production.
//   * certbot's deploy hook copies the lineage into nginx's certificate files (PATHS.serverCert and
//     serverKey, plain files, so the nginx step's own file checks keep them) and reloads nginx
//     after `nginx -t`. HTTP-01 certificates renew through certbot's timer; manual DNS-01 ones
//     cannot (their TXT records are made by hand): the outcome carries the expiry for the report.
//   * Idempotent: a certificate that covers the names, came from the configured directory and has
//     more than 30 days left means no new order.
import {randomBytes} from 'node:crypto';
import {ensureDirectory, ensureFile, ensurePackages, ensureService, run} from '../executor/primitives.js';
import {StepError, type StepContext, type StepDefinition} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q, command} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {acmeChallenge, serverCertificateNames, type Profile} from '../profile/schema.js';
import {readCertificate} from '../report/certificates.js';
import {waitForTxtRecords} from './acme/dns.js';
import {
  ACME_PATHS,
  LETSENCRYPT_PRODUCTION,
  LIVE_DIR,
  RENEWAL_CONF,
  certbotArgs,
  certbotFailureDetail,
  challengeFor,
  chooseDirectories,
  decideOrder,
  describeTxtRecords,
  parseRenewalConf,
  parseSpool,
  txtRecords,
  type AcmeChallenge,
  type ExistingCertificate,
  type HttpMode,
  type TxtRecord,
} from './acme/plan.js';
import {SPOOL_ENV, WAIT_ENV, deployHookScript, dnsHookScript} from './acme/scripts.js';
import {waitForServedCertificate} from './common.js';
import {detectOs} from './os.js';

export type {TxtRecord} from './acme/plan.js';

export interface LetsEncryptSettings {
  /** The unit FQDN (the certificate's first name). */
  fqdn: string;
  /** Names the certificate must cover: [FQDN] or [FQDN, *.FQDN]. */
  names: string[];
  /** Account e-mail (expiry notices). */
  email: string;
  /** Default: dns-01 when a name is a wildcard, http-01 otherwise. */
  challenge?: AcmeChallenge;
  /** ACME directory; default Let's Encrypt production. */
  directoryUrl?: string;
  /**
   * Rehearse against the staging directory before ordering (see chooseDirectories). Default:
   * when the last attempt on this server failed (a marker the step keeps).
   */
  staging?: boolean;
  /** PEM of the CA certificates that sign the ACME server's own HTTPS (a test server); certbot gets it as REQUESTS_CA_BUNDLE. */
  caBundle?: string;
  /** DNS server (`address[:port]`) the default waitTxt asks; default this machine's resolver. */
  dnsResolver?: string;
  /**
   * DNS-01: the operator creates these records (the wizard shows them, e.g. with
   * describeTxtRecords, and returns once the operator says they are in). Throwing stops the order
   * before any validation is asked for. Without it, DNS-01 fails with the records in the message.
   */
  confirmTxt?: (records: TxtRecord[]) => Promise<void>;
  /** DNS-01: returns once the records resolve, throws (a clear message) when they do not. Default: waitForTxtRecords through dnsResolver. */
  waitTxt?: (records: TxtRecord[]) => Promise<void>;
  /** How long the auth hook on the server waits for the go-ahead, in seconds. Default 3600. */
  txtWaitSeconds?: number;
  /** Clock for the 30-day rule (tests). */
  now?: () => number;
}

export interface CertificateOutcome {
  status: 'ok' | 'changed';
  changes: string[];
  challenge: AcmeChallenge;
  /** HTTP-01: how the answer was served in this run (when an order was placed). */
  httpMode?: HttpMode;
  /** Whether a certificate was ordered in this run. */
  ordered: boolean;
  /** Why (or why not). */
  reason: string;
  /** Where the certificate in place came from. */
  directoryUrl: string;
  /** The directory the rehearsal (certbot --dry-run) used, when this run was a retry. */
  rehearsal?: string;
  /** The certbot command lines run (for the log and the tests). */
  certbotCommands: string[];
  /** The names the certificate in place covers, and its expiry (undefined in check mode before the first order). */
  dnsNames: string[];
  notAfter?: Date;
  /** True when certbot's timer renews it; false for a manual DNS-01 certificate. */
  automaticRenewal: boolean;
  /** A sentence for the report. */
  renewal: string;
}

/** The settings a profile gives (the wizard adds confirmTxt/waitTxt, and staging on a retry). */
export function letsEncryptSettings(profile: Profile): LetsEncryptSettings {
  if (profile.https.mode !== 'letsencrypt') throw new Error('https.mode is not letsencrypt');
  return {
    fqdn: profile.unit.fqdn,
    names: serverCertificateNames(profile),
    email: profile.https.email,
    challenge: acmeChallenge(profile),
    directoryUrl: profile.https.directoryUrl,
  };
}

const day = (d: Date) => d.toISOString().slice(0, 10);

function renewalSentence(automatic: boolean, notAfter: Date | undefined, fqdn: string): string {
  if (automatic) return 'renewed automatically by certbot\'s timer (nginx reloaded by the deploy hook)';
  const when = notAfter ? `expires on ${day(notAfter)}` : 'expires in about 90 days';
  return `${when}: renew it before then by running personium-setup install again (new _acme-challenge.${fqdn} TXT records are needed); it cannot renew automatically`;
}

async function readExisting(ctx: StepContext): Promise<ExistingCertificate | undefined> {
  const cert = await run(ctx, `cat -- ${q(`${LIVE_DIR}/cert.pem`)} 2>/dev/null`, {allowFail: true});
  if (cert.code !== 0 || !cert.stdout.includes('BEGIN CERTIFICATE')) return undefined;
  let info;
  try {
    info = readCertificate(cert.stdout);
  } catch {
    ctx.log(`${LIVE_DIR}/cert.pem cannot be read as a certificate; a new one is ordered`);
    return undefined;
  }
  const conf = await run(ctx, `cat -- ${q(RENEWAL_CONF)} 2>/dev/null`, {allowFail: true});
  const server = conf.code === 0 ? parseRenewalConf(conf.stdout).server : undefined;
  return {dnsNames: info.dnsNames, notAfter: info.notAfter, ...(server ? {server} : {})};
}

/** Whether nginx's certificate files are the lineage's (same bytes, the modes the nginx step keeps). */
async function deployedMatches(ctx: StepContext): Promise<boolean> {
  const script = [
    `[ "$(stat -c '%a %U %G %F' -- ${q(PATHS.serverCert)})" = '644 root root regular file' ]`,
    `[ "$(stat -c '%a %U %G %F' -- ${q(PATHS.serverKey)})" = '600 root root regular file' ]`,
    `cmp -s -- ${q(`${LIVE_DIR}/fullchain.pem`)} ${q(PATHS.serverCert)}`,
    `cmp -s -- ${q(`${LIVE_DIR}/privkey.pem`)} ${q(PATHS.serverKey)}`,
  ].join(' && ');
  return (await run(ctx, `sh -c ${q(script)} 2>/dev/null`, {allowFail: true})).code === 0;
}

async function deploy(ctx: StepContext): Promise<void> {
  const result = await run(ctx, command(['env', `RENEWED_LINEAGE=${LIVE_DIR}`, ACME_PATHS.deployHook]), {allowFail: true});
  if (result.code !== 0) {
    throw new StepError('the Let\'s Encrypt certificate could not be put in place for nginx (the previous files were kept)', ACME_PATHS.deployHook, `${result.stdout}${result.stderr}`.trim().split('\n').slice(-10));
  }
}

/** Renewal without anyone: certbot's systemd timer (Debian certbot.timer, RHEL certbot-renew.timer), else a cron line. */
async function ensureAutomaticRenewal(ctx: StepContext): Promise<void> {
  const units = await run(ctx, 'systemctl list-unit-files --no-legend certbot.timer certbot-renew.timer 2>/dev/null', {allowFail: true});
  const timer = ['certbot.timer', 'certbot-renew.timer'].find(name => units.stdout.split('\n').some(line => line.trim().startsWith(`${name} `)));
  if (timer) {
    await ensureService(ctx, {name: timer});
    return;
  }
  await ensureFile(ctx, {path: '/etc/cron.d/personium-setup-certbot', content: '# Managed by personium-setup: renew Let\'s Encrypt certificates twice a day.\n17 3,15 * * * root certbot -q renew\n', mode: 0o644});
}

/** HTTP-01: does port 80 serve the webroot (nginx), is it free (standalone), or is something else there? */
async function httpMode(ctx: StepContext, fqdn: string): Promise<HttpMode> {
  const token = `personium-setup-probe-${randomBytes(8).toString('hex')}`;
  const dir = `${PATHS.acmeWebroot}/.well-known/acme-challenge`;
  const file = `${dir}/${token}`;
  const script = [
    `install -d -m 0755 -- ${q(PATHS.acmeWebroot)} ${q(`${PATHS.acmeWebroot}/.well-known`)} ${q(dir)}`,
    `printf %s ${q(token)} > ${q(file)} && chmod 0644 ${q(file)}`,
    `out=$(curl -sS --max-time 5 -H ${q(`Host: ${fqdn}`)} ${q(`http://127.0.0.1/.well-known/acme-challenge/${token}`)} 2>&1); rc=$?`,
    `rm -f -- ${q(file)}`,
    `[ $rc -eq 0 ] && [ "$out" = ${q(token)} ] && { echo webroot; exit 0; }`,
    `if command -v ss >/dev/null 2>&1 && [ -z "$(ss -Hltn 'sport = :80')" ]; then echo free; else echo other; fi`,
  ].join('\n');
  const probe = await run(ctx, `sh -c ${q(script)}`, {allowFail: true});
  const answer = probe.stdout.trim().split('\n').at(-1);
  if (answer === 'webroot') return 'webroot';
  if (answer === 'free') {
    ctx.log('port 80 is free (nginx is not serving it yet): certbot answers the HTTP-01 challenge itself (--standalone)');
    return 'standalone';
  }
  throw new StepError(
    `port 80 on ${ctx.host.name} is taken by something that does not serve ${PATHS.acmeWebroot} at /.well-known/acme-challenge/: ` +
      'Let\'s Encrypt could not validate through it. Run the nginx step first (its site serves the webroot on port 80), or free port 80',
    'probe http://127.0.0.1/.well-known/acme-challenge/',
  );
}

/** The DNS-01 hand-off stopped certbot in its auth hook: no validation was asked for, nothing issued. */
export class StoppedBeforeValidation extends StepError {
  override name = 'StoppedBeforeValidation';
}

interface CertbotRun {
  code: number;
  output: string;
  commandLine: string;
}

/** certbot for a DNS-01 order: run it, and while it runs, hand the TXT records to the operator. */
async function runDnsRound(ctx: StepContext, settings: LetsEncryptSettings, commandFor: (env: Record<string, string>) => string, timeoutMs: number): Promise<CertbotRun> {
  const spool = `${ACME_PATHS.stateDir}/dns-${Date.now()}-${randomBytes(4).toString('hex')}`;
  await run(ctx, `install -d -m 0700 -- ${q(spool)}`);
  const commandLine = commandFor({[SPOOL_ENV]: spool, [WAIT_ENV]: String(settings.txtWaitSeconds ?? 3600)});
  let settled = false;
  const certbot = run(ctx, commandLine, {allowFail: true, timeoutMs}).then(result => {
    settled = true;
    return result;
  });
  let handOffError: unknown;
  try {
    // Wait (up to 10 s per round trip, on the server) for the auth hook's "ready".
    const waitReady = `i=0; while [ $i -lt 20 ]; do if [ -e ${q(`${spool}/ready`)} ]; then cat ${q(`${spool}/records`)}; exit 0; fi; sleep 0.5; i=$((i+1)); done; exit 3`;
    let records: TxtRecord[] | undefined;
    while (!settled && !records) {
      const probe = await ctx.host.exec(`sh -c ${q(waitReady)}`, {sudo: true, timeoutMs: 60_000, signal: ctx.signal});
      if (probe.code === 0) records = txtRecords(parseSpool(probe.stdout));
    }
    if (records) {
      ctx.log(`DNS-01: create these TXT records (both values when a name is listed twice):\n${describeTxtRecords(records).join('\n')}`);
      if (!settings.confirmTxt) throw new Error(`the TXT records must be created by hand and nobody was asked to: ${describeTxtRecords(records).join('; ')}`);
      await settings.confirmTxt(records);
      await (settings.waitTxt ?? (r => waitForTxtRecords(r, {server: settings.dnsResolver, onProgress: line => ctx.log(line)})))(records);
      await ctx.host.exec(`touch ${q(`${spool}/go`)}`, {sudo: true, timeoutMs: 30_000});
      ctx.log('DNS-01: the TXT records resolve; certbot asks for validation now');
    }
  } catch (error) {
    handOffError = error;
    // The auth hook gives up at once: certbot stops before asking for validation.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 500);
    await ctx.host.exec(`printf '%s\\n' ${q(reason)} > ${q(`${spool}/abort`)}`, {sudo: true, timeoutMs: 30_000}).catch(() => undefined);
  }
  const result = await certbot;
  await run(ctx, `rm -rf -- ${q(spool)}`, {allowFail: true});
  if (handOffError) {
    const message = handOffError instanceof Error ? handOffError.message : String(handOffError);
    // No validation was asked for: nothing counts against the rate limits, nothing was issued.
    throw new StoppedBeforeValidation(`DNS-01 stopped before validation: ${message}`, commandLine, `${result.stdout}${result.stderr}`.trim().split('\n').slice(-8));
  }
  return {code: result.code, output: `${result.stdout}${result.stderr}`, commandLine};
}

/**
 * The step body: certbot installed, the hooks in place, a certificate covering `names` in
 * nginx's files, renewal set up. Honours check mode (says what it would order, orders nothing).
 */
export async function ensureLetsEncryptCertificate(ctx: StepContext, settings: LetsEncryptSettings): Promise<CertificateOutcome> {
  const changes: string[] = [];
  const track: StepContext = {
    ...ctx,
    changed: what => {
      changes.push(what);
      ctx.changed(what);
    },
  };
  const now = (settings.now ?? Date.now)();
  const names = [...new Set(settings.names.map(n => n.toLowerCase()))];
  if (!names.includes(settings.fqdn.toLowerCase())) names.unshift(settings.fqdn.toLowerCase());
  const challenge = challengeFor(names, settings.challenge);
  const directoryUrl = settings.directoryUrl ?? LETSENCRYPT_PRODUCTION;

  await ensurePackages(track, ['certbot']);
  await ensureDirectory(track, '/var/lib/personium-setup', {mode: 0o755});
  await ensureDirectory(track, ACME_PATHS.stateDir, {mode: 0o700});
  await ensureDirectory(track, '/usr/local/libexec/personium-setup', {mode: 0o755});
  await ensureFile(track, {path: ACME_PATHS.deployHook, content: deployHookScript(), mode: 0o755});
  await ensureFile(track, {path: ACME_PATHS.dnsHook, content: dnsHookScript(), mode: 0o755});
  if (settings.caBundle) await ensureFile(track, {path: ACME_PATHS.caBundle, content: settings.caBundle, mode: 0o644});

  const existing = await readExisting(track);
  const decision = decideOrder(existing, names, directoryUrl, now);
  ctx.log(`Let's Encrypt: ${decision.why}`);
  const commands: string[] = [];
  let mode: HttpMode | undefined;
  let rehearsal: string | undefined;

  if (decision.order) {
    track.changed(`certificate for ${names.join(', ')} ordered from ${directoryUrl} (${challenge}): ${decision.why}`);
    if (ctx.checkOnly) {
      const automatic = challenge === 'http-01';
      return {
        status: 'changed',
        changes,
        challenge,
        ordered: true,
        reason: decision.why,
        directoryUrl,
        certbotCommands: [],
        dnsNames: existing?.dnsNames ?? [],
        notAfter: existing?.notAfter,
        automaticRenewal: automatic,
        renewal: renewalSentence(automatic, undefined, settings.fqdn),
      };
    }
    const failedBefore = (await run(track, `test -e ${q(ACME_PATHS.failedMarker)}`, {allowFail: true})).code === 0;
    const retry = settings.staging ?? failedBefore;
    const dirs = chooseDirectories(directoryUrl, retry);
    rehearsal = dirs.rehearsal;
    if (challenge === 'http-01') mode = await httpMode(track, settings.fqdn);
    const env: Record<string, string> = settings.caBundle ? {REQUESTS_CA_BUNDLE: ACME_PATHS.caBundle} : {};

    const attempt = async (server: string, dryRun: boolean): Promise<void> => {
      const build = (extraEnv: Record<string, string>) =>
        command(certbotArgs({challenge, httpMode: mode, names, email: settings.email, server, webroot: PATHS.acmeWebroot, dryRun, forceRenewal: decision.forceRenewal && !dryRun, env: {...env, ...extraEnv}}));
      let result: CertbotRun;
      try {
        if (challenge === 'dns-01') {
          result = await runDnsRound(track, settings, build, ((settings.txtWaitSeconds ?? 3600) + 600) * 1000);
        } else {
          const commandLine = build({});
          const r = await run(track, commandLine, {allowFail: true, timeoutMs: 900_000});
          result = {code: r.code, output: `${r.stdout}${r.stderr}`, commandLine};
        }
      } catch (error) {
        // Stopped before validation (records missing or wrong): no rate limit was touched, so the
        // next attempt needs no rehearsal (and the operator no extra round of TXT records).
        if (!(error instanceof StoppedBeforeValidation)) await markFailed(track, server);
        throw error;
      }
      commands.push(result.commandLine);
      if (result.code === 0) return;
      await markFailed(track, server);
      const what = dryRun ? `the rehearsal against ${server} (certbot --dry-run) failed` : `certbot could not get the certificate from ${server}`;
      const hint =
        challenge === 'http-01'
          ? `check that http://${settings.fqdn}/.well-known/acme-challenge/ reaches ${ctx.host.name} on port 80 from the internet (A/AAAA records, firewall, load balancer)`
          : `check the _acme-challenge TXT records of ${settings.fqdn} (one value per name certbot asked for)`;
      throw new StepError(
        `${what}: ${certbotFailureDetail(result.output).join(' | ')}. Hint: ${hint}. Nothing was changed for nginx; the next attempt rehearses against ${chooseDirectories(directoryUrl, true).rehearsal ?? directoryUrl} first`,
        result.commandLine,
        result.output.trim().split('\n').slice(-15),
      );
    };

    if (dirs.rehearsal) {
      ctx.log(`Let's Encrypt: the last attempt failed (or staging was asked for): rehearsing against ${dirs.rehearsal} first`);
      await attempt(dirs.rehearsal, true);
    }
    await attempt(dirs.order, false);
    await run(track, `rm -f -- ${q(ACME_PATHS.failedMarker)}`);
  }

  // nginx's files hold the lineage (the deploy hook did it after an order; after a re-install the
  // nginx step may have written a placeholder).
  if (!ctx.checkOnly || !decision.order) {
    if (!(await deployedMatches(track))) {
      track.changed(`${PATHS.serverCert} and ${PATHS.serverKey} from ${LIVE_DIR}, nginx reloaded`);
      if (!ctx.checkOnly) await deploy(track);
    }
  }

  const automaticRenewal = challenge === 'http-01';
  if (automaticRenewal) await ensureAutomaticRenewal(track);
  const current = ctx.checkOnly ? existing : await readExisting(track);
  if (!ctx.checkOnly && !current) throw new StepError(`certbot finished but ${LIVE_DIR}/cert.pem is missing`);
  if (!ctx.checkOnly && changes.length > 0) await waitForServedCertificate(track, settings.fqdn);
  return {
    status: changes.length > 0 ? 'changed' : 'ok',
    changes,
    challenge,
    ...(mode ? {httpMode: mode} : {}),
    ordered: decision.order,
    reason: decision.why,
    directoryUrl: current?.server ?? directoryUrl,
    ...(rehearsal ? {rehearsal} : {}),
    certbotCommands: commands,
    dnsNames: current?.dnsNames ?? [],
    notAfter: current?.notAfter,
    automaticRenewal,
    renewal: renewalSentence(automaticRenewal, current?.notAfter, settings.fqdn),
  };
}

async function markFailed(ctx: StepContext, server: string): Promise<void> {
  await run(ctx, `printf '%s %s\\n' "$(date -u +%FT%TZ)" ${q(server)} > ${q(ACME_PATHS.failedMarker)}`, {allowFail: true});
}

export interface ObtainCertificateOptions extends LetsEncryptSettings {
  /** The web server. */
  host: Host;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** ensureLetsEncryptCertificate on its own (outside an executor run): the wizard or a test. */
export async function obtainCertificate(options: ObtainCertificateOptions): Promise<CertificateOutcome> {
  const {host, log, signal, ...settings} = options;
  const ctx: StepContext = {
    host,
    os: await detectOs(host),
    checkOnly: false,
    signal,
    log,
    changed: what => log(`changed: ${what}`),
    memo: new Map(),
  };
  return ensureLetsEncryptCertificate(ctx, settings);
}

/**
 * The installer's step on the web host: `<web>:letsencrypt`, after the nginx step (port 80 serves
 * the webroot) and before bootstrap. `settings` is letsEncryptSettings(profile) plus the wizard's
 * confirmTxt/waitTxt; onOutcome hands the expiry and renewal sentence to the report.
 */
export function letsEncryptStep(options: {host: string; needs: string[]; settings: LetsEncryptSettings; onOutcome?: (outcome: CertificateOutcome) => void}): StepDefinition {
  return {
    key: `${options.host}:letsencrypt`,
    host: options.host,
    id: 'letsencrypt',
    title: 'Let\'s Encrypt server certificate',
    needs: options.needs,
    // Not retried on a dropped connection: an order may have been placed; the next run decides afresh.
    retryable: false,
    run: async ctx => {
      const outcome = await ensureLetsEncryptCertificate(ctx, options.settings);
      ctx.log(`Let's Encrypt: ${outcome.dnsNames.join(', ') || 'no certificate yet'}${outcome.notAfter ? `, valid until ${day(outcome.notAfter)}` : ''}; ${outcome.renewal}`);
      options.onOutcome?.(outcome);
    },
  };
}

