// What the renderers need to know, derived once from the profile, the version set and the facts
// of one host. Renderers are pure: they take a UnitContext (or a few plain values) and return
// file text; nothing here touches a host or the file system.
import {isIP} from 'node:net';
import type {VersionSet} from '../../presets.js';
import {deriveMemory} from '../../profile/memory.js';
import type {HostSpec, Profile, Role} from '../../profile/schema.js';
import {PATHS} from '../../plan/paths.js';

export const LOOPBACK = '127.0.0.1';
export const ES_CLUSTER_NAME = 'personium';
export const PORTS = {
  tomcat: 18888,
  tomcatShutdown: 8005,
  esHttp: 9200,
  esTransport: 9300,
  activemq: 61616,
  memcachedLock: 11211,
  memcachedCache: 11212,
} as const;

export interface RenderOptions {
  /** Profile name of the host the files are rendered for. */
  host: string;
  /** JAVA_HOME of JDK 17 on that host (depends on the distribution). */
  javaHome: string;
  /** User the distribution's memcached package runs as: memcache (Debian, Ubuntu) or memcached (RHEL). */
  memcachedUser: string;
  /** Unit secrets, resolved by the caller; never generated here. Needed for the unit config. */
  secrets?: {secret16: string; salt: string};
  /** The master token; written to the unit config only when given. */
  masterToken?: string;
  /** The host's total memory (MB), to size what the profile leaves open. */
  memoryMb?: number;
  /** Private addresses by host name, when the caller has resolved them; default: the profile's. */
  addresses?: Readonly<Record<string, string>>;
  /** Trusted roots for trans-cell tokens, as paths on the AP host; default follows unitCertificate. */
  unitRoots?: readonly string[];
  /** Offer HTTP/2 on 443 (default true). */
  http2?: boolean;
  /** Extra JVM options for Tomcat (e.g. a trust store); each one a single shell-safe word. */
  tomcatJavaOptions?: readonly string[];
  /** The user ActiveMQ runs as (default activemq). */
  activemqUser?: string;
}

export interface ServiceAddress {
  name: string;
  address: string;
}

export interface UnitContext {
  fqdn: string;
  cellUrlMode: Profile['unit']['cellUrlMode'];
  unitAdminCell: string;
  versions: {
    id: string;
    core: string;
    engine: string;
    elasticsearch: string;
    esMajor: number;
    /** Port core's es.hosts uses: 9200 (REST, core >= 1.8.1) or 9300 (transport, 1.8.0). */
    esClientPort: number;
    esClusterName: boolean;
    eventLogPattern: VersionSet['unitConfig']['eventLogPattern'];
  };
  /** Every role on one server: internal services listen on loopback only. */
  single: boolean;
  host: {name: string; roles: Role[]; privateAddress: string; /** Where this host's internal services listen. */ bind: string};
  /** ES nodes (name and the address other servers reach them at). */
  esNodes: ServiceAddress[];
  /** Address core connects to for each service (127.0.0.1 on one server). */
  connect: {es: string[]; mq: string; memcached: string; engine: string};
  /** AP hosts nginx proxies to. */
  apUpstreams: string[];
  nfs: {server?: ServiceAddress; /** AP hosts that mount the share (not the NFS host itself). */ clients: ServiceAddress[]; mountHere: boolean};
  /** Which services run on this host (for systemd ordering). */
  local: {es: boolean; mq: boolean; memcached: boolean; tomcat: boolean};
  memory: {tomcatHeapMb?: number; esHeapMb?: number; memcachedLockMb?: number; memcachedCacheMb?: number};
  secrets?: {secret16: string; salt: string};
  masterToken?: string;
  unitCertificate: {key: string; crt: string; roots: string[]};
  oidc: Profile['authPlugins']['oidc'];
  unitConfigOverrides: Record<string, string>;
  javaHome: string;
  users: {tomcat: string; elasticsearch: string; activemq: string; memcached: string};
  http2: boolean;
  tomcatJavaOptions: string[];
}

