// Every preflight check as a pure function of (facts, plan host, profile), on fact fixtures.
import {describe, expect, it} from 'vitest';
import {HostAuthError, HostKeyError, HostUnreachableError} from '../../source/hosts/errors.js';
import {connectionFailureResults, connectionResults} from '../../source/preflight/checks/connection.js';
import {isPrivateAddress} from '../../source/preflight/checks/addresses.js';
import {checkLimits, checkMaxMapCount} from '../../source/preflight/checks/elasticsearch.js';
import {HOST_CHECKS} from '../../source/preflight/checks/index.js';
import {checkHostname, checkUnitDns, operatorDnsResults} from '../../source/preflight/checks/names.js';
import {checkPrivateAddress, parseProbeOutput, publicResults, reachFlows, reachResults} from '../../source/preflight/checks/network.js';
import {artifactResults, checkPackageLock, checkPackageManager, checkPackageSource, checkProxy} from '../../source/preflight/checks/packages.js';
import {checkPorts} from '../../source/preflight/checks/ports.js';
import {checkCpu, checkDisks, checkMemory, checkSwap} from '../../source/preflight/checks/resources.js';
import {checkExistingInstall, checkFirewall, checkSelinux} from '../../source/preflight/checks/security.js';
import {checkArch, checkOs, checkSystemd} from '../../source/preflight/checks/system.js';
import {checkClock, measureSkew} from '../../source/preflight/checks/time.js';
import {applyIgnore, isIgnored, parseIgnoreList} from '../../source/preflight/ignore.js';
import {buildPlan} from '../../source/plan/plan.js';
import type {CheckResult, HostCheckContext} from '../../source/preflight/types.js';
import {cleanFacts, contextFor, MEDIUM, OPERATOR_NOW, profileFor, resolving, SMALL} from './preflight-fixtures.js';

const small = profileFor('small', SMALL);
const medium = profileFor('medium-large', MEDIUM);
const smallCtx = (facts = resolving('192.0.2.10')) => contextFor(small, 'server1', facts);
const one = (results: CheckResult[], id: string) => {
  const found = results.filter(r => r.id === id);
  expect(found, `exactly one ${id} in ${JSON.stringify(results.map(r => r.id))}`).toHaveLength(1);
  return found[0]!;
};
const allChecks = (ctx: HostCheckContext) => HOST_CHECKS.flatMap(check => check(ctx));

describe('a clean server', () => {
  it('Debian 12 with every role passes every check', () => {
    const results = allChecks(smallCtx());
    expect(results.filter(r => r.status !== 'pass')).toEqual([]);
    // Every port the plan gives the host is checked, by its kubeadm-style name.
    expect(results.filter(r => r.kind === 'ports').map(r => r.id).sort()).toEqual(
      ['Port-11211', 'Port-11212', 'Port-18888', 'Port-443', 'Port-61616', 'Port-80', 'Port-8005', 'Port-9200', 'Port-9300'].sort(),
    );
    expect(new Set(results.map(r => r.kind))).toEqual(new Set(['system', 'resources', 'ports', 'elasticsearch', 'time', 'names', 'packages', 'security']));
  });

  it('each medium-large host passes, with only its own roles\' checks', () => {
    const addresses: Record<string, string[]> = {web1: ['10.0.0.11', '198.51.100.10'], ap1: ['10.0.0.12'], es1: ['10.0.0.13']};
    for (const name of ['web1', 'ap1', 'es1']) {
      const facts = resolving('198.51.100.10', 'unit.example.test', {hostname: name, addresses: ['127.0.0.1', ...addresses[name]!]});
      const results = allChecks(contextFor(medium, name, facts));
      expect(results.filter(r => r.status !== 'pass'), name).toEqual([]);
      expect(results.some(r => r.kind === 'elasticsearch')).toBe(name === 'es1');
      expect(results.some(r => r.id === 'DNS-FQDN')).toBe(name === 'ap1');
    }
    const ports = (name: string) => allChecks(contextFor(medium, name, cleanFacts())).filter(r => r.kind === 'ports').map(r => r.id);
    expect(ports('web1').sort()).toEqual(['Port-443', 'Port-80']);
    // NFS is on the AP server itself here, so the plan opens no 2049/111.
    expect(ports('ap1').sort()).toEqual(['Port-11211', 'Port-11212', 'Port-18888', 'Port-61616', 'Port-8005']);
    expect(ports('es1').sort()).toEqual(['Port-9200', 'Port-9300']);
  });
});

