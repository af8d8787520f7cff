// Fact fixtures for the report's judges: what a freshly installed unit looks like from each host
// (built from the plan and the renderers, as install leaves it), and certificates to go with it.
import {generateServerCertificate, generateUnitCertificate} from '../../source/tls/generate.js';
import {buildPlan, type Plan} from '../../source/plan/plan.js';
import {PATHS} from '../../source/plan/paths.js';
import {findVersionSet, versionMatrix, type VersionSet} from '../../source/presets.js';
import {mergeAnswers, presetAnswers, validateAnswers, type Answers} from '../../source/profile/answers.js';
import type {Pattern, Profile} from '../../source/profile/schema.js';
import {serverCertificateNames} from '../../source/profile/schema.js';
import {SECRET_SET, type ReportFacts} from '../../source/report/facts.js';
import {expectedUnitConfig, probesFor, type JudgeContext} from '../../source/report/judges.js';
import {readCertificate} from '../../source/report/certificates.js';

export const NOW = Date.parse('2026-11-25T10:00:00Z');
export const FQDN = 'unit.report.test';

export interface Certs {
  serverCert: string;
  serverKey: string;
  unitCert: string;
  unitKey: string;
}

export async function makeCerts(profile: Profile, options: {names?: string[]; unitCn?: string; days?: number} = {}): Promise<Certs> {
  const now = new Date(NOW);
  const server = await generateServerCertificate({fqdn: profile.unit.fqdn, names: options.names ?? serverCertificateNames(profile), now, ...(options.days ? {days: options.days} : {})});
  const unit = await generateUnitCertificate({fqdn: options.unitCn ?? profile.unit.fqdn, now});
  return {serverCert: server.certPem, serverKey: server.keyPem, unitCert: unit.certPem, unitKey: unit.keyPem};
}

