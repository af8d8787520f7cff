// The nginx site: accepted by the real nginx (nginx -t), then run for real in front of a small
// echo backend to see the redirect, the ACME webroot, the rewrite and the proxy headers.
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import {createServer as createHttpServer, type IncomingHttpHeaders, type Server} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {request as httpRequest} from 'node:http';
import {createServer as createNetServer} from 'node:net';
import {dirname, join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {PATHS} from '../../source/plan/paths.js';
import {renderNginxSite} from '../../source/steps/render/nginx.js';
import {context, mediumProfile, smallProfile, tempDir, tool, which} from './render-fixtures.js';

const dir = tempDir('nginx');

function makeCertificate(): {cert: string; key: string} {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  const result = tool(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=personium.example.test', '-addext', 'subjectAltName=DNS:personium.example.test,DNS:*.personium.example.test', '-keyout', key, '-out', cert],
    'openssl',
  );
  expect(result.code, result.stderr).toBe(0);
  return {cert, key};
}

/** nginx ≥ 1.19.5 takes -e (error log before the config is read); older ones log to their default. */
function errorLogFlag(nginx: string): string[] {
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(tool(nginx, ['-v'], 'nginx-light').stderr);
  if (!version) return [];
  const [major, minor, patch] = version.slice(1).map(Number) as [number, number, number];
  return major > 1 || minor > 19 || (minor === 19 && patch >= 5) ? ['-e', join(dir, 'error.log')] : [];
}

/** A distribution's own default site on port 80 (RHEL's nginx.conf has one), to be left alone. */
const stockDefault = (port: number | string = 80) => `server {
    listen ${port} default_server;
    server_name _;
    return 418;
}
`;

/** A main nginx.conf for the test: the site included inside http, everything else in the temp dir. */
function mainConf(sitePath: string, stock = ''): string {
  const conf = join(dir, `nginx-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(
    conf,
    `pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${sitePath};
${stock}}
`,
  );
  return conf;
}

/** The site with the server paths pointed into the temp dir (and, for the live run, other ports). */
function localSite(text: string, cert: {cert: string; key: string}, ports?: {http: number; https: number; backend: number}): string {
  let site = text
    .replaceAll(PATHS.serverCert, cert.cert)
    .replaceAll(PATHS.serverKey, cert.key)
    .replaceAll(PATHS.nginxLogDir, dir)
    .replaceAll(PATHS.acmeWebroot, join(dir, 'acme'));
  if (ports) {
    site = site
      .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
      .replace(/listen 443 ssl( http2)? default_server;/, `listen 127.0.0.1:${ports.https} ssl$1 default_server;`)
      .replace(/server 127\.0\.0\.1:18888 /, `server 127.0.0.1:${ports.backend} `);
  }
  const file = join(dir, `site-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, site);
  return file;
}