describe('system', () => {
  const os = (id: string, versionId: string, prettyName = `${id} ${versionId}`) => one(checkOs(smallCtx(cleanFacts({os: {id, idLike: [], versionId, prettyName}}))), 'OS');
  it('supports Debian 12, Ubuntu 22.04/24.04, RHEL/Rocky/Alma 9', () => {
    for (const [id, v] of [['debian', '12'], ['ubuntu', '22.04'], ['ubuntu', '24.04'], ['rhel', '9.4'], ['rocky', '9.3'], ['almalinux', '9']] as const) {
      expect(os(id, v).status, `${id} ${v}`).toBe('pass');
    }
  });
  it('accepts CentOS 7 as legacy with a warning, refuses Alpine and old releases', () => {
    const centos = os('centos', '7', 'CentOS Linux 7 (Core)');
    expect(centos).toMatchObject({status: 'warn', severity: 'error'});
    expect(centos.message).toMatch(/legacy/);
    const alpine = os('alpine', '3.19.1', 'Alpine Linux v3.19');
    expect(alpine).toMatchObject({status: 'fail', severity: 'error'});
    expect(alpine.message).toContain('Alpine Linux v3.19');
    expect(alpine.fix).toMatch(/--ignore-preflight-errors=OS/);
    expect(os('debian', '11').status).toBe('fail');
    expect(os('ubuntu', '20.04').status).toBe('fail');
    expect(one(checkOs(smallCtx(cleanFacts({os: undefined}))), 'OS').status).toBe('fail');
  });
  it('architecture: x86_64; aarch64 only without Elasticsearch', () => {
    expect(one(checkArch(smallCtx()), 'Arch').status).toBe('pass');
    expect(one(checkArch(smallCtx(cleanFacts({arch: 'aarch64'}))), 'Arch').status).toBe('fail');
    expect(one(checkArch(contextFor(medium, 'web1', cleanFacts({arch: 'aarch64'}))), 'Arch').status).toBe('pass');
  });
  it('systemd must be PID 1', () => {
    expect(one(checkSystemd(smallCtx(cleanFacts({systemd: false}))), 'Systemd').status).toBe('fail');
  });
});