/** `host:port`, with brackets around an IPv6 literal. */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function unitContext(profile: Profile, versionSet: VersionSet, options: RenderOptions): UnitContext {
  const host = profile.hosts.find(h => h.name === options.host);
  if (!host) throw new Error(`no host named "${options.host}" in the profile`);
  const single = profile.hosts.length === 1;
  const addressOf = (h: HostSpec) => options.addresses?.[h.name] ?? h.privateAddress ?? h.address;
  const reach = (h: HostSpec) => (single ? LOOPBACK : addressOf(h));
  const withRole = (role: Role) => profile.hosts.filter(h => h.roles.includes(role));
  const first = (role: Role) => {
    const found = withRole(role)[0];
    if (!found) throw new Error(`no host has the ${role} role`);
    return found;
  };

  const esHosts = withRole('es');
  const nfsHost = withRole('nfs')[0];
  const mqHost = first('mq');
  const apHosts = withRole('ap');
  const nfsClients = nfsHost ? apHosts.filter(h => h.name !== nfsHost.name) : [];

  const fixed = profile.memory;
  const derived = options.memoryMb !== undefined ? deriveMemory(options.memoryMb, host.roles, fixed) : undefined;
  const memory = {
    tomcatHeapMb: derived?.tomcatHeapMb ?? fixed.tomcatHeapMb,
    esHeapMb: derived?.esHeapMb ?? fixed.esHeapMb,
    memcachedLockMb: derived?.memcachedLockMb ?? fixed.memcachedLockMb,
    memcachedCacheMb: derived?.memcachedCacheMb ?? fixed.memcachedCacheMb,
  };

  const cert = profile.unitCertificate;
  const roots =
    options.unitRoots !== undefined
      ? [...options.unitRoots]
      : cert.mode === 'self-signed'
        ? [PATHS.unitCert]
        : cert.trustedRoots.map(path => PATHS.unitRoot(path.split('/').at(-1) ?? path));

  for (const option of options.tomcatJavaOptions ?? []) {
    if (!/^-[A-Za-z0-9_.:=/,+%@-]+$/.test(option)) throw new Error(`unsafe Tomcat JVM option: ${JSON.stringify(option)}`);
  }

  return {
    fqdn: profile.unit.fqdn,
    cellUrlMode: profile.unit.cellUrlMode,
    unitAdminCell: profile.security.unitAdminCell,
    versions: {
      id: versionSet.id,
      core: versionSet.core.version,
      engine: versionSet.engine.version,
      elasticsearch: versionSet.elasticsearch.version,
      esMajor: Number.parseInt(versionSet.elasticsearch.version.split('.')[0] ?? '7', 10),
      esClientPort: versionSet.unitConfig.esHostsPort,
      esClusterName: versionSet.unitConfig.esClusterName,
      eventLogPattern: versionSet.unitConfig.eventLogPattern,
    },
    single,
    host: {name: host.name, roles: [...host.roles], privateAddress: addressOf(host), bind: reach(host)},
    esNodes: esHosts.map(h => ({name: h.name, address: reach(h)})),
    connect: {
      es: esHosts.map(reach),
      mq: reach(mqHost),
      memcached: nfsHost ? reach(nfsHost) : LOOPBACK,
      // Core calls the engine in the same Tomcat, on the address that Tomcat listens on.
      engine: single ? 'localhost' : reach(host),
    },
    apUpstreams: apHosts.map(reach),
    nfs: {
      server: nfsHost ? {name: nfsHost.name, address: addressOf(nfsHost)} : undefined,
      clients: nfsClients.map(h => ({name: h.name, address: addressOf(h)})),
      mountHere: nfsClients.some(h => h.name === host.name),
    },
    local: {
      es: host.roles.includes('es'),
      mq: host.roles.includes('mq'),
      memcached: host.roles.includes('nfs'),
      tomcat: host.roles.includes('ap'),
    },
    memory,
    secrets: options.secrets,
    masterToken: options.masterToken,
    unitCertificate: {key: PATHS.unitKey, crt: PATHS.unitCert, roots},
    oidc: profile.authPlugins.oidc,
    unitConfigOverrides: {...profile.unitConfig},
    javaHome: options.javaHome,
    users: {tomcat: 'personium', elasticsearch: 'elasticsearch', activemq: options.activemqUser ?? 'activemq', memcached: options.memcachedUser},
    http2: options.http2 ?? true,
    tomcatJavaOptions: [...(options.tomcatJavaOptions ?? [])],
  };
}

/** A number the profile or the memory plan must have given; a clear error otherwise. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not known: set it in the profile or pass the host's memory (memoryMb)`);
  return value;
}
