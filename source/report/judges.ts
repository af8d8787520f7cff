// The report's judges: pure functions from (profile, plan, facts) to items that say what was
// expected, what was found, pass / warn / fail, and a fix hint. Nothing here touches a host.
import {isLoopback, isWildcard, unmapped} from '../preflight/checks/addresses.js';
import {expectedUnitTargets} from '../preflight/checks/names.js';
import {describeListener} from '../preflight/checks/ports.js';
import type {HostPlan, Plan, PortUse} from '../plan/plan.js';
import {SERVICES} from '../plan/plan.js';
import {PATHS} from '../plan/paths.js';
import {versionMatrix, type VersionSet} from '../presets.js';
import {serverCertificateNames, type HostSpec, type Profile, type Role} from '../profile/schema.js';
import {cellOwnersThatFit, ES_MAX_SHARDS_PER_NODE, INDICES_PER_CELL_OWNER} from '../profile/unit-config-keys.js';
import {osInfoFrom} from '../steps/os.js';
import {ES_CLUSTER_NAME, PORTS, hostPort, unitContext} from '../steps/render/context.js';
import {parseProperties} from '../steps/render/properties.js';
import {renderUnitConfig} from '../steps/render/unit-config.js';
import {daysLeft, keyFormat, readCertificate, type CertificateInfo} from './certificates.js';
import {MASKED_KEYS, SECRET_SET, type Probe, type ReportFacts} from './facts.js';
import {itemFor, type ReportItem, type ReportRole} from './types.js';

export interface JudgeContext {
  profile: Profile;
  plan: Plan;
  versionSet: VersionSet;
  spec: HostSpec;
  hostPlan: HostPlan;
  facts: ReportFacts;
  /** Every host's facts by name (the JVM trust check compares with the web host's certificate). */
  all: ReadonlyMap<string, ReportFacts>;
  /** A random name under the FQDN that only a wildcard record answers (per-cell mode). */
  wildcardName?: string;
  /** Operator clock, ms since epoch (certificate expiry). */
  now: number;
}

export type Judge = (ctx: JudgeContext) => ReportItem[];

const CORE = 'io.personium.core.';

/** Which role a service or port belongs to. */
export function roleOfService(service: string): ReportRole {
  switch (service.split(' ')[0]) {
    case SERVICES.nginx:
      return 'web';
    case SERVICES.tomcat:
      return 'ap';
    case SERVICES.elasticsearch:
      return 'es';
    case SERVICES.activemq:
      return 'mq';
    case SERVICES.memcachedLock:
    case SERVICES.memcachedCache:
    case SERVICES.nfs:
    case 'rpcbind':
      return 'nfs';
    default:
      return 'host';
  }
}

const single = (ctx: Pick<JudgeContext, 'plan'>) => ctx.plan.hosts.length === 1;
/** The address this host's internal services listen on (as the plan binds them). */
export const bindOf = (plan: Plan, host: HostPlan) => (plan.hosts.length === 1 ? '127.0.0.1' : host.privateAddress);

// ---------------------------------------------------------------------------------------------
// What to probe from each host (pure: the run turns these into the fact script's probes).

/** Probes of one host: its own services, and (AP hosts) every service core connects to elsewhere. */
export function probesFor(profile: Profile, plan: Plan, set: VersionSet, host: HostPlan): Probe[] {
  const probes: Probe[] = [];
  const bind = bindOf(plan, host);
  if (host.roles.includes('es')) {
    probes.push({id: 'es-health', kind: 'http', host: bind, port: PORTS.esHttp, url: `http://${hostPort(bind, PORTS.esHttp)}/_cluster/health`});
    probes.push({id: 'es-root', kind: 'http', host: bind, port: PORTS.esHttp, url: `http://${hostPort(bind, PORTS.esHttp)}/`});
  }
  if (host.roles.includes('nfs')) {
    probes.push({id: 'memcached-lock', kind: 'memcached', host: bind, port: PORTS.memcachedLock});
    probes.push({id: 'memcached-cache', kind: 'memcached', host: bind, port: PORTS.memcachedCache});
  }
  if (host.roles.includes('mq')) probes.push({id: 'activemq', kind: 'activemq', host: bind, port: PORTS.activemq});
  if (host.roles.includes('ap') && plan.hosts.length > 1) {
    const unit = unitContext(profile, set, {host: host.name, javaHome: '/usr', memcachedUser: 'memcache'});
    const own = (role: Role) => host.roles.includes(role);
    unit.esNodes.forEach((node, i) => {
      if (node.name !== host.name) probes.push({id: `reach-es-${i}`, kind: 'tcp', host: node.address, port: set.unitConfig.esHostsPort});
    });
    if (!own('nfs')) {
      probes.push({id: 'reach-memcached-lock', kind: 'memcached', host: unit.connect.memcached, port: PORTS.memcachedLock});
      probes.push({id: 'reach-memcached-cache', kind: 'memcached', host: unit.connect.memcached, port: PORTS.memcachedCache});
    }
    if (!own('mq')) probes.push({id: 'reach-activemq', kind: 'activemq', host: unit.connect.mq, port: PORTS.activemq});
  }
  return probes;
}

/** Data paths whose disk use is reported on a host. */
export function diskPathsFor(host: HostPlan): Array<{path: string; role: ReportRole}> {
  const paths: Array<{path: string; role: ReportRole}> = [{path: '/', role: 'host'}];
  if (host.roles.includes('es')) paths.push({path: PATHS.esData, role: 'es'});
  if (host.roles.includes('nfs')) paths.push({path: PATHS.nfsCore, role: 'nfs'});
  if (host.roles.includes('ap')) paths.push({path: PATHS.coreLogDir, role: 'ap'}, {path: PATHS.tomcatHome, role: 'ap'});
  if (host.roles.includes('web')) paths.push({path: PATHS.nginxLogDir, role: 'web'});
  return paths;
}

// ---------------------------------------------------------------------------------------------
// Server