describe('resources', () => {
  it('memory: the sum of what the roles use, not a fixed number', () => {
    const low = one(checkMemory(smallCtx(cleanFacts({memTotalMb: 2048, memAvailableMb: 1900}))), 'Mem');
    expect(low.status).toBe('fail');
    expect(low.message).toMatch(/2\.0 GB of memory, but the roles here need \d+\.\d GB/);
    expect(low.message).toMatch(/Elasticsearch heap 512 MB.*Tomcat heap 512 MB.*memcached 128 MB/);
    // The same 2 GB is plenty for a web-only server.
    expect(one(checkMemory(contextFor(medium, 'web1', cleanFacts({memTotalMb: 2048, memAvailableMb: 1900}))), 'Mem').status).toBe('pass');
    // Fixed heaps from the profile count as they are.
    const fixed = profileFor('small', {...SMALL, memory: {esHeapMb: 6144, tomcatHeapMb: 2048}});
    const r = one(checkMemory(contextFor(fixed, 'server1', cleanFacts())), 'Mem');
    expect(r.status).toBe('fail');
    expect(r.message).toContain('Elasticsearch heap 6144 MB');
  });
  it('memory: enough in total but in use by something else is a warning', () => {
    expect(one(checkMemory(smallCtx(cleanFacts({memAvailableMb: 1000}))), 'Mem').status).toBe('warn');
  });
  it('CPU: two for AP or ES', () => {
    expect(one(checkCpu(smallCtx(cleanFacts({cpus: 1}))), 'CPU').status).toBe('fail');
    expect(one(checkCpu(contextFor(medium, 'web1', cleanFacts({cpus: 1}))), 'CPU').status).toBe('pass');
  });
  it('disk: needs add up on a shared file system, each path is named', () => {
    const tight = cleanFacts({disks: cleanFacts().disks.map(d => ({...d, availKb: 6 * 1024 * 1024}))});
    const results = checkDisks(smallCtx(tight));
    expect(results.map(r => r.id).sort()).toEqual(['Disk-opt', 'Disk-personium', 'Disk-personium_nfs', 'Disk-root', 'Disk-var']);
    const data = one(results, 'Disk-personium');
    expect(data.status).toBe('fail');
    expect(data.message).toMatch(/6\.0 GB free for \/personium \(not there yet; measured on \/\) on \//);
    expect(data.message).toMatch(/with \/, \/opt, \/personium_nfs, \/var on the same file system/);
  });
  it('disk: Elasticsearch data above the 85 % watermark is a warning', () => {
    const full = cleanFacts({disks: cleanFacts().disks.map(d => ({...d, sizeKb: 400 * 1024 * 1024, availKb: 40 * 1024 * 1024}))});
    expect(one(checkDisks(smallCtx(full)), 'Disk-personium').status).toBe('warn');
  });
  it('swap on an Elasticsearch host is a warning unless swappiness is 1', () => {
    expect(one(checkSwap(smallCtx(cleanFacts({swapTotalMb: 2048, swappiness: 60}))), 'Swap')).toMatchObject({status: 'warn', severity: 'warning'});
    expect(one(checkSwap(smallCtx(cleanFacts({swapTotalMb: 2048, swappiness: 1}))), 'Swap').status).toBe('pass');
    expect(one(checkSwap(contextFor(medium, 'web1', cleanFacts({swapTotalMb: 2048}))), 'Swap').status).toBe('pass');
  });
});

describe('ports', () => {
  it('a taken port fails and names the process that holds it', () => {
    const facts = cleanFacts({
      listeners: [...cleanFacts().listeners, {address: '0.0.0.0', port: 9200, processes: [{name: 'python3', pid: 4242, unit: 'session-3.scope'}]}],
    });
    const r = one(checkPorts(smallCtx(facts)), 'Port-9200');
    expect(r).toMatchObject({status: 'fail', severity: 'error', kind: 'ports'});
    expect(r.message).toContain('python3 (pid 4242, session-3.scope) on 0.0.0.0:9200');
    expect(r.fix).toContain(":9200");
  });
  it('a listener on another address of the same port does not clash, but is mentioned', () => {
    // The small plan binds 9200 on loopback; something on the public address does not take it.
    const facts = cleanFacts({listeners: [{address: '192.0.2.10', port: 9200, processes: [{name: 'java', pid: 7}]}]});
    expect(one(checkPorts(smallCtx(facts)), 'Port-9200').status).toBe('warn');
    const wildcard = cleanFacts({listeners: [{address: '::', port: 443, processes: [{name: 'apache2', pid: 9}]}]});
    expect(one(checkPorts(smallCtx(wildcard)), 'Port-443').status).toBe('fail');
  });
  it('this unit\'s own services (a re-run) do not count as taken', () => {
    const facts = cleanFacts({
      listeners: [
        {address: '0.0.0.0', port: 443, processes: [{name: 'nginx', pid: 10, unit: 'nginx.service'}, {name: 'nginx', pid: 11, unit: 'nginx.service'}]},
        {address: '127.0.0.1', port: 9200, processes: [{name: 'java', pid: 12, unit: 'elasticsearch.service'}]},
        {address: '127.0.0.1', port: 18888, processes: [{name: 'java', pid: 13, unit: 'docker-app.service'}]},
      ],
    });
    const results = checkPorts(smallCtx(facts));
    expect(one(results, 'Port-443').status).toBe('pass');
    expect(one(results, 'Port-9200').status).toBe('pass');
    expect(one(results, 'Port-18888').status).toBe('fail');
  });
  it('the distribution\'s memcached, which the install stops and disables, is taken over with a warning', () => {
    const stock = {address: '127.0.0.1', port: 11211, processes: [{name: 'memcached', pid: 65, unit: 'memcached.service'}]};
    const lock = one(checkPorts(smallCtx(cleanFacts({listeners: [stock]}))), 'Port-11211');
    expect(lock).toMatchObject({status: 'warn', severity: 'error'});
    expect(lock.message).toBe("the distribution's memcached.service holds port 11211 (memcached (pid 65, memcached.service) on 127.0.0.1:11211); the install stops and disables it, and personium-memcached-lock takes the port");
    // On another address (medium-large binds the private one) it is the same story.
    expect(one(checkPorts(contextFor(medium, 'ap1', cleanFacts({listeners: [stock]}))), 'Port-11211').message).toMatch(/stops and disables it/);
    // Any other memcached is not ours to stop.
    const other = {...stock, processes: [{name: 'memcached', pid: 66, unit: 'my-cache.service'}]};
    expect(one(checkPorts(smallCtx(cleanFacts({listeners: [other]}))), 'Port-11211').status).toBe('fail');
  });
  it('a program with many processes is named once, with its pids', () => {
    const workers = {address: '0.0.0.0', port: 443, processes: [72, 73, 74].map(pid => ({name: 'apache2', pid, unit: 'apache2.service'}))};
    expect(one(checkPorts(smallCtx(cleanFacts({listeners: [workers]}))), 'Port-443').message).toContain('apache2 (pids 72, 73, 74, apache2.service) on 0.0.0.0:443');
  });
  it('without ss the ports are unknown, which is a warning', () => {
    expect(checkPorts(smallCtx(cleanFacts({listenersUnknown: true, listeners: []}))).every(r => r.status === 'warn')).toBe(true);
  });
});

describe('Elasticsearch prerequisites', () => {
  const es1 = (facts = cleanFacts()) => contextFor(medium, 'es1', facts);
  it('vm.max_map_count: low but settable passes; not settable fails in a multi-server unit, warns on one server', () => {
    expect(one(checkMaxMapCount(es1()), 'MaxMapCount').status).toBe('pass');
    const ro = cleanFacts({maxMapCountWritable: 'no'});
    const multi = one(checkMaxMapCount(es1(ro)), 'MaxMapCount');
    expect(multi).toMatchObject({status: 'fail', severity: 'error'});
    expect(multi.message).toMatch(/65530.*262144.*cannot be changed/);
    expect(one(checkMaxMapCount(smallCtx(ro)), 'MaxMapCount')).toMatchObject({status: 'warn', severity: 'warning'});
    expect(one(checkMaxMapCount(es1(cleanFacts({maxMapCount: 262144, maxMapCountWritable: 'no'}))), 'MaxMapCount').status).toBe('pass');
    expect(checkMaxMapCount(contextFor(medium, 'ap1', ro))).toEqual([]);
  });
  it('open files: a low session limit warns; a ceiling the service cannot pass fails', () => {
    const low = cleanFacts({limits: {...cleanFacts().limits, sessionNofileHard: 4096}});
    const w = one(checkLimits(es1(low)), 'Nofile');
    expect(w.status).toBe('warn');
    expect(w.message).toContain('4096');
    const capped = cleanFacts({limits: {...cleanFacts().limits, pid1CanRaise: false, pid1NofileHard: 16384}});
    const f = one(checkLimits(es1(capped)), 'Nofile');
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/at most 16384/);
  });
  it('processes: a low nproc is reported the same way', () => {
    const low = cleanFacts({limits: {...cleanFacts().limits, sessionNprocHard: 1024}});
    expect(one(checkLimits(es1(low)), 'Nproc').status).toBe('warn');
  });
});

