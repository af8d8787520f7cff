// Offline bundles: one tar.gz with every archive a profile needs and a manifest of their hashes,
// made on a machine with internet access (`createBundle`) and opened on one without
// (`openBundle`), where every file is checked against the manifest before use.
//
// Layout of the archive:
//   manifest.json   {format: 1, createdAt, versionSet, files: [{name, version, fileName, sha256, size, url}]}
//   files/<fileName> one per manifest entry, under the same file names as upstream and mirrors
//   FIXTURE.txt      only in bundles the tests build from stand-in programs (manifest "fixture": true)
//
// `resolveArtifacts` is the one entry point the installer uses: upstream, mirror or bundle, as the
// profile says.
import {createHash} from 'node:crypto';
import {copyFileSync, linkSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, rename, rm, stat, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {basename, dirname, join} from 'node:path';
import * as tar from 'tar';
import * as z from 'zod';
import type {VersionSet} from '../presets.js';
import type {Profile} from '../profile/schema.js';
import {defaultCacheDir, downloadArtifacts, hashFile, type DownloadOptions} from './download.js';
import {artifactsFor, describeRef} from './refs.js';
import type {ArtifactName, ArtifactRef, LocalArtifact} from './types.js';

export const BUNDLE_FORMAT = 1;
export const BUNDLE_MANIFEST = 'manifest.json';
const FILES_DIR = 'files';
/** Set to 1 to let openBundle accept a bundle of test fixtures (stand-in programs). */
export const ALLOW_FIXTURE_ENV = 'PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE';

const zArtifactName = z.string().regex(/^(personium-core|personium-engine|elasticsearch|tomcat|activemq|jdk|extension:[a-z0-9][a-z0-9-]*)$/, {error: 'an artifact name'});
const zFileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, {error: 'a plain file name'})
  .refine(name => name !== BUNDLE_MANIFEST, {error: 'a plain file name'});

export const BundleManifest = z.strictObject({
  format: z.literal(BUNDLE_FORMAT, {error: `bundle format ${BUNDLE_FORMAT} (made by another version of personium-setup?)`}),
  createdAt: z.string(),
  versionSet: z.string().min(1),
  /** Made by the tests from stand-in programs: never a real unit. */
  fixture: z.boolean().optional(),
  files: z
    .array(
      z.strictObject({
        name: zArtifactName,
        version: z.string().min(1),
        fileName: zFileName,
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size: z.number().int().nonnegative(),
        url: z.string(),
      }),
    )
    .refine(files => new Set(files.map(f => f.fileName)).size === files.length, {error: 'a file is listed twice'}),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export interface BundleEntry {
  ref: ArtifactRef;
  /** The file to pack. */
  path: string;
  sha256: string;
  size: number;
}

export interface PackOptions {
  versionSetId: string;
  /** A bundle of test fixtures (see test/fixtures). */
  fixture?: boolean;
  /** More top-level text files (e.g. FIXTURE.txt). */
  extraFiles?: Record<string, string>;
  createdAt?: Date;
}

function placeInto(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Write the bundle archive (to `<outFile>.part`, then renamed). */
export async function packBundle(outFile: string, entries: BundleEntry[], options: PackOptions): Promise<BundleManifest> {
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    versionSet: options.versionSetId,
    ...(options.fixture ? {fixture: true} : {}),
    files: entries.map(e => ({name: e.ref.name, version: e.ref.version, fileName: e.ref.fileName, sha256: e.sha256, size: e.size, url: e.ref.url})),
  };
  BundleManifest.parse(manifest);
  await mkdir(dirname(outFile), {recursive: true});
  const staging = await mkdtemp(join(dirname(outFile), `.${basename(outFile)}.staging-`));
  const part = `${outFile}.part`;
  try {
    await writeFile(join(staging, BUNDLE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const extra = Object.keys(options.extraFiles ?? {});
    for (const name of extra) {
      if (!zFileName.safeParse(name).success) throw new Error(`bad bundle file name ${name}`);
      await writeFile(join(staging, name), options.extraFiles![name]!);
    }
    await mkdir(join(staging, FILES_DIR));
    for (const entry of entries) placeInto(entry.path, join(staging, FILES_DIR, entry.ref.fileName));
    await tar.c({gzip: true, file: part, cwd: staging, portable: true}, [BUNDLE_MANIFEST, ...extra, FILES_DIR]);
    await rename(part, outFile);
  } finally {
    await rm(staging, {recursive: true, force: true});
    await rm(part, {force: true});
  }
  return manifest;
}

export interface CreateBundleResult {
  file: string;
  manifest: BundleManifest;
  artifacts: Map<ArtifactName, LocalArtifact>;
}

/**
 * Download (verified, through the cache) everything the profile needs with this version set and
 * pack it into one bundle. A mirror in the profile is used for the downloads.
 */
export async function createBundle(profile: Pick<Profile, 'extensions' | 'artifacts'>, versionSet: VersionSet, outFile: string, options: DownloadOptions = {}): Promise<CreateBundleResult> {
  const refs = artifactsFor(profile, versionSet);
  const mirrorUrl = options.mirrorUrl ?? (profile.artifacts.source === 'mirror' ? profile.artifacts.mirrorUrl : undefined);
  const artifacts = await downloadArtifacts(refs, {...options, mirrorUrl});
  const entries: BundleEntry[] = [];
  for (const ref of refs) {
    const local = artifacts.get(ref.name)!;
    entries.push({ref, path: local.path, sha256: local.sha256, size: (await stat(local.path)).size});
  }
  const manifest = await packBundle(outFile, entries, {versionSetId: versionSet.id});
  return {file: outFile, manifest, artifacts};
}

const entryPath = (path: string) => path.replace(/^\.\//, '');

/** The manifest of a bundle, validated (nothing is extracted). */
export async function readBundleManifest(file: string): Promise<BundleManifest> {
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
  } catch (error) {
    throw new Error(`the bundle ${file} cannot be read: ${(error as Error).message}`);
  }
  const chunks: Buffer[] = [];
  let found = false;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: entry => {
        if (entryPath(entry.path) !== BUNDLE_MANIFEST) return;
        found = true;
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      },
    });
  } catch (error) {
    throw new Error(`${file} is not a personium-setup bundle (not a readable tar.gz: ${(error as Error).message})`);
  }
  if (!found) throw new Error(`${file} is not a personium-setup bundle: it has no ${BUNDLE_MANIFEST}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error(`the ${BUNDLE_MANIFEST} in ${file} is not JSON`);
  }
  const parsed = BundleManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the ${BUNDLE_MANIFEST} in ${file} is not valid: ${issue?.path.join('.') || 'manifest'}: ${issue?.message}`);
  }
  return parsed.data;
}

