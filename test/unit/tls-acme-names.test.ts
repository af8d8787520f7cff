// Let's Encrypt planning (no network) and the name-matching rules, plus certbot's own argument
// parser on the command lines where certbot is installed.
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {Profile, type ProfileInput} from '../../source/profile/schema.js';
import {
  certbotCommand,
  chooseChallenge,
  deployHook,
  directoryForAttempt,
  dnsChallengeRecords,
  LETSENCRYPT_DIRECTORY,
  LETSENCRYPT_STAGING_DIRECTORY,
  planLetsEncrypt,
} from '../../source/tls/acme.js';
import {generateServerCertificate} from '../../source/tls/generate.js';
import {describeCoveredNames, nameCovers, uncoveredNames} from '../../source/tls/names.js';

const FQDN = 'personium.example.com';

function profile(cellUrlMode: 'per-cell' | 'path-based', https: Record<string, unknown> = {}): Profile {
  const input: ProfileInput = {
    pattern: 'small',
    hosts: [{name: 'unit1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
    unit: {fqdn: FQDN, cellUrlMode},
    https: {mode: 'letsencrypt', email: 'ops@example.com', ...https} as ProfileInput['https'],
  } as ProfileInput;
  return Profile.parse(input);
}

describe('name matching', () => {
  it.each([
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'A.Example.COM', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '*.example.com', true],
    ['a.example.com', '*.example.com', false],
    ['example.com', 'example.com', true],
    ['example.com.', 'example.com', true],
    ['f*.example.com', 'foo.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*.com', 'example.com', true],
  ])('%s covers %s: %s', (pattern, name, covered) => {
    expect(nameCovers(pattern, name)).toBe(covered);
  });

  it('lists what is not covered and describes a certificate', async () => {
    expect(uncoveredNames([FQDN], [FQDN, `*.${FQDN}`])).toEqual([`*.${FQDN}`]);
    expect(uncoveredNames([`*.${FQDN}`], [FQDN])).toEqual([FQDN]);
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN, `*.${FQDN}`], key: {type: 'ecdsa'}});
    expect(describeCoveredNames(made.certPem)).toBe('personium.example.com, *.personium.example.com');
  });
});