describe('clock', () => {
  const at = (offsetS: number, precise = true) => cleanFacts({clockStart: OPERATOR_NOW / 1000 + offsetS, clockElapsed: 0.05, clockPrecise: precise});
  it('measures against the operator clock with half the round trip as tolerance', () => {
    const s = measureSkew(OPERATOR_NOW / 1000, 0.05, true, OPERATOR_NOW - 20, OPERATOR_NOW + 80);
    // The remote start lies in [before, after − 50 ms] = [−20, +30]; its middle is +5.
    expect(s.offsetMs).toBeCloseTo(-5, 5);
    expect(s.toleranceMs).toBeCloseTo(25, 5);
    expect(s.skewMs).toBe(0);
  });
  it('passes in sync, warns at seconds, fails at minutes', () => {
    expect(one(checkClock(smallCtx(at(0))), 'ClockSkew').status).toBe('pass');
    expect(one(checkClock(smallCtx(at(5))), 'ClockSkew').status).toBe('warn');
    const behind = one(checkClock(smallCtx(at(-120))), 'ClockSkew');
    expect(behind.status).toBe('fail');
    expect(behind.message).toMatch(/120 s behind this machine/);
    // Whole seconds only (no %N): one second more tolerance.
    expect(one(checkClock(smallCtx(at(2.5, false))), 'ClockSkew').status).toBe('pass');
  });
});