export function judgeOs({spec, facts}: JudgeContext): ReportItem[] {
  const r = itemFor(spec.name, 'host')('OS', 'Operating system', 'Debian 12, Ubuntu 22.04/24.04 or RHEL/Rocky/Alma 9');
  if (!facts.os) return [r.warn('cannot read /etc/os-release')];
  try {
    osInfoFrom(facts.os.release);
    return [r.pass(facts.os.prettyName)];
  } catch {
    return [r.warn(`${facts.os.prettyName} (not a supported distribution)`, 'the unit may work, but this tool is tested only on the supported ones')];
  }
}

export function judgeUpdates({spec, facts}: JudgeContext): ReportItem[] {
  const r = itemFor(spec.name, 'host')('Updates-Security', 'Pending security updates', 'none');
  const u = facts.updates;
  if (!u) return [r.warn('cannot tell: no apt-get, dnf or yum')];
  const fix = u.tool === 'apt' ? 'apt-get update && apt-get upgrade (then restart the services that use updated libraries)' : `${u.tool} upgrade --security`;
  if (u.error) return [r.warn(`cannot tell: ${u.error}`, `${u.tool} makecache, then run the report again`)];
  if (u.security === undefined) return [r.warn('cannot tell')];
  const age = u.listsAgeDays !== undefined && u.listsAgeDays > 7 ? ` (package lists are ${u.listsAgeDays} days old: apt-get update first)` : '';
  if (u.security === 0) return [age ? r.warn(`none known${age}`, 'apt-get update, then run the report again') : r.pass(`none${u.total ? ` (${u.total} other updates)` : ''}`)];
  return [r.warn(`${u.security} security update${u.security === 1 ? '' : 's'} pending${u.total ? ` of ${u.total}` : ''}${age}`, fix)];
}

export function judgeDisks(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan} = ctx;
  const items: ReportItem[] = [];
  for (const {path, role} of diskPathsFor(hostPlan)) {
    const d = facts.disks.find(x => x.path === path);
    const r = itemFor(spec.name, role)(`Disk-${path}`, `Disk use of ${path}`, 'below 85 %');
    if (!d || d.sizeKb === 0) {
      items.push(r.warn('cannot measure'));
      continue;
    }
    const used = Math.round(((d.sizeKb - d.availKb) / d.sizeKb) * 100);
    const found = `${used} % used, ${(d.availKb / 1024 / 1024).toFixed(1)} GB free on ${d.mount}${d.measured !== path ? ` (${path} does not exist; measured ${d.measured})` : ''}`;
    const fix = `free space on ${d.mount} or grow it (du -xsh ${d.measured}/* shows what takes it)`;
    items.push(used >= 95 ? r.fail(found, fix) : used >= 85 ? r.warn(found, fix) : r.pass(found));
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Services, boot order, ports

export function judgeServices({spec, facts, hostPlan}: JudgeContext): ReportItem[] {
  return hostPlan.services.map(service => {
    const r = itemFor(spec.name, roleOfService(service))(`Service-${service}`, `Service ${service}`, 'active and enabled');
    const s = facts.services.find(x => x.name === service);
    if (!s || s.load === 'not-found' || s.load === '') {
      return r.fail('not installed (no systemd unit)', `install the unit again: personium-setup install --resume (or run install once more)`);
    }
    const found = `${s.active}${s.sub && s.sub !== s.active ? ` (${s.sub})` : ''}, ${s.enabled || 'unknown'}`;
    const active = s.active === 'active';
    const enabled = s.enabled === 'enabled' || s.enabled === 'alias' || s.enabled === 'static' || s.enabled === 'generated';
    if (active && enabled) return r.pass(found);
    if (!active) return r.fail(found, `systemctl start ${service}; if it stops again, journalctl -u ${service} -n 50 says why${enabled ? '' : `; and systemctl enable ${service}`}`);
    return r.fail(found, `systemctl enable ${service} (it would not start after a reboot)`);
  });
}

/** Tomcat starts after what runs beside it (memcached, Elasticsearch, ActiveMQ) and after the NFS mount. */
export function judgeBootOrder({spec, facts, hostPlan, plan, profile}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('ap')) return [];
  const wanted: string[] = [];
  if (hostPlan.roles.includes('nfs')) wanted.push(`${SERVICES.memcachedLock}.service`, `${SERVICES.memcachedCache}.service`);
  if (hostPlan.roles.includes('es')) wanted.push(`${SERVICES.elasticsearch}.service`);
  if (hostPlan.roles.includes('mq')) wanted.push(`${SERVICES.activemq}.service`);
  const nfsHost = profile.hosts.find(h => h.roles.includes('nfs'));
  const mount = nfsHost !== undefined && nfsHost.name !== hostPlan.name;
  const expected = [...wanted.map(w => `after ${w.replace(/\.service$/, '')}`), ...(mount ? [`needs the ${PATHS.nfsRoot} mount`] : [])];
  const r = itemFor(spec.name, 'ap')('Boot-tomcat', 'Boot order of Tomcat', expected.length > 0 ? expected.join(', ') : 'nothing local to wait for');
  const s = facts.services.find(x => x.name === SERVICES.tomcat);
  if (!s || s.load === 'not-found') return [r.fail('no tomcat unit', 'install the unit again')];
  const missing = wanted.filter(w => !s.after.includes(w));
  const mountMissing = mount && !s.requiresMountsFor.includes(PATHS.nfsRoot);
  if (missing.length === 0 && !mountMissing) {
    const cross = plan.hosts.length > 1 ? ' (services on other servers are waited for by the tool at install and start)' : '';
    return [r.pass(`${expected.length > 0 ? expected.join(', ') : 'nothing to wait for'}${cross}`)];
  }
  const problems = [...missing.map(m => `not after ${m}`), ...(mountMissing ? [`no RequiresMountsFor=${PATHS.nfsRoot}`] : [])];
  return [r.fail(problems.join(', '), `the unit file ${PATHS.unitFile(SERVICES.tomcat)} was changed by hand: run install again to restore it, then systemctl daemon-reload`)];
}

