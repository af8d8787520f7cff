// The installation on real Ubuntu 22.04 and 24.04 servers (jammy and noble test hosts with systemd
// and sshd, each release on a bridge of its own, packages from Ubuntu's archive through the
// harness apt proxy), through the command line: the small pattern installs, is served over HTTPS,
// passes the report's service checks, and a second run changes nothing. The Debian 12 runs, and
// everything else, are in install.test.ts; this one is about what differs on Ubuntu (its archive,
// universe for OpenJDK, its systemd, python3 from the distribution for the persistent shell).
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Answers} from '../../source/profile/answers.js';
import {buildFixtureBundle} from '../fixtures/fixture-bundle.js';
import {runCli, stepLines} from '../harness/cli-run.js';
import {runHarness, testHostsAvailable} from '../harness/testhosts.js';

const RELEASES = [
  {version: '22.04', codename: 'jammy', net: '10.213.7', bridge: 'pdsbr7'},
  {version: '24.04', codename: 'noble', net: '10.213.10', bridge: 'pdsbr10'},
] as const;

/** A harness of its own per release (directory, bridge, subnet, cgroup, base). */
function harnessEnv(release: (typeof RELEASES)[number]) {
  const dir = `/var/cache/pds-th-ubuntu-${release.codename}`;
  return {
    PDS_TESTHOSTS_DISTRO: `ubuntu-${release.version}`,
    PDS_TESTHOSTS_DIR: dir,
    PDS_TESTHOSTS_BASE: `${dir}/base`,
    PDS_TESTHOSTS_BRIDGE: release.bridge,
    PDS_TESTHOSTS_NET: release.net,
    PDS_TESTHOSTS_CGROUP: `pds-th-${release.codename}`,
    // Baked into the base, as in install.test.ts; unzip and the time sync come through apt for real.
    PDS_TESTHOSTS_EXTRA_PACKAGES: 'openjdk-17-jre-headless,nginx,memcached',
  };
}
const FQDN = 'personium.test';

/** Ubuntu's archive must answer (the base is built from it, the hosts install from it). */
async function ubuntuArchive(): Promise<{ok: boolean; reason?: string}> {
  try {
    const response = await fetch('http://archive.ubuntu.com/ubuntu/dists/noble/Release', {method: 'HEAD', signal: AbortSignal.timeout(10_000)});
    return response.ok ? {ok: true} : {ok: false, reason: `archive.ubuntu.com answered ${response.status}`};
  } catch (error) {
    return {ok: false, reason: `archive.ubuntu.com cannot be reached (${(error as Error).message})`};
  }
}

const hosts = await testHostsAvailable();
const archive = hosts.ok ? await ubuntuArchive() : hosts;
if (!archive.ok) console.warn(`skipping the Ubuntu install test: ${archive.reason}`);

for (const release of RELEASES) describe.skipIf(!archive.ok)(`install on a real Ubuntu ${release.version} server, through the command line`, () => {
  const HARNESS_ENV = harnessEnv(release);
  const ADDRESS = `${release.net}.11`;
  const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);
  let work: string;
  let bundle: string;
  let env: NodeJS.ProcessEnv;
  const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
  const onServer = (command: string) => spawnSync('ssh', ['-F', join(dir, 'ssh_config'), 'host1', command], {encoding: 'utf8'});

  beforeAll(async () => {
    await harness('down');
    const up = await harness('up', '1', '--apt-proxy');
    if (up.code !== 0) throw new Error(`the Ubuntu test host did not come up:\n${up.out}`);
    work = mkdtempSync(join(tmpdir(), `pds-install-${release.codename}-`));
    bundle = join(work, 'fixture-bundle.tar.gz');
    await buildFixtureBundle(bundle, '1.8.3');
    env = {PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: join(work, 'config'), XDG_STATE_HOME: join(work, 'state'), PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE: '1'};
  }, 600_000);
  afterAll(async () => {
    if (work) rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  });

  it('small: installs, serves HTTPS with the profile certificate, runs every service; a second run changes nothing', {timeout: 900_000}, async () => {
    expect(onServer('. /etc/os-release; echo "$ID $VERSION_ID"').stdout.trim()).toBe(`ubuntu ${release.version}`);
    const answers: Answers = {
      pattern: 'small',
      hosts: [{name: 'server1', address: ADDRESS, user: 'deploy', auth: {method: 'key', keyFile: join(dir, 'id_ed25519')}, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
      unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
      memory: {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64},
    };
    const answersFile = join(work, 'small.json');
    writeFileSync(answersFile, JSON.stringify(answers, null, 2));
    const args = ['install', '--answers', answersFile, '--yes', '--bundle', bundle, '--accept-new-host-keys', '--ignore-preflight-errors=all', '--profile', `ubuntu-${release.codename}`];

    const first = await runCli(args, env);
    expect(first.code, first.stderr).toBe(0);
    const lines = stepLines(first.stdout);
    expect(lines.filter(l => / failed /.test(l))).toEqual([]);
    expect(lines[0]).toMatch(/packages: .*unzip/); // from Ubuntu's archive, through the proxy
    expect(first.stdout).toContain('Unit ready.');
    // The report reads Ubuntu as it reads Debian: services, ports, versions, certificates, the unit.
    const passed = new Set([...first.stdout.matchAll(/^\s+PASS\s.*\[([^\]]+)\]$/gm)].map(m => m[1]));
    for (const id of ['OS', 'Service-nginx', 'Service-tomcat', 'Service-elasticsearch', 'Service-activemq', 'Service-personium-memcached-lock', 'Port-443', 'Port-18888', 'Version-java', 'Version-memcached', 'Cert-JVM-Trust', 'Config-Keys', 'NFS-Write', 'ES-Health', 'E2E-Unit', 'E2E-Cert-Served']) {
      expect(passed.has(id), id).toBe(true);
    }
    expect(first.stdout).toMatch(new RegExp(`PASS\\s+Operating system: Ubuntu ${release.version.replace('.', '\\.')}`));

    // As a client from outside: the unit answers over HTTPS with the certificate the tool put there.
    const ca = join(work, 'server.crt');
    writeFileSync(ca, onServer('cat /etc/nginx/personium/server.crt').stdout);
    const served = spawnSync('curl', ['-sS', '--cacert', ca, '--resolve', `${FQDN}:443:${ADDRESS}`, `https://${FQDN}/`], {encoding: 'utf8'});
    expect(served.status, served.stderr).toBe(0);
    expect(JSON.parse(served.stdout)).toMatchObject({unit: {url: `https://${FQDN}/`}});
    // Ubuntu's own OpenJDK 17 and nginx run the unit; the persistent shell used Ubuntu's python3.
    const facts = onServer('readlink -f "$(command -v java)"; systemctl is-active nginx tomcat elasticsearch activemq personium-memcached-lock personium-memcached-cache | sort -u');
    expect(facts.stdout).toBe('/usr/lib/jvm/java-17-openjdk-amd64/bin/java\nactive\n');
    const log = /Log: (\S+)/.exec(first.stderr)?.[1];
    expect(spawnSync('grep', ['-c', 'file facts (in the shell loop)', log!], {encoding: 'utf8'}).stdout.trim()).not.toBe('0');

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(stepLines(second.stdout).filter(l => !/^\[server1\] ok /.test(l))).toEqual([]);
    expect(second.stdout).toContain('Nothing changed: the unit already matches the profile.');
  });
});