describe('names and DNS', () => {
  it('host name: invalid fails, unresolvable warns', () => {
    expect(one(checkHostname(smallCtx(cleanFacts({hostname: 'web_1'}))), 'Hostname').status).toBe('fail');
    const r = one(checkHostname(smallCtx(cleanFacts({hostnameAddresses: []}))), 'Hostname');
    expect(r.status).toBe('warn');
    expect(r.fix).toContain('127.0.1.1 server1');
  });
  it('the FQDN must resolve to the web server or not yet at all; a wrong answer fails and shows it', () => {
    const wrong = one(checkUnitDns(smallCtx(resolving('203.0.113.99'))), 'DNS-FQDN');
    expect(wrong.status).toBe('fail');
    expect(wrong.message).toMatch(/unit\.example\.test resolves to 203\.0\.113\.99, not to 192\.0\.2\.10/);
    // Not resolving yet is fine on the servers: the install puts the name in its /etc/hosts block.
    const none = one(checkUnitDns(smallCtx(cleanFacts({resolved: {}}))), 'DNS-FQDN');
    expect(none.status).toBe('pass');
    expect(none.message).toMatch(/does not resolve on server1 yet; the install adds it to its \/etc\/hosts block/);
    // One good and one wrong answer: clients would sometimes go elsewhere.
    const mixed = one(checkUnitDns(smallCtx(cleanFacts({resolved: {'unit.example.test': ['192.0.2.10', '203.0.113.99']}}))), 'DNS-FQDN');
    expect(mixed.status).toBe('fail');
  });
  it('on an AP server the web server\'s private address is a right answer too', () => {
    const ap = contextFor(medium, 'ap1', resolving('10.0.0.11'));
    expect(one(checkUnitDns(ap), 'DNS-FQDN').status).toBe('pass');
  });
  it('per-cell mode needs a wildcard: a random label must resolve too', () => {
    const missing = cleanFacts({resolved: {'unit.example.test': ['192.0.2.10']}});
    const r = one(checkUnitDns(smallCtx(missing)), 'DNS-Wildcard');
    expect(r.status).toBe('fail');
    expect(r.fix).toContain('*.unit.example.test');
    const path = profileFor('small', {...SMALL, unit: {...(SMALL.unit as object), cellUrlMode: 'path-based'}});
    expect(checkUnitDns(contextFor(path, 'server1', missing)).map(x => x.id)).toEqual(['DNS-FQDN']);
  });
  it('try-it: the FQDN not resolving yet is fine (it goes into /etc/hosts), loopback is right', () => {
    const tryIt = profileFor('try-it', {});
    const ctx = (facts = cleanFacts()) => contextFor(tryIt, 'local', facts);
    expect(one(checkUnitDns(ctx()), 'DNS-FQDN').status).toBe('pass');
    expect(one(checkUnitDns(ctx(cleanFacts({resolved: {'personium.localhost': ['127.0.0.1']}}))), 'DNS-FQDN').status).toBe('pass');
  });
  it('from the operator machine: answers are judged the same way', () => {
    const plan = buildPlan(medium);
    const wc = 'preflight-x.unit.example.test';
    const ok = operatorDnsResults(medium, plan, {'unit.example.test': ['198.51.100.10'], [wc]: ['198.51.100.10']}, wc);
    expect(ok.map(r => [r.id, r.status, r.host])).toEqual([['DNS-FQDN', 'pass', '(operator)'], ['DNS-Wildcard', 'pass', '(operator)']]);
    const bad = operatorDnsResults(medium, plan, {'unit.example.test': new Error('ENOTFOUND'), [wc]: []}, wc);
    expect(bad.every(r => r.status === 'fail')).toBe(true);
    expect(bad[0]!.message).toContain('ENOTFOUND');
    expect(bad[0]!.fix).toContain('--skip-public-check');
    // The name is said once; the fix names the record to make.
    expect(ok[0]!.message).toBe('unit.example.test → 198.51.100.10');
    expect(bad[1]!.message).toBe('preflight-x.unit.example.test does not resolve from this machine');
    expect(bad[1]!.fix).toMatch(/^point \*\.unit\.example\.test at /);
  });
});