function bindText(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function sameAddress(a: string, b: string): boolean {
  if (isLoopback(a) && isLoopback(b)) return true;
  return unmapped(a) === unmapped(b);
}

/** Every planned port listens where the plan binds it, and nowhere more open. */
export function judgePorts({spec, facts, hostPlan}: JudgeContext): ReportItem[] {
  const items: ReportItem[] = [];
  const seen = new Set<number>();
  for (const use of hostPlan.ports) {
    if (seen.has(use.port)) continue;
    seen.add(use.port);
    items.push(judgePort(spec, facts, use));
  }
  return items;
}

function judgePort(spec: HostSpec, facts: ReportFacts, use: PortUse): ReportItem {
  const service = use.service.split(' ')[0]!;
  const where = use.exposure === 'public' ? `every interface (${use.exposure})` : `${use.bind} only (${use.exposure === 'local' ? 'this server' : "the unit's servers"})`;
  const r = itemFor(spec.name, roleOfService(use.service))(`Port-${use.port}`, `Port ${use.port} (${use.service})`, `listening on ${where}`);
  if (facts.listenersUnknown) return r.warn('cannot tell: ss (iproute2) is not installed', 'install iproute2');
  const on = facts.listeners.filter(l => l.port === use.port);
  if (on.length === 0) {
    return r.fail('nothing listens', `start ${service} (systemctl start ${service}); journalctl -u ${service} -n 50 says why it is not listening`);
  }
  const found = on.map(describeListener).join('; ');
  if (use.exposure === 'public') return r.pass(found);
  const open = on.filter(l => isWildcard(l.address));
  // The kernel NFS server and rpcbind listen on every interface whatever they are told.
  const kernelWide = service === SERVICES.nfs || service === 'rpcbind';
  if (open.length > 0) {
    const text = `${found}: every interface, not only ${use.bind}`;
    if (kernelWide) return r.warn(text, `${service} always listens everywhere: allow ${use.port} only from the unit's servers in the firewall`);
    return r.fail(text, `bind ${service} to ${use.bind} again (its configuration was changed): run install again, or fix the address in its config and restart it`);
  }
  const wrong = on.filter(l => !sameAddress(l.address, use.bind));
  if (wrong.length > 0) {
    return r.fail(`${found}: bound to ${wrong.map(l => bindText(l.address, l.port)).join(', ')}, not ${bindText(use.bind, use.port)}`, `bind ${service} to ${use.bind} again: run install again, or fix the address in its config and restart it`);
  }
  return r.pass(found);
}

// ---------------------------------------------------------------------------------------------
// Versions

function versionItem(host: string, role: ReportRole, id: string, title: string, expected: string | undefined, found: string | undefined, fix: string, where?: string): ReportItem {
  const r = itemFor(host, role)(id, title, expected ?? 'installed');
  if (!found) return r.fail(`not found${where ? ` (${where})` : ''}`, fix);
  if (!expected) return r.pass(found);
  if (found === expected || found.startsWith(`${expected} `) || found.startsWith(`${expected}.`) || found.startsWith(`${expected}-`) || found.startsWith(`${expected}+`)) return r.pass(found);
  return r.fail(`${found} (the profile's version set wants ${expected})`, fix);
}

function esVersionFound(facts: ReportFacts): string | undefined {
  const body = facts.probes['es-root']?.body;
  if (body) {
    try {
      const v = (JSON.parse(body) as {version?: {number?: string}}).version?.number;
      if (v) return v;
    } catch {
      // not JSON: fall back to the install directory
    }
  }
  return facts.versions.elasticsearch;
}

/** How to get the profile's Java 17. */
function javaFix(profile: Profile, set: VersionSet): string {
  if (profile.artifacts.jdk === 'tarball') return `run install again: it unpacks the Temurin ${set.jdk.tarball.version} tarball to ${PATHS.jdkTarballHome(set.jdk.tarball.version)}`;
  return `install ${set.jdk.packages.apt} (apt) or ${set.jdk.packages.dnf} (dnf)`;
}

export function judgeVersions(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, versionSet: set, hostPlan} = ctx;
  const v = facts.versions;
  const items: ReportItem[] = [];
  const again = 'run install again with the same version set';
  if (hostPlan.roles.includes('web')) items.push(versionItem(spec.name, 'web', 'Version-nginx', 'nginx', undefined, v.nginx, 'install the distribution\'s nginx package'));
  if (hostPlan.roles.some(r => r === 'ap' || r === 'mq' || (r === 'es' && !set.elasticsearch.version.startsWith('7')))) {
    items.push(versionItem(spec.name, hostPlan.roles.includes('ap') ? 'ap' : hostPlan.roles.includes('mq') ? 'mq' : 'es', 'Version-java', 'Java', set.jdk.version, v.java, javaFix(ctx.profile, set), v.javaHome));
  }
  if (hostPlan.roles.includes('ap')) {
    items.push(versionItem(spec.name, 'ap', 'Version-tomcat', 'Tomcat', set.tomcat.version, v.tomcat, again, PATHS.tomcatHome));
    items.push(versionItem(spec.name, 'ap', 'Version-core', 'personium-core', set.core.version, v.core, again, facts.wars.core ? 'the war carries no version' : `${PATHS.webapps}/personium-core.war is missing`));
    items.push(versionItem(spec.name, 'ap', 'Version-engine', 'personium-engine', set.engine.version, v.engine, again, facts.wars.engine ? 'the war carries no version' : `${PATHS.webapps}/personium-engine.war is missing`));
  }
  if (hostPlan.roles.includes('es')) items.push(versionItem(spec.name, 'es', 'Version-elasticsearch', 'Elasticsearch', set.elasticsearch.version, esVersionFound(facts), again, PATHS.esHome));
  if (hostPlan.roles.includes('mq')) items.push(versionItem(spec.name, 'mq', 'Version-activemq', 'ActiveMQ', set.activemq.version, v.activemq, again, PATHS.activemqHome));
  if (hostPlan.roles.includes('nfs')) {
    const found = v.memcached ?? facts.probes['memcached-lock']?.version;
    items.push(versionItem(spec.name, 'nfs', 'Version-memcached', 'memcached', undefined, found, 'install the distribution\'s memcached package'));
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Data services answering

export function judgeElasticsearch(ctx: JudgeContext): ReportItem[] {
  return [...judgeEsHealth(ctx), ...judgeShardBudget(ctx)];
}

/**
 * ES 7 refuses new indices past cluster.max_shards_per_node × data nodes: core then cannot make
 * a new cell owner's indices. How far the unit is from that, warned from 80 %.
 */
function judgeShardBudget({spec, facts, hostPlan, versionSet}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('es') || Number.parseInt(versionSet.elasticsearch.version, 10) < 7) return [];
  const p = facts.probes['es-health'];
  let health: {number_of_data_nodes?: number; active_shards?: number; initializing_shards?: number; unassigned_shards?: number};
  try {
    health = JSON.parse(p?.body ?? '') as typeof health;
  } catch {
    return [];
  }
  if (!p?.ok || typeof health.active_shards !== 'number') return [];
  const nodes = Math.max(1, health.number_of_data_nodes ?? 1);
  const limit = ES_MAX_SHARDS_PER_NODE * nodes;
  const used = health.active_shards + (health.initializing_shards ?? 0) + (health.unassigned_shards ?? 0);
  const owners = cellOwnersThatFit(limit, used);
  const r = itemFor(spec.name, 'es')('ES-Shard-Budget', 'Elasticsearch shards left for new cell owners', `below 80 % of ${limit} (cluster.max_shards_per_node ${ES_MAX_SHARDS_PER_NODE} × ${nodes} data node${nodes === 1 ? '' : 's'})`);
  const found = `${used} of ${limit} shards in use: room for about ${owners} more cell owners (${INDICES_PER_CELL_OWNER} shards each)`;
  const fix = `add Elasticsearch nodes, or raise cluster.max_shards_per_node (PUT /_cluster/settings; each shard costs heap) after checking the heap; indices made with more than 1 shard (io.personium.core.es.index.numberOfShards) use the budget faster`;
  if (used >= limit) return [r.fail(`${found}: core cannot make a new cell owner's indices`, fix)];
  if (used >= limit * 0.8) return [r.warn(found, fix)];
  return [r.pass(found)];
}

function judgeEsHealth({spec, facts, hostPlan, versionSet}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('es')) return [];
  const r = itemFor(spec.name, 'es')('ES-Health', 'Elasticsearch cluster health', `green or yellow${versionSet.unitConfig.esClusterName ? `, cluster "${ES_CLUSTER_NAME}"` : ''}`);
  const p = facts.probes['es-health'];
  const fix = 'systemctl status elasticsearch; journalctl -u elasticsearch -n 50 (heap, vm.max_map_count, disk watermarks)';
  if (!p || !p.ok) return [r.fail(`no answer on ${PORTS.esHttp}: ${p?.detail ?? 'not probed'}`, fix)];
  let health: {status?: string; cluster_name?: string; number_of_nodes?: number; unassigned_shards?: number};
  try {
    health = JSON.parse(p.body ?? '') as typeof health;
  } catch {
    return [r.fail(`HTTP ${p.status}, not a cluster health answer`, fix)];
  }
  const found = `${health.status ?? '?'} (cluster ${health.cluster_name ?? '?'}, ${health.number_of_nodes ?? '?'} node${health.number_of_nodes === 1 ? '' : 's'}${health.unassigned_shards ? `, ${health.unassigned_shards} unassigned shards` : ''})`;
  if (versionSet.unitConfig.esClusterName && health.cluster_name !== ES_CLUSTER_NAME) {
    return [r.fail(found, `core ${versionSet.core.version} joins the cluster by name: set cluster.name: ${ES_CLUSTER_NAME} in ${PATHS.esConfig} and restart Elasticsearch`)];
  }
  if (health.status === 'green') return [r.pass(found)];
  if (health.status === 'yellow') return [r.pass(`${found}: replicas unassigned, normal on one node`)];
  return [r.fail(found, 'GET /_cluster/allocation/explain on the ES host says which shards cannot be assigned and why')];
}

