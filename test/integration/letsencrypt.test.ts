// Let's Encrypt end to end against a real ACME server: Debian's pebble on this machine (with
// pebble-challtestsrv as the DNS server pebble validates through), certbot on a real Debian 12
// test server with nginx serving the ACME webroot on port 80. The test plays the operator of
// DNS-01: it creates the TXT records in challtestsrv when the step shows them.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectHosts} from '../../source/hosts/connect.js';
import type {Host} from '../../source/hosts/host.js';
import {PATHS} from '../../source/plan/paths.js';
import {waitForTxtRecords} from '../../source/steps/acme/dns.js';
import {ACME_PATHS, LIVE_DIR, RENEWAL_CONF} from '../../source/steps/acme/plan.js';
import {obtainCertificate, type CertificateOutcome, type LetsEncryptSettings, type TxtRecord} from '../../source/steps/letsencrypt.js';
import {renderNginxSite} from '../../source/steps/render/nginx.js';
import {openssl, startPebble, type PebbleServer} from '../harness/pebble.js';
import {rootSsh, testHostsAvailable, type TestHostSet, runHarness} from '../harness/testhosts.js';
import {context, smallProfile} from '../unit/render-fixtures.js';

// Test servers of their own (directory, bridge, subnet, cgroup), so no other set is touched.
const HARNESS_ENV = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-acme',
  PDS_TESTHOSTS_BASE: '/var/cache/pds-testhosts/base',
  PDS_TESTHOSTS_BRIDGE: 'pdsbr5',
  PDS_TESTHOSTS_NET: '10.213.5',
  PDS_TESTHOSTS_CGROUP: 'pds-th-acme',
};
const BRIDGE_ADDRESS = `${HARNESS_ENV.PDS_TESTHOSTS_NET}.1`;
const WEB_ADDRESS = `${HARNESS_ENV.PDS_TESTHOSTS_NET}.11`;
const FQDN = 'personium.acme.test';
const EMAIL = 'ops@acme.test';

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping Let's Encrypt integration tests: ${available.reason}`);

