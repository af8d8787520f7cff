// The unit seen from the operator machine: https://FQDN/ through nginx, with the unit's name
// pinned to the web server's address (no DNS needed), the TLS protocols nginx accepts, the
// port 80 redirect, the operator's DNS view; and with --smoke, the regression flow of the
// official script (cell, box, service script, call, event, log, delete) through the API.
// Requests go to an IP address with the unit's name as SNI and Host, so a test can point them
// anywhere. Tokens and passwords are sent in headers and bodies only, never logged.
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {connect as tlsConnect, type PeerCertificate, type SecureVersion, type TLSSocket} from 'node:tls';
import type {Plan} from '../plan/plan.js';
import type {VersionSet} from '../presets.js';
import type {Profile} from '../profile/schema.js';
import {operatorDnsResults} from '../preflight/checks/names.js';
import type {ReportFacts} from './facts.js';
import {readCertificate} from './certificates.js';
import {OPERATOR, itemFor, type ReportItem} from './types.js';

export interface E2eTarget {
  fqdn: string;
  /** Address nginx is reached at from this machine. */
  address: string;
  httpsPort?: number;
  httpPort?: number;
  /** Per-request time limit (default 10 s). */
  timeoutMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented (https only). */
  peerFingerprint256?: string;
}

export interface E2eFacts {
  unit: HttpAnswer | {error: string};
  redirect: HttpAnswer | {error: string};
  tls: Array<{version: SecureVersion; accepted: boolean; detail: string}>;
  /** Operator DNS answers (absent when the public view is skipped). */
  dns?: Record<string, string[] | Error>;
}

const isError = (x: HttpAnswer | {error: string}): x is {error: string} => 'error' in x;

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & {cause?: {code?: string}};
  return [e.code, e.message].filter(Boolean).join(': ');
}