export function judgeMemcached({spec, facts, hostPlan}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('nfs')) return [];
  return (['lock', 'cache'] as const).map(kind => {
    const port = kind === 'lock' ? PORTS.memcachedLock : PORTS.memcachedCache;
    const service = kind === 'lock' ? SERVICES.memcachedLock : SERVICES.memcachedCache;
    const r = itemFor(spec.name, 'nfs')(`Memcached-${kind}`, `memcached ${kind} answers`, `stats answered on ${port}`);
    const p = facts.probes[`memcached-${kind}`];
    return p?.ok ? r.pass(p.detail) : r.fail(p?.detail ?? 'not probed', `systemctl restart ${service}; journalctl -u ${service} -n 50`);
  });
}

export function judgeActiveMq({spec, facts, hostPlan}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('mq')) return [];
  const r = itemFor(spec.name, 'mq')('ActiveMQ-Answers', 'ActiveMQ answers', `OpenWire on ${PORTS.activemq}`);
  const p = facts.probes.activemq;
  return [p?.ok ? r.pass(p.detail) : r.fail(p?.detail ?? 'not probed', `systemctl restart ${SERVICES.activemq}; journalctl -u ${SERVICES.activemq} -n 50 (or ${PATHS.activemqHome}/data/activemq.log)`)];
}

/** From an AP host: every service core connects to on another server answers. */
export function judgeReach(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan} = ctx;
  if (!hostPlan.roles.includes('ap')) return [];
  const items: ReportItem[] = [];
  for (const p of probesFor(ctx.profile, ctx.plan, ctx.versionSet, hostPlan).filter(x => x.id.startsWith('reach-'))) {
    const result = facts.probes[p.id];
    const what = p.id.startsWith('reach-es') ? 'Elasticsearch' : p.id.startsWith('reach-memcached') ? `memcached ${p.id.endsWith('lock') ? 'lock' : 'cache'}` : 'ActiveMQ';
    const r = itemFor(spec.name, 'ap')(`Reach-${p.id.slice(6)}`, `${what} reachable from here`, `${bindText(p.host, p.port)} answers`);
    items.push(
      result?.ok
        ? r.pass(`${bindText(p.host, p.port)}: ${result.detail}`)
        : r.fail(`${bindText(p.host, p.port)}: ${result?.detail ?? 'not probed'}`, `is ${what} running on ${p.host}, bound to that address, and does the firewall there allow ${p.port} from ${hostPlan.privateAddress}?`),
    );
  }
  return items;
}

