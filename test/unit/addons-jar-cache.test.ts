// Plugin jars given by URL are cached on this machine and asked for again conditionally: a real
// HTTP server on 127.0.0.1 serves real jars (built with the fixture zip writer) and counts full
// downloads and 304 answers. A failed request with a cached copy is an explicit refusal.
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {JarDownloadError, fetchPluginJar, pluginJarCacheDir, pluginJarCachePaths} from '../../source/addons/jar-cache.js';
import {AddonsError, checkPluginJar} from '../../source/addons/wanted.js';
import {defaultCacheDir} from '../../source/artifacts/download.js';
import {zipFile} from '../fixtures/fixture-bundle.js';

const root = mkdtempSync(join(tmpdir(), 'pds-jar-cache-'));
afterAll(() => rmSync(root, {recursive: true, force: true}));

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function pluginJar(pluginClass: string, marker: string): Buffer {
  return zipFile([
    {name: 'META-INF/MANIFEST.MF', content: `Manifest-Version: 1.0\r\nPlugin-Class: ${pluginClass}\r\n\r\n`},
    {name: 'io/example/Plugin.class', content: Buffer.from([0xca, 0xfe, 0xba, 0xbe])},
    {name: 'version.txt', content: marker},
  ]);
}

// ---------------------------------------------------------------------------------------------
// The server

interface Served {
  jar: Buffer;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Answer every request with this status (a broken server). */
  failWith: number | undefined;
  full: number;
  notModified: number;
  requests: Array<{ifNoneMatch?: string; ifModifiedSince?: string}>;
}

const served: Served = {jar: Buffer.alloc(0), etag: undefined, lastModified: undefined, failWith: undefined, full: 0, notModified: 0, requests: []};
let server: Server;
let base: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  served.requests.push({...(ifNoneMatch ? {ifNoneMatch} : {}), ...(ifModifiedSince ? {ifModifiedSince} : {})});
  if (served.failWith !== undefined) {
    res.writeHead(served.failWith).end('broken');
    return;
  }
  const validators: Record<string, string> = {};
  if (served.etag) validators.etag = served.etag;
  if (served.lastModified) validators['last-modified'] = served.lastModified;
  const unchanged = ifNoneMatch !== undefined ? served.etag !== undefined && ifNoneMatch === served.etag : ifModifiedSince !== undefined && served.lastModified !== undefined && ifModifiedSince === served.lastModified;
  if (unchanged) {
    served.notModified++;
    res.writeHead(304, validators).end();
    return;
  }
  served.full++;
  res.writeHead(200, {'content-type': 'application/java-archive', 'content-length': String(served.jar.length), ...validators}).end(served.jar);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

let cacheDir: string;
let run = 0;
beforeEach(() => {
  cacheDir = mkdtempSync(join(root, 'cache-'));
  Object.assign(served, {jar: pluginJar('io.example.auth.KcPluginLoader', 'v1'), etag: '"v1"', lastModified: undefined, failWith: undefined, full: 0, notModified: 0, requests: []});
  run++;
});
const url = () => `${base}/plugins/${run}/kc-plugin.jar`;

// ---------------------------------------------------------------------------------------------

