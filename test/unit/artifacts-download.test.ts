// Downloads, verification and bundles against a real HTTP server on 127.0.0.1 that serves the
// FIXTURE archives (the real ones cannot be downloaded here) under their real file names, with
// `.sha512` files next to them like Apache's and Elastic's.
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import * as tar from 'tar';
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {ALLOW_FIXTURE_ENV, createBundle, openBundle, readBundleManifest, resolveArtifacts} from '../../source/artifacts/bundle.js';
import {ArtifactVerificationError, CACHE_MANIFEST, defaultCacheDir, downloadArtifact, downloadArtifacts, parseChecksumFile, readCacheManifest} from '../../source/artifacts/download.js';
import {artifactsFor, fileNameOf} from '../../source/artifacts/refs.js';
import type {ArtifactRef} from '../../source/artifacts/types.js';
import {findVersionSet, type VersionSet} from '../../source/presets.js';
import {buildFixtureArtifacts, buildFixtureBundle} from '../fixtures/fixture-bundle.js';

const root = mkdtempSync(join(tmpdir(), 'pds-artifacts-'));
afterAll(() => rmSync(root, {recursive: true, force: true}));

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const sha512 = (data: Buffer | string) => createHash('sha512').update(data).digest('hex');

// ---------------------------------------------------------------------------------------------
// The local mirror

interface Served {
  files: Map<string, Buffer>;
  requests: Array<{path: string; range?: string}>;
  /** Paths whose next response is cut off after this many bytes. */
  dropOnce: Map<string, number>;
}

