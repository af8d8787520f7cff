// Plugin jars given by http(s) URL are kept on this machine so that a re-run of `add` does not
// download them again unless they changed. Each URL has two files in `<cacheDir>/plugin-jars/`,
// named by the SHA-256 of the URL: `<hash>.jar` (the bytes) and `<hash>.json` (URL, ETag,
// Last-Modified, SHA-256 of the bytes, when they were fetched). A later run asks the server
// conditionally (If-None-Match / If-Modified-Since) and uses the cached bytes only on a 304, and
// only if they still have the recorded SHA-256. Without a validator from the server the jar is
// downloaded every time. A failed request never falls back to the cache silently: the caller gets
// a JarDownloadError that names the cached copy, and decides what to tell the operator.
import {createHash} from 'node:crypto';
import {mkdir, readFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import * as z from 'zod';
import {defaultCacheDir} from '../artifacts/download.js';
import {writeFileAtomic} from '../fs-atomic.js';

const JarCacheMeta = z.object({
  url: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  fetchedAt: z.string(),
});
export type JarCacheMeta = z.infer<typeof JarCacheMeta>;

export interface JarCacheOptions {
  /** The artifact cache (default defaultCacheDir()); jars go in its `plugin-jars/` folder. */
  cacheDir?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A copy of the jar on this machine whose bytes still match their metadata. */
export interface CachedJarCopy {
  path: string;
  fetchedAt: string;
}

export interface FetchedJar {
  bytes: Buffer;
  sha256: string;
  /** true: the server answered 304 and the cached bytes were used. */
  fromCache: boolean;
}

/** The request failed: a network error (status undefined) or an HTTP status that is not 2xx (nor an expected 304). */
export class JarDownloadError extends Error {
  override name = 'JarDownloadError';
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Present when a verified copy is in the cache; it was NOT used. */
    readonly cached: CachedJarCopy | undefined,
  ) {
    super(message);
  }
}

export function pluginJarCacheDir(cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, 'plugin-jars');
}

export function pluginJarCachePaths(url: string, cacheDir?: string): {jar: string; meta: string} {
  const dir = pluginJarCacheDir(cacheDir);
  const key = sha256Of(url);
  return {jar: join(dir, `${key}.jar`), meta: join(dir, `${key}.json`)};
}

function sha256Of(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cached bytes and their metadata, or undefined when absent, unreadable or not matching. */
async function readCached(url: string, paths: {jar: string; meta: string}): Promise<{bytes: Buffer; meta: JarCacheMeta} | undefined> {
  let meta: JarCacheMeta;
  let bytes: Buffer;
  try {
    const parsed = JarCacheMeta.safeParse(JSON.parse(await readFile(paths.meta, 'utf8')));
    if (!parsed.success || parsed.data.url !== url) return undefined;
    meta = parsed.data;
    bytes = await readFile(paths.jar);
  } catch {
    return undefined;
  }
  return sha256Of(bytes) === meta.sha256 ? {bytes, meta} : undefined;
}

async function store(paths: {jar: string; meta: string}, bytes: Buffer, meta: JarCacheMeta): Promise<void> {
  await mkdir(dirname(paths.jar), {recursive: true});
  // The jar first: if the metadata cannot follow, the old metadata no longer matches the bytes
  // and the next run downloads again.
  await writeFileAtomic(paths.jar, bytes, 0o644);
  await writeFileAtomic(paths.meta, `${JSON.stringify(meta, null, 2)}\n`, 0o644);
}

/**
 * The bytes behind a plugin jar URL, from the server or (after a 304) from the cache. A failure
 * to write the cache does not fail the download: the bytes are still returned.
 */
export async function fetchPluginJar(url: string, options: JarCacheOptions = {}): Promise<FetchedJar> {
  const fetchImpl = options.fetch ?? fetch;
  const paths = pluginJarCachePaths(url, options.cacheDir);
  const cached = await readCached(url, paths);
  const copy = cached ? {path: paths.jar, fetchedAt: cached.meta.fetchedAt} : undefined;
  const headers: Record<string, string> = {};
  if (cached?.meta.etag) headers['if-none-match'] = cached.meta.etag;
  if (cached?.meta.lastModified) headers['if-modified-since'] = cached.meta.lastModified;
  const conditional = Object.keys(headers).length > 0;

  let response: Response;
  let bytes: Buffer;
  try {
    response = await fetchImpl(url, {signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), redirect: 'follow', headers});
    if (response.status === 304 && conditional && cached) {
      await response.body?.cancel().catch(() => undefined);
      return {bytes: cached.bytes, sha256: cached.meta.sha256, fromCache: true};
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new JarDownloadError(`the server answered HTTP ${response.status}`, response.status, copy);
    }
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof JarDownloadError) throw error;
    throw new JarDownloadError(error instanceof Error ? error.message : String(error), undefined, copy);
  }

  const sha256 = sha256Of(bytes);
  const meta: JarCacheMeta = {
    url,
    ...(response.headers.get('etag') ? {etag: response.headers.get('etag')!} : {}),
    ...(response.headers.get('last-modified') ? {lastModified: response.headers.get('last-modified')!} : {}),
    sha256,
    fetchedAt: new Date().toISOString(),
  };
  try {
    await store(paths, bytes, meta);
  } catch {
    // Only the next run's shortcut is lost.
  }
  return {bytes, sha256, fromCache: false};
}
