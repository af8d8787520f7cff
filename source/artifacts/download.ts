// Downloads into the operator machine's artifact cache, verified before anything uses them.
//
// Verification, strongest first:
//   1. a SHA-256 or SHA-512 pinned in the version matrix;
//   2. the publisher's own checksum file (Apache and Elastic put a `.sha512` next to each archive,
//      in `sha512sum` format: the first whitespace-separated field is the hash);
//   3. neither (Personium release assets publish no checksums): the SHA-256 is recorded in the
//      cache manifest at the first download and handed back ('first-download') so the caller shows
//      it to the operator; every later run compares against that record ('recorded').
// A mismatch is an ArtifactVerificationError naming the file and both hashes, and the file is
// deleted. Nothing is ever returned unverified.
//
// Downloads go to `<file>.part` and are renamed only when complete and verified. An interrupted
// download resumes from the bytes already in `.part` (HTTP Range); transient failures (network
// errors, 408, 429, 5xx, a cut connection) are retried with exponential backoff.
import {createHash} from 'node:crypto';
import {createReadStream, createWriteStream} from 'node:fs';
import {mkdir, readFile, rename, rm, stat} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {Readable, Transform} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import type {ReadableStream as WebReadableStream} from 'node:stream/web';
import * as z from 'zod';
import {fileNameOf} from './refs.js';
import {writeFileAtomic} from '../fs-atomic.js';
import type {ArtifactName, ArtifactRef, LocalArtifact} from './types.js';

export type ProgressCallback = (bytes: number, total: number | undefined, ref: ArtifactRef) => void;

export interface DownloadOptions {
  /** Default: defaultCacheDir(). */
  cacheDir?: string;
  /** Base URL of a mirror holding the same file names (and the publishers' checksum files). */
  mirrorUrl?: string;
  onProgress?: ProgressCallback;
  /** Lines for the operator: recorded hashes, retries. */
  onNotice?: (line: string) => void;
  /** Attempts after the first one for transient failures (default 4). */
  retries?: number;
  /** First backoff delay; doubled on each retry (default 1000 ms, at most 30 s). */
  backoffMs?: number;
  /** No byte for this long aborts the attempt (default 60 s). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Injected in tests; Node's fetch otherwise. */
  fetch?: typeof fetch;
}

/** `$XDG_CACHE_HOME/personium-setup/artifacts`, or `~/.cache/personium-setup/artifacts`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'personium-setup', 'artifacts');
}

export class ArtifactVerificationError extends Error {
  constructor(
    readonly fileName: string,
    readonly algorithm: 'sha256' | 'sha512',
    readonly expected: string,
    readonly actual: string,
    readonly source: string,
  ) {
    super(`${fileName} failed verification: ${source} says ${algorithm} ${expected}, the file has ${algorithm} ${actual}. The file was deleted; it is damaged or not the file that was published.`);
    this.name = 'ArtifactVerificationError';
  }
}

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

// ---------------------------------------------------------------------------------------------
// Hashes

export interface FileDigest {
  sha256: string;
  sha512: string;
  size: number;
}

/** SHA-256 and SHA-512 of a file in one streaming pass. */
export async function hashFile(path: string): Promise<FileDigest> {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    sha512.update(chunk);
    size += chunk.length;
  }
  return {sha256: sha256.digest('hex'), sha512: sha512.digest('hex'), size};
}

/** The hash in a checksum file: the first whitespace-separated field (`sha512sum` output). */
export function parseChecksumFile(text: string, fileName: string): {algorithm: 'sha256' | 'sha512'; hash: string} {
  const field = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (/^[0-9a-f]{128}$/.test(field)) return {algorithm: 'sha512', hash: field};
  if (/^[0-9a-f]{64}$/.test(field)) return {algorithm: 'sha256', hash: field};
  throw new DownloadError(`the checksum file for ${fileName} holds no SHA-512 or SHA-256 (it starts with ${JSON.stringify(text.slice(0, 40))})`, false);
}

// ---------------------------------------------------------------------------------------------
// The cache manifest: hashes recorded at first download (and what verified each cached file).

