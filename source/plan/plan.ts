// The plan: a pure function of the profile and the presets. It says what will be built where,
// in boot order, with the files, services and ports each host gets. `plan`, `--dry-run`, the
// wizard's summary and (later) the executor all read it.
import {findVersionSet, versionMatrix, type VersionSet} from '../presets.js';
import {acmeChallenge, serverCertificateNames, type HostSpec, type Profile, type Role} from '../profile/schema.js';
import {PATHS} from './paths.js';

export type Phase = 'prepare' | 'data' | 'app' | 'web' | 'unit';
/** Services start phase by phase: memcached, Elasticsearch, ActiveMQ → Tomcat → nginx. */
export const PHASES: readonly Phase[] = ['prepare', 'data', 'app', 'web', 'unit'];

export interface PlanStep {
  id: string;
  title: string;
  phase: Phase;
  role: Role | 'common';
  files: string[];
  services: string[];
}

export interface PortUse {
  port: number;
  service: string;
  /** Address the service listens on: 127.0.0.1, the private address, or 0.0.0.0 for public ones. */
  bind: string;
  /** Who may connect: this host only, the unit's servers, or anyone. */
  exposure: 'local' | 'private' | 'public';
}

export interface HostPlan {
  name: string;
  address: string;
  privateAddress: string;
  roles: Role[];
  steps: PlanStep[];
  services: string[];
  ports: PortUse[];
  files: string[];
}

export interface DnsRecord {
  name: string;
  type: 'A' | 'AAAA';
  value: string;
}

export interface CertificatePlan {
  label: string;
  names: string[];
  source: string;
}

export interface Plan {
  pattern: Profile['pattern'];
  unitUrl: string;
  cellUrlExample: string;
  versionSet: {id: string; label: string; core: string; engine: string; elasticsearch: string; tomcat: string; activemq: string};
  hosts: HostPlan[];
  /** Services in start order, one group per phase; stop runs it backwards. */
  bootOrder: Array<{phase: Phase; services: Array<{host: string; service: string}>}>;
  certificates: CertificatePlan[];
  dns: DnsRecord[];
  extensions: Array<{name: string; version: string}>;
  authPlugins: string[];
  warnings: string[];
}

const SERVICE = {
  memcachedLock: 'personium-memcached-lock',
  memcachedCache: 'personium-memcached-cache',
  elasticsearch: 'elasticsearch',
  activemq: 'activemq',
  nfs: 'nfs-server',
  tomcat: 'tomcat',
  nginx: 'nginx',
} as const;
export const SERVICES = SERVICE;

function hostsWith(profile: Profile, role: Role): HostSpec[] {
  return profile.hosts.filter(h => h.roles.includes(role));
}

export function privateAddressOf(host: HostSpec): string {
  return host.privateAddress ?? host.address;
}

