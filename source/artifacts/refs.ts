// Which archives a profile needs: the two Personium wars, Elasticsearch, Tomcat, ActiveMQ, the JDK
// tarball when chosen and one jar per engine extension, each with its download URL, the checksums
// the version matrix knows and the file name a cache, a mirror and a bundle all use.
import {versionMatrix, type VersionMatrix, type VersionSet} from '../presets.js';
import type {Profile} from '../profile/schema.js';
import type {ArtifactName, ArtifactRef} from './types.js';

/** The last path segment of a URL, decoded ("…/jdk-17.0.4.1%2B1/x.tar.gz" → "x.tar.gz"). */
export function fileNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').at(-1) ?? '');
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) throw new Error(`no file name in the URL ${url}`);
  return name;
}

interface MatrixEntry {
  version: string;
  url: string;
  sha256?: string | null;
  sha512?: string;
  checksumUrl?: string;
}

export function artifactRef(name: ArtifactName, entry: MatrixEntry): ArtifactRef {
  const ref: ArtifactRef = {name, version: entry.version, fileName: fileNameOf(entry.url), url: entry.url};
  if (entry.sha256) ref.sha256 = entry.sha256;
  if (entry.sha512) ref.sha512 = entry.sha512;
  if (entry.checksumUrl) ref.checksumUrl = entry.checksumUrl;
  return ref;
}

/**
 * Every archive the profile needs with this version set: the wars, Elasticsearch, Tomcat,
 * ActiveMQ, the JDK tarball when `artifacts.jdk` asks for it, then the extensions in the
 * matrix's order.
 */
export function artifactsFor(
  profile: Pick<Profile, 'extensions'> & {artifacts?: Partial<Pick<Profile['artifacts'], 'jdk'>>},
  versionSet: VersionSet,
  matrix: VersionMatrix = versionMatrix(),
): ArtifactRef[] {
  const refs = [
    artifactRef('personium-core', versionSet.core),
    artifactRef('personium-engine', versionSet.engine),
    artifactRef('elasticsearch', versionSet.elasticsearch),
    artifactRef('tomcat', versionSet.tomcat),
    artifactRef('activemq', versionSet.activemq),
  ];
  if (profile.artifacts?.jdk === 'tarball') refs.push(artifactRef('jdk', versionSet.jdk.tarball));
  const wanted = new Set(Object.entries(profile.extensions ?? {}).filter(([, settings]) => settings !== undefined).map(([name]) => name));
  for (const [name, entry] of Object.entries(matrix.extensions)) {
    if (wanted.delete(name)) refs.push(artifactRef(`extension:${name}`, entry));
  }
  if (wanted.size > 0) throw new Error(`the version matrix has no extension ${[...wanted].join(', ')}`);
  return refs;
}

/** "personium-core 1.8.3 (personium-core-1.8.3.war)" for messages. */
export function describeRef(ref: {name: string; version: string; fileName: string}): string {
  return `${ref.name} ${ref.version} (${ref.fileName})`;
}