export interface OpenBundleOptions {
  /** Archives that must be in the bundle (artifactsFor the profile); default: all it lists. */
  needed?: ArtifactRef[];
  /** Accept a bundle of test fixtures (default: the PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE=1 environment). */
  allowFixture?: boolean;
  onNotice?: (line: string) => void;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Check a bundle and unpack it into `<cacheDir>/bundles/<id>/`: every file it lists must be there
 * with the size and SHA-256 of the manifest, every needed archive must be listed, and hashes pinned
 * in the version matrix must agree. Anything else is refused with the file named.
 */
export async function openBundle(file: string, cacheDir: string, options: OpenBundleOptions = {}): Promise<Map<ArtifactName, LocalArtifact>> {
  const manifest = await readBundleManifest(file);
  const allowFixture = options.allowFixture ?? process.env[ALLOW_FIXTURE_ENV] === '1';
  if (manifest.fixture) {
    if (!allowFixture) {
      throw new Error(`${file} is a FIXTURE bundle made by the personium-setup tests: its programs only stand in for Personium, Elasticsearch, Tomcat and ActiveMQ. It cannot build a real unit; make a bundle with \`personium-setup bundle\`.`);
    }
    options.onNotice?.(`${file} is a FIXTURE bundle (stand-in programs for tests); pinned hashes are not compared`);
  }

  const byFile = new Map(manifest.files.map(f => [f.fileName, f]));
  const needed: ArtifactRef[] = options.needed ?? manifest.files.map(f => ({name: f.name as ArtifactName, version: f.version, fileName: f.fileName, url: f.url}));
  const missing = needed.filter(ref => !byFile.has(ref.fileName));
  if (missing.length > 0) {
    throw new Error(`the bundle ${file} (version set ${manifest.versionSet}) lacks ${missing.map(describeRef).join(', ')}; make a bundle for this profile and version set`);
  }

  const id = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
  const bundlesDir = join(cacheDir, 'bundles');
  const target = join(bundlesDir, id);
  await mkdir(bundlesDir, {recursive: true});

  const digests = new Map<string, {sha256: string; sha512: string; size: number}>();
  const check = async (dir: string): Promise<string | undefined> => {
    for (const entry of manifest.files) {
      const path = join(dir, FILES_DIR, entry.fileName);
      let digest;
      try {
        digest = await hashFile(path);
      } catch {
        return `the bundle ${file} lists ${describeRef(entry)} but does not hold it`;
      }
      if (digest.sha256 !== entry.sha256 || digest.size !== entry.size) {
        return `${entry.fileName} in the bundle ${file} does not match its manifest: expected sha256 ${entry.sha256} (${entry.size} bytes), the file has sha256 ${digest.sha256} (${digest.size} bytes). The bundle is damaged or was altered`;
      }
      digests.set(entry.fileName, digest);
    }
    return undefined;
  };

  // An earlier run's unpacked copy is reused when it still checks out.
  let unpacked = false;
  if (!(await isDirectory(target)) || (await check(target)) !== undefined) {
    unpacked = true;
    const temp = await mkdtemp(join(bundlesDir, `.${id}-`));
    try {
      await tar.x({
        file,
        cwd: temp,
        strict: true,
        preservePaths: false,
        filter: (path, entry) => {
          const p = entryPath(path);
          const isFile = 'type' in entry ? entry.type === 'File' || entry.type === 'OldFile' : entry.isFile();
          return isFile && (p === BUNDLE_MANIFEST || (p.startsWith(`${FILES_DIR}/`) && byFile.has(p.slice(FILES_DIR.length + 1))));
        },
      });
      const problem = await check(temp);
      if (problem) throw new Error(problem);
      await rm(target, {recursive: true, force: true});
      await rename(temp, target);
    } catch (error) {
      await rm(temp, {recursive: true, force: true});
      throw error;
    }
  }

  const out = new Map<ArtifactName, LocalArtifact>();
  for (const ref of needed) {
    const digest = digests.get(ref.fileName)!;
    if (!manifest.fixture) {
      if (ref.sha256 && ref.sha256.toLowerCase() !== digest.sha256) {
        throw new Error(`${ref.fileName} in the bundle ${file} is not the file the version matrix pins: expected sha256 ${ref.sha256}, the bundle holds sha256 ${digest.sha256}`);
      }
      if (ref.sha512 && ref.sha512.toLowerCase() !== digest.sha512) {
        throw new Error(`${ref.fileName} in the bundle ${file} is not the file the version matrix pins: expected sha512 ${ref.sha512}, the bundle holds sha512 ${digest.sha512}`);
      }
    }
    out.set(ref.name, {ref, path: join(target, FILES_DIR, ref.fileName), sha256: digest.sha256, verifiedBy: 'bundle-manifest'});
    // What only the bundle vouches for is shown when it is first opened here, to compare with what
    // `personium-setup bundle` printed where it was made.
    if (unpacked && !manifest.fixture && !ref.sha256 && !ref.sha512) {
      options.onNotice?.(`${ref.fileName}: no hash pinned in this release; the bundle's manifest gives SHA-256 ${digest.sha256}, which the file matches. Compare it with what \`personium-setup bundle\` printed where the bundle was made.`);
    }
  }
  // Unpacked copies of other bundles are not kept forever: only the newest few.
  await pruneBundles(bundlesDir, id);
  return out;
}

async function pruneBundles(bundlesDir: string, keep: string, max = 3): Promise<void> {
  const dirs = [];
  for (const name of await readdir(bundlesDir)) {
    if (name === keep || name.startsWith('.')) continue;
    dirs.push({name, mtime: (await stat(join(bundlesDir, name))).mtimeMs});
  }
  dirs.sort((a, b) => b.mtime - a.mtime);
  for (const old of dirs.slice(max - 1)) await rm(join(bundlesDir, old.name), {recursive: true, force: true});
}

export interface ResolveOptions extends Omit<DownloadOptions, 'mirrorUrl'> {
  /** Accept a fixture bundle (tests); see openBundle. */
  allowFixture?: boolean;
}

function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** Every archive the profile needs, verified, from upstream, its mirror or its bundle. */
export async function resolveArtifacts(profile: Pick<Profile, 'extensions' | 'artifacts'>, versionSet: VersionSet, options: ResolveOptions = {}): Promise<Map<ArtifactName, LocalArtifact>> {
  const refs = artifactsFor(profile, versionSet);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const source = profile.artifacts;
  switch (source.source) {
    case 'bundle': {
      if (!source.bundleFile) throw new Error('artifacts.source is bundle, but artifacts.bundleFile is not set');
      return openBundle(expandHome(source.bundleFile), cacheDir, {needed: refs, allowFixture: options.allowFixture, onNotice: options.onNotice});
    }
    case 'mirror': {
      if (!source.mirrorUrl) throw new Error('artifacts.source is mirror, but artifacts.mirrorUrl is not set');
      return downloadArtifacts(refs, {...options, cacheDir, mirrorUrl: source.mirrorUrl});
    }
    case 'upstream':
      return downloadArtifacts(refs, {...options, cacheDir});
  }
}
