// Artifacts: the archives a unit is built from (Personium wars, Elasticsearch, Tomcat, ActiveMQ,
// extension jars, and the JDK when the profile takes its tarball). Every one is verified before use; see source/artifacts/ for how.

export type ArtifactName =
  | 'personium-core'
  | 'personium-engine'
  | 'elasticsearch'
  | 'tomcat'
  | 'activemq'
  | 'jdk'
  | `extension:${string}`;

export interface ArtifactRef {
  name: ArtifactName;
  version: string;
  /** File name, the same in the cache, a mirror and a bundle. */
  fileName: string;
  url: string;
  /** Pinned in the version matrix. */
  sha256?: string | null;
  sha512?: string;
  /** The publisher's own checksum file (Apache, Elastic), fetched at download time. */
  checksumUrl?: string;
}

export interface LocalArtifact {
  ref: ArtifactRef;
  /** Path on the operator machine. */
  path: string;
  sha256: string;
  /**
   * How it was verified: pinned hash, publisher checksum file, recorded in a bundle manifest,
   * recorded now at its first download (no published checksum: show the hash to the operator), or
   * compared with the hash recorded at an earlier first download ('recorded').
   */
  verifiedBy: 'pinned' | 'publisher' | 'bundle-manifest' | 'first-download' | 'recorded';
}

/** Where archives land on every server before they are unpacked. */
export const REMOTE_ARTIFACT_DIR = '/var/cache/personium-setup/artifacts';