const CacheEntry = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  url: z.string(),
  verifiedBy: z.enum(['pinned', 'publisher', 'first-download', 'bundle-manifest']),
  recordedAt: z.string(),
});
const CacheManifest = z.object({format: z.literal(1), files: z.record(z.string(), CacheEntry)});
type CacheManifest = z.infer<typeof CacheManifest>;
type CacheEntry = z.infer<typeof CacheEntry>;

export const CACHE_MANIFEST = 'manifest.json';

export async function readCacheManifest(cacheDir: string): Promise<CacheManifest> {
  const path = join(cacheDir, CACHE_MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {format: 1, files: {}};
  }
  const parsed = CacheManifest.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a personium-setup cache manifest (${parsed.error.issues[0]?.message}); move it away to start a fresh record`);
  return parsed.data;
}

// Writers in one process are serialised; the file is replaced atomically.
let manifestQueue: Promise<unknown> = Promise.resolve();
async function updateCacheManifest(cacheDir: string, update: (m: CacheManifest) => void): Promise<void> {
  const next = manifestQueue.then(async () => {
    const manifest = await readCacheManifest(cacheDir);
    update(manifest);
    await writeFileAtomic(join(cacheDir, CACHE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  });
  manifestQueue = next.catch(() => undefined);
  return next;
}

async function record(cacheDir: string, fileName: string, entry: CacheEntry): Promise<void> {
  await updateCacheManifest(cacheDir, m => {
    m.files[fileName] = entry;
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }, {once: true});
  });

function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The URL a file is fetched from: the mirror's copy (same file name) or the upstream URL. */
export function downloadUrl(ref: Pick<ArtifactRef, 'url' | 'fileName'>, mirrorUrl?: string): string {
  return mirrorUrl ? `${mirrorUrl.replace(/\/+$/, '')}/${encodeURIComponent(ref.fileName)}` : ref.url;
}

function checksumSource(ref: ArtifactRef, mirrorUrl?: string): string | undefined {
  if (!ref.checksumUrl) return undefined;
  return mirrorUrl ? `${mirrorUrl.replace(/\/+$/, '')}/${encodeURIComponent(fileNameOf(ref.checksumUrl))}` : ref.checksumUrl;
}

async function withRetries<T>(what: string, options: DownloadOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  const retries = options.retries ?? 4;
  const base = options.backoffMs ?? 1000;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const transient = error instanceof DownloadError && error.transient && !options.signal?.aborted;
      if (!transient || n >= retries) {
        if (transient && n > 0) throw new DownloadError(`${what}: gave up after ${n + 1} attempts: ${(error as Error).message}`, true);
        throw error;
      }
      const delay = Math.min(base * 2 ** n, 30_000);
      options.onNotice?.(`${what}: ${(error as Error).message}; trying again in ${(delay / 1000).toFixed(1)} s (${n + 1}/${retries})`);
      await sleep(delay, options.signal);
    }
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as {cause?: {code?: string; message?: string}}).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** A small text file (checksums). */
/** Publisher hosts found unreachable, per download run (its options): asked once, not once per file. */
const unreachableHosts = new WeakMap<DownloadOptions, Set<string>>();

/** The publisher's checksum file, or undefined when its host does not answer within 5 s (no retries: a mirror is the fallback). */
async function fetchUpstreamChecksum(url: string, options: DownloadOptions): Promise<string | undefined> {
  const host = new URL(url).host;
  const unreachable = unreachableHosts.get(options) ?? new Set<string>();
  unreachableHosts.set(options, unreachable);
  if (unreachable.has(host)) return undefined;
  const doFetch = options.fetch ?? fetch;
  try {
    const timeout = AbortSignal.timeout(5_000);
    const res = await doFetch(url, {signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout});
    if (res.ok) return await res.text();
    await res.body?.cancel();
  } catch {
    // not reachable from here
  }
  unreachable.add(host);
  return undefined;
}

async function fetchText(url: string, options: DownloadOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  return withRetries(`checksum ${url}`, options, async () => {
    let res: Response;
    try {
      res = await doFetch(url, {signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000)});
    } catch (error) {
      throw new DownloadError(`cannot fetch ${url}: ${describeFetchError(error)}`, true);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DownloadError(`cannot fetch ${url}: HTTP ${res.status}`, transientStatus(res.status));
    }
    return res.text();
  });
}

/** Fetch `url` into `part`, resuming from what is already there. */
async function fetchToFile(url: string, part: string, ref: ArtifactRef, options: DownloadOptions): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const idle = options.idleTimeoutMs ?? 60_000;
  await withRetries(`download ${ref.fileName}`, options, async () => {
    let have = 0;
    try {
      have = (await stat(part)).size;
    } catch {
      have = 0;
    }
    const controller = new AbortController();
    let idleTimer = setTimeout(() => controller.abort(new Error(`no data for ${idle / 1000} s`)), idle);
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => controller.abort(new Error(`no data for ${idle / 1000} s`)), idle);
    };
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    try {
      let res: Response;
      try {
        res = await doFetch(url, {signal, headers: have > 0 ? {Range: `bytes=${have}-`} : {}});
      } catch (error) {
        throw new DownloadError(`cannot fetch ${url}: ${describeFetchError(error)}`, true);
      }
      if (res.status === 416 && have > 0) {
        // The part is already whole (or longer than the file): start over to be sure.
        await res.body?.cancel();
        await rm(part, {force: true});
        throw new DownloadError(`${url}: range not satisfiable, starting over`, true);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        const hint = res.status === 404 ? ' (not found: is the version or mirror right?)' : '';
        throw new DownloadError(`cannot fetch ${url}: HTTP ${res.status}${hint}`, transientStatus(res.status));
      }
      const resumed = res.status === 206 && have > 0;
      if (!resumed) have = 0;
      const length = Number(res.headers.get('content-length'));
      const total = Number.isFinite(length) && length > 0 ? length + have : undefined;
      let bytes = have;
      options.onProgress?.(bytes, total, ref);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          touch();
          options.onProgress?.(bytes, total, ref);
          done(null, chunk);
        },
      });
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream), counter, createWriteStream(part, {flags: resumed ? 'a' : 'w', mode: 0o644}));
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new DownloadError(`${url}: the transfer broke off after ${bytes} bytes (${describeFetchError(error)})`, true);
      }
      if (total !== undefined && bytes !== total) throw new DownloadError(`${url}: got ${bytes} of ${total} bytes`, true);
    } finally {
      clearTimeout(idleTimer);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Verification

interface Verdict {
  verifiedBy: LocalArtifact['verifiedBy'];
  /** What the file is checked against, for messages. */
  source: string;
  algorithm: 'sha256' | 'sha512';
  expected?: string;
}

async function expectedHash(ref: ArtifactRef, cacheDir: string, options: DownloadOptions): Promise<Verdict> {
  if (ref.sha256) return {verifiedBy: 'pinned', source: 'the version matrix', algorithm: 'sha256', expected: ref.sha256.toLowerCase()};
  if (ref.sha512) return {verifiedBy: 'pinned', source: 'the version matrix', algorithm: 'sha512', expected: ref.sha512.toLowerCase()};
  if (ref.checksumUrl && options.mirrorUrl) {
    // A mirror that serves both the file and its checksum could serve a matching pair: the
    // publisher's own copy is asked first, the mirror's only where the publisher cannot be reached.
    const upstream = await fetchUpstreamChecksum(ref.checksumUrl, options);
    if (upstream !== undefined) {
      const {algorithm, hash} = parseChecksumFile(upstream, ref.fileName);
      return {verifiedBy: 'publisher', source: `the publisher's checksum file ${ref.checksumUrl}`, algorithm, expected: hash};
    }
    const mirrored = checksumSource(ref, options.mirrorUrl)!;
    const {algorithm, hash} = parseChecksumFile(await fetchText(mirrored, options), ref.fileName);
    options.onNotice?.(`${ref.fileName}: the publisher (${new URL(ref.checksumUrl).host}) cannot be reached from here, so it is checked against the mirror's copy of its checksum file (${mirrored}) only`);
    return {verifiedBy: 'publisher', source: `the mirror's copy of the publisher's checksum file ${mirrored}`, algorithm, expected: hash};
  }
  if (ref.checksumUrl) {
    const {algorithm, hash} = parseChecksumFile(await fetchText(ref.checksumUrl, options), ref.fileName);
    return {verifiedBy: 'publisher', source: `the publisher's checksum file ${ref.checksumUrl}`, algorithm, expected: hash};
  }
  const recorded = (await readCacheManifest(cacheDir)).files[ref.fileName];
  if (recorded?.verifiedBy === 'first-download') {
    return {verifiedBy: 'recorded', source: `the SHA-256 recorded at its first download (${recorded.recordedAt}) in ${join(cacheDir, CACHE_MANIFEST)}`, algorithm: 'sha256', expected: recorded.sha256};
  }
  return {verifiedBy: 'first-download', source: 'nothing (no published checksum)', algorithm: 'sha256'};
}