export function buildPlan(profile: Profile): Plan {
  const set = findVersionSet(profile.versionSet);
  if (!set) throw new Error(`unknown version set ${profile.versionSet}`);
  const single = profile.hosts.length === 1;
  const esMajor = Number.parseInt(set.elasticsearch.version, 10);
  const nfsHost = hostsWith(profile, 'nfs')[0];
  const apNeedsNfsMount = (h: HostSpec) => h.roles.includes('ap') && nfsHost !== undefined && nfsHost.name !== h.name;
  // On one server, internal services listen on loopback only; across servers on the private address.
  const bindFor = (h: HostSpec) => (single ? '127.0.0.1' : privateAddressOf(h));

  const hosts = profile.hosts.map((host): HostPlan => {
    const steps: PlanStep[] = [];
    const ports: PortUse[] = [];
    const add = (step: PlanStep) => steps.push(step);
    const bind = bindFor(host);
    const exposure = single ? 'local' : 'private';

    add({
      id: 'os.prepare',
      title: 'Prepare the OS: packages, service users, limits, time sync, /etc/hosts block',
      phase: 'prepare',
      role: 'common',
      files: [PATHS.etcHosts + ' (marked block only)', PATHS.limits],
      services: [],
    });
    // Tomcat and ActiveMQ run on Java 17, and so does Elasticsearch 6; Elasticsearch 7 brings its own JDK.
    if (host.roles.some(r => r === 'ap' || r === 'mq' || (r === 'es' && esMajor < 7))) {
      const tarball = profile.artifacts.jdk === 'tarball';
      const home = PATHS.jdkTarballHome(set.jdk.tarball.version);
      add({
        id: 'jdk',
        title: tarball ? `Install Java ${set.jdk.version} (Temurin ${set.jdk.tarball.version} tarball in ${home})` : `Install Java ${set.jdk.version} (${set.jdk.packages.apt} / ${set.jdk.packages.dnf})`,
        phase: 'prepare',
        role: 'common',
        files: tarball ? [`${home}/`, PATHS.jdkHome] : [],
        services: [],
      });
    }
    if (host.roles.includes('nfs')) {
      add({
        id: 'memcached',
        title: 'memcached: lock (11211) and cache (11212) instances',
        phase: 'data',
        role: 'nfs',
        files: [PATHS.memcachedUnit('lock'), PATHS.memcachedUnit('cache')],
        services: [SERVICE.memcachedLock, SERVICE.memcachedCache],
      });
      ports.push({port: 11211, service: SERVICE.memcachedLock, bind, exposure}, {port: 11212, service: SERVICE.memcachedCache, bind, exposure});
      const mounts = profile.hosts.filter(apNeedsNfsMount);
      add({
        id: 'nfs.storage',
        title: mounts.length > 0 ? `NFS server: export ${PATHS.nfsRoot} to ${mounts.map(m => m.name).join(', ')}` : `Shared storage at ${PATHS.nfsRoot}`,
        phase: 'data',
        role: 'nfs',
        files: mounts.length > 0 ? [PATHS.nfsExports] : [],
        services: mounts.length > 0 ? [SERVICE.nfs] : [],
      });
      if (mounts.length > 0) ports.push({port: 2049, service: SERVICE.nfs, bind, exposure: 'private'}, {port: 111, service: 'rpcbind', bind, exposure: 'private'});
    }
    if (host.roles.includes('es')) {
      add({
        id: 'elasticsearch',
        title: `Elasticsearch ${set.elasticsearch.version} (${set.elasticsearch.protocol === 'rest' ? 'REST on 9200' : 'transport on 9300'}), then wait for cluster health`,
        phase: 'data',
        role: 'es',
        files: [PATHS.esConfig, PATHS.esJvmOptions, PATHS.esSysctl, PATHS.unitFile(SERVICE.elasticsearch)],
        services: [SERVICE.elasticsearch],
      });
      ports.push({port: 9200, service: SERVICE.elasticsearch, bind, exposure}, {port: 9300, service: SERVICE.elasticsearch, bind, exposure});
    }
    if (host.roles.includes('mq')) {
      add({
        id: 'activemq',
        title: `ActiveMQ ${set.activemq.version} (OpenWire 61616, web console off)`,
        phase: 'data',
        role: 'mq',
        files: [PATHS.activemqConfig, PATHS.unitFile(SERVICE.activemq)],
        services: [SERVICE.activemq],
      });
      ports.push({port: 61616, service: SERVICE.activemq, bind, exposure});
    }
    if (host.roles.includes('ap')) {
      if (apNeedsNfsMount(host)) {
        add({id: 'nfs.mount', title: `Mount ${nfsHost!.name}:${PATHS.nfsRoot}`, phase: 'app', role: 'ap', files: ['/etc/fstab (one line)'], services: []});
      }
      add({
        id: 'tomcat',
        title: `Tomcat ${set.tomcat.version} on 18888 as the personium user (no manager users)`,
        phase: 'app',
        role: 'ap',
        files: [PATHS.tomcatServerXml, PATHS.tomcatSetenv, PATHS.unitFile(SERVICE.tomcat)],
        services: [SERVICE.tomcat],
      });
      add({
        id: 'personium',
        title: `personium-core ${set.core.version} and personium-engine ${set.engine.version}: unit config, keys, logback`,
        phase: 'app',
        role: 'ap',
        files: [PATHS.unitConfig, PATHS.logback, PATHS.unitKey, PATHS.unitCert, `${PATHS.webapps}/personium-core.war`, `${PATHS.webapps}/personium-engine.war`],
        services: [],
      });
      const extensionNames = Object.keys(profile.extensions);
      if (extensionNames.length > 0 || profile.authPlugins.jars.length > 0 || profile.authPlugins.oidc.length > 0) {
        add({
          id: 'extensions',
          title: `Engine extensions (${extensionNames.join(', ') || 'none'}) and auth plugins (${pluginNames(profile).join(', ') || 'none'})`,
          phase: 'app',
          role: 'ap',
          files: extensionNames.map(n => `${PATHS.extensionsDir}/personium-ex-${n}.jar`),
          services: [],
        });
      }
      ports.push({port: 18888, service: SERVICE.tomcat, bind: single ? '127.0.0.1' : bind, exposure}, {port: 8005, service: `${SERVICE.tomcat} (shutdown)`, bind: '127.0.0.1', exposure: 'local'});
    }
    if (host.roles.includes('web')) {
      add({
        id: 'nginx',
        title: `nginx: TLS 1.2/1.3 on 443 (${profile.https.mode}), HTTP 80 redirected${profile.unit.cellUrlMode === 'per-cell' ? ', catch-all for cell subdomains' : ''}`,
        phase: 'web',
        role: 'web',
        files: [PATHS.nginxSite, PATHS.serverCert, PATHS.serverKey],
        services: [SERVICE.nginx],
      });
      ports.push({port: 443, service: SERVICE.nginx, bind: '0.0.0.0', exposure: 'public'}, {port: 80, service: SERVICE.nginx, bind: '0.0.0.0', exposure: 'public'});
      if (profile.https.mode === 'letsencrypt') {
        const challenge = acmeChallenge(profile);
        add({
          id: 'letsencrypt',
          title: `Let's Encrypt certificate for ${serverCertificateNames(profile).join(', ')} (${challenge}${challenge === 'dns-01' ? ': TXT records to create are shown' : ', renewed by certbot'})`,
          phase: 'web',
          role: 'web',
          files: [PATHS.serverCert, PATHS.serverKey, '/etc/letsencrypt/live/personium/'],
          services: [],
        });
      }
    }
    if (host.roles.includes('ap') && host.name === hostsWith(profile, 'ap')[0]?.name) {
      add({
        id: 'bootstrap',
        title: `Create the unit admin cell "${profile.security.unitAdminCell}" and account${profile.security.disableMasterToken ? ', then disable the master token' : ''}`,
        phase: 'unit',
        role: 'ap',
        files: [],
        services: [],
      });
    }
    steps.sort((a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase));
    return {
      name: host.name,
      address: host.address,
      privateAddress: privateAddressOf(host),
      roles: [...host.roles],
      steps,
      services: steps.flatMap(s => s.services),
      ports,
      files: [...new Set(steps.flatMap(s => s.files))],
    };
  });

  const bootOrder = PHASES.map(phase => ({
    phase,
    services: hosts.flatMap(h => h.steps.filter(s => s.phase === phase).flatMap(s => s.services.map(service => ({host: h.name, service})))),
  })).filter(group => group.services.length > 0);

  const fqdn = profile.unit.fqdn;
  const dns: DnsRecord[] = [];
  const publicAddress = profile.unit.publicAddress ?? hostsWith(profile, 'web')[0]?.address;
  if (publicAddress) {
    const type = publicAddress.includes(':') ? 'AAAA' : 'A';
    dns.push({name: fqdn, type, value: publicAddress});
    if (profile.unit.cellUrlMode === 'per-cell') dns.push({name: `*.${fqdn}`, type, value: publicAddress});
  }

  const warnings: string[] = [];
  if (profile.pattern === 'try-it' && profile.unit.cellUrlMode === 'per-cell') {
    warnings.push('per-cell URLs on try-it need a hosts entry for every cell name (a hosts file cannot hold a wildcard)');
  }
  if (!profile.security.disableMasterToken) {
    warnings.push('the master token stays enabled: it grants full control of the unit; disable it for production');
  }
  if (hostsWith(profile, 'es').length === 2) {
    warnings.push('two Elasticsearch nodes cannot keep a quorum when one fails; use one or three');
  }

  return {
    pattern: profile.pattern,
    unitUrl: `https://${fqdn}/`,
    cellUrlExample: profile.unit.cellUrlMode === 'per-cell' ? `https://cell1.${fqdn}/` : `https://${fqdn}/cell1/`,
    versionSet: describeSet(set),
    hosts,
    bootOrder,
    certificates: certificatePlans(profile),
    dns,
    extensions: Object.keys(profile.extensions).map(name => ({name, version: extensionVersion(name)})),
    authPlugins: pluginNames(profile),
    warnings,
  };
}

