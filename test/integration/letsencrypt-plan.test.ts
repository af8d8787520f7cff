// The Let's Encrypt planning rules, without servers: which directory an attempt uses, the TXT
// records DNS-01 needs, certbot's command lines, the 30-day rule and the hook scripts' syntax.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {
  ACME_PATHS,
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
  certbotArgs,
  certbotFailureDetail,
  challengeFor,
  chooseDirectories,
  decideOrder,
  describeTxtRecords,
  isLetsEncryptDirectory,
  parseRenewalConf,
  parseSpool,
  txtRecordName,
  txtRecords,
} from '../../source/steps/acme/plan.js';
import {deployHookScript, dnsHookScript} from '../../source/steps/acme/scripts.js';
import {letsEncryptSettings} from '../../source/steps/letsencrypt.js';
import {validateAnswers} from '../../source/profile/answers.js';

const FQDN = 'personium.example.test';
const DAY = 86_400_000;

describe('directory choice', () => {
  it('a first attempt orders from the configured directory, with no rehearsal', () => {
    expect(chooseDirectories(LETSENCRYPT_PRODUCTION, false)).toEqual({order: LETSENCRYPT_PRODUCTION});
  });
  it('a retry against Let\'s Encrypt production rehearses against its staging directory, then orders from production', () => {
    expect(chooseDirectories(LETSENCRYPT_PRODUCTION, true)).toEqual({order: LETSENCRYPT_PRODUCTION, rehearsal: LETSENCRYPT_STAGING});
  });
  it('a retry against another ACME server rehearses against that server (no staging twin)', () => {
    const other = 'https://acme.example.com/directory';
    expect(chooseDirectories(other, true)).toEqual({order: other, rehearsal: other});
  });
  it('staging configured: nothing to rehearse', () => {
    expect(chooseDirectories(LETSENCRYPT_STAGING, true)).toEqual({order: LETSENCRYPT_STAGING});
  });
  it('knows Let\'s Encrypt\'s directories by host', () => {
    expect(isLetsEncryptDirectory(LETSENCRYPT_PRODUCTION)).toBe(true);
    expect(isLetsEncryptDirectory(LETSENCRYPT_STAGING)).toBe(true);
    expect(isLetsEncryptDirectory('https://acme-v02.api.letsencrypt.org.evil.example/directory')).toBe(false);
    expect(isLetsEncryptDirectory('not a url')).toBe(false);
  });
});

