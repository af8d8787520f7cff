// `add --host` for a unit this machine has never seen: one read-only script per given server finds
// what it runs (Tomcat with core, nginx with the unit's site, Elasticsearch, ActiveMQ, the NFS
// export or mount), and the AP server's unit config and unit certificate say the rest (FQDN, cell
// URL mode, where Elasticsearch, ActiveMQ and the shared storage live, the core version). From
// that, answers for a profile, which the schema then validates like any other.
import {X509Certificate} from 'node:crypto';
import {REMOTE_ARTIFACT_DIR} from '../artifacts/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {newMarker, splitSections} from '../preflight/facts.js';
import type {VersionMatrix} from '../presets.js';
import type {Answers} from '../profile/answers.js';
import {EXTENSION_NAMES, ROLES, type Role} from '../profile/schema.js';
import {parseProperties} from '../steps/render/properties.js';
import {PRINT_SETENV_JAVA_HOME} from '../steps/render/tomcat.js';
import {installedOidc, OIDC_PREFIX, providerFromKeys} from './oidc.js';
import {extensionOfFile} from './state.js';

export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

export interface HostFindings {
  /** Services with a unit file here. */
  services: string[];
  /** Text of the nginx site for the unit, when there is one. */
  nginxSite?: string;
  unitConfig?: Map<string, string>;
  unitCertPem?: string;
  coreVersion?: string;
  engineVersion?: string;
  /** `source fstype` of the shared storage mount, when it is mounted from elsewhere. */
  nfsMount?: string;
  /** The shared storage is exported from here. */
  nfsExported: boolean;
  /** Extension jars in the engine's extensions folder. */
  extensionJars: string[];
  /** Ext_*.properties files by name, with their text. */
  extensionProperties: Map<string, string>;
  /** The server's own addresses, so a unit config that names one of them means this server. */
  addresses: string[];
  /** JAVA_HOME Tomcat is given (setenv.sh). */
  javaHome?: string;
}

const SITE = '/etc/nginx/conf.d/personium.conf';
const SERVICES = ['tomcat', 'elasticsearch', 'activemq', 'nginx', 'nfs-server', 'nfs-kernel-server'];

/** Read-only: prints one section per fact. Run as root (the unit config is not world-readable). */
export function discoveryScript(marker: string): string {
  const version = (context: string) => {
    const dir = `${PATHS.webapps}/${context}`;
    const pom = `META-INF/maven/io.personium/${context}/pom.properties`;
    // The war's pom, else its manifest, else the name of the archive in the tool's cache it equals.
    return [
      `v=$({ cat ${q(`${dir}/${pom}`)} 2>/dev/null || unzip -p ${q(`${dir}.war`)} ${q(pom)} 2>/dev/null; } | sed -n 's/^version=//p' | head -n 1)`,
      `[ -n "$v" ] || v=$(unzip -p ${q(`${dir}.war`)} META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' | sed -n 's/^Implementation-Version: *//p' | head -n 1)`,
      `if [ -z "$v" ] && [ -f ${q(`${dir}.war`)} ]; then w=$(sha256sum < ${q(`${dir}.war`)} | cut -d' ' -f1); for f in ${q(REMOTE_ARTIFACT_DIR)}/${context}-*.war; do [ -f "$f" ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$w" ] && v=\${f##*/${context}-} && v=\${v%.war}; done; fi`,
      'echo "$v"',
    ].join('; ');
  };
  return [
    `s() { printf '\\n--%s %s\\n' ${q(marker)} "$1"; }`,
    `s services; for u in ${SERVICES.join(' ')}; do systemctl cat "$u.service" >/dev/null 2>&1 && echo "$u"; done`,
    `s nginx; cat ${q(SITE)} 2>/dev/null`,
    `s config; cat ${q(PATHS.unitConfig)} 2>/dev/null`,
    `s unitcert; cat ${q(PATHS.unitCert)} 2>/dev/null`,
    `s core; ${version('personium-core')}`,
    `s engine; ${version('personium-engine')}`,
    `s nfsmount; awk -v p=${q(PATHS.nfsRoot)} '$2 == p {print $1, $3}' /proc/mounts`,
    `s nfsexport; cat /etc/exports ${q(PATHS.nfsExports)} 2>/dev/null | grep -v '^#' | grep -F -- ${q(PATHS.nfsRoot)}`,
    `s extjars; for f in ${q(PATHS.extensionsDir)}/*.jar; do [ -f "$f" ] && echo "\${f##*/}"; done`,
    `s extprops; for f in ${q(PATHS.extensionsDir)}/Ext_*.properties; do [ -f "$f" ] && printf '%s %s\\n' "\${f##*/}" "$(base64 -w0 < "$f")"; done`,
    `s javahome; ${PRINT_SETENV_JAVA_HOME}`,
    `s addrs; if command -v ip >/dev/null 2>&1; then ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1; else hostname -I 2>/dev/null | tr ' ' '\\n'; fi`,
    'exit 0',
  ].join('\n');
}