/** One HTTP(S) request to `address`, with the URL's host name as SNI and Host header. */
export function call(target: E2eTarget, method: string, url: string, options: {headers?: Record<string, string>; body?: string} = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const port = https ? (target.httpsPort ?? 443) : (target.httpPort ?? 80);
  const headers: Record<string, string> = {Host: u.host, ...(options.headers ?? {})};
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: target.address,
        port,
        method,
        path: `${u.pathname}${u.search}`,
        headers,
        ...(https ? {servername: u.hostname, rejectUnauthorized: false} : {}),
        agent: false,
        timeout: target.timeoutMs ?? 10_000,
      },
      res => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => {
          const peer = https ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined;
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          resolve({status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString('utf8'), ...(peer && (peer as PeerCertificate).fingerprint256 ? {peerFingerprint256: (peer as PeerCertificate).fingerprint256.toUpperCase()} : {})});
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${(target.timeoutMs ?? 10_000) / 1000} s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Whether nginx completes a handshake with exactly this protocol version. */
export function tryTls(target: E2eTarget, version: SecureVersion): Promise<{version: SecureVersion; accepted: boolean; detail: string}> {
  return new Promise(resolve => {
    let settled = false;
    const done = (accepted: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({version, accepted, detail});
    };
    const socket = tlsConnect({
      host: target.address,
      port: target.httpsPort ?? 443,
      servername: target.fqdn,
      minVersion: version,
      maxVersion: version,
      rejectUnauthorized: false,
      // Old protocols need the lowest security level on this side, or OpenSSL refuses to try.
      ...(version === 'TLSv1' || version === 'TLSv1.1' ? {ciphers: 'DEFAULT@SECLEVEL=0'} : {}),
    });
    socket.setTimeout(target.timeoutMs ?? 10_000, () => done(false, 'timed out'));
    socket.on('secureConnect', () => done(true, `${socket.getProtocol() ?? version} accepted`));
    socket.on('error', error => done(false, describeError(error)));
  });
}

/** Everything checked from this machine, in parallel. */
export async function gatherE2e(target: E2eTarget, dnsNames: string[], resolve?: (name: string) => Promise<string[]>): Promise<E2eFacts> {
  const wrap = (p: Promise<HttpAnswer>) => p.catch((error: unknown) => ({error: describeError(error)}));
  const [unit, redirect, tls, dns] = await Promise.all([
    wrap(call(target, 'GET', `https://${target.fqdn}/`, {headers: {Accept: 'application/json'}})),
    wrap(call(target, 'GET', `http://${target.fqdn}/`)),
    Promise.all((['TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as SecureVersion[]).map(v => tryTls(target, v))),
    resolve
      ? Promise.all(dnsNames.map(async name => [name, await resolve(name).catch((e: unknown) => e as Error)] as const)).then(entries => Object.fromEntries(entries))
      : Promise.resolve(undefined),
  ]);
  return {unit, redirect, tls, ...(dns ? {dns} : {})};
}

/** Items of the unit seen from outside. `webFacts` gives the certificate nginx should be serving. */
export function judgeE2e(profile: Profile, plan: Plan, set: VersionSet, e2e: E2eFacts, target: E2eTarget, webFacts?: ReportFacts, wildcardName?: string): ReportItem[] {
  const items: ReportItem[] = [];
  const fqdn = profile.unit.fqdn;
  const unitUrl = `https://${fqdn}/`;
  const at = `${unitUrl} via ${target.address}`;
  const r = itemFor(OPERATOR, 'unit');
  const pathBased = profile.unit.cellUrlMode === 'path-based';

  const u = r('E2E-Unit', 'The unit answers through nginx', `${at}: 200, {"unit":{"url":"${unitUrl}","path_based_cellurl_enabled":${pathBased}}}`);
  const fixNginx = 'systemctl status nginx tomcat on the web and AP servers; tail /var/log/nginx/personium-error.log (502: Tomcat is down or unreachable from nginx)';
  if (isError(e2e.unit)) items.push(u.fail(`no answer: ${e2e.unit.error}`, `is nginx running on the web server and is 443 open to this machine? ${fixNginx}`));
  else {
    const a = e2e.unit;
    let body: {unit?: {url?: string; path_based_cellurl_enabled?: boolean}} | undefined;
    try {
      body = JSON.parse(a.body) as typeof body;
    } catch {
      body = undefined;
    }
    const version = a.headers['x-personium-version'];
    const found = `HTTP ${a.status}${version ? `, X-Personium-Version ${version}` : ''}${body?.unit ? `, unit ${body.unit.url} (path-based ${body.unit.path_based_cellurl_enabled})` : `, body ${JSON.stringify(a.body.slice(0, 80))}`}`;
    if (a.status !== 200 || (!body?.unit && !version)) items.push(u.fail(`${found}: not a Personium unit`, fixNginx));
    else if (body?.unit && body.unit.url !== unitUrl) items.push(u.fail(`${found}: the unit calls itself ${body.unit.url}`, 'core takes its URL from the unit certificate\'s CN: check Cert-Unit-CN on the AP servers'));
    else if (body?.unit && body.unit.path_based_cellurl_enabled !== pathBased) items.push(u.fail(found, `pathBasedCellUrl.enabled must be ${pathBased}: check Config-Keys on the AP servers`));
    else items.push(u.pass(found));
    if (version) {
      const wanted = set.core.reportedVersion ?? set.core.version;
      const v = r('E2E-Version', 'Version the unit reports', `${wanted} (core ${set.core.version})`);
      items.push(version === wanted || version.startsWith(`${set.core.version}`) ? v.pass(version) : v.warn(version, `the deployed core is not ${set.core.version}: check Version-core on the AP servers`));
    }
    const serverPem = webFacts?.serverCert;
    if (a.peerFingerprint256 && serverPem) {
      const c = r('E2E-Cert-Served', 'nginx serves the installed certificate', 'the certificate in the web server\'s file');
      try {
        const file = readCertificate(serverPem);
        items.push(a.peerFingerprint256 === file.fingerprint256 ? c.pass(`the same (SHA-256 ${file.fingerprint256.slice(0, 23)}…)`) : c.fail('a different certificate than the file', 'reload nginx (systemctl reload nginx) so it serves the current file; or another server answers on this address'));
      } catch {
        // the file is judged on the web host
      }
    }
  }

  const rd = r('E2E-Redirect', 'Port 80 redirects to https', `http://${fqdn}/ → 301 https://${fqdn}/`);
  if (isError(e2e.redirect)) items.push(rd.warn(`no answer on port 80: ${e2e.redirect.error}`, 'open port 80 for the redirect (and Let\'s Encrypt http-01)'));
  else if ([301, 302, 307, 308].includes(e2e.redirect.status) && (e2e.redirect.headers.location ?? '').startsWith(`https://${fqdn}`)) items.push(rd.pass(`${e2e.redirect.status} → ${e2e.redirect.headers.location}`));
  else items.push(rd.warn(`HTTP ${e2e.redirect.status}${e2e.redirect.headers.location ? ` → ${e2e.redirect.headers.location}` : ''}`, 'run install again: the nginx site redirects port 80'));

  const t = r('E2E-TLS', 'TLS protocols accepted on 443', 'TLSv1.2 and TLSv1.3 accepted, TLSv1.1 refused');
  if (!isError(e2e.unit) || e2e.tls.some(x => x.accepted)) {
    const byVersion = new Map(e2e.tls.map(x => [x.version, x]));
    const old = byVersion.get('TLSv1.1');
    const found = e2e.tls.map(x => `${x.version} ${x.accepted ? 'accepted' : 'refused'}`).join(', ');
    const clientCannot = old && !old.accepted && /NO_PROTOCOLS_AVAILABLE|no protocols available/i.test(old.detail);
    if (old?.accepted) items.push(t.fail(found, 'set "ssl_protocols TLSv1.2 TLSv1.3;" in the nginx site (run install again) and reload nginx'));
    else if (!byVersion.get('TLSv1.2')?.accepted) items.push(t.fail(found, 'TLS 1.2 is what most clients (and Java) use: set "ssl_protocols TLSv1.2 TLSv1.3;" and reload nginx'));
    else items.push(t.pass(`${found}${clientCannot ? ' (this machine cannot offer TLSv1.1; see Security-TLS-Config)' : ''}`));
  }

  if (e2e.dns) {
    for (const c of operatorDnsResults(profile, plan, e2e.dns, wildcardName)) {
      const name = c.id === 'DNS-Wildcard' ? `*.${fqdn}` : fqdn;
      const d = r(`DNS-Operator-${c.id === 'DNS-Wildcard' ? 'Wildcard' : 'FQDN'}`, `${name} resolves from this machine`, 'the web server\'s public address');
      items.push(c.status === 'pass' ? d.pass(c.message) : d.fail(c.message, c.fix));
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// The regression flow (--smoke)

export type SmokeAuth = {kind: 'master-token'; token: string} | {kind: 'unit-admin'; cellUrl: string; account: string; password: string};

export interface SmokeStep {
  name: string;
  method: string;
  url: string;
  expected: number[];
  status: number;
  ok: boolean;
  detail?: string;
}

export interface SmokeResult {
  cell: string;
  auth: SmokeAuth['kind'];
  steps: SmokeStep[];
  /** Leftovers the clean-up could not remove. */
  leftovers: string[];
}

const SERVICE_SOURCE = 'function(request){return {status: 200,headers: {"Content-Type":"text/html"},body: ["hello world"]};}';
const MKCOL_SERVICE = '<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype><D:collection/><p:service/></D:resourcetype></D:prop></D:set></D:mkcol>';
const PROPPATCH_SERVICE = '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><p:service language="JavaScript"><p:path name="test" src="test.js"/></p:service></D:prop></D:set></D:propertyupdate>';

/**
 * The official regression script's flow against the unit: create a cell, a box, a service
 * collection with a script; call it four times; a rule with a log action; post an event; read
 * the event log; delete everything and make sure the cell is gone. Stops at the first failure,
 * but always cleans up what it made.
 */
export async function runSmoke(target: E2eTarget, profile: Profile, auth: SmokeAuth, cellName: string): Promise<SmokeResult> {
  const fqdn = profile.unit.fqdn;
  const unit = `https://${fqdn}`;
  const cellUrl = profile.unit.cellUrlMode === 'per-cell' ? `https://${cellName}.${fqdn}` : `${unit}/${cellName}`;
  const steps: SmokeStep[] = [];
  let token: string;
  const result: SmokeResult = {cell: cellName, auth: auth.kind, steps, leftovers: []};

  const step = async (name: string, method: string, url: string, expected: number[], options: {body?: string; headers?: Record<string, string>; check?: (a: HttpAnswer) => string | undefined} = {}): Promise<boolean> => {
    let answer: HttpAnswer;
    try {
      answer = await call(target, method, url, {headers: {Accept: 'application/json', Authorization: `Bearer ${token}`, ...(options.headers ?? {})}, ...(options.body !== undefined ? {body: options.body} : {})});
    } catch (error) {
      steps.push({name, method, url, expected, status: 0, ok: false, detail: describeError(error)});
      return false;
    }
    const problem = expected.includes(answer.status) ? options.check?.(answer) : undefined;
    const ok = expected.includes(answer.status) && problem === undefined;
    const detail = problem ?? (ok ? undefined : answer.body.replace(/\s+/g, ' ').slice(0, 160));
    steps.push({name, method, url, expected, status: answer.status, ok, ...(detail ? {detail} : {})});
    return ok;
  };

  if (auth.kind === 'master-token') token = auth.token;
  else {
    // A unit user token from the unit admin cell (ROPC with p_target = the unit).
    const form = new URLSearchParams({grant_type: 'password', username: auth.account, password: auth.password, p_target: `${unit}/`}).toString();
    try {
      const a = await call(target, 'POST', `${auth.cellUrl}__token`, {headers: {Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'}, body: form});
      const access = a.status === 200 ? (JSON.parse(a.body) as {access_token?: string}).access_token : undefined;
      steps.push({name: 'Unit user token', method: 'POST', url: `${auth.cellUrl}__token`, expected: [200], status: a.status, ok: access !== undefined, ...(access ? {} : {detail: a.body.slice(0, 160)})});
      if (!access) return result;
      token = access;
    } catch (error) {
      steps.push({name: 'Unit user token', method: 'POST', url: `${auth.cellUrl}__token`, expected: [200], status: 0, ok: false, detail: describeError(error)});
      return result;
    }
  }

  const cellCtl = `${unit}/__ctl/Cell('${cellName}')`;
  const flow = async () => {
    if (!(await step('Create cell', 'POST', `${unit}/__ctl/Cell`, [201], {body: JSON.stringify({Name: cellName}), headers: {'Content-Type': 'application/json'}}))) return;
    if (!(await step('Get cell', 'GET', cellCtl, [200]))) return;
    if (!(await step('Create box', 'POST', `${cellUrl}/__ctl/Box`, [201], {body: JSON.stringify({Name: 'box'}), headers: {'Content-Type': 'application/json'}}))) return;
    if (!(await step('Create service collection', 'MKCOL', `${cellUrl}/box/col`, [201], {body: MKCOL_SERVICE, headers: {'Content-Type': 'application/xml'}}))) return;
    if (!(await step('Put service script', 'PUT', `${cellUrl}/box/col/__src/test.js`, [201], {body: SERVICE_SOURCE, headers: {'Content-Type': 'text/javascript'}}))) return;
    const registered = await step('Register service', 'PROPPATCH', `${cellUrl}/box/col`, [207], {
      body: PROPPATCH_SERVICE,
      headers: {'Content-Type': 'application/xml'},
      check: a => (/<(?:\w+:)?status>[^<]*\b200\b/.test(a.body) ? undefined : 'the property update was not accepted (no 200 inside the 207)'),
    });
    if (!registered) return;
    for (let i = 1; i <= 4; i++) {
      if (!(await step(`Call the service (${i}/4)`, 'GET', `${cellUrl}/box/col/test`, [200], {check: a => (a.body.includes('hello world') ? undefined : `answered ${JSON.stringify(a.body.slice(0, 60))}, not "hello world"`)}))) return;
    }
    if (!(await step('Create rule', 'POST', `${cellUrl}/__ctl/Rule`, [201], {body: JSON.stringify({Name: 'testRule', EventType: 'test', EventExternal: true, Action: 'log'}), headers: {'Content-Type': 'application/json'}}))) return;
    if (!(await step('Post an event', 'POST', `${cellUrl}/__event`, [200], {body: JSON.stringify({Type: 'action_value', Object: 'object_value', Info: 'result_value'}), headers: {'Content-Type': 'application/json'}}))) return;
    await step('Read the event log', 'GET', `${cellUrl}/__log/current/default.log`, [200]);
  };
  await flow();

  // Clean up whatever exists, in reverse order; the last step proves the cell is gone.
  const created = new Set(steps.filter(s => s.ok).map(s => s.name));
  const cleanup: Array<[string, string, string, Record<string, string>?]> = [];
  if (created.has('Create rule')) cleanup.push(['Delete rule', 'DELETE', `${cellUrl}/__ctl/Rule(Name='testRule')`]);
  if (created.has('Put service script')) cleanup.push(['Delete service script', 'DELETE', `${cellUrl}/box/col/__src/test.js`]);
  if (created.has('Create service collection')) cleanup.push(['Delete collection', 'DELETE', `${cellUrl}/box/col`]);
  if (created.has('Create box')) cleanup.push(['Delete box', 'DELETE', `${cellUrl}/__ctl/Box('box')`, {'If-Match': '*'}]);
  if (created.has('Create cell')) cleanup.push(['Delete cell', 'DELETE', cellCtl, {'If-Match': '*'}]);
  for (const [name, method, url, headers] of cleanup) {
    if (!(await step(name, method, url, [204], headers ? {headers} : {}))) result.leftovers.push(url);
  }
  if (created.has('Create cell')) {
    if (!(await step('Cell is gone', 'GET', cellCtl, [404]))) {
      // Last resort: a recursive delete of the whole test cell.
      await step('Delete cell recursively', 'DELETE', `${unit}/__ctl/Cell('${cellName}')`, [204], {headers: {'If-Match': '*', 'X-Personium-Recursive': 'true'}});
    }
  }
  return result;
}

export function judgeSmoke(result: SmokeResult | {skipped: string}): ReportItem[] {
  const r = itemFor(OPERATOR, 'unit');
  if ('skipped' in result) return [r('Smoke', 'Regression flow (--smoke)', 'cell, box, service, event, log, clean-up all succeed').warn(`not run: ${result.skipped}`, 'keep the master token, or the unit admin password file install wrote, on this machine')];
  const items = result.steps.map((s, i) => {
    const id = `Smoke-${String(i + 1).padStart(2, '0')}`;
    const it = r(id, s.name, `${s.method} ${s.url.replace(/^https:\/\/[^/]+/, '')} → ${s.expected.join(' or ')}`);
    const found = `${s.status || 'no answer'}${s.detail ? `: ${s.detail}` : ''}`;
    return s.ok ? it.pass(String(s.status)) : it.fail(found, 'see the AP servers\' /personium/personium-core/log/personium-core.log around this time');
  });
  if (result.leftovers.length > 0) {
    items.push(r('Smoke-Leftovers', 'Test data removed', 'nothing left').warn(result.leftovers.join(', '), `delete the test cell ${result.cell} (DELETE with X-Personium-Recursive: true)`));
  }
  return items;
}