export function judgeNfs(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile} = ctx;
  if (!hostPlan.roles.includes('ap')) return [];
  const items: ReportItem[] = [];
  const nfsHost = profile.hosts.find(h => h.roles.includes('nfs'));
  if (nfsHost && nfsHost.name !== hostPlan.name) {
    const server = nfsHost.privateAddress ?? nfsHost.address;
    const r = itemFor(spec.name, 'ap')('NFS-Mount', `${PATHS.nfsRoot} mounted`, `NFS from ${nfsHost.name} (${server})`);
    const m = facts.nfs?.mount;
    if (!m) items.push(r.fail('not mounted', `mount ${PATHS.nfsRoot} (the fstab line is there); findmnt ${PATHS.nfsRoot} to check, journalctl -b | grep -i nfs for why it failed`));
    else if (!/^nfs/.test(m.fstype)) items.push(r.fail(`${m.source} (${m.fstype}), not NFS`, `mount the share from ${nfsHost.name}: mount ${PATHS.nfsRoot}`));
    else if (!m.source.startsWith(`${server}:`) && !m.source.startsWith(`[${server}]:`)) items.push(r.warn(`${m.source} (${m.fstype})`, `the share should come from ${server}`));
    else items.push(r.pass(`${m.source} (${m.fstype}, ${m.options.split(',').slice(0, 4).join(',')})`));
  }
  const w = itemFor(spec.name, 'ap')('NFS-Write', 'Shared storage writable by personium', `a file can be made in ${PATHS.nfsCore}`);
  const write = facts.nfs?.write;
  if (write === 'ok') items.push(w.pass('written and removed as the personium user'));
  else if (write === 'timeout') items.push(w.fail('the write hung for 5 s (a stale or unreachable NFS server)', `check the NFS server ${nfsHost?.name ?? ''} and remount ${PATHS.nfsRoot}`));
  else items.push(w.fail(`cannot write${facts.nfs?.writeDetail ? `: ${facts.nfs.writeDetail}` : ''}`, `chown -R personium: ${PATHS.nfsCore} on the NFS host (and check the export's options)`));
  return items;
}

// ---------------------------------------------------------------------------------------------
// Unit config

/** The unit config the profile asks for, parsed (secrets replaced by placeholders). */
export function expectedUnitConfig(profile: Profile, set: VersionSet, host: string): Map<string, string> {
  const unit = unitContext(profile, set, {
    host,
    javaHome: '/usr',
    memcachedUser: 'memcache',
    secrets: {secret16: SECRET_SET, salt: SECRET_SET},
    ...(profile.security.disableMasterToken ? {} : {masterToken: SECRET_SET}),
  });
  return parseProperties(renderUnitConfig(unit));
}

const SECRET_KEYS = new Set<string>(MASKED_KEYS);
const masked = (value: string | undefined) => (value === undefined ? 'absent' : value === SECRET_SET ? 'set' : value === '' ? 'empty' : 'set');

export function judgeUnitConfig(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile, versionSet} = ctx;
  if (!hostPlan.roles.includes('ap')) return [];
  const r = itemFor(spec.name, 'ap');
  const file = r('Config-File', 'Unit config', `${PATHS.unitConfig}, readable`);
  const uc = facts.unitConfig;
  if (!uc || !uc.present) return [file.fail('missing', 'run install again: it writes the unit config')];
  if (uc.error) return [file.fail(`cannot be parsed: ${uc.error}`, 'run install again: it rewrites the unit config')];
  const items: ReportItem[] = [file.pass(`${Object.keys(uc.values).length} keys`)];

  const expected = expectedUnitConfig(profile, versionSet, spec.name);
  const mismatches: string[] = [];
  let compared = 0;
  for (const [key, want] of expected) {
    if (SECRET_KEYS.has(key)) continue;
    compared++;
    const got = uc.values[key];
    if (got !== want) mismatches.push(`${key.replace(CORE, '')}=${got === undefined ? '(absent)' : got} (want ${want})`);
  }
  const keys = r('Config-Keys', 'Unit config matches the profile', `${compared} keys as the profile and version set ${versionSet.id} say (es.hosts=${expected.get(`${CORE}es.hosts`)}, pathBasedCellUrl.enabled=${expected.get(`${CORE}pathBasedCellUrl.enabled`)}, …)`);
  items.push(
    mismatches.length === 0
      ? keys.pass(`all ${compared} match (unitScheme=${uc.values[`${CORE}unitScheme`]}, es.hosts=${uc.values[`${CORE}es.hosts`]}, eventbus.broker=${uc.values[`${CORE}eventbus.broker`]})`)
      : keys.fail(`${mismatches.length} differ: ${mismatches.join('; ')}`, 'the file was edited by hand or the profile changed: put lasting changes in the profile\'s unitConfig and run install again'),
  );

  const secret16 = masked(uc.values[`${CORE}security.secret16`]);
  const salt = masked(uc.values[`${CORE}security.auth.password.salt`]);
  const s = r('Config-Secrets', 'Unit secrets', 'secret16 set, password salt set (values never shown)');
  items.push(secret16 === 'set' && salt === 'set' ? s.pass('secret16 set, salt set') : s.fail(`secret16 ${secret16}, salt ${salt}`, 'run install again: it writes the unit secrets kept on the first AP server'));
  return items;
}

// ---------------------------------------------------------------------------------------------
// Certificates

function readOrError(pem: string | undefined): CertificateInfo | Error | undefined {
  if (!pem) return undefined;
  try {
    return readCertificate(pem);
  } catch (error) {
    return error as Error;
  }
}