describe("Let's Encrypt plan", () => {
  it('challenge follows the cell URL mode; http-01 with per-cell is refused', () => {
    expect(chooseChallenge('per-cell')).toBe('dns-01');
    expect(chooseChallenge('path-based')).toBe('http-01');
    expect(chooseChallenge('path-based', 'dns-01')).toBe('dns-01');
    expect(() => chooseChallenge('per-cell', 'http-01')).toThrow(/dns-01/);
  });

  it('DNS-01 records: _acme-challenge.<fqdn>, once per certificate name', () => {
    expect(dnsChallengeRecords([FQDN, `*.${FQDN}`])).toEqual([
      {name: `_acme-challenge.${FQDN}`, type: 'TXT', forName: FQDN},
      {name: `_acme-challenge.${FQDN}`, type: 'TXT', forName: `*.${FQDN}`},
    ]);
  });

  it('retries rehearse on staging, then go back to the configured directory', () => {
    expect(directoryForAttempt(LETSENCRYPT_DIRECTORY, 1)).toEqual({url: LETSENCRYPT_DIRECTORY, rehearsal: false});
    expect(directoryForAttempt(LETSENCRYPT_DIRECTORY, 2)).toEqual({url: LETSENCRYPT_STAGING_DIRECTORY, rehearsal: true});
    expect(directoryForAttempt(LETSENCRYPT_DIRECTORY, 3, true)).toEqual({url: LETSENCRYPT_DIRECTORY, rehearsal: false});
    expect(directoryForAttempt(LETSENCRYPT_STAGING_DIRECTORY, 2)).toEqual({url: LETSENCRYPT_STAGING_DIRECTORY, rehearsal: false});
  });

  it('path-based: certonly --webroot for the FQDN', () => {
    const plan = planLetsEncrypt(profile('path-based'), {webroot: '/var/lib/personium-setup/acme', serverCertPath: '/etc/nginx/personium/server.crt', serverKeyPath: '/etc/nginx/personium/server.key'});
    expect(plan.challenge).toBe('http-01');
    expect(plan.dnsRecords).toEqual([]);
    expect(plan.livePath).toBe(`/etc/letsencrypt/live/${FQDN}`);
    expect(plan.certbot.argv).toEqual([
      'certbot', 'certonly', '--non-interactive', '--agree-tos', '-m', 'ops@example.com', '--server', LETSENCRYPT_DIRECTORY,
      '--cert-name', FQDN, '--webroot', '-w', '/var/lib/personium-setup/acme', '-d', FQDN, '--keep-until-expiring', '--expand',
      '--deploy-hook',
      'install -m 0644 "$RENEWED_LINEAGE/fullchain.pem" /etc/nginx/personium/server.crt && install -m 0600 "$RENEWED_LINEAGE/privkey.pem" /etc/nginx/personium/server.key && nginx -t && systemctl reload nginx',
    ]);
  });

  it('per-cell: --manual --preferred-challenges dns with hooks, both names; a retry is a staging dry run without the deploy hook', () => {
    const p = profile('per-cell');
    const first = planLetsEncrypt(p, {authHook: '/usr/local/lib/personium-setup/acme-auth', cleanupHook: '/usr/local/lib/personium-setup/acme-cleanup'});
    expect(first.challenge).toBe('dns-01');
    expect(first.dnsRecords.map(r => r.name)).toEqual([`_acme-challenge.${FQDN}`, `_acme-challenge.${FQDN}`]);
    expect(first.certbot.argv).toEqual([
      'certbot', 'certonly', '--non-interactive', '--agree-tos', '-m', 'ops@example.com', '--server', LETSENCRYPT_DIRECTORY,
      '--cert-name', FQDN, '--manual', '--preferred-challenges', 'dns',
      '--manual-auth-hook', '/usr/local/lib/personium-setup/acme-auth', '--manual-cleanup-hook', '/usr/local/lib/personium-setup/acme-cleanup',
      '-d', FQDN, '-d', `*.${FQDN}`, '--keep-until-expiring', '--expand', '--deploy-hook', 'nginx -t && systemctl reload nginx',
    ]);
    expect(first.certbot.command).toContain(`-d ${FQDN} -d '*.${FQDN}'`);
    expect(first.certbot.command).toContain(`--deploy-hook 'nginx -t && systemctl reload nginx'`);
    const retry = planLetsEncrypt(p, {attempt: 2, authHook: '/h'});
    expect(retry.directory).toEqual({url: LETSENCRYPT_STAGING_DIRECTORY, rehearsal: true});
    expect(retry.certbot.argv).toContain('--dry-run');
    expect(retry.certbot.argv).not.toContain('--deploy-hook');
    expect(retry.certbot.argv.slice(6, 8)).toEqual(['--server', LETSENCRYPT_STAGING_DIRECTORY]);
  });

  it('the command line survives sh word splitting as the same argv', () => {
    const {argv, command} = certbotCommand({names: [FQDN, `*.${FQDN}`], email: "o'brien@example.com", challenge: 'dns-01', directoryUrl: LETSENCRYPT_DIRECTORY, authHook: '/x y/hook', serverCertPath: "/etc/it's/server.crt"});
    const echoed = spawnSync('sh', ['-c', `for a in ${command.replace(/^certbot /, '')}; do printf '%s\\0' "$a"; done`], {encoding: 'utf8'}).stdout;
    expect(['certbot', ...echoed.split('\0').slice(0, -1)]).toEqual(argv);
    expect(deployHook({serverCertPath: "/etc/it's/server.crt"})).toBe(`install -m 0644 "$RENEWED_LINEAGE/fullchain.pem" '/etc/it'\\''s/server.crt' && nginx -t && systemctl reload nginx`);
  });

  it('refuses what certbot could not do unattended', () => {
    const base = {email: 'a@example.com', directoryUrl: LETSENCRYPT_DIRECTORY};
    expect(() => certbotCommand({...base, names: [FQDN, `*.${FQDN}`], challenge: 'http-01', webroot: '/w'})).toThrow(/wildcard/);
    expect(() => certbotCommand({...base, names: [FQDN], challenge: 'http-01'})).toThrow(/webroot/);
    expect(() => certbotCommand({...base, names: [FQDN], challenge: 'dns-01'})).toThrow(/auth hook/);
    expect(() => planLetsEncrypt(Profile.parse({...profileInputSelfSigned()}))).toThrow(/not letsencrypt/);
  });
});

function profileInputSelfSigned(): ProfileInput {
  return {pattern: 'small', hosts: [{name: 'unit1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}], unit: {fqdn: FQDN}} as ProfileInput;
}

const hasCertbot = spawnSync('sh', ['-c', 'command -v certbot'], {stdio: 'ignore'}).status === 0;
describe.skipIf(!hasCertbot)('certbot accepts the command lines (argument parsing only, no ACME server)', {timeout: 120_000}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-certbot-'));
  mkdirSync(join(dir, 'webroot'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it.each([
    ['http-01', planLetsEncrypt(profile('path-based'), {webroot: join(dir, 'webroot'), serverCertPath: join(dir, 'server.crt'), serverKeyPath: join(dir, 'server.key')}).certbot.argv],
    ['dns-01', planLetsEncrypt(profile('per-cell'), {authHook: '/bin/true', cleanupHook: '/bin/true'}).certbot.argv],
    ['dns-01 rehearsal', planLetsEncrypt(profile('per-cell'), {attempt: 2, authHook: '/bin/true'}).certbot.argv],
  ])('%s', (_label, argv) => {
    // A directory URL nothing listens on: certbot parses and checks every option, then fails
    // to reach the server. An option it did not know would end it before that.
    const args = argv.slice(1).map((arg, i, all) => (all[i - 1] === '--server' ? 'http://127.0.0.1:9/directory' : arg));
    const r = spawnSync('certbot', [...args, '--config-dir', join(dir, 'config'), '--work-dir', join(dir, 'work'), '--logs-dir', join(dir, 'logs')], {encoding: 'utf8', timeout: 100_000});
    const output = `${r.stdout}${r.stderr}`;
    // certbot leaves a log directory of its own in the temp dir when it fails early.
    const stray = /See the logfile (\/tmp\/certbot-log-[^/\s]+)\/log/.exec(output)?.[1];
    if (stray) rmSync(stray, {recursive: true, force: true});
    expect(output).not.toMatch(/unrecognized arguments|error: argument|usage:|ambiguous option/i);
    expect(output, output).toMatch(/127\.0\.0\.1\/directory: Connection refused|Failed to establish/i);
  });
});