async function verify(ref: ArtifactRef, path: string, verdict: Verdict): Promise<string> {
  const digest = await hashFile(path);
  const actual = verdict.algorithm === 'sha256' ? digest.sha256 : digest.sha512;
  if (verdict.expected !== undefined && verdict.expected !== actual) {
    await rm(path, {force: true});
    if (verdict.verifiedBy === 'recorded') {
      throw new ArtifactVerificationError(ref.fileName, 'sha256', verdict.expected, actual, `${verdict.source} (if the publisher really replaced the file, remove its entry there)`);
    }
    throw new ArtifactVerificationError(ref.fileName, verdict.algorithm, verdict.expected, actual, verdict.source);
  }
  return digest.sha256;
}

// ---------------------------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * One archive into the cache, verified. A cached copy is used when it still verifies (a copy whose
 * publisher checksum was checked before is compared with the hash recorded then, so re-runs need
 * no network); a cached copy that fails is deleted and fetched again once.
 */
export async function downloadArtifact(ref: ArtifactRef, options: DownloadOptions = {}): Promise<LocalArtifact> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  await mkdir(cacheDir, {recursive: true});
  const path = join(cacheDir, ref.fileName);
  const part = `${path}.part`;
  const url = downloadUrl(ref, options.mirrorUrl);

  if (await exists(path)) {
    const recorded = (await readCacheManifest(cacheDir)).files[ref.fileName];
    const pinned = Boolean(ref.sha256 || ref.sha512);
    if (!pinned && recorded?.verifiedBy === 'publisher') {
      const sha256 = (await hashFile(path)).sha256;
      if (sha256 === recorded.sha256) return {ref, path, sha256, verifiedBy: 'publisher'};
      options.onNotice?.(`${ref.fileName} in the cache differs from the copy checked before; fetching it again`);
      await rm(path, {force: true});
    } else if (pinned || recorded?.verifiedBy === 'first-download') {
      const verdict = await expectedHash(ref, cacheDir, options);
      try {
        const sha256 = await verify(ref, path, verdict);
        return {ref, path, sha256, verifiedBy: verdict.verifiedBy};
      } catch (error) {
        if (!(error instanceof ArtifactVerificationError) || verdict.verifiedBy === 'recorded') throw error;
        options.onNotice?.(`${ref.fileName} in the cache does not match ${verdict.source}; fetching it again`);
      }
    }
    // A cached file with no record at all (copied in by hand) is verified like a new download.
  }

  if (!(await exists(path))) {
    await fetchToFile(url, part, ref, options);
  } else {
    await rename(path, part);
  }
  const verdict = await expectedHash(ref, cacheDir, options);
  let sha256: string;
  try {
    sha256 = await verify(ref, part, verdict);
  } catch (error) {
    await rm(part, {force: true});
    throw error;
  }
  await rename(part, path);
  if (verdict.verifiedBy !== 'recorded') {
    await record(cacheDir, ref.fileName, {
      sha256,
      url,
      verifiedBy: verdict.verifiedBy === 'first-download' ? 'first-download' : verdict.verifiedBy === 'publisher' ? 'publisher' : 'pinned',
      recordedAt: new Date().toISOString(),
    });
  }
  if (verdict.verifiedBy === 'first-download') {
    options.onNotice?.(`${ref.fileName}: its publisher gives no checksum; SHA-256 ${sha256} was recorded at this first download and later runs compare against it. Check it against a trusted source.`);
  }
  return {ref, path, sha256, verifiedBy: verdict.verifiedBy};
}

/** Several archives, one after the other (progress stays readable, mirrors are not hammered). */
export async function downloadArtifacts(refs: ArtifactRef[], options: DownloadOptions = {}): Promise<Map<ArtifactName, LocalArtifact>> {
  const out = new Map<ArtifactName, LocalArtifact>();
  for (const ref of refs) out.set(ref.name, await downloadArtifact(ref, options));
  return out;
}