describe('network', () => {
  it('the private address services bind to must be on the host', () => {
    const r = one(checkPrivateAddress(contextFor(medium, 'es1', cleanFacts({addresses: ['127.0.0.1', '172.31.5.9']}))), 'Address');
    expect(r.status).toBe('fail');
    expect(r.message).toContain('10.0.0.13');
    expect(r.fix).toContain('172.31.5.9');
    expect(checkPrivateAddress(smallCtx())).toEqual([]);
  });
  it('services without authentication must listen on a private address, not a public one', () => {
    const onPrivate = checkPrivateAddress(contextFor(medium, 'es1', cleanFacts({addresses: ['127.0.0.1', '10.0.0.13']})));
    expect(one(onPrivate, 'Private-Bind')).toMatchObject({status: 'pass', message: 'elasticsearch listen on 10.0.0.13, a private address'});
    const exposed = profileFor('medium-large', {...MEDIUM, hosts: (MEDIUM.hosts as Array<Record<string, unknown>>).map(h => (h.name === 'es1' ? {...h, address: '203.0.113.13'} : h))});
    const r = one(checkPrivateAddress(contextFor(exposed, 'es1', cleanFacts({addresses: ['127.0.0.1', '203.0.113.13']}))), 'Private-Bind');
    expect(r).toMatchObject({status: 'fail', severity: 'error'});
    expect(r.message).toContain('elasticsearch would listen on 203.0.113.13, a public address');
    expect(r.fix).toContain('set privateAddress of es1');
    // A name is judged by what it resolves to on the host.
    const byName = profileFor('medium-large', {...MEDIUM, hosts: (MEDIUM.hosts as Array<Record<string, unknown>>).map(h => (h.name === 'es1' ? {...h, address: 'es1.example.com'} : h))});
    const named = one(checkPrivateAddress(contextFor(byName, 'es1', cleanFacts({addresses: ['127.0.0.1', '198.51.100.7'], resolved: {'es1.example.com': ['198.51.100.7']}}))), 'Private-Bind');
    expect(named.message).toContain('would listen on es1.example.com (198.51.100.7), a public address');
  });
  it('tells private addresses from public ones', () => {
    for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.1.1', '127.0.0.1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '192.0.2.10', '100.128.0.1', '2001:db8::1', 'es1.example.com']) expect(isPrivateAddress(a), a).toBe(false);
  });
  it('cross-host flows of a medium-large plan: AP→ES, AP→memcached, AP→MQ (same host here), AP→NFS, Web→AP', () => {
    const flows = reachFlows(medium, buildPlan(medium));
    expect(flows.map(f => f.id)).toEqual(['Reach-ap1-es1-9200', 'Reach-web1-ap1-18888']);
    const split = profileFor('medium-large', {
      ...MEDIUM,
      hosts: [
        {name: 'web1', address: '10.0.0.11', user: 'deploy', roles: ['web']},
        {name: 'ap1', address: '10.0.0.12', user: 'deploy', roles: ['ap']},
        {name: 'ap2', address: '10.0.0.15', user: 'deploy', roles: ['ap']},
        {name: 'es1', address: '10.0.0.13', user: 'deploy', roles: ['es']},
        {name: 'es2', address: '10.0.0.16', user: 'deploy', roles: ['es']},
        {name: 'es3', address: '10.0.0.17', user: 'deploy', roles: ['es']},
        {name: 'data1', address: '10.0.0.14', user: 'deploy', roles: ['mq', 'nfs']},
      ],
    });
    const ids = reachFlows(split, buildPlan(split)).map(f => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'Reach-ap1-es1-9200',
        'Reach-ap2-es3-9200',
        'Reach-es1-es2-9300',
        'Reach-ap1-data1-11211',
        'Reach-ap1-data1-11212',
        'Reach-ap2-data1-61616',
        'Reach-ap1-data1-2049',
        'Reach-ap1-data1-111',
        'Reach-web1-ap2-18888',
      ]),
    );
    expect(ids.some(id => id.startsWith('Reach-es1-es1'))).toBe(false);
  });
  it('probe output: our token, something else, refused, filtered', () => {
    const out = [
      'probe 10.0.0.13 9200 0 C pfxaaa',
      'probe 10.0.0.12 18888 124 C ',
      'probe 10.0.0.14 61616 7 bash: connect: Connection refused bash: line 1: /dev/tcp/10.0.0.14/61616: Connection refused',
      'probe 10.0.0.14 2049 124 ',
    ].join('\n');
    const probes = parseProbeOutput(out, a => (a === '10.0.0.13' ? 'pfxaaa' : a === '10.0.0.12' ? 'pfxbbb' : undefined));
    expect(probes.get('10.0.0.13 9200')).toEqual({result: 'ours'});
    expect(probes.get('10.0.0.12 18888')).toEqual({result: 'other'});
    expect(probes.get('10.0.0.14 61616')).toMatchObject({result: 'refused'});
    expect(probes.get('10.0.0.14 2049')).toMatchObject({result: 'timeout'});
    const flows = reachFlows(medium, buildPlan(medium));
    const listeners = new Map([
      ['es1 9200', {state: 'bound' as const}],
      ['ap1 18888', {state: 'bound' as const}],
    ]);
    const results = reachResults(flows, listeners, probes, new Map());
    expect(results.map(r => [r.id, r.status, r.host])).toEqual([
      ['Reach-ap1-es1-9200', 'pass', 'ap1'],
      ['Reach-web1-ap1-18888', 'fail', 'web1'],
    ]);
    const skipped = reachResults(flows, listeners, probes, new Map([['Reach-ap1-es1-9200', 'no python3 on es1 for a temporary listener']]));
    expect(skipped[0]).toMatchObject({status: 'warn'});
  });
  it('public reachability: token answered, or the failure with the skip hint', () => {
    const results = publicResults('unit.example.test', 'web1', [{port: 443, ok: true, detail: ''}, {port: 80, ok: false, detail: 'connect ECONNREFUSED'}], new Map());
    expect(results.map(r => [r.id, r.status])).toEqual([['Public-443', 'pass'], ['Public-80', 'fail']]);
    expect(results[1]!.fix).toContain('--skip-public-check');
    // A port already held (the distribution's nginx) cannot carry the token: a warning that says what checks it later.
    const held = publicResults('unit.example.test', 'web1', [{port: 443, ok: true, detail: ''}], new Map([[80, 'port 80 on web1 is held by nginx (pids 72, 73, nginx.service) on 0.0.0.0:80']]));
    expect(held[1]).toMatchObject({status: 'warn', message: 'unit.example.test:80: not tested: port 80 on web1 is held by nginx (pids 72, 73, nginx.service) on 0.0.0.0:80'});
    expect(held[1]!.fix).toBe('the report that ends the install reaches the unit through 80 from here (E2E-Redirect)');
  });
});