describe('nginx site: structure', () => {
  const text = renderNginxSite(context(mediumProfile(), '1.8.3', {host: 'web1'}));

  it('proxies to every AP host on 18888 and keeps the security settings', () => {
    expect(text).toMatch(/upstream personium_ap \{\n {4}server 10\.0\.1\.31:18888 [^\n]*\n {4}server 10\.0\.1\.32:18888 /);
    expect(text).toMatch(/listen 443 ssl http2 default_server;/);
    expect(text).not.toMatch(/ssl on;|TLSv1(\.1)?[ ;]/);
    for (const line of [
      'ssl_protocols TLSv1.2 TLSv1.3;',
      `ssl_certificate ${PATHS.serverCert};`,
      `ssl_certificate_key ${PATHS.serverKey};`,
      'server_name _;',
      'server_tokens off;',
      'client_max_body_size 100m;',
      'merge_slashes off;',
      'proxy_read_timeout 300s;',
      'proxy_send_timeout 300s;',
      'location ~ ^/__status/?$ {',
      'proxy_set_header X-Forwarded-Proto https;',
      'proxy_set_header X-Forwarded-Path $request_uri;',
      'proxy_set_header Host $http_host;',
      'location ^~ /.well-known/acme-challenge/ {',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('leaves HTTP/2 out when asked', () => {
    expect(renderNginxSite(context(smallProfile(), '1.8.3', {http2: false}))).toMatch(/listen 443 ssl default_server;/);
  });

  it('nginx -t accepts it (several AP hosts, one server, IPv6 listeners)', () => {
    const nginx = which('nginx', 'nginx-light');
    const cert = makeCertificate();
    for (const site of [text, renderNginxSite(context(smallProfile(), '1.8.0')), renderNginxSite(context(smallProfile(), '1.8.3'), {ipv6: true})]) {
      const conf = mainConf(localSite(site, cert));
      const result = tool(nginx, [...errorLogFlag(nginx), '-t', '-q', '-p', dir, '-c', conf], 'nginx-light');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    // Beside a distribution's own default site on 80: no "duplicate default server".
    const beside = tool(nginx, [...errorLogFlag(nginx), '-t', '-q', '-p', dir, '-c', mainConf(localSite(text, cert), stockDefault())], 'nginx-light');
    expect(beside.stderr).toBe('');
    expect(beside.code).toBe(0);
    // And the check is live: a broken directive is refused.
    const broken = mainConf(localSite(text.replace('merge_slashes off;', 'merge_slashes maybe;'), cert));
    expect(tool(nginx, [...errorLogFlag(nginx), '-t', '-q', '-p', dir, '-c', broken], 'nginx-light').code).not.toBe(0);
  });
});

interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const request = httpRequest({host: '127.0.0.1', port, path: '/', timeout: 500}, response => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
      request.end();
    });
    if (ok) return;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

describe('nginx site: live', () => {
  let nginx: ChildProcess | undefined;
  let backend: Server | undefined;
  const ports = {http: 0, https: 0, backend: 0};

  beforeAll(async () => {
    const binary = which('nginx', 'nginx-light');
    const cert = makeCertificate();
    ports.http = await freePort();
    ports.https = await freePort();
    ports.backend = await freePort();
    backend = createHttpServer((request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.setHeader('X-Powered-By', 'should-be-hidden');
      response.end(JSON.stringify({method: request.method ?? '', url: request.url ?? '', headers: request.headers} satisfies Echo));
    });
    await new Promise<void>(resolve => backend!.listen(ports.backend, '127.0.0.1', resolve));
    // nginx workers run as an unprivileged user when the test runs as root: the webroot must be readable.
    chmodSync(dirname(dir), 0o755);
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'acme', '.well-known', 'acme-challenge'), {recursive: true, mode: 0o755});
    writeFileSync(join(dir, 'acme', '.well-known', 'acme-challenge', 'token123'), 'token123.thumbprint');
    const conf = mainConf(localSite(renderNginxSite(context(smallProfile(), '1.8.3')), cert, ports), stockDefault(`127.0.0.1:${ports.http}`));
    nginx = spawn(binary, [...errorLogFlag(binary), '-p', dir, '-c', conf, '-g', 'daemon off;'], {stdio: ['ignore', 'ignore', 'pipe']});
    await waitForPort(ports.http);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise(resolve => nginx!.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await new Promise(resolve => (backend ? backend.close(resolve) : resolve(undefined)));
  });

  const get = (secure: boolean, path: string, host: string, headers: Record<string, string> = {}) =>
    new Promise<{status: number; headers: IncomingHttpHeaders; body: string}>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        {host: '127.0.0.1', port: secure ? ports.https : ports.http, path, method: 'GET', headers: {Host: host, ...headers}, rejectUnauthorized: false, servername: host.split(':')[0]},
        response => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', chunk => (body += chunk));
          response.on('end', () => resolve({status: response.statusCode ?? 0, headers: response.headers, body}));
        },
      );
      request.on('error', reject);
      request.end();
    });

  it('port 80 redirects to https, except ACME challenges served from the webroot', async () => {
    const redirect = await get(false, '/cell1/box/file?x=1', 'personium.example.test');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://personium.example.test/cell1/box/file?x=1');
    const challenge = await get(false, '/.well-known/acme-challenge/token123', 'personium.example.test');
    expect(challenge.status).toBe(200);
    expect(challenge.body).toBe('token123.thumbprint');
    // A cell's name comes here too; other names go to the distribution's default site, left as it was.
    expect((await get(false, '/x', 'cell1.personium.example.test')).headers.location).toBe('https://cell1.personium.example.test/x');
    expect((await get(false, '/x', 'other.example.org')).status).toBe(418);
  });

  it('443 rewrites to /personium-core, keeps the query string, sets the forwarded headers', async () => {
    const response = await get(true, '/cell1/box/col/file.txt?a=1&b=%2F', 'personium.example.test', {'X-Forwarded-For': '6.6.6.6'});
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.url).toBe('/personium-core/cell1/box/col/file.txt?a=1&b=%2F');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers['x-forwarded-path']).toBe('/cell1/box/col/file.txt?a=1&b=%2F');
    // The client's own X-Forwarded-For is replaced, not trusted.
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers.host).toBe('personium.example.test');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers.server).toBe('nginx');
  });

  it('per-cell subdomains reach the same server (catch-all default_server)', async () => {
    const response = await get(true, '/__ctl/Box', 'cell1.personium.example.test');
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.url).toBe('/personium-core/__ctl/Box');
    expect(echo.headers.host).toBe('cell1.personium.example.test');
  });

  it('keeps double slashes and encoded characters for core (which routes on X-Forwarded-Path)', async () => {
    const echo = JSON.parse((await get(true, '/cell1//a%2Fb/%E3%81%82', 'personium.example.test')).body) as Echo;
    expect(echo.headers['x-forwarded-path']).toBe('/cell1//a%2Fb/%E3%81%82');
    expect(echo.url.startsWith('/personium-core/cell1//')).toBe(true);
  });

  it('denies /__status and refuses characters RFC 2396 does not allow', async () => {
    expect((await get(true, '/__status', 'personium.example.test')).status).toBe(403);
    expect((await get(true, '/__status/', 'personium.example.test')).status).toBe(403);
    expect((await get(true, '/cell1/a"b', 'personium.example.test')).status).toBe(400);
  });
});