describe('challenge and TXT records', () => {
  it('wildcards need dns-01; otherwise http-01 unless asked', () => {
    expect(challengeFor([FQDN])).toBe('http-01');
    expect(challengeFor([FQDN, `*.${FQDN}`])).toBe('dns-01');
    expect(challengeFor([FQDN], 'dns-01')).toBe('dns-01');
    expect(() => challengeFor([FQDN, `*.${FQDN}`], 'http-01')).toThrow(/dns-01/);
  });
  it('the wildcard and the apex share one _acme-challenge name, with two values', () => {
    expect(txtRecordName(`*.${FQDN}`)).toBe(`_acme-challenge.${FQDN}`);
    expect(txtRecordName(`${FQDN.toUpperCase()}.`)).toBe(`_acme-challenge.${FQDN}`);
    const records = txtRecords(parseSpool(`${FQDN} value-one\n${FQDN} value-two\n${FQDN} value-two\n\ngarbage\n`));
    expect(records).toEqual([
      {name: `_acme-challenge.${FQDN}`, value: 'value-one'},
      {name: `_acme-challenge.${FQDN}`, value: 'value-two'},
    ]);
    expect(describeTxtRecords(records)).toEqual([`_acme-challenge.${FQDN}. 60 IN TXT "value-one"`, `_acme-challenge.${FQDN}. 60 IN TXT "value-two"`]);
  });
  it('the profile gives names, challenge and directory (per-cell → dns-01 and the wildcard)', () => {
    const base = {pattern: 'small', hosts: [{name: 's1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}]};
    const perCell = validateAnswers({...base, unit: {fqdn: FQDN, cellUrlMode: 'per-cell'}, https: {mode: 'letsencrypt', email: 'ops@example.test'}}, 't').profile;
    expect(letsEncryptSettings(perCell)).toEqual({fqdn: FQDN, names: [FQDN, `*.${FQDN}`], email: 'ops@example.test', challenge: 'dns-01', directoryUrl: LETSENCRYPT_PRODUCTION});
    const path = validateAnswers({...base, unit: {fqdn: FQDN, cellUrlMode: 'path-based'}, https: {mode: 'letsencrypt', email: 'ops@example.test'}}, 't').profile;
    expect(letsEncryptSettings(path)).toMatchObject({names: [FQDN], challenge: 'http-01'});
  });
});

describe('certbot command lines', () => {
  const common = {names: [FQDN], email: 'ops@example.test', server: LETSENCRYPT_PRODUCTION, webroot: '/var/lib/personium-setup/acme'};
  it('HTTP-01 with the webroot nginx serves, the deploy hook and the lineage name', () => {
    const args = certbotArgs({...common, challenge: 'http-01'});
    expect(args.join(' ')).toBe(
      `certbot certonly --non-interactive --agree-tos --no-eff-email -m ops@example.test --server ${LETSENCRYPT_PRODUCTION} --cert-name personium -d ${FQDN} --webroot -w /var/lib/personium-setup/acme --deploy-hook ${ACME_PATHS.deployHook}`,
    );
  });
  it('HTTP-01 standalone stops and restarts nginx around renewals only when it was running', () => {
    const args = certbotArgs({...common, challenge: 'http-01', httpMode: 'standalone'});
    expect(args).toContain('--standalone');
    // certbot insists on a program in PATH as the first word of a hook.
    expect(args[args.indexOf('--pre-hook') + 1]).toMatch(/^sh -c 'if systemctl is-active -q nginx; then systemctl stop nginx/);
    expect(args[args.indexOf('--post-hook') + 1]).toMatch(/^sh -c '.*systemctl start nginx; fi'$/);
  });
  it('DNS-01: manual with the hooks, no automatic renewal; env, rehearsal and forced renewal flags', () => {
    const args = certbotArgs({...common, names: [FQDN, `*.${FQDN}`], challenge: 'dns-01', dryRun: true, forceRenewal: true, env: {REQUESTS_CA_BUNDLE: '/x/ca.pem'}});
    expect(args.slice(0, 3)).toEqual(['env', 'REQUESTS_CA_BUNDLE=/x/ca.pem', 'certbot']);
    expect(args.join(' ')).toContain(`-d ${FQDN} -d *.${FQDN} --manual --preferred-challenges dns --manual-auth-hook`);
    expect(args).toContain(`${ACME_PATHS.dnsHook} auth`);
    expect(args).toContain(`${ACME_PATHS.dnsHook} cleanup`);
    expect(args).toContain('--no-autorenew');
    expect(args.slice(-2)).toEqual(['--force-renewal', '--dry-run']);
  });
  it('failure detail keeps certbot\'s own explanation lines', () => {
    const output = [
      'Saving debug log to /var/log/letsencrypt/letsencrypt.log',
      'Requesting a certificate for personium.example.test',
      '',
      'Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority reported these problems:',
      '  Domain: personium.example.test',
      '  Type:   unauthorized',
      '  Detail: 192.0.2.10: Invalid response from http://personium.example.test/.well-known/acme-challenge/x: 404',
      '',
      'Hint: The Certificate Authority failed to download the temporary challenge files created by Certbot.',
      'Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /var/log/letsencrypt/letsencrypt.log or re-run Certbot with -v for more details.',
    ].join('\n');
    const detail = certbotFailureDetail(output);
    expect(detail[0]).toMatch(/^Certbot failed to authenticate/);
    expect(detail).toContain('Type:   unauthorized');
    expect(detail.some(l => l.startsWith('Detail: 192.0.2.10: Invalid response'))).toBe(true);
    expect(detail.some(l => /Ask for help|Saving debug log/.test(l))).toBe(false);
  });
});

describe('order or not (idempotence)', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const cert = (names: string[], daysLeft: number, server: string | undefined = LETSENCRYPT_PRODUCTION) => ({dnsNames: names, notAfter: new Date(now + daysLeft * DAY), ...(server ? {server} : {})});
  it('orders when there is none, when a name is missing, when it expires within 30 days, when it came from elsewhere', () => {
    expect(decideOrder(undefined, [FQDN], LETSENCRYPT_PRODUCTION, now)).toMatchObject({order: true, forceRenewal: false});
    expect(decideOrder(cert([FQDN], 80), [FQDN, `*.${FQDN}`], LETSENCRYPT_PRODUCTION, now)).toMatchObject({order: true, why: expect.stringContaining(`*.${FQDN}`)});
    expect(decideOrder(cert([FQDN], 29), [FQDN], LETSENCRYPT_PRODUCTION, now)).toMatchObject({order: true, why: 'the certificate expires in 29 days'});
    expect(decideOrder(cert([FQDN], -1), [FQDN], LETSENCRYPT_PRODUCTION, now)).toMatchObject({order: true, why: 'the certificate has expired'});
    expect(decideOrder(cert([FQDN], 80, LETSENCRYPT_STAGING), [FQDN], LETSENCRYPT_PRODUCTION, now)).toMatchObject({order: true, why: expect.stringContaining('staging')});
  });
  it('keeps a certificate that covers the names, came from the directory and has 30 days or more', () => {
    expect(decideOrder(cert([FQDN], 30), [FQDN], LETSENCRYPT_PRODUCTION, now)).toEqual({order: false, why: `the certificate covers ${FQDN} and is valid for 30 more days`});
    expect(decideOrder(cert([FQDN, `*.${FQDN}`], 60), [FQDN, `*.${FQDN}`], `${LETSENCRYPT_PRODUCTION}/`, now).order).toBe(false);
    // A wildcard certificate does not stand for the apex.
    expect(decideOrder(cert([`*.${FQDN}`], 60), [FQDN], LETSENCRYPT_PRODUCTION, now).order).toBe(true);
  });
  it('reads certbot\'s renewal configuration', () => {
    const conf = parseRenewalConf('version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/personium\n\n[renewalparams]\nauthenticator = webroot\nserver = https://x/dir\nautorenew = False\n');
    expect(conf).toMatchObject({version: '2.1.0', authenticator: 'webroot', server: 'https://x/dir', autorenew: 'False'});
  });
});

describe('hook scripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'le-hooks-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));
  it('are valid POSIX sh (dash -n) and name the nginx files', () => {
    for (const [name, text] of [['deploy', deployHookScript()], ['dns', dnsHookScript()]] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      execFileSync('sh', ['-n', file]);
    }
    expect(deployHookScript()).toContain('/etc/nginx/personium/server.crt');
    expect(deployHookScript()).toMatch(/nginx -t/);
  });
  it('the DNS hook refuses to run without the tool (certbot\'s timer), at once', () => {
    const file = join(dir, 'dns-hook');
    writeFileSync(file, dnsHookScript(), {mode: 0o755});
    let message = '';
    try {
      execFileSync('sh', [file, 'auth'], {env: {PATH: process.env.PATH, CERTBOT_DOMAIN: FQDN, CERTBOT_VALIDATION: 'v'}, stdio: 'pipe', timeout: 5000});
    } catch (error) {
      message = String((error as {stderr: Buffer}).stderr);
    }
    expect(message).toMatch(/made by hand; renew it by running personium-setup install again/);
  });
  it('the DNS hook spools each challenge and waits only after the last one, for go or abort', () => {
    const spool = join(dir, 'spool');
    execFileSync('mkdir', ['-p', spool]);
    const file = join(dir, 'dns-hook2');
    writeFileSync(file, dnsHookScript(), {mode: 0o755});
    const env = {PATH: process.env.PATH, PERSONIUM_SETUP_ACME_SPOOL: spool, CERTBOT_DOMAIN: FQDN};
    execFileSync('sh', [file, 'auth'], {env: {...env, CERTBOT_VALIDATION: 'one', CERTBOT_REMAINING_CHALLENGES: '1'}, timeout: 5000});
    writeFileSync(join(spool, 'abort'), 'the operator said no\n');
    let message = '';
    try {
      execFileSync('sh', [file, 'auth'], {env: {...env, CERTBOT_VALIDATION: 'two', CERTBOT_REMAINING_CHALLENGES: '0'}, stdio: 'pipe', timeout: 5000});
    } catch (error) {
      message = String((error as {stderr: Buffer}).stderr);
    }
    expect(message).toMatch(/stopped before validation: the operator said no/);
    expect(parseSpool(execFileSync('cat', [join(spool, 'records')], {encoding: 'utf8'}))).toEqual([
      {domain: FQDN, validation: 'one'},
      {domain: FQDN, validation: 'two'},
    ]);
  });
});