describe('plugin jar cache', () => {
  it('lives in plugin-jars/ of the artifact cache', () => {
    expect(pluginJarCacheDir()).toBe(join(defaultCacheDir(), 'plugin-jars'));
    const paths = pluginJarCachePaths('https://x.example/a.jar', '/c');
    expect(paths.jar).toBe(`/c/plugin-jars/${sha256('https://x.example/a.jar')}.jar`);
    expect(paths.meta).toBe(`/c/plugin-jars/${sha256('https://x.example/a.jar')}.json`);
  });

  it('downloads once, then asks with If-None-Match and uses the cached bytes on 304', async () => {
    const first = await checkPluginJar(url(), fetch, {cacheDir});
    expect(served.full).toBe(1);
    expect(served.requests[0]).toEqual({});
    expect(first).toMatchObject({file: 'kc-plugin.jar', pluginClass: 'io.example.auth.KcPluginLoader', sha256: sha256(served.jar)});
    expect(first.bytes.equals(served.jar)).toBe(true);

    const paths = pluginJarCachePaths(url(), cacheDir);
    expect(readFileSync(paths.jar).equals(served.jar)).toBe(true);
    expect(statSync(paths.jar).mode & 0o777).toBe(0o644);
    expect(statSync(paths.meta).mode & 0o777).toBe(0o644);
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({url: url(), etag: '"v1"', sha256: sha256(served.jar)});
    expect(meta).not.toHaveProperty('lastModified');
    expect(Number.isNaN(Date.parse(String(meta.fetchedAt)))).toBe(false);

    const second = await checkPluginJar(url(), fetch, {cacheDir});
    expect(served.requests[1]).toEqual({ifNoneMatch: '"v1"'});
    expect(served.notModified).toBe(1);
    expect(served.full).toBe(1);
    expect(second.sha256).toBe(first.sha256);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second).toMatchObject({file: 'kc-plugin.jar', pluginClass: 'io.example.auth.KcPluginLoader'});
  });

  it('sends If-Modified-Since when the server gave Last-Modified', async () => {
    served.etag = undefined;
    served.lastModified = 'Tue, 01 Jul 2025 10:00:00 GMT';
    await fetchPluginJar(url(), {cacheDir});
    const again = await fetchPluginJar(url(), {cacheDir});
    expect(served.requests[1]).toEqual({ifModifiedSince: 'Tue, 01 Jul 2025 10:00:00 GMT'});
    expect(again.fromCache).toBe(true);
    expect(served.full).toBe(1);
  });

  it('downloads a changed jar (new ETag) again and updates the cache', async () => {
    await checkPluginJar(url(), fetch, {cacheDir});
    served.jar = pluginJar('io.example.auth.KcPluginLoader2', 'v2');
    served.etag = '"v2"';
    const changed = await checkPluginJar(url(), fetch, {cacheDir});
    expect(served.requests[1]).toEqual({ifNoneMatch: '"v1"'});
    expect(served.full).toBe(2);
    expect(changed).toMatchObject({pluginClass: 'io.example.auth.KcPluginLoader2', sha256: sha256(served.jar)});
    const paths = pluginJarCachePaths(url(), cacheDir);
    expect(readFileSync(paths.jar).equals(served.jar)).toBe(true);
    expect(JSON.parse(readFileSync(paths.meta, 'utf8'))).toMatchObject({etag: '"v2"', sha256: sha256(served.jar)});

    const third = await fetchPluginJar(url(), {cacheDir});
    expect(served.requests[2]).toEqual({ifNoneMatch: '"v2"'});
    expect(third).toMatchObject({fromCache: true, sha256: sha256(served.jar)});
  });

  it('downloads every time from a server without ETag and Last-Modified', async () => {
    served.etag = undefined;
    for (let i = 0; i < 3; i++) {
      const got = await fetchPluginJar(url(), {cacheDir});
      expect(got.fromCache).toBe(false);
      expect(got.sha256).toBe(sha256(served.jar));
    }
    expect(served.full).toBe(3);
    expect(served.notModified).toBe(0);
    expect(served.requests).toEqual([{}, {}, {}]);
  });

  it('notices a tampered cached jar and downloads it again without conditions', async () => {
    await checkPluginJar(url(), fetch, {cacheDir});
    const paths = pluginJarCachePaths(url(), cacheDir);
    writeFileSync(paths.jar, pluginJar('io.example.evil.Loader', 'tampered'));
    const checked = await checkPluginJar(url(), fetch, {cacheDir});
    expect(served.requests[1]).toEqual({});
    expect(served.full).toBe(2);
    expect(served.notModified).toBe(0);
    expect(checked).toMatchObject({pluginClass: 'io.example.auth.KcPluginLoader', sha256: sha256(served.jar)});
    expect(readFileSync(paths.jar).equals(served.jar)).toBe(true);
  });

  it('a server error or a network error with a cached copy is refused, naming the copy and the local-path way out', async () => {
    await checkPluginJar(url(), fetch, {cacheDir});
    const fetchedAt = (JSON.parse(readFileSync(pluginJarCachePaths(url(), cacheDir).meta, 'utf8')) as {fetchedAt: string}).fetchedAt;

    served.failWith = 503;
    const refused = checkPluginJar(url(), fetch, {cacheDir});
    await expect(refused).rejects.toThrow(AddonsError);
    await expect(refused).rejects.toThrow(`plugin jar ${url()}: the server answered HTTP 503; a cached copy downloaded ${fetchedAt} exists`);
    await expect(refused).rejects.toThrow(/not used without the server confirming it is unchanged.*copy it to a file named kc-plugin\.jar and give that local path with --plugin-jar/);
    await expect(fetchPluginJar(url(), {cacheDir})).rejects.toMatchObject({name: 'JarDownloadError', status: 503, cached: {fetchedAt}});

    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(checkPluginJar(url(), down, {cacheDir})).rejects.toThrow(new RegExp(`cannot download it: fetch failed; a cached copy downloaded ${fetchedAt} exists`));
    await expect(fetchPluginJar(url(), {cacheDir, fetch: down})).rejects.toBeInstanceOf(JarDownloadError);

    // The cache is left as it was.
    served.failWith = undefined;
    expect(await fetchPluginJar(url(), {cacheDir})).toMatchObject({fromCache: true});
  });

  it('without a cached copy the messages are the ones from before; a 404 does not point at the cache', async () => {
    served.failWith = 500;
    await expect(checkPluginJar(url(), fetch, {cacheDir})).rejects.toThrow(new RegExp(`^plugin jar ${url()}: the server answered HTTP 500$`));
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(checkPluginJar(url(), down, {cacheDir})).rejects.toThrow(new RegExp(`^plugin jar ${url()}: cannot download it: fetch failed$`));

    served.failWith = undefined;
    await checkPluginJar(url(), fetch, {cacheDir});
    served.failWith = 404;
    await expect(checkPluginJar(url(), fetch, {cacheDir})).rejects.toThrow(new RegExp(`^plugin jar ${url()}: the server answered HTTP 404$`));
  });

  it('a downloaded jar without Plugin-Class is still refused, and a URL not naming a .jar is refused before any download', async () => {
    served.jar = zipFile([{name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\r\n\r\n'}]);
    await expect(checkPluginJar(url(), fetch, {cacheDir})).rejects.toThrow(/names no Plugin-Class/);
    // From the cache after a 304 too.
    await expect(checkPluginJar(url(), fetch, {cacheDir})).rejects.toThrow(/names no Plugin-Class/);
    expect(served.notModified).toBe(1);

    const requests = served.requests.length;
    await expect(checkPluginJar(`${base}/plugins/kc-plugin.zip`, fetch, {cacheDir})).rejects.toThrow(/must end in \.jar/);
    expect(served.requests.length).toBe(requests);
    expect(existsSync(pluginJarCachePaths(`${base}/plugins/kc-plugin.zip`, cacheDir).jar)).toBe(false);
  });
});