const served: Served = {files: new Map(), requests: [], dropOnce: new Map()};
let server: Server;
let mirror: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
  served.requests.push({path, range: req.headers.range});
  const body = served.files.get(path);
  if (!body) {
    res.writeHead(404).end('not found');
    return;
  }
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, {'Content-Range': `bytes */${body.length}`}).end();
      return;
    }
    res.writeHead(206, {'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`});
  } else {
    res.writeHead(200, {'Content-Length': body.length});
  }
  const drop = served.dropOnce.get(path);
  if (drop !== undefined) {
    served.dropOnce.delete(path);
    // Half the file, then the connection goes away.
    res.write(body.subarray(start, start + drop), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(body.subarray(start));
}

const set183 = findVersionSet('1.8.3')!;
let fixtureFiles: Map<string, Buffer>;

beforeAll(async () => {
  const entries = await buildFixtureArtifacts(join(root, 'fixture-files'), '1.8.3', {extensions: ['mailsender', 'httpclient']});
  fixtureFiles = new Map(entries.map(e => [e.ref.fileName, readFileSync(e.path)]));
  server = createServer(handle);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dist`;
});
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

beforeEach(() => {
  served.files = new Map();
  for (const [name, body] of fixtureFiles) {
    served.files.set(`dist/${name}`, body);
    served.files.set(`dist/${name}.sha512`, Buffer.from(`${sha512(body)}  ${name}\n`));
  }
  served.requests = [];
  served.dropOnce = new Map();
});

let caches = 0;
const freshCache = () => join(root, `cache-${++caches}`);
const quick = {retries: 3, backoffMs: 10};

// ---------------------------------------------------------------------------------------------

describe('artifact refs', () => {
  it('lists the wars, Elasticsearch, Tomcat, ActiveMQ and one jar per chosen extension, file names from the URLs', () => {
    const refs = artifactsFor({extensions: {mailsender: {smtpHost: 'mail.example.com', smtpPort: 25, tls: 'none'}, httpclient: {}}}, set183);
    expect(refs.map(r => [r.name, r.fileName])).toEqual([
      ['personium-core', 'personium-core-1.8.3.war'],
      ['personium-engine', 'personium-engine-1.6.0.war'],
      ['elasticsearch', 'elasticsearch-7.17.29-linux-x86_64.tar.gz'],
      ['tomcat', 'apache-tomcat-9.0.120.tar.gz'],
      ['activemq', 'apache-activemq-5.18.7-bin.tar.gz'],
      ['extension:httpclient', 'personium-ex-httpclient-1.2.0-libs.jar'],
      ['extension:mailsender', 'personium-ex-mailsender-1.5.4-libs.jar'],
    ]);
    expect(refs[1]!.sha256).toBe('0ec57828248b728bb6eb0c36e8071222677f1f7ff16b28f7a7ec90703e1fc4a1');
    expect(refs[0]!.sha256).toBeUndefined();
    expect(refs[2]!.checksumUrl).toMatch(/\.sha512$/);
    // 6.x names its tarball without the platform.
    expect(artifactsFor({extensions: {}}, findVersionSet('1.8.0')!)[2]!.fileName).toBe('elasticsearch-6.6.1.tar.gz');
    expect(fileNameOf('https://github.com/adoptium/temurin17-binaries/releases/download/jdk-17.0.4.1%2B1/OpenJDK17U-jdk_x64_linux_hotspot_17.0.4.1_1.tar.gz')).toBe('OpenJDK17U-jdk_x64_linux_hotspot_17.0.4.1_1.tar.gz');
  });

  it('adds the Temurin JDK tarball, pinned, only when artifacts.jdk is tarball', () => {
    const names = (jdk: 'distribution' | 'tarball') => artifactsFor({extensions: {httpclient: {}}, artifacts: {jdk}}, set183).map(r => r.name);
    expect(names('distribution')).not.toContain('jdk');
    expect(names('tarball')).toEqual(['personium-core', 'personium-engine', 'elasticsearch', 'tomcat', 'activemq', 'jdk', 'extension:httpclient']);
    const jdk = artifactsFor({extensions: {}, artifacts: {jdk: 'tarball'}}, set183).find(r => r.name === 'jdk')!;
    expect(jdk).toMatchObject({version: '17.0.18+8', fileName: 'OpenJDK17U-jdk_x64_linux_hotspot_17.0.18_8.tar.gz', sha256: expect.stringMatching(/^[0-9a-f]{64}$/)});
  });

  it('puts the cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({XDG_CACHE_HOME: '/srv/cache'})).toBe('/srv/cache/personium-setup/artifacts');
    expect(defaultCacheDir({})).toMatch(/\/\.cache\/personium-setup\/artifacts$/);
  });

  it('reads a checksum file like sha512sum does (first field)', () => {
    const hash = 'a'.repeat(128);
    expect(parseChecksumFile(`${hash} *apache-tomcat-9.0.120.tar.gz\n`, 'x')).toEqual({algorithm: 'sha512', hash});
    expect(parseChecksumFile(`${'B'.repeat(64)}\n`, 'x')).toEqual({algorithm: 'sha256', hash: 'b'.repeat(64)});
    expect(() => parseChecksumFile('<html>not found</html>', 'apache-tomcat-9.0.120.tar.gz')).toThrow(/apache-tomcat-9.0.120.tar.gz/);
  });
});

describe('downloads through a mirror', () => {
  it('verifies by the publisher checksum file, records a first-download hash and reports progress', async () => {
    const cacheDir = freshCache();
    const refs = artifactsFor({extensions: {mailsender: {smtpHost: 'mail.example.com', smtpPort: 25, tls: 'none'}}}, set183).filter(r => r.name !== 'personium-engine');
    const notices: string[] = [];
    const progress = new Map<string, {bytes: number; total?: number}>();
    const got = await downloadArtifacts(refs, {
      cacheDir,
      mirrorUrl: mirror,
      onNotice: line => notices.push(line),
      onProgress: (bytes, total, ref) => progress.set(ref.fileName, {bytes, total}),
      ...quick,
    });
    for (const ref of refs) {
      const local = got.get(ref.name)!;
      const body = fixtureFiles.get(ref.fileName)!;
      expect(local.path).toBe(join(cacheDir, ref.fileName));
      expect(readFileSync(local.path).equals(body)).toBe(true);
      expect(local.sha256).toBe(sha256(body));
      expect(progress.get(ref.fileName)).toEqual({bytes: body.length, total: body.length});
      expect(served.requests.some(r => r.path === `dist/${ref.fileName}`)).toBe(true);
    }
    expect(got.get('elasticsearch')!.verifiedBy).toBe('publisher');
    expect(got.get('tomcat')!.verifiedBy).toBe('publisher');
    expect(got.get('activemq')!.verifiedBy).toBe('publisher');
    expect(served.requests.map(r => r.path)).toContain('dist/apache-tomcat-9.0.120.tar.gz.sha512');
    // Personium publishes no checksums: recorded now, shown to the operator.
    const core = got.get('personium-core')!;
    expect(core.verifiedBy).toBe('first-download');
    expect(got.get('extension:mailsender')!.verifiedBy).toBe('first-download');
    expect(notices.join('\n')).toContain(`personium-core-1.8.3.war: its publisher gives no checksum; SHA-256 ${core.sha256} was recorded`);
    const manifest = await readCacheManifest(cacheDir);
    expect(manifest.files['personium-core-1.8.3.war']).toMatchObject({sha256: core.sha256, verifiedBy: 'first-download'});
    expect(readdirSync(cacheDir).filter(f => f.endsWith('.part'))).toEqual([]);

    // A second run uses the cache: nothing fetched, the recorded hash compared.
    served.requests = [];
    const again = await downloadArtifacts(refs, {cacheDir, mirrorUrl: mirror, ...quick});
    expect(served.requests).toEqual([]);
    expect(again.get('personium-core')!.verifiedBy).toBe('recorded');
    expect(again.get('tomcat')!.verifiedBy).toBe('publisher');
  });

  it('compares a later download with the hash recorded at the first one, and deletes a file that differs', async () => {
    const cacheDir = freshCache();
    const core = artifactsFor({extensions: {}}, set183)[0]!;
    const first = await downloadArtifact(core, {cacheDir, mirrorUrl: mirror, ...quick});
    expect(first.verifiedBy).toBe('first-download');

    // The cached copy goes; the mirror now serves other bytes under the same name.
    rmSync(first.path);
    const other = Buffer.from('a different personium-core-1.8.3.war\n');
    served.files.set('dist/personium-core-1.8.3.war', other);
    const error = await downloadArtifact(core, {cacheDir, mirrorUrl: mirror, ...quick}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactVerificationError);
    const message = (error as Error).message;
    expect(message).toContain('personium-core-1.8.3.war');
    expect(message).toContain(first.sha256);
    expect(message).toContain(sha256(other));
    expect(message).toContain('recorded at its first download');
    expect(existsSync(join(cacheDir, 'personium-core-1.8.3.war'))).toBe(false);
    expect(existsSync(join(cacheDir, 'personium-core-1.8.3.war.part'))).toBe(false);
  });

  it('refuses a file that does not match the hash pinned in the version matrix, and deletes it', async () => {
    const cacheDir = freshCache();
    // The fixture engine war under the real name cannot match the real war's pinned SHA-256.
    const engine = artifactsFor({extensions: {}}, set183)[1]!;
    const body = fixtureFiles.get(engine.fileName)!;
    const error = await downloadArtifact(engine, {cacheDir, mirrorUrl: mirror, ...quick}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactVerificationError);
    expect(error).toMatchObject({fileName: 'personium-engine-1.6.0.war', algorithm: 'sha256', expected: engine.sha256, actual: sha256(body)});
    expect((error as Error).message).toMatch(/personium-engine-1\.6\.0\.war failed verification: the version matrix says sha256 0ec57828.*, the file has sha256 [0-9a-f]{64}\. The file was deleted/);
    expect(readdirSync(cacheDir).filter(f => f.startsWith('personium-engine'))).toEqual([]);
    // Nothing was recorded for it either.
    expect((await readCacheManifest(cacheDir)).files[engine.fileName]).toBeUndefined();
  });

  it('refuses a file whose publisher checksum file disagrees', async () => {
    const cacheDir = freshCache();
    const tomcat = artifactsFor({extensions: {}}, set183)[3]!;
    served.files.set(`dist/${tomcat.fileName}.sha512`, Buffer.from(`${'0'.repeat(128)}  ${tomcat.fileName}\n`));
    const error = await downloadArtifact(tomcat, {cacheDir, mirrorUrl: mirror, ...quick}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactVerificationError);
    expect((error as Error).message).toContain(`apache-tomcat-9.0.120.tar.gz failed verification: the mirror's copy of the publisher's checksum file ${mirror}/apache-tomcat-9.0.120.tar.gz.sha512 says sha512 ${'0'.repeat(128)}, the file has sha512 ${sha512(fixtureFiles.get(tomcat.fileName)!)}`);
    expect(existsSync(join(cacheDir, tomcat.fileName))).toBe(false);
  });

  it('with a mirror, the publisher\'s own checksum file comes first: a mirror serving a matching pair of altered file and checksum is refused', async () => {
    const cacheDir = freshCache();
    const tomcat = artifactsFor({extensions: {}}, set183)[3]!;
    const altered = Buffer.from('an altered archive');
    served.files.set(`dist/${tomcat.fileName}`, altered);
    served.files.set(`dist/${tomcat.fileName}.sha512`, Buffer.from(`${sha512(altered)}  ${tomcat.fileName}\n`));
    // The publisher answers (here: through an injected fetch) with the real file's checksum.
    const publisher = `${sha512(fixtureFiles.get(tomcat.fileName)!)}  ${tomcat.fileName}\n`;
    const viaPublisher: typeof fetch = async (input, init) => (String(input) === tomcat.checksumUrl ? new Response(publisher) : fetch(input, init));
    try {
      const error = await downloadArtifact(tomcat, {cacheDir, mirrorUrl: mirror, fetch: viaPublisher, ...quick}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArtifactVerificationError);
      expect((error as Error).message).toContain(`the publisher's checksum file ${tomcat.checksumUrl} says sha512 ${sha512(fixtureFiles.get(tomcat.fileName)!)}`);
    } finally {
      served.files.set(`dist/${tomcat.fileName}`, fixtureFiles.get(tomcat.fileName)!);
      served.files.set(`dist/${tomcat.fileName}.sha512`, Buffer.from(`${sha512(fixtureFiles.get(tomcat.fileName)!)}  ${tomcat.fileName}\n`));
    }
  });

  it('resumes after a dropped connection (Range request) and verifies the whole file', async () => {
    const cacheDir = freshCache();
    const es = artifactsFor({extensions: {}}, set183)[2]!;
    const body = fixtureFiles.get(es.fileName)!;
    served.dropOnce.set(`dist/${es.fileName}`, Math.floor(body.length / 2));
    const notices: string[] = [];
    const local = await downloadArtifact(es, {cacheDir, mirrorUrl: mirror, onNotice: l => notices.push(l), ...quick});
    expect(local.verifiedBy).toBe('publisher');
    expect(readFileSync(local.path).equals(body)).toBe(true);
    const gets = served.requests.filter(r => r.path === `dist/${es.fileName}`);
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeUndefined();
    expect(gets[1]!.range).toBe(`bytes=${Math.floor(body.length / 2)}-`);
    expect(notices.join('\n')).toMatch(/download elasticsearch-7\.17\.29-linux-x86_64\.tar\.gz: .*broke off.*trying again/);
  });

  it('does not retry a missing file, and says which URL', async () => {
    const cacheDir = freshCache();
    const ref: ArtifactRef = {name: 'tomcat', version: '9.0.999', fileName: 'apache-tomcat-9.0.999.tar.gz', url: `${mirror}/apache-tomcat-9.0.999.tar.gz`};
    await expect(downloadArtifact(ref, {cacheDir, ...quick})).rejects.toThrow(`cannot fetch ${mirror}/apache-tomcat-9.0.999.tar.gz: HTTP 404`);
    expect(served.requests).toHaveLength(1);
  });

  it('gives up on a server that is not there after the retries, naming the file', async () => {
    const cacheDir = freshCache();
    // A port nobody listens on: taken, then let go.
    const probe = createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>(resolve => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/x.tar.gz`;
    const ref: ArtifactRef = {name: 'activemq', version: '5.18.7', fileName: 'x.tar.gz', url, sha256: 'a'.repeat(64)};
    const notices: string[] = [];
    await expect(downloadArtifact(ref, {cacheDir, retries: 2, backoffMs: 5, onNotice: l => notices.push(l)})).rejects.toThrow(`download x.tar.gz: gave up after 3 attempts: cannot fetch ${url}: ECONNREFUSED`);
    expect(notices).toHaveLength(2);
    expect(existsSync(join(cacheDir, 'x.tar.gz'))).toBe(false);
  });

  it('takes a pinned file from the cache without the network', async () => {
    const cacheDir = freshCache();
    const body = Buffer.from('pinned test file\n');
    served.files.set('dist/pinned-1.0.jar', body);
    const ref: ArtifactRef = {name: 'extension:pinned', version: '1.0', fileName: 'pinned-1.0.jar', url: `${mirror}/pinned-1.0.jar`, sha256: sha256(body)};
    expect((await downloadArtifact(ref, {cacheDir, ...quick})).verifiedBy).toBe('pinned');
    served.requests = [];
    expect((await downloadArtifact(ref, {cacheDir, ...quick})).verifiedBy).toBe('pinned');
    expect(served.requests).toEqual([]);
    // A damaged cached copy is fetched again.
    writeFileSync(join(cacheDir, 'pinned-1.0.jar'), 'damaged');
    const notices: string[] = [];
    expect((await downloadArtifact(ref, {cacheDir, onNotice: l => notices.push(l), ...quick})).sha256).toBe(sha256(body));
    expect(notices.join('\n')).toContain('pinned-1.0.jar in the cache does not match the version matrix; fetching it again');
  });
});

// ---------------------------------------------------------------------------------------------

/** The 1.8.3 set with the engine pin removed, so the fixture engine war can go through createBundle. */
const unpinned: VersionSet = {...set183, engine: {...set183.engine, sha256: null}};

describe('bundles', () => {
  const ext = {mailsender: {smtpHost: 'mail.example.com', smtpPort: 25, tls: 'none' as const}};

  it('round trip: createBundle downloads and packs, openBundle verifies and hands back every file', async () => {
    const cacheDir = freshCache();
    const out = join(root, 'round-trip.tar.gz');
    const made = await createBundle({extensions: ext, artifacts: {source: 'mirror', jdk: 'distribution', mirrorUrl: mirror}}, unpinned, out, {cacheDir, ...quick});
    expect(made.manifest).toMatchObject({format: 1, versionSet: '1.8.3'});
    expect(made.manifest.fixture).toBeUndefined();
    expect(made.manifest.files.map(f => f.fileName)).toEqual(artifactsFor({extensions: ext}, unpinned).map(r => r.fileName));
    for (const f of made.manifest.files) {
      const body = fixtureFiles.get(f.fileName)!;
      expect(f).toMatchObject({sha256: sha256(body), size: body.length});
      expect(f.url).toMatch(/^https:\/\//);
    }
    expect(await readBundleManifest(out)).toEqual(made.manifest);

    const elsewhere = freshCache();
    const notices: string[] = [];
    const opened = await openBundle(out, elsewhere, {needed: artifactsFor({extensions: ext}, unpinned), onNotice: line => notices.push(line)});
    // What only the manifest vouches for is shown once, when the bundle is first unpacked here.
    const unpinnedFiles = artifactsFor({extensions: ext}, unpinned).filter(r => !r.sha256 && !r.sha512);
    expect(unpinnedFiles.length).toBeGreaterThan(0);
    expect(notices).toEqual(unpinnedFiles.map(r => expect.stringContaining(`${r.fileName}: no hash pinned in this release; the bundle's manifest gives SHA-256 ${sha256(fixtureFiles.get(r.fileName)!)}`)));
    expect([...opened.keys()]).toEqual(['personium-core', 'personium-engine', 'elasticsearch', 'tomcat', 'activemq', 'extension:mailsender']);
    for (const local of opened.values()) {
      expect(local.verifiedBy).toBe('bundle-manifest');
      expect(local.path.startsWith(join(elsewhere, 'bundles'))).toBe(true);
      expect(readFileSync(local.path).equals(fixtureFiles.get(local.ref.fileName)!)).toBe(true);
      expect(local.sha256).toBe(sha256(fixtureFiles.get(local.ref.fileName)!));
    }
    // Opened again: the unpacked copy is reused and still checked.
    const again = await openBundle(out, elsewhere, {needed: artifactsFor({extensions: ext}, unpinned), onNotice: line => notices.push(line)});
    expect(again.get('tomcat')!.path).toBe(opened.get('tomcat')!.path);
    expect(notices.length).toBe(unpinnedFiles.length);

    // resolveArtifacts with source=bundle goes the same way.
    const resolved = await resolveArtifacts({extensions: ext, artifacts: {source: 'bundle', jdk: 'distribution', bundleFile: out}}, unpinned, {cacheDir: elsewhere});
    expect(resolved.get('extension:mailsender')!.sha256).toBe(opened.get('extension:mailsender')!.sha256);

    // With the real matrix, the engine war in it is not the pinned one: refused.
    await expect(openBundle(out, elsewhere, {needed: artifactsFor({extensions: ext}, set183)})).rejects.toThrow(
      /personium-engine-1\.6\.0\.war in the bundle .* is not the file the version matrix pins: expected sha256 0ec57828/,
    );
  });

  async function repack(source: string, target: string, change: (dir: string) => void): Promise<void> {
    const dir = mkdtempSync(join(root, 'repack-'));
    await tar.x({file: source, cwd: dir});
    change(dir);
    await tar.c({gzip: true, file: target, cwd: dir}, readdirSync(dir));
  }

  it('refuses a bundle whose file was altered, naming the file and both hashes', async () => {
    const out = join(root, 'good.tar.gz');
    await createBundle({extensions: {}, artifacts: {source: 'mirror', jdk: 'distribution', mirrorUrl: mirror}}, unpinned, out, {cacheDir: freshCache(), ...quick});
    const tampered = join(root, 'tampered.tar.gz');
    await repack(out, tampered, dir => writeFileSync(join(dir, 'files', 'apache-tomcat-9.0.120.tar.gz'), 'not tomcat'));
    const manifest = await readBundleManifest(tampered);
    const expected = manifest.files.find(f => f.fileName === 'apache-tomcat-9.0.120.tar.gz')!.sha256;
    const cacheDir = freshCache();
    const error = (await openBundle(tampered, cacheDir).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(`apache-tomcat-9.0.120.tar.gz in the bundle ${tampered} does not match its manifest: expected sha256 ${expected}`);
    expect(error.message).toContain(`the file has sha256 ${sha256('not tomcat')}`);
    // Nothing half-unpacked is left to be used.
    expect(readdirSync(join(cacheDir, 'bundles'))).toEqual([]);

    // A file the manifest lists but the archive lacks.
    const gutted = join(root, 'gutted.tar.gz');
    await repack(out, gutted, dir => rmSync(join(dir, 'files', 'apache-activemq-5.18.7-bin.tar.gz')));
    await expect(openBundle(gutted, freshCache())).rejects.toThrow(`the bundle ${gutted} lists activemq 5.18.7 (apache-activemq-5.18.7-bin.tar.gz) but does not hold it`);

    // Not a bundle at all.
    const junk = join(root, 'junk.tar.gz');
    writeFileSync(junk, 'junk');
    await expect(openBundle(junk, freshCache())).rejects.toThrow(/junk\.tar\.gz is not a personium-setup bundle/);
  });

  it('refuses a bundle that lacks an archive the profile needs, naming it', async () => {
    const out = join(root, 'no-extensions.tar.gz');
    await createBundle({extensions: {}, artifacts: {source: 'mirror', jdk: 'distribution', mirrorUrl: mirror}}, unpinned, out, {cacheDir: freshCache(), ...quick});
    await expect(openBundle(out, freshCache(), {needed: artifactsFor({extensions: ext}, unpinned)})).rejects.toThrow(
      `the bundle ${out} (version set 1.8.3) lacks extension:mailsender 1.5.4 (personium-ex-mailsender-1.5.4-libs.jar); make a bundle for this profile and version set`,
    );
    // A bundle of another version set lacks that set's files.
    await expect(resolveArtifacts({extensions: {}, artifacts: {source: 'bundle', jdk: 'distribution', bundleFile: out}}, findVersionSet('1.8.0')!, {cacheDir: freshCache()})).rejects.toThrow(
      /lacks personium-core 1\.8\.0 \(personium-core-1\.8\.0\.war\), elasticsearch 6\.6\.1 \(elasticsearch-6\.6\.1\.tar\.gz\), tomcat 9\.0\.68/,
    );
  });

  it('a FIXTURE bundle opens only when tests allow it, through the same openBundle', async () => {
    const out = join(root, 'fixture-1.8.0.tar.gz');
    const manifest = await buildFixtureBundle(out, '1.8.0');
    expect(manifest).toMatchObject({format: 1, versionSet: '1.8.0', fixture: true});
    const listed: string[] = [];
    await tar.t({file: out, onReadEntry: e => listed.push(e.path)});
    expect(listed).toContain('FIXTURE.txt');
    const needed = artifactsFor({extensions: {httpclient: {}}}, findVersionSet('1.8.0')!);

    const saved = process.env[ALLOW_FIXTURE_ENV];
    delete process.env[ALLOW_FIXTURE_ENV];
    try {
      await expect(openBundle(out, freshCache(), {needed})).rejects.toThrow(/is a FIXTURE bundle made by the personium-setup tests/);
      process.env[ALLOW_FIXTURE_ENV] = '1';
      const notices: string[] = [];
      const opened = await openBundle(out, freshCache(), {needed, onNotice: l => notices.push(l)});
      expect([...opened.keys()]).toEqual(['personium-core', 'personium-engine', 'elasticsearch', 'tomcat', 'activemq', 'extension:httpclient']);
      expect(opened.get('elasticsearch')!.ref.fileName).toBe('elasticsearch-6.6.1.tar.gz');
      expect(notices.join('\n')).toContain('FIXTURE bundle');
    } finally {
      if (saved === undefined) delete process.env[ALLOW_FIXTURE_ENV];
      else process.env[ALLOW_FIXTURE_ENV] = saved;
    }
  });

  it('resolveArtifacts downloads from the mirror when the profile says mirror', async () => {
    const cacheDir = freshCache();
    const got = await resolveArtifacts({extensions: {}, artifacts: {source: 'mirror', jdk: 'distribution', mirrorUrl: mirror}}, unpinned, {cacheDir, ...quick});
    expect([...got.keys()]).toEqual(['personium-core', 'personium-engine', 'elasticsearch', 'tomcat', 'activemq']);
    expect(served.requests.every(r => r.path.startsWith('dist/'))).toBe(true);
    expect(existsSync(join(cacheDir, CACHE_MANIFEST))).toBe(true);
  });
});