export function parseFindings(stdout: string, marker: string): HostFindings {
  const sections = splitSections(stdout, marker);
  const text = (name: string) => (sections.get(name) ?? []).join('\n').trim();
  const lines = (name: string) => (sections.get(name) ?? []).map(l => l.trim()).filter(Boolean);
  const config = text('config');
  const props = new Map<string, string>();
  for (const line of lines('extprops')) {
    const [file, b64 = ''] = line.split(' ');
    if (file) props.set(file, Buffer.from(b64, 'base64').toString('latin1'));
  }
  return {
    services: lines('services'),
    ...(text('nginx') ? {nginxSite: text('nginx')} : {}),
    ...(config ? {unitConfig: parseProperties(config)} : {}),
    ...(text('unitcert') ? {unitCertPem: text('unitcert')} : {}),
    ...(text('core') ? {coreVersion: text('core')} : {}),
    ...(text('engine') ? {engineVersion: text('engine')} : {}),
    ...(lines('nfsmount')[0] ? {nfsMount: lines('nfsmount')[0]} : {}),
    nfsExported: lines('nfsexport').length > 0,
    extensionJars: lines('extjars'),
    extensionProperties: props,
    addresses: lines('addrs'),
    ...(lines('javahome')[0] ? {javaHome: lines('javahome')[0]} : {}),
  };
}