function describeSet(set: VersionSet): Plan['versionSet'] {
  return {
    id: set.id,
    label: set.label,
    core: set.core.version,
    engine: set.engine.version,
    elasticsearch: set.elasticsearch.version,
    tomcat: set.tomcat.version,
    activemq: set.activemq.version,
  };
}

function extensionVersion(name: string): string {
  const entry = (versionMatrix().extensions as Record<string, {version: string}>)[name];
  return entry?.version ?? '?';
}

function pluginNames(profile: Profile): string[] {
  return [
    ...profile.authPlugins.oidc.map(p => `oidc:${p.name}`),
    ...profile.authPlugins.jars.map(j => j.split('/').at(-1) ?? j),
  ];
}

function certificatePlans(profile: Profile): CertificatePlan[] {
  const names = serverCertificateNames(profile);
  const https = profile.https;
  const serverSource =
    https.mode === 'self-signed'
      ? 'self-signed, made by the tool; the AP servers\' Java trusts it'
      : https.mode === 'provided'
        ? `provided: ${https.certFile}`
        : `Let's Encrypt (${acmeChallenge(profile)}, renewed automatically${acmeChallenge(profile) === 'dns-01' ? ' only if your DNS can be updated; otherwise the report shows the expiry' : ''})`;
  const unit = profile.unitCertificate;
  return [
    {label: 'Server (TLS) certificate', names, source: serverSource},
    {
      label: 'Unit certificate (signs trans-cell tokens)',
      names: [`CN=${profile.unit.fqdn}`],
      source: unit.mode === 'self-signed' ? 'self-signed, made by the tool, PKCS#1 RSA key' : `provided: ${unit.certFile}`,
    },
  ];
}