function expiryItem(host: string, role: ReportRole, id: string, title: string, info: CertificateInfo, now: number, fix: string): ReportItem {
  const left = daysLeft(info, now);
  const r = itemFor(host, role)(id, title, 'valid for 30 days or more');
  const found = `${left < 0 ? `expired ${-left} days ago` : `${left} days left`} (until ${info.notAfter.toISOString().slice(0, 10)})`;
  if (info.notBefore.getTime() > now) return r.fail(`not valid before ${info.notBefore.toISOString()}`, 'check the clocks and the certificate');
  if (left < 0) return r.fail(found, fix);
  if (left < 30) return r.warn(found, fix);
  return r.pass(found);
}

export function judgeServerCertificate(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile, now} = ctx;
  if (!hostPlan.roles.includes('web')) return [];
  const names = serverCertificateNames(profile);
  const r = itemFor(spec.name, 'web');
  const renew =
    profile.https.mode === 'letsencrypt'
      ? 'renew it: personium-setup install (it renews Let\'s Encrypt certificates), or certbot renew'
      : profile.https.mode === 'self-signed'
        ? 'run install again: it makes a new self-signed certificate'
        : `put a renewed certificate in ${profile.https.mode === 'provided' ? profile.https.certFile : 'the profile'} and run install again`;
  const namesItem = r('Cert-Server-Names', 'Server certificate names', names.join(', '));
  const info = readOrError(facts.serverCert);
  if (info === undefined) return [namesItem.fail(`${PATHS.serverCert} is missing`, 'run install again: it installs the server certificate')];
  if (info instanceof Error) return [namesItem.fail(`${PATHS.serverCert} is not a certificate: ${info.message}`, 'run install again')];
  const items: ReportItem[] = [];
  const listed = [...info.dnsNames, ...(info.cn && info.dnsNames.length === 0 ? [`CN=${info.cn}`] : [])].join(', ') || 'no names';
  const missing = names.filter(n => !(n.startsWith('*.') ? info.covers(`${ctx.wildcardName ?? `cell-x.${n.slice(2)}`}`) && info.dnsNames.includes(n.toLowerCase()) : info.covers(n)));
  if (missing.length === 0) items.push(namesItem.pass(listed));
  else {
    const fix = missing.some(n => n.startsWith('*.'))
      ? `per-cell URLs need ${missing.join(', ')} in the certificate's subjectAltName: ${profile.https.mode === 'letsencrypt' ? 'issue it with the dns-01 challenge' : profile.https.mode === 'provided' ? 'get a certificate that lists it' : 'run install again to make a new one'}`
      : `the certificate must name ${missing.join(', ')}: ${renew}`;
    items.push(namesItem.fail(`${listed}: ${missing.join(', ')} not covered`, fix));
  }
  items.push(expiryItem(spec.name, 'web', 'Cert-Server-Expiry', 'Server certificate expiry', info, now, renew));
  if (facts.serverKeyMatches !== undefined) {
    const k = r('Cert-Server-Key', 'Server key matches the certificate', 'the same public key');
    items.push(facts.serverKeyMatches ? k.pass('same public key') : k.fail(`${PATHS.serverKey} does not belong to ${PATHS.serverCert}`, 'install the matching pair again (nginx would refuse to start on reload)'));
  }
  return items;
}

export function judgeUnitCertificate(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile, now} = ctx;
  if (!hostPlan.roles.includes('ap')) return [];
  const fqdn = profile.unit.fqdn;
  const r = itemFor(spec.name, 'ap');
  const remake = profile.unitCertificate.mode === 'self-signed' ? `remove ${PATHS.unitCert} and ${PATHS.unitKey} and run install again: it makes a new pair with CN=${fqdn}` : `provide a unit certificate with CN=${fqdn} and run install again`;
  const cn = r('Cert-Unit-CN', 'Unit certificate CN', `CN=${fqdn} (core takes the unit FQDN from it)`);
  const items: ReportItem[] = [];
  const info = readOrError(facts.unitCert);
  if (info === undefined) items.push(cn.fail(`${PATHS.unitCert} is missing`, remake));
  else if (info instanceof Error) items.push(cn.fail(`${PATHS.unitCert} is not a certificate: ${info.message}`, remake));
  else {
    if (info.cn?.toLowerCase() === fqdn.toLowerCase()) items.push(cn.pass(`CN=${info.cn}`));
    else items.push(cn.fail(`CN=${info.cn ?? '(none)'}: trans-cell tokens fail (PR401-AU-0008) and core rejects the unit name`, remake));
    items.push(expiryItem(spec.name, 'ap', 'Cert-Unit-Expiry', 'Unit certificate expiry', info, now, remake));
  }
  const key = r('Cert-Unit-Key', 'Unit key format', 'PKCS#1 PEM (BEGIN RSA PRIVATE KEY)');
  const format = keyFormat(facts.unitKeyHeader);
  const convert = `convert it in place: openssl rsa -in ${PATHS.unitKey} -traditional -out ${PATHS.unitKey}.new && mv ${PATHS.unitKey}.new ${PATHS.unitKey}, then systemctl restart tomcat`;
  if (format === 'pkcs1') items.push(key.pass('PKCS#1 (BEGIN RSA PRIVATE KEY)'));
  else if (format === 'missing') items.push(key.fail(`${PATHS.unitKey} is missing or not PEM`, remake));
  else if (format === 'pkcs8') items.push(key.fail('PKCS#8 (BEGIN PRIVATE KEY): core cannot read it, unit tokens cannot be signed', convert));
  else items.push(key.fail(`${facts.unitKeyHeader}: not an unencrypted PKCS#1 RSA key`, convert));
  if (facts.unitKeyMatches === false) {
    items.push(r('Cert-Unit-Pair', 'Unit key matches the certificate', 'the same public key').fail(`${PATHS.unitKey} does not belong to ${PATHS.unitCert}`, remake));
  }
  return items;
}