export async function discoverHost(host: Host): Promise<HostFindings> {
  const marker = newMarker();
  const result = await host.exec(discoveryScript(marker), {sudo: true, timeoutMs: 60_000});
  if (result.code !== 0) throw new DiscoveryError(`${host.name}: the discovery script failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
  return parseFindings(result.stdout, marker);
}

/** Roles this server plays, from what it runs. */
export function rolesOf(f: HostFindings): Role[] {
  const roles: Role[] = [];
  if (f.services.includes('nginx') && f.nginxSite) roles.push('web');
  if (f.services.includes('tomcat') && (f.unitConfig || f.coreVersion)) roles.push('ap');
  if (f.services.includes('elasticsearch')) roles.push('es');
  if (f.services.includes('activemq')) roles.push('mq');
  if (f.nfsExported || (roles.includes('ap') && !f.nfsMount && (f.unitConfig !== undefined))) roles.push('nfs');
  return roles;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The host part of `h:port`, `tcp://h:port`, `h:/path` or `[v6]:port`. */
export function addressOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const first = value.split(',')[0]!.trim().replace(/^[a-z]+:\/\//, '');
  const v6 = /^\[([^\]]+)\]/.exec(first);
  if (v6) return v6[1];
  return first.split(':')[0] || undefined;
}

export interface GivenHost {
  /** The host entry as given (SSH settings), without roles. */
  answers: Answers;
  findings: HostFindings;
}

function unitFqdn(ap: HostFindings, web?: HostFindings): string {
  if (ap.unitCertPem) {
    try {
      // node:crypto reads the first certificate of the PEM; its subject is one RDN per line.
      const cn = /^CN=([^,+\n]+)$/m.exec(new X509Certificate(ap.unitCertPem).subject)?.[1]?.trim();
      if (cn) return cn.toLowerCase();
    } catch {
      // fall back to nginx below
    }
  }
  const name = /server_name\s+([^;\s]+)/.exec(web?.nginxSite ?? '')?.[1];
  if (name && !name.startsWith('*') && name !== '_') return name.toLowerCase();
  throw new DiscoveryError(`cannot tell the unit FQDN: no readable unit certificate at ${PATHS.unitCert} and no server_name in ${SITE}; give it with --fqdn`);
}

/** Profile settings of the installed extensions that can be read back (secrets cannot). */
function extensionAnswers(ap: HostFindings): Record<string, Answers> {
  const out: Record<string, Answers> = {};
  for (const jar of ap.extensionJars) {
    const found = extensionOfFile(jar);
    if (found && (EXTENSION_NAMES as readonly string[]).includes(found.name)) out[found.name] = {};
  }
  const mail = ap.extensionProperties.get('Ext_MailSender.properties');
  if (out.mailsender && mail) {
    const p = parseProperties(mail);
    const host = p.get('io.personium.engine.extension.MailSender.smtp.host');
    const port = Number(p.get('io.personium.engine.extension.MailSender.smtp.port'));
    out.mailsender = {...(host ? {smtpHost: host} : {}), ...(Number.isInteger(port) && port > 0 ? {smtpPort: port} : {})};
  }
  const slack = ap.extensionProperties.get('Ext_Slack.properties');
  if (out['slack-messenger'] && slack) {
    const p = parseProperties(slack);
    const prefix = 'io.personium.engine.extension.Slack.';
    const channel = p.get(`${prefix}channel`);
    const proxyHost = p.get(`${prefix}proxy.host`);
    const proxyPort = Number(p.get(`${prefix}proxy.port`));
    out['slack-messenger'] = {
      ...(channel ? {channel} : {}),
      ...(proxyHost ? {proxyHost} : {}),
      ...(Number.isInteger(proxyPort) && proxyPort > 0 ? {proxyPort} : {}),
      ...(p.get(`${prefix}apitoken`) ? {token: SECRET_ON_SERVER} : {}),
    };
  }
  return out;
}

/**
 * Stands for a secret the server has and the profile cannot hold: left in the answers only when
 * the operator gave no value for it, so validation names the key and the flag to give it with.
 */
export const SECRET_ON_SERVER = 'on-the-server';

/**
 * Answers for a discovered unit. `given` are the servers named on the command line (with their
 * SSH settings); servers the AP's unit config points to and that were not given get the first
 * given server's SSH settings. Throws DiscoveryError with what is missing.
 */
export function discoveredAnswers(given: GivenHost[], matrix: VersionMatrix): Answers {
  const roles = new Map<string, Set<Role>>(given.map(g => [String(g.answers.address), new Set(rolesOf(g.findings))]));
  const ap = given.find(g => roles.get(String(g.answers.address))!.has('ap'));
  if (!ap) {
    throw new DiscoveryError(`none of the servers given runs Personium (Tomcat with ${PATHS.unitConfig}): give the AP server with --host`);
  }
  const apAddress = String(ap.answers.address);
  const config = ap.findings.unitConfig ?? new Map<string, string>();
  const place = (value: string | undefined, role: Role) => {
    const found = addressOf(value);
    // A given server named by another of its addresses (its IP where a DNS name or alias was given) is that server.
    const owner = found ? given.find(g => g.findings.addresses?.includes(found)) : undefined;
    const address = !found || LOCAL.has(found) ? apAddress : owner ? String(owner.answers.address) : found;
    const set = roles.get(address);
    if (set) set.add(role);
    else roles.set(address, new Set([role]));
  };
  if (!given.some(g => roles.get(String(g.answers.address))!.has('es'))) place(config.get('io.personium.core.es.hosts'), 'es');
  if (!given.some(g => roles.get(String(g.answers.address))!.has('mq'))) place(config.get('io.personium.core.eventbus.broker'), 'mq');
  if (ap.findings.nfsMount) place(ap.findings.nfsMount.split(' ')[0], 'nfs');
  const web = given.find(g => roles.get(String(g.answers.address))!.has('web'));
  if (!web) throw new DiscoveryError(`none of the servers given serves the unit (nginx with ${SITE}): give the web server too (another --host, or hosts in --answers)`);

  const core = ap.findings.coreVersion;
  const set = matrix.sets.find(s => s.core.reportedVersion === core || s.core.version === core);
  if (!set) {
    throw new DiscoveryError(`${ap.answers.name ?? apAddress} runs personium-core ${core ?? '(version unknown)'}, which no version set has (${matrix.sets.map(s => s.id).join(', ')})`);
  }

  const template = given[0]!.answers;
  const counters = new Map<Role, number>();
  const hosts = [...roles].map(([address, r]) => {
    const mine = given.find(g => String(g.answers.address) === address);
    const list = ROLES.filter(role => r.has(role));
    if (mine) return {...mine.answers, name: mine.answers.name ?? nameFor(list, counters), roles: list};
    const {name: _name, address: _address, ...ssh} = template;
    return {...ssh, name: nameFor(list, counters), address, roles: list};
  });
  const small = hosts.length === 1 && ROLES.every(role => (hosts[0]!.roles as Role[]).includes(role));
  const pathBased = config.get('io.personium.core.pathBasedCellUrl.enabled') === 'true';
  return {
    pattern: small ? 'small' : 'medium-large',
    hosts,
    unit: {fqdn: unitFqdn(ap.findings, web.findings), cellUrlMode: pathBased ? 'path-based' : 'per-cell'},
    versionSet: set.id,
    // Tomcat on a JDK the tool unpacked (not the distribution's): keep it that way.
    ...(ap.findings.javaHome?.startsWith(`${PATHS.jdkHome}-`) ? {artifacts: {jdk: 'tarball'}} : {}),
    extensions: extensionAnswers(ap.findings),
    authPlugins: {oidc: oidcAnswers(config)},
  };
}

/** The OIDC providers the unit config has, as profile entries (so add keeps them). */
function oidcAnswers(config: Map<string, string>): Answers[] {
  return [...installedOidc(config)].map(([name, keys]) => {
    const p = providerFromKeys(name, keys);
    const extra = (field: string) => keys.get(`${OIDC_PREFIX}${name}.${field}`);
    return {
      name,
      ...(p.configURL ? {configURL: p.configURL} : {}),
      trustedClientIds: p.trustedClientIds,
      ...Object.fromEntries(['pluginName', 'accountType', 'accountNameKey', 'grantType'].flatMap(f => (extra(f) !== undefined ? [[f, extra(f)]] : []))),
    };
  });
}

function nameFor(roles: Role[], counters: Map<Role, number>): string {
  const base: Role = roles[0] ?? 'ap';
  const n = (counters.get(base) ?? 0) + 1;
  counters.set(base, n);
  return `${base}${n}`;
}