const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe.skipIf(!available.ok)("Let's Encrypt with certbot against pebble on a real server", () => {
  let set: TestHostSet;
  let pebble: PebbleServer;
  let host: Host;
  let closeHosts: () => Promise<void> = async () => {};
  let work: string;
  let pebbleRoot: string;

  const root = async (command: string, input = '') => {
    const result = await rootSsh(set, 'host1', command, input);
    if (result.code !== 0) throw new Error(`host1: ${command} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };

  beforeAll(async () => {
    const started = Date.now();
    await harness('down'); // a set left behind by an interrupted run
    const up = await harness('up', '1', '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
    set = {
      dir,
      keyFile: join(dir, 'id_ed25519'),
      knownHostsFile: join(dir, 'known_hosts'),
      sshConfigFile: join(dir, 'ssh_config'),
      hosts: [{name: 'host1', address: WEB_ADDRESS}],
    };
    console.log(`test server up in ${seconds(Date.now() - started)}`);
    work = mkdtempSync(join(tmpdir(), 'pds-le-'));

    let t = Date.now();
    pebble = await startPebble({address: BRIDGE_ADDRESS});
    pebbleRoot = join(work, 'pebble-root.pem');
    writeFileSync(pebbleRoot, await pebble.issuingRootPem());
    // Pebble resolves the names it validates through challtestsrv: they point at the web server.
    await pebble.challtestsrv.addA(FQDN, [WEB_ADDRESS]);
    console.log(`pebble and challtestsrv up in ${seconds(Date.now() - t)}`);

    // The web server as the nginx step leaves it: the Personium site (port 80 serves the ACME
    // webroot, 443 has a self-signed placeholder), nginx running.
    t = Date.now();
    await root('DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx openssl >/dev/null');
    await root(
      [
        'set -e',
        'rm -f /etc/nginx/sites-enabled/default',
        `install -d -m 0750 ${dirname(PATHS.serverCert)}`,
        `install -d -m 0755 /var/lib/personium-setup ${PATHS.acmeWebroot}`,
        `openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=${FQDN} -addext subjectAltName=DNS:${FQDN} -keyout ${PATHS.serverKey} -out ${PATHS.serverCert} 2>/dev/null`,
        `chmod 0644 ${PATHS.serverCert}; chmod 0600 ${PATHS.serverKey}`,
        `cat > ${PATHS.nginxSite}`,
        'nginx -t -q && systemctl restart nginx',
      ].join('\n'),
      renderNginxSite(context(smallProfile(), '1.8.3')),
    );
    console.log(`nginx with the Personium site installed in ${seconds(Date.now() - t)}`);

    const connected = await connectHosts([{name: 'web', address: WEB_ADDRESS, port: 22, user: 'deploy', auth: {method: 'key', keyFile: set.keyFile}}], {
      knownHostsFiles: [set.knownHostsFile],
      toolKnownHostsFile: join(work, 'known_hosts'),
      sshConfigFile: 'none',
    });
    expect([...connected.errors.values()].map(e => e.message)).toEqual([]);
    host = connected.hosts.get('web')!;
    closeHosts = () => connected.close();
  });

  afterAll(async () => {
    await closeHosts().catch(() => undefined);
    await pebble?.stop();
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
    if (work) rmSync(work, {recursive: true, force: true});
  });

  const lines: string[] = [];
  async function obtain(label: string, settings: Partial<LetsEncryptSettings>): Promise<CertificateOutcome & {ms: number}> {
    const started = Date.now();
    lines.length = 0;
    try {
      const outcome = await obtainCertificate({
        host,
        fqdn: FQDN,
        names: [FQDN],
        email: EMAIL,
        directoryUrl: pebble.directoryUrl,
        caBundle: pebble.httpsCaPem,
        dnsResolver: pebble.challtestsrv.dnsServer,
        log: line => lines.push(line),
        ...settings,
      });
      const ms = Date.now() - started;
      console.log(`${label}: ${outcome.status}${outcome.ordered ? ' (ordered)' : ''} in ${seconds(ms)}`);
      return {...outcome, ms};
    } catch (error) {
      console.log(`${label}: failed in ${seconds(Date.now() - started)}: ${(error as Error).message}`);
      if (/connection was lost/.test((error as Error).message)) {
        console.log((await rootSsh(set, 'host1', 'journalctl --no-pager --since "-5 min" | tail -60')).stdout);
      }
      throw error;
    }
  }

  /** What an operator would check: the served files, nginx's verdict, what certbot left behind. */
  async function serverState() {
    return {
      files: await root(`sha256sum ${PATHS.serverCert} ${PATHS.serverKey}`),
      lineage: await root(`sha256sum ${LIVE_DIR}/cert.pem 2>/dev/null || echo none`),
      nginxTest: (await rootSsh(set, 'host1', 'nginx -t 2>&1')).code,
      nginxActive: (await rootSsh(set, 'host1', 'systemctl is-active nginx')).stdout.trim(),
      brokenLinks: await root('find /etc/letsencrypt /etc/nginx -xtype l 2>/dev/null || true'),
      spools: await root(`ls ${ACME_PATHS.stateDir} | grep '^dns-' || true`),
      certbotRunning: (await rootSsh(set, 'host1', 'pgrep -x certbot')).code === 0,
    };
  }

  /** The certificate nginx serves on 443, read from outside with openssl and verified up to pebble's root. */
  async function served(): Promise<{sans: string; verify: string; issuer: string}> {
    const handshake = await openssl(['s_client', '-connect', `${WEB_ADDRESS}:443`, '-servername', FQDN, '-CAfile', pebbleRoot, '-verify_hostname', FQDN, '-showcerts'], '');
    const leaf = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(handshake.stdout)?.[0] ?? '';
    const text = await openssl(['x509', '-noout', '-ext', 'subjectAltName', '-issuer'], leaf);
    return {
      sans: text.stdout.split('\n').find(l => l.includes('DNS:'))?.trim() ?? '',
      issuer: text.stdout.split('\n').find(l => l.startsWith('issuer'))?.trim() ?? '',
      verify: /Verify return code: (\d+ \([^)]*\))/.exec(handshake.stdout)?.[1] ?? handshake.stderr,
    };
  }

  let firstNotAfter: Date | undefined;

  it('HTTP-01 (path-based): certbot installed, the webroot nginx serves is used, the certificate from pebble is served by nginx; renewal is automatic', {timeout: 600_000}, async () => {
    const before = await serverState();
    const outcome = await obtain('http-01 first order', {challenge: 'http-01'});
    expect(outcome).toMatchObject({status: 'changed', ordered: true, challenge: 'http-01', httpMode: 'webroot', automaticRenewal: true, directoryUrl: pebble.directoryUrl, dnsNames: [FQDN]});
    expect(outcome.rehearsal).toBeUndefined();
    expect(outcome.changes.join('\n')).toMatch(/packages: certbot/);
    expect(outcome.certbotCommands).toHaveLength(1);
    expect(outcome.certbotCommands[0]).toContain(`--server ${pebble.directoryUrl}`);
    expect(outcome.certbotCommands[0]).toContain(`--webroot -w ${PATHS.acmeWebroot}`);
    expect(outcome.certbotCommands[0]).toContain(`-d ${FQDN}`);
    expect(outcome.certbotCommands[0]).not.toContain('--dry-run');
    firstNotAfter = outcome.notAfter;
    expect(outcome.notAfter!.getTime()).toBeGreaterThan(Date.now() + 30 * 86_400_000);

    // nginx serves it: the SAN is the FQDN, the chain verifies up to pebble's root.
    const tls = await served();
    expect(tls.sans).toBe(`DNS:${FQDN}`);
    expect(tls.issuer).toMatch(/Pebble/i);
    expect(tls.verify).toBe('0 (ok)');
    const after = await serverState();
    expect(after.files).not.toBe(before.files);
    expect(after).toMatchObject({nginxTest: 0, nginxActive: 'active', brokenLinks: '', spools: '', certbotRunning: false});
    // nginx's files are plain root files with the modes the nginx step keeps, equal to the lineage's.
    expect(await root(`stat -c '%a %U %F' ${PATHS.serverCert} ${PATHS.serverKey}`)).toBe('644 root regular file\n600 root regular file\n');
    await root(`cmp ${LIVE_DIR}/fullchain.pem ${PATHS.serverCert} && cmp ${LIVE_DIR}/privkey.pem ${PATHS.serverKey}`);
    // Renewal: certbot's timer is on, and the renewal configuration keeps the webroot and the deploy hook.
    expect((await root('systemctl is-enabled certbot.timer; systemctl is-active certbot.timer')).split('\n').slice(0, 2)).toEqual(['enabled', 'active']);
    const conf = await root(`cat ${RENEWAL_CONF}`);
    expect(conf).toMatch(/authenticator = webroot/);
    expect(conf).toContain(`renew_hook = ${ACME_PATHS.deployHook}`);
    expect(conf).toContain(`server = ${pebble.directoryUrl}`);
    // certbot's own renewal rehearsal passes (the timer's path; --dry-run needs --server, or it goes to LE
    // staging; without a TTY certbot renew sleeps up to 8 minutes first unless told not to).
    const t = Date.now();
    await root(`REQUESTS_CA_BUNDLE=${ACME_PATHS.caBundle} certbot renew --dry-run --no-random-sleep-on-renew --cert-name personium --server ${pebble.directoryUrl} -q`);
    console.log(`certbot renew --dry-run ${seconds(Date.now() - t)}`);
  });

  it('a second run orders nothing and changes nothing', {timeout: 120_000}, async () => {
    const before = await serverState();
    const outcome = await obtain('http-01 second run', {challenge: 'http-01'});
    expect(outcome).toMatchObject({status: 'ok', ordered: false, changes: [], certbotCommands: []});
    expect(outcome.reason).toMatch(/covers personium\.acme\.test and is valid for \d+ more days/);
    expect(await serverState()).toEqual(before);
  });

  it('nginx files replaced by a re-install (placeholder) are put back from the lineage without a new order', {timeout: 120_000}, async () => {
    await root(`openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=${FQDN} -keyout ${PATHS.serverKey} -out ${PATHS.serverCert} 2>/dev/null && systemctl reload nginx`);
    const lineage = (await serverState()).lineage;
    const outcome = await obtain('http-01 re-deploy', {challenge: 'http-01'});
    expect(outcome).toMatchObject({status: 'changed', ordered: false, certbotCommands: []});
    expect(outcome.changes.join(' ')).toMatch(/server\.crt .*nginx reloaded/);
    expect((await serverState()).lineage).toBe(lineage);
    expect((await served()).verify).toBe('0 (ok)');
  });

  it('a failed validation: a clear message, nginx untouched; the retry rehearses (certbot --dry-run against the same non-Let\'s-Encrypt directory) before ordering', {timeout: 600_000}, async () => {
    const WWW = `www.${FQDN}`; // not in DNS yet: pebble cannot validate it
    const before = await serverState();
    const failed = obtain('http-01 with an unresolvable name', {challenge: 'http-01', names: [FQDN, WWW]});
    await expect(failed).rejects.toThrow(new RegExp(`certbot could not get the certificate from ${pebble.directoryUrl.replace(/[.]/g, '\\.')}: .*${WWW.replace(/\./g, '\\.')}.*Hint: check that http://${FQDN.replace(/\./g, '\\.')}/\\.well-known/acme-challenge/ reaches web on port 80.*Nothing was changed for nginx; the next attempt rehearses`));
    const after = await serverState();
    expect(after).toEqual(before);
    expect(await root(`cat ${ACME_PATHS.failedMarker}`)).toContain(pebble.directoryUrl);

    await pebble.challtestsrv.addA(WWW, [WEB_ADDRESS]);
    const retry = await obtain('http-01 retry', {challenge: 'http-01', names: [FQDN, WWW]});
    expect(retry).toMatchObject({status: 'changed', ordered: true, rehearsal: pebble.directoryUrl, dnsNames: [FQDN, WWW].sort()});
    expect(retry.certbotCommands).toHaveLength(2);
    expect(retry.certbotCommands[0]).toMatch(new RegExp(`--server ${pebble.directoryUrl.replace(/[.]/g, '\\.')} .*--dry-run$`));
    expect(retry.certbotCommands[1]).toContain(`--server ${pebble.directoryUrl}`);
    expect(retry.certbotCommands[1]).not.toContain('--dry-run');
    expect(retry.certbotCommands[1]).toContain('--force-renewal');
    expect((await rootSsh(set, 'host1', `test -e ${ACME_PATHS.failedMarker}`)).code).not.toBe(0);
    expect((await served()).sans).toBe(`DNS:${FQDN}, DNS:${WWW}`);
  });

  const operatorRecords: TxtRecord[][] = [];
  /** The operator creates what the wizard shows: each value a TXT record of its own in challtestsrv. */
  const createRecords = (mutate: (value: string) => string = v => v) => async (records: TxtRecord[]) => {
    operatorRecords.push(records);
    for (const name of new Set(records.map(r => r.name))) await pebble.challtestsrv.clearTxt(name);
    for (const r of records) await pebble.challtestsrv.setTxt(r.name, mutate(r.value));
  };

  it('DNS-01 (per-cell): FQDN and *.FQDN, two TXT values on one name shown, created by the operator, checked in DNS, then validated; no automatic renewal, the expiry is returned', {timeout: 600_000}, async () => {
    operatorRecords.length = 0;
    const outcome = await obtain('dns-01 FQDN + wildcard', {names: [FQDN, `*.${FQDN}`], confirmTxt: createRecords()});
    expect(outcome).toMatchObject({status: 'changed', ordered: true, challenge: 'dns-01', automaticRenewal: false});
    expect(outcome.dnsNames.sort()).toEqual([`*.${FQDN}`, FQDN].sort());
    expect(outcome.notAfter).toBeInstanceOf(Date);
    expect(outcome.renewal).toMatch(new RegExp(`^expires on ${outcome.notAfter!.toISOString().slice(0, 10)}: renew it before then by running personium-setup install again`));
    expect(operatorRecords).toHaveLength(1);
    const [records] = operatorRecords;
    expect(records!.map(r => r.name)).toEqual([`_acme-challenge.${FQDN}`, `_acme-challenge.${FQDN}`]);
    expect(new Set(records!.map(r => r.value)).size).toBe(2);
    expect(lines.join('\n')).toContain(`_acme-challenge.${FQDN}. 60 IN TXT "${records![0]!.value}"`);
    expect(outcome.certbotCommands[0]).toMatch(/--manual --preferred-challenges dns --manual-auth-hook .* --no-autorenew/);
    expect(outcome.certbotCommands[0]).toContain(`--server ${pebble.directoryUrl}`);

    const tls = await served();
    expect(tls.sans.split(', ').sort()).toEqual([`DNS:*.${FQDN}`, `DNS:${FQDN}`]);
    expect(tls.verify).toBe('0 (ok)');
    // Also valid for a cell name (per-cell URL), checked by openssl's host name rules.
    const cell = await openssl(['s_client', '-connect', `${WEB_ADDRESS}:443`, '-servername', `app.${FQDN}`, '-CAfile', pebbleRoot, '-verify_hostname', `app.${FQDN}`], '');
    expect(cell.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    const after = await serverState();
    expect(after).toMatchObject({nginxTest: 0, nginxActive: 'active', brokenLinks: '', spools: '', certbotRunning: false});
    // certbot's timer leaves this one alone (the hook would refuse anyway).
    expect(await root(`cat ${RENEWAL_CONF}`)).toMatch(/autorenew = False/);
    for (const name of new Set(records!.map(r => r.name))) await pebble.challtestsrv.clearTxt(name);
  });

  it('DNS-01 with a wrong TXT value that the DNS check catches: stopped before validation, nothing half-done, no rehearsal needed next time', {timeout: 300_000}, async () => {
    const before = await serverState();
    const wrong = obtain('dns-01 wrong value (caught)', {
      names: [FQDN, `*.${FQDN}`],
      // Near the end of its validity: a new order is due (the 30-day rule).
      now: () => firstNotAfterOrThrow().getTime() - 10 * 86_400_000,
      confirmTxt: createRecords(v => `${v.slice(0, -4)}XXXX`),
      waitTxt: records => waitForTxtRecords(records, {server: pebble.challtestsrv.dnsServer, timeoutMs: 4000, intervalMs: 1000}),
    });
    await expect(wrong).rejects.toThrow(/DNS-01 stopped before validation: the TXT records did not resolve through the DNS server 10\.213\.5\.1:8053 within 4 s: _acme-challenge\.personium\.acme\.test: expected "[^"]+" and "[^"]+"; found "[^"]+XXXX", "[^"]+XXXX"/);
    const after = await serverState();
    expect(after).toEqual(before);
    expect((await rootSsh(set, 'host1', `test -e ${ACME_PATHS.failedMarker}`)).code).not.toBe(0);
  });

  it('DNS-01 with a wrong TXT value that reaches the ACME server: its refusal in the message, nothing half-done; the retry rehearses then orders', {timeout: 600_000}, async () => {
    const now = () => firstNotAfterOrThrow().getTime() - 10 * 86_400_000;
    const before = await serverState();
    const refused = obtain('dns-01 wrong value (validated)', {
      names: [FQDN, `*.${FQDN}`],
      now,
      confirmTxt: createRecords(v => `${v.slice(0, -4)}XXXX`),
      waitTxt: async () => {}, // an operator who says "done" without a check
    });
    await expect(refused).rejects.toThrow(/certbot could not get the certificate from .*(unauthorized|Incorrect TXT|TXT).*Hint: check the _acme-challenge TXT records of personium\.acme\.test/);
    expect(await serverState()).toEqual(before);
    expect(await root(`cat ${ACME_PATHS.failedMarker}`)).toContain(pebble.directoryUrl);

    operatorRecords.length = 0;
    const retry = await obtain('dns-01 retry', {names: [FQDN, `*.${FQDN}`], now, confirmTxt: createRecords()});
    expect(retry).toMatchObject({status: 'changed', ordered: true, rehearsal: pebble.directoryUrl});
    expect(retry.certbotCommands).toHaveLength(2);
    expect(retry.certbotCommands[0]).toMatch(/--dry-run$/);
    expect(retry.certbotCommands[1]).not.toContain('--dry-run');
    // Two rounds of records: the rehearsal's and the order's (new validation values each time).
    expect(operatorRecords).toHaveLength(2);
    expect(operatorRecords[0]!.map(r => r.value)).not.toEqual(operatorRecords[1]!.map(r => r.value));
    expect((await serverState()).files).not.toBe(before.files);
    expect((await served()).verify).toBe('0 (ok)');
  });

  it('HTTP-01 with port 80 free (nginx not running yet): certbot --standalone; its renewals stop nginx for the validation and start it again', {timeout: 300_000}, async () => {
    await root('systemctl stop nginx');
    const outcome = await obtain('http-01 standalone', {challenge: 'http-01', now: () => firstNotAfterOrThrow().getTime() - 10 * 86_400_000});
    expect(outcome).toMatchObject({status: 'changed', ordered: true, httpMode: 'standalone', dnsNames: [FQDN], automaticRenewal: true});
    expect(outcome.certbotCommands.at(-1)).toMatch(/--standalone --pre-hook .* --post-hook /);
    expect(lines.join('\n')).toMatch(/port 80 is free .*--standalone/);
    expect((await rootSsh(set, 'host1', 'systemctl is-active nginx')).stdout.trim()).not.toBe('active'); // left as it was
    await root('systemctl start nginx');
    expect((await served()).sans).toBe(`DNS:${FQDN}`);
    // A renewal with nginx on port 80: the pre hook stops it, certbot validates, the post hook starts it.
    const started = Date.now();
    await root(`REQUESTS_CA_BUNDLE=${ACME_PATHS.caBundle} certbot renew --dry-run --no-random-sleep-on-renew --cert-name personium --server ${pebble.directoryUrl} -q`);
    console.log(`certbot renew --dry-run (standalone, nginx running) ${seconds(Date.now() - started)}`);
    expect((await rootSsh(set, 'host1', 'systemctl is-active nginx')).stdout.trim()).toBe('active');
    expect((await served()).verify).toBe('0 (ok)');
  });

  function firstNotAfterOrThrow(): Date {
    if (!firstNotAfter) throw new Error('the first test did not run');
    return firstNotAfter;
  }
});