/** With a self-signed server certificate, Tomcat's Java must trust it (core calls its own HTTPS URLs). */
export function judgeJvmTrust(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile, plan, all} = ctx;
  if (!hostPlan.roles.includes('ap') || profile.https.mode !== 'self-signed') return [];
  const r = itemFor(spec.name, 'ap')('Cert-JVM-Trust', "Tomcat's Java trusts the server certificate", 'the self-signed server certificate is in the trust store');
  const web = plan.hosts.find(h => h.roles.includes('web'));
  const serverPem = web ? all.get(web.name)?.serverCert : undefined;
  const server = readOrError(serverPem);
  if (!(server && !(server instanceof Error))) return [r.warn('cannot tell: the server certificate was not read from the web server')];
  const t = facts.trust;
  if (!t) return [r.warn('cannot tell: the trust store was not read')];
  if (t.error && t.fingerprints.length === 0) return [r.fail(`cannot read ${t.store}: ${t.error}`, 'run install again: it imports the server certificate into the trust store')];
  if (t.fingerprints.includes(server.fingerprint256)) return [r.pass(`in ${t.store}`)];
  return [
    r.fail(
      `not in ${t.store} (${t.fingerprints.length} certificates there): messages between cells and calls to the unit's own URLs fail`,
      `import it: keytool -importcert -noprompt -alias personium-server -file server.crt -keystore ${t.store} -storepass changeit (or run install again), then systemctl restart tomcat`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Names

export function judgeDns(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, profile, plan, hostPlan} = ctx;
  if (!hostPlan.roles.includes('ap') && !single(ctx)) return [];
  const fqdn = profile.unit.fqdn;
  const targets = expectedUnitTargets(profile, plan);
  const acceptable = new Set(targets.addresses.map(unmapped));
  for (const name of targets.names) for (const a of facts.resolved[name] ?? []) acceptable.add(unmapped(a));
  const allowLoopback = hostPlan.roles.includes('web') || profile.pattern === 'try-it';
  const expect = `${[...acceptable].join(' or ') || 'the web server'}${allowLoopback ? ' (or loopback)' : ''}`;
  const one = (id: string, label: string, name: string): ReportItem => {
    const r = itemFor(spec.name, 'host')(id, `${label} resolves here`, expect);
    const answers = facts.resolved[name] ?? [];
    const fix = `make ${label} resolve to ${[...acceptable][0] ?? 'the web server'} on this server (DNS, or the /etc/hosts block install writes)`;
    if (answers.length === 0) return r.fail(`${name} does not resolve: Personium calls its own unit URL from here`, fix);
    const bad = answers.filter(a => !acceptable.has(unmapped(a)) && !(allowLoopback && isLoopback(a)));
    return bad.length === 0 ? r.pass(`${name} → ${answers.join(', ')}`) : r.fail(`${name} → ${answers.join(', ')}: ${bad.join(', ')} is not the web server`, fix);
  };
  const items = [one('DNS-FQDN', fqdn, fqdn)];
  if (profile.unit.cellUrlMode === 'per-cell' && ctx.wildcardName) items.push(one('DNS-Wildcard', `*.${fqdn}`, ctx.wildcardName));
  return items;
}

// ---------------------------------------------------------------------------------------------
// Extensions and plugins

export function judgeExtensions({spec, facts, hostPlan, profile}: JudgeContext): ReportItem[] {
  if (!hostPlan.roles.includes('ap')) return [];
  const matrix = versionMatrix().extensions as Record<string, {version: string}>;
  const ext = facts.extensions ?? {dir: false, jars: [], properties: []};
  const items: ReportItem[] = [];
  const wanted = Object.keys(profile.extensions);
  for (const name of wanted) {
    const file = `personium-ex-${name}.jar`;
    const version = matrix[name]?.version;
    const r = itemFor(spec.name, 'ap')(`Extension-${name}`, `Engine extension ${name}`, `${PATHS.extensionsDir}/${file}${version ? ` (${version})` : ''}`);
    const jar = ext.jars.find(j => j.file === file) ?? ext.jars.find(j => j.file.startsWith(`personium-ex-${name}-`));
    if (!jar) items.push(r.fail('missing', `run install again: it puts ${file} in ${PATHS.extensionsDir} and restarts Tomcat`));
    else if (!jar.version) items.push(r.pass(`${jar.file} (the jar records no version)`));
    else if (version && jar.version !== version && !jar.version.startsWith(`${version} `)) items.push(r.warn(`${jar.file} ${jar.version}`, `the version set pins ${version}: run install again`));
    else items.push(r.pass(`${jar.file} ${jar.version}`));
  }
  for (const [name, props] of [['mailsender', 'Ext_MailSender.properties'], ['slack-messenger', 'Ext_Slack.properties']] as const) {
    if (profile.extensions[name] && !ext.properties.includes(props)) {
      items.push(itemFor(spec.name, 'ap')(`Extension-${name}-config`, `${props}`, `${PATHS.extensionsDir}/${props}`).fail('missing', 'run install again: it writes the extension settings'));
    }
  }
  const extra = ext.jars.filter(j => !wanted.some(name => j.file === `personium-ex-${name}.jar` || j.file.startsWith(`personium-ex-${name}-`)));
  if (extra.length > 0) {
    items.push(
      itemFor(spec.name, 'ap')('Extension-Extra', 'Extensions not in the profile', 'none').warn(extra.map(j => `${j.file}${j.version ? ` ${j.version}` : ''}`).join(', '), 'add them to the profile, or remove them and restart Tomcat'),
    );
  }
  if (wanted.length === 0 && extra.length === 0) items.push(itemFor(spec.name, 'ap')('Extensions', 'Engine extensions', 'none (the profile lists none)').pass('none'));
  for (const jar of profile.authPlugins.jars) {
    const name = jar.split('/').at(-1) ?? jar;
    const r = itemFor(spec.name, 'ap')(`Plugin-${name}`, `Auth plugin ${name}`, `${PATHS.pluginsDir}/${name}`);
    items.push((facts.plugins ?? []).includes(name) ? r.pass('present') : r.fail('missing', `run install again: it copies ${name} into ${PATHS.pluginsDir}`));
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Security posture

const STOCK_MQ_PORTS = [8161, 5672, 61613, 1883, 61614];
const WEAK_TLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1'];

export function judgeSecurity(ctx: JudgeContext): ReportItem[] {
  const {spec, facts, hostPlan, profile} = ctx;
  const items: ReportItem[] = [];
  if (hostPlan.roles.includes('ap')) {
    const want = profile.security.disableMasterToken ? 'not set (disabled after the bootstrap)' : 'set (the profile keeps it)';
    const r = itemFor(spec.name, 'ap')('Security-MasterToken', 'Unit master token', want);
    const uc = facts.unitConfig?.values;
    if (uc) {
      const core = masked(uc[`${CORE}masterToken`]);
      const engine = masked(uc['io.personium.engine.masterToken']);
      const on = core === 'set' || engine === 'set';
      const found = `core ${core === 'set' ? 'enabled' : 'disabled'}, engine ${engine === 'set' ? 'enabled' : 'disabled'} (value never shown)`;
      if (profile.security.disableMasterToken) {
        items.push(on ? r.fail(found, `it grants full control of the unit: remove io.personium.core.masterToken and io.personium.engine.masterToken from ${PATHS.unitConfig} (or run install again) and restart Tomcat`) : r.pass(found));
      } else {
        items.push(on ? r.warn(found, 'fine for a lab; for production set security.disableMasterToken: true and run install again') : r.pass(found));
      }
    }
    const u = itemFor(spec.name, 'ap')('Security-TomcatUsers', 'Tomcat manager users', 'none in tomcat-users.xml, no manager applications');
    const managers = (facts.webapps ?? []).filter(w => /^(manager|host-manager)(\.war)?$/.test(w));
    if (facts.tomcatUsers === undefined && managers.length === 0) items.push(u.warn(`cannot read ${PATHS.tomcatUsers}`));
    else if ((facts.tomcatUsers ?? 0) > 0 || managers.length > 0) {
      const found = [`${facts.tomcatUsers ?? '?'} user(s)`, ...(managers.length ? [`applications ${managers.join(', ')} deployed`] : [])].join(', ');
      items.push(u.fail(found, `remove every <user> from ${PATHS.tomcatUsers} and delete ${managers.map(m => `${PATHS.webapps}/${m}`).join(' ') || 'the manager applications'}, then systemctl restart tomcat`));
    } else items.push(u.pass('no users, no manager applications'));
    const extra = facts.listeners.filter(l => [8080, 8009, 8443].includes(l.port) && l.processes.some(p => p.unit === 'tomcat.service'));
    if (extra.length > 0) {
      items.push(itemFor(spec.name, 'ap')('Security-TomcatConnectors', 'Tomcat connectors', `only ${PORTS.tomcat}`).fail(extra.map(describeListener).join('; '), `remove the extra connectors from ${PATHS.tomcatServerXml} (run install again) and restart Tomcat`));
    }
  }
  if (hostPlan.roles.includes('mq')) {
    const r = itemFor(spec.name, 'mq')('Security-ActiveMQ', 'ActiveMQ stock listeners', `OpenWire ${PORTS.activemq} only: no web console (8161), AMQP, STOMP, MQTT, WS`);
    const open = facts.listeners.filter(l => STOCK_MQ_PORTS.includes(l.port));
    items.push(open.length === 0 ? r.pass('none of 8161, 5672, 61613, 1883, 61614 listen') : r.fail(open.map(describeListener).join('; '), `the stock activemq.xml or jetty.xml is back: run install again (it writes an OpenWire-only ${PATHS.activemqConfig}) and restart ActiveMQ`));
  }
  if (hostPlan.roles.includes('web')) {
    const r = itemFor(spec.name, 'web')('Security-TLS-Config', 'nginx TLS protocols', 'TLSv1.2 TLSv1.3 only, nginx -t clean');
    const n = facts.nginx;
    if (!n) items.push(r.warn('cannot read the nginx configuration (nginx -T)'));
    else if (!n.testOk) items.push(r.fail(`nginx -t fails: ${n.error ?? 'see nginx -t'}`, 'fix the configuration (nginx -t shows where); nginx keeps the old one until it is valid'));
    else {
      const site = n.sslProtocols.filter(p => p.file === PATHS.nginxSite);
      const effective = site.length > 0 ? site : n.sslProtocols;
      const protocols = [...new Set(effective.flatMap(p => p.protocols))];
      const weak = protocols.filter(p => WEAK_TLS.includes(p));
      const found = protocols.length > 0 ? `${protocols.join(' ')}${site.length > 0 ? ` (in ${PATHS.nginxSite})` : ''}` : 'nginx defaults';
      items.push(weak.length > 0 ? r.fail(found, `set "ssl_protocols TLSv1.2 TLSv1.3;" in ${PATHS.nginxSite} (run install again) and reload nginx`) : r.pass(found));
    }
  }
  return items;
}

/** Every per-host judge, in report order. */
export const HOST_JUDGES: readonly Judge[] = [
  judgeOs,
  judgeUpdates,
  judgeDns,
  judgeDisks,
  judgeServices,
  judgeBootOrder,
  judgePorts,
  judgeVersions,
  judgeServerCertificate,
  judgeUnitConfig,
  judgeUnitCertificate,
  judgeJvmTrust,
  judgeExtensions,
  judgeNfs,
  judgeReach,
  judgeElasticsearch,
  judgeMemcached,
  judgeActiveMq,
  judgeSecurity,
];

/** Runs every judge; a judge that throws becomes a warning item, never a crash. */
export function judgeHost(ctx: JudgeContext): ReportItem[] {
  const items: ReportItem[] = [];
  for (const judge of HOST_JUDGES) {
    try {
      items.push(...judge(ctx));
    } catch (error) {
      items.push({id: judge.name.replace(/^judge/, ''), host: ctx.spec.name, role: 'host', title: judge.name, expected: 'a judgement', found: `the judge itself failed: ${(error as Error).message}`, status: 'warn'});
    }
  }
  return items;
}

/** Items for a host that could not be reached or whose script failed. */
export function unreachableItems(host: string, error: string): ReportItem[] {
  return [itemFor(host, 'host')('Connection', 'Connection and fact script', 'connected as root, script finished').fail(error, 'check SSH and sudo with personium-setup preflight')];
}