describe('packages', () => {
  it('a held dpkg lock fails and names the holder', () => {
    const facts = cleanFacts({packageLock: {held: [{file: '/var/lib/dpkg/lock-frontend', pid: 812, process: 'unattended-upgr'}], method: 'fcntl'}});
    const r = one(checkPackageLock(smallCtx(facts)), 'PackageLock');
    expect(r.status).toBe('fail');
    expect(r.message).toContain('held by unattended-upgr (pid 812)');
  });
  it('package manager must match the OS', () => {
    expect(one(checkPackageManager(smallCtx(cleanFacts({packageManager: undefined}))), 'PackageManager').status).toBe('fail');
    const rocky = cleanFacts({os: {id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4', prettyName: 'Rocky Linux 9.4'}, packageManager: 'dnf'});
    expect(one(checkPackageManager(smallCtx(rocky)), 'PackageManager').status).toBe('pass');
  });
  it('an unreachable package source fails', () => {
    const facts = cleanFacts({packageSource: {url: 'http://deb.debian.org/', reachable: false, detail: 'Could not resolve host: deb.debian.org', via: 'http://proxy:3128'}});
    const r = one(checkPackageSource(smallCtx(facts)), 'PackageSource');
    expect(r.status).toBe('fail');
    expect(r.message).toContain('through proxy http://proxy:3128');
  });
  it('proxies are reported; an environment proxy without no_proxy for the unit warns', () => {
    expect(one(checkProxy(smallCtx()), 'Proxy').message).toBe('no proxy configured');
    const aptOnly = cleanFacts({proxies: [{source: 'apt', name: 'Acquire::http::Proxy', value: 'http://10.0.0.1:3142/'}]});
    expect(one(checkProxy(smallCtx(aptOnly)), 'Proxy')).toMatchObject({status: 'pass'});
    const env = cleanFacts({proxies: [{source: '/etc/environment', name: 'https_proxy', value: 'http://proxy:3128'}]});
    const w = one(checkProxy(contextFor(medium, 'ap1', env)), 'Proxy');
    expect(w.status).toBe('warn');
    expect(w.message).toContain('10.0.0.11');
    const covered = cleanFacts({proxies: [...env.proxies, {source: '/etc/environment', name: 'no_proxy', value: 'localhost,127.0.0.1,10.0.0.0/24,.example.test'}]});
    expect(one(checkProxy(contextFor(medium, 'ap1', covered)), 'Proxy').status).toBe('pass');
  });
  it('artifacts: bundle present or not, sites reachable or not', () => {
    expect(artifactResults('bundle', [], {path: '/b.tar', exists: true})[0]!.status).toBe('pass');
    expect(artifactResults('bundle', [], {path: '/b.tar', exists: false, detail: 'ENOENT'})[0]!.status).toBe('fail');
    const r = artifactResults('upstream', [{url: 'https://github.com/x', ok: true, detail: 'HTTP 302'}, {url: 'https://archive.apache.org/y', ok: false, detail: 'ETIMEDOUT'}])[0]!;
    expect(r).toMatchObject({status: 'fail', host: '(operator)'});
    expect(r.message).toContain('archive.apache.org');
  });
});

describe('security and existing installs', () => {
  it('SELinux enforcing is a warning', () => {
    expect(one(checkSelinux(smallCtx(cleanFacts({selinux: 'Enforcing'}))), 'SELinux')).toMatchObject({status: 'warn', severity: 'warning'});
    expect(one(checkSelinux(smallCtx(cleanFacts({selinux: 'Permissive'}))), 'SELinux').status).toBe('pass');
  });
  it('an active firewall is reported with the ports it must let through', () => {
    const fw = cleanFacts({firewall: {firewalld: true, ufw: false, nftables: true, nftRules: 40, iptablesRules: 0, allowed: ['ssh', 'https']}});
    const r = one(checkFirewall(smallCtx(fw)), 'Firewall');
    expect(r.status).toBe('warn');
    expect(r.message).toContain('80/tcp (public)');
    expect(r.message).not.toContain('443/tcp');
    expect(r.fix).toContain('firewall-cmd --permanent --add-port=80/tcp');
    const es = one(checkFirewall(contextFor(medium, 'es1', fw)), 'Firewall');
    expect(es.message).toMatch(/9200\/tcp \(unit servers\), 9300\/tcp \(unit servers\)/);
  });
  it('an existing installation warns and is never treated as an error', () => {
    const r = one(checkExistingInstall(smallCtx(cleanFacts({existing: ['/personium', '/opt/tomcat/webapps/personium-core.war']}))), 'ExistingInstall');
    expect(r).toMatchObject({status: 'warn', severity: 'warning'});
    expect(r.message).toContain('/opt/tomcat/webapps/personium-core.war');
    expect(r.message).toContain('never deletes data');
    const many = ['/personium', '/personium_nfs', '/opt/elasticsearch', '/opt/activemq', '/etc/nginx/conf.d/personium.conf', '/var/cache/personium-setup'];
    expect(one(checkExistingInstall(smallCtx(cleanFacts({existing: many}))), 'ExistingInstall').message).toBe(
      'an existing Personium installation was found (/personium, /personium_nfs, /opt/elasticsearch and 2 more), made or touched by this tool: the installer converges it and never deletes data',
    );
  });
});

describe('connection', () => {
  it('connect failures become SSH or HostKey results', () => {
    expect(connectionFailureResults('h', new HostKeyError('h', 'changed key'))).toMatchObject([{id: 'HostKey', status: 'fail'}]);
    expect(connectionFailureResults('h', new HostAuthError('h', 'refused the login'))).toMatchObject([{id: 'SSH', status: 'fail'}]);
    expect(connectionFailureResults('h', new HostUnreachableError('h', 'timed out'))[0]!.fix).toMatch(/address/);
  });
  it('no sudo fails the Sudo check with a sudoers line', () => {
    const r = connectionResults('h', {user: 'deploy', address: '10.0.0.1', asRoot: false, sudoError: new HostAuthError('h', 'deploy may not use sudo')});
    expect(one(r, 'Sudo')).toMatchObject({status: 'fail', message: 'deploy may not use sudo'});
    expect(one(r, 'Sudo').fix).toContain('deploy ALL=(ALL:ALL) NOPASSWD: ALL');
    expect(one(connectionResults('h', {address: 'x', asRoot: true, sudoUser: 'deploy'}), 'Sudo').message).toContain('through sudo');
  });
});

describe('ignore list', () => {
  const failing: CheckResult[] = [
    {id: 'Port-9200', host: 'a', kind: 'ports', severity: 'error', status: 'fail', message: 'taken'},
    {id: 'Reach-ap1-es1-9200', host: 'ap1', kind: 'network', severity: 'error', status: 'fail', message: 'refused'},
    {id: 'Mem', host: 'a', kind: 'resources', severity: 'error', status: 'pass', message: 'ok'},
  ];
  it('parses ID,…|all', () => {
    expect(parseIgnoreList('port-9200, Mem')).toEqual(['port-9200', 'Mem']);
    expect(parseIgnoreList(['Swap', 'all'])).toBe('all');
    expect(parseIgnoreList(undefined)).toEqual([]);
  });
  it('turns a failure into a warning that stays, case-insensitively; prefixes with *', () => {
    const out = applyIgnore(failing, ['PORT-9200']);
    expect(out[0]).toMatchObject({status: 'warn', ignored: true, severity: 'error'});
    expect(out[1]).toMatchObject({status: 'fail'});
    expect(out[2]).toEqual(failing[2]);
    expect(applyIgnore(failing, ['reach-*'])[1]).toMatchObject({status: 'warn', ignored: true});
    expect(applyIgnore(failing, 'all').filter(r => r.status === 'fail')).toEqual([]);
    expect(isIgnored('Mem', ['me'])).toBe(false);
  });
});