export function profileFor(pattern: Pattern, answers: Answers = {}): Profile {
  const base: Answers =
    pattern === 'medium-large'
      ? {
          hosts: [
            {name: 'web1', address: '192.0.2.11', privateAddress: '10.0.0.11', user: 'deploy', roles: ['web']},
            {name: 'ap1', address: '192.0.2.12', privateAddress: '10.0.0.12', user: 'deploy', roles: ['ap', 'mq', 'nfs']},
            {name: 'ap2', address: '192.0.2.14', privateAddress: '10.0.0.14', user: 'deploy', roles: ['ap']},
            {name: 'es1', address: '192.0.2.13', privateAddress: '10.0.0.13', user: 'deploy', roles: ['es']},
          ],
          unit: {fqdn: FQDN, cellUrlMode: 'per-cell', publicAddress: '192.0.2.11'},
          extensions: {httpclient: {}},
        }
      : {
          hosts: [{name: 'server1', address: '192.0.2.10', user: 'deploy', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
          unit: {fqdn: FQDN, cellUrlMode: 'per-cell'},
          extensions: {httpclient: {}},
        };
  return validateAnswers(mergeAnswers(presetAnswers(pattern), base, answers), 'test').profile;
}

const SERVICE_UNIT: Record<string, string> = {nginx: 'nginx.service', tomcat: 'tomcat.service'};

/** The facts of one host of a freshly installed unit. */
export function installedFacts(profile: Profile, plan: Plan, hostName: string, certs: Certs, wildcardName?: string): ReportFacts {
  const set = findVersionSet(profile.versionSet)!;
  const host = plan.hosts.find(h => h.name === hostName)!;
  const roles = host.roles;
  const has = (r: string) => roles.includes(r as never);
  const web = plan.hosts.find(h => h.roles.includes('web'))!;
  const webAddress = plan.hosts.length === 1 ? '127.0.0.1' : web.privateAddress;
  const nfsHost = plan.hosts.find(h => h.roles.includes('nfs'))!;

  const tomcatAfter = ['network-online.target', 'remote-fs.target'];
  if (has('nfs')) tomcatAfter.push('personium-memcached-lock.service', 'personium-memcached-cache.service');
  if (has('es')) tomcatAfter.push('elasticsearch.service');
  if (has('mq')) tomcatAfter.push('activemq.service');

  const facts: ReportFacts = {
    os: {id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', release: {ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)'}},
    updates: {tool: 'apt', security: 0, total: 0, listsAgeDays: 0},
    services: host.services.map(name => ({
      name,
      load: 'loaded',
      active: 'active',
      sub: 'running',
      enabled: 'enabled',
      after: name === 'tomcat' ? tomcatAfter : ['network-online.target'],
      wants: [],
      requiresMountsFor: name === 'tomcat' && has('ap') && nfsHost.name !== hostName ? [PATHS.nfsRoot] : [],
    })),
    listeners: [
      {address: '0.0.0.0', port: 22, processes: [{name: 'sshd', pid: 400, unit: 'ssh.service'}]},
      ...host.ports.map((p, i) => ({
        address: p.exposure === 'public' ? '0.0.0.0' : p.bind,
        port: p.port,
        processes: [{name: p.service.split(' ')[0]!, pid: 1000 + i, unit: SERVICE_UNIT[p.service.split(' ')[0]!] ?? `${p.service.split(' ')[0]}.service`}],
      })),
    ],
    listenersUnknown: false,
    addresses: ['127.0.0.1', host.address, host.privateAddress],
    disks: ['/', PATHS.esData, PATHS.nfsCore, PATHS.coreLogDir, PATHS.tomcatHome, PATHS.nginxLogDir].map(path => ({path, measured: path, sizeKb: 100 * 1024 * 1024, availKb: 70 * 1024 * 1024, mount: '/'})),
    resolved: {[profile.unit.fqdn]: [webAddress], ...(wildcardName ? {[wildcardName]: [webAddress]} : {})},
    probes: {},
    versions: {},
    wars: {core: has('ap'), engine: has('ap')},
  };
  for (const p of probesFor(profile, plan, set, host)) {
    if (p.kind === 'http') {
      const body = p.id === 'es-health' ? JSON.stringify({cluster_name: 'personium', status: 'green', number_of_nodes: 1, number_of_data_nodes: 1, active_shards: 19, unassigned_shards: 0}) : JSON.stringify({version: {number: set.elasticsearch.version}});
      facts.probes[p.id] = {id: p.id, kind: 'http', ok: true, detail: 'HTTP 200', status: 200, body};
    } else if (p.kind === 'memcached') facts.probes[p.id] = {id: p.id, kind: 'memcached', ok: true, detail: 'stats answered (memcached 1.6.18, up 100 s)', version: '1.6.18'};
    else if (p.kind === 'activemq') facts.probes[p.id] = {id: p.id, kind: 'activemq', ok: true, greeting: true, detail: 'connected; the broker greeted with OpenWire'};
    else facts.probes[p.id] = {id: p.id, kind: 'tcp', ok: true, detail: 'connected'};
  }
  if (has('web')) {
    facts.versions.nginx = '1.22.1';
    facts.serverCert = certs.serverCert;
    facts.serverKeyMatches = true;
    facts.nginx = {testOk: true, sslProtocols: [{file: '/etc/nginx/nginx.conf', protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']}, {file: PATHS.nginxSite, protocols: ['TLSv1.2', 'TLSv1.3']}]};
  }
  if (has('ap') || has('mq')) {
    facts.versions.java = '17.0.13';
    facts.versions.javaHome = '/usr/lib/jvm/java-17-openjdk-amd64';
  }
  if (has('ap')) {
    Object.assign(facts.versions, {tomcat: set.tomcat.version, tomcatHome: `/opt/tomcat-${set.tomcat.version}`, core: set.core.version, engine: set.engine.version});
    const expected = expectedUnitConfig(profile, set, hostName);
    facts.unitConfig = {present: true, values: Object.fromEntries(expected)};
    facts.unitCert = certs.unitCert;
    facts.unitKeyHeader = certs.unitKey.split('\n')[0]!;
    facts.unitKeyMatches = true;
    facts.trust = {store: '/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', fingerprints: ['AA:BB', readCertificate(certs.serverCert).fingerprint256]};
    const matrix = versionMatrix().extensions as Record<string, {version: string}>;
    facts.extensions = {dir: true, jars: Object.keys(profile.extensions).map(name => ({file: `personium-ex-${name}.jar`, version: matrix[name]!.version})), properties: []};
    facts.plugins = [];
    facts.tomcatUsers = 0;
    facts.webapps = ['personium-core', 'personium-core.war', 'personium-engine', 'personium-engine.war'];
    facts.nfs = {
      ...(nfsHost.name !== hostName ? {mount: {source: `${nfsHost.privateAddress}:${PATHS.nfsRoot}`, fstype: 'nfs4', options: 'rw,relatime,vers=4.2'}} : {}),
      write: 'ok',
    };
  }
  if (has('es')) Object.assign(facts.versions, {elasticsearch: set.elasticsearch.version, elasticsearchHome: `/opt/elasticsearch-${set.elasticsearch.version}`});
  if (has('mq')) Object.assign(facts.versions, {activemq: set.activemq.version, activemqHome: `/opt/activemq-${set.activemq.version}`});
  if (has('nfs')) facts.versions.memcached = '1.6.18';
  return facts;
}

export interface Unit {
  profile: Profile;
  plan: Plan;
  set: VersionSet;
  certs: Certs;
  facts: Map<string, ReportFacts>;
  wildcardName?: string;
}

export async function installedUnit(pattern: Pattern, answers: Answers = {}, certs?: Certs): Promise<Unit> {
  const profile = profileFor(pattern, answers);
  const plan = buildPlan(profile);
  const set = findVersionSet(profile.versionSet)!;
  const c = certs ?? (await makeCerts(profile));
  const wildcardName = profile.unit.cellUrlMode === 'per-cell' ? `report-0123456789.${profile.unit.fqdn}` : undefined;
  const facts = new Map(plan.hosts.map(h => [h.name, installedFacts(profile, plan, h.name, c, wildcardName)]));
  return {profile, plan, set, certs: c, facts, ...(wildcardName ? {wildcardName} : {})};
}

export function contextFor(unit: Unit, hostName: string): JudgeContext {
  const hostPlan = unit.plan.hosts.find(h => h.name === hostName)!;
  return {
    profile: unit.profile,
    plan: unit.plan,
    versionSet: unit.set,
    spec: unit.profile.hosts.find(h => h.name === hostName)!,
    hostPlan,
    facts: unit.facts.get(hostName)!,
    all: unit.facts,
    ...(unit.wildcardName ? {wildcardName: unit.wildcardName} : {}),
    now: NOW,
  };
}

export {SECRET_SET};
