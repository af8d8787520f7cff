// Which distribution a host runs, from /etc/os-release, and the package names that differ.
import type {Host} from '../hosts/host.js';
import type {OsInfo} from '../executor/types.js';

export const SUPPORTED = [
  {id: 'debian', versions: ['12'], family: 'debian'},
  {id: 'ubuntu', versions: ['22.04', '24.04'], family: 'debian'},
  {id: 'rhel', versions: ['9'], family: 'rhel'},
  {id: 'rocky', versions: ['9'], family: 'rhel'},
  {id: 'almalinux', versions: ['9'], family: 'rhel'},
] as const;

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!.replace(/^["']|["']$/g, '');
  }
  return out;
}

/** OsInfo for a supported distribution; an Error naming what is supported otherwise. */
export function osInfoFrom(release: Record<string, string>): OsInfo {
  const id = release.ID ?? 'unknown';
  const versionId = release.VERSION_ID ?? '';
  const major = versionId.split('.')[0] ?? '';
  const entry = SUPPORTED.find(s => s.id === id && (s.versions as readonly string[]).some(v => v === versionId || (v === major && s.family === 'rhel')));
  if (!entry) {
    const list = SUPPORTED.map(s => `${s.id} ${s.versions.join('/')}`).join(', ');
    throw new Error(`${release.PRETTY_NAME ?? `${id} ${versionId}`} is not supported (supported: ${list})`);
  }
  return {family: entry.family, id, versionId, ...(release.VERSION_CODENAME ? {codename: release.VERSION_CODENAME} : {})};
}

export async function detectOs(host: Host): Promise<OsInfo> {
  const result = await host.exec('cat /etc/os-release');
  if (result.code !== 0) throw new Error(`${host.name}: cannot read /etc/os-release`);
  return osInfoFrom(parseOsRelease(result.stdout));
}

/** Distribution package names per family. */
export const PACKAGES = {
  base: {debian: ['ca-certificates', 'curl', 'tar', 'gzip', 'unzip', 'procps', 'iproute2'], rhel: ['ca-certificates', 'curl', 'tar', 'gzip', 'unzip', 'procps-ng', 'iproute']},
  jdk: {debian: ['openjdk-17-jre-headless'], rhel: ['java-17-openjdk-headless']},
  memcached: {debian: ['memcached'], rhel: ['memcached']},
  nfsServer: {debian: ['nfs-kernel-server'], rhel: ['nfs-utils']},
  nfsClient: {debian: ['nfs-common'], rhel: ['nfs-utils']},
  nginx: {debian: ['nginx'], rhel: ['nginx']},
  python: {debian: ['python3'], rhel: ['python3']},
} as const;

/** The user the distribution's memcached package runs as. */
export function memcachedUser(os: OsInfo): string {
  return os.family === 'debian' ? 'memcache' : 'memcached';
}

/** JAVA_HOME of the distribution's JDK 17. */
export function javaHome(os: OsInfo): string {
  return os.family === 'debian' ? '/usr/lib/jvm/java-17-openjdk-amd64' : '/usr/lib/jvm/jre-17';
}
