// The unit seen from this machine, against real local servers: an HTTPS server standing in for
// nginx + Personium (TLS 1.2+ only, the unit JSON, the version header), an HTTP redirect server,
// and an in-memory Personium API for the --smoke regression flow (master token or unit admin).
import {createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse} from 'node:http';
import {createServer as createHttpsServer, type Server as HttpsServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildPlan} from '../../source/plan/plan.js';
import {findVersionSet} from '../../source/presets.js';
import {gatherE2e, judgeE2e, judgeSmoke, runSmoke, type E2eTarget} from '../../source/report/e2e.js';
import {FQDN, installedFacts, makeCerts, profileFor, type Certs} from './report-fixtures.js';

const TOKEN = 'master-token-for-the-test-0123456789';

interface FakeUnit {
  cells: Map<string, {boxes: Set<string>; files: Map<string, string>; service?: string; rules: Set<string>}>;
  failService?: boolean;
  calls: string[];
}

function personium(state: FakeUnit, version = '1.8.3') {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      const method = req.method ?? 'GET';
      state.calls.push(`${method} ${path}`);
      const reply = (status: number, text = '', type = 'application/json') => {
        res.writeHead(status, {'Content-Type': type, 'X-Personium-Version': version});
        res.end(text);
      };
      if (method === 'GET' && path === '/') return reply(200, JSON.stringify({unit: {url: `https://${FQDN}/`, path_based_cellurl_enabled: true}}));
      const auth = req.headers.authorization;
      if (method === 'POST' && path === '/unitadmin/__token') {
        const form = new URLSearchParams(body);
        return form.get('password') === 'admin-pw' && form.get('p_target') === `https://${FQDN}/` ? reply(200, JSON.stringify({access_token: 'uut-token'})) : reply(400, '{}');
      }
      if (auth !== `Bearer ${TOKEN}` && auth !== 'Bearer uut-token') return reply(401, '{}');
      let m: RegExpExecArray | null;
      if (method === 'POST' && path === '/__ctl/Cell') {
        const name = (JSON.parse(body) as {Name: string}).Name;
        if (state.cells.has(name)) return reply(409);
        state.cells.set(name, {boxes: new Set(), files: new Map(), rules: new Set()});
        return reply(201, '{}');
      }
      if ((m = /^\/__ctl\/Cell\('([^']+)'\)$/.exec(path))) {
        const c = state.cells.get(m[1]!);
        if (method === 'GET') return reply(c ? 200 : 404, '{}');
        if (method === 'DELETE') {
          if (!c) return reply(404);
          if (c.boxes.size > 0 && req.headers['x-personium-recursive'] !== 'true') return reply(409);
          state.cells.delete(m[1]!);
          return reply(204);
        }
      }
      const cm = /^\/([^/_][^/]*)\/(.*)$/.exec(path);
      const cell = cm ? state.cells.get(cm[1]!) : undefined;
      if (!cm || !cell) return reply(404);
      const rest = cm[2]!;
      if (method === 'POST' && rest === '__ctl/Box') return cell.boxes.add((JSON.parse(body) as {Name: string}).Name), reply(201, '{}');
      if (method === 'DELETE' && rest === "__ctl/Box('box')") return cell.files.size > 0 ? reply(409) : (cell.boxes.delete('box'), reply(204));
      if (method === 'MKCOL' && rest === 'box/col') return body.includes('<p:service/>') ? (cell.files.set('col', ''), reply(201)) : reply(400);
      if (method === 'PUT' && rest === 'box/col/__src/test.js') return cell.files.set('test.js', body), reply(201);
      if (method === 'PROPPATCH' && rest === 'box/col') return (cell.service = 'test'), reply(207, '<multistatus><response><propstat><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>', 'application/xml');
      if (method === 'GET' && rest === 'box/col/test') return state.failService ? reply(500, 'engine down') : reply(200, 'hello world', 'text/html');
      if (method === 'POST' && rest === '__ctl/Rule') return cell.rules.add('testRule'), reply(201, '{}');
      if (method === 'POST' && rest === '__event') return reply(200);
      if (method === 'GET' && rest === '__log/current/default.log') return reply(200, 'log', 'text/csv');
      if (method === 'DELETE' && rest === "__ctl/Rule(Name='testRule')") return cell.rules.delete('testRule'), reply(204);
      if (method === 'DELETE' && rest === 'box/col/__src/test.js') return cell.files.delete('test.js'), reply(204);
      if (method === 'DELETE' && rest === 'box/col') return cell.files.delete('col'), reply(204);
      return reply(400, `unexpected ${method} ${rest}`);
    });
  };
}

describe('the unit from this machine', () => {
  let certs: Certs;
  let https: HttpsServer;
  let http: HttpServer;
  let target: E2eTarget;
  const state: FakeUnit = {cells: new Map(), calls: []};
  const profile = profileFor('small', {unit: {fqdn: FQDN, cellUrlMode: 'path-based'}});
  const plan = buildPlan(profile);
  const set = findVersionSet(profile.versionSet)!;

  beforeAll(async () => {
    certs = await makeCerts(profile);
    https = createHttpsServer({cert: certs.serverCert, key: certs.serverKey, minVersion: 'TLSv1.2'}, personium(state));
    http = createHttpServer((req, res) => {
      res.writeHead(301, {Location: `https://${req.headers.host}${req.url}`});
      res.end();
    });
    await Promise.all([new Promise<void>(r => https.listen(0, '127.0.0.1', r)), new Promise<void>(r => http.listen(0, '127.0.0.1', r))]);
    target = {fqdn: FQDN, address: '127.0.0.1', httpsPort: (https.address() as AddressInfo).port, httpPort: (http.address() as AddressInfo).port, timeoutMs: 5000};
  });
  afterAll(async () => {
    await Promise.all([new Promise(r => https.close(r)), new Promise(r => http.close(r))]);
  });

  it('a unit answering through TLS 1.2+ with the installed certificate passes', async () => {
    const dns: Record<string, string[]> = {[FQDN]: ['192.0.2.10']};
    const e2e = await gatherE2e(target, [FQDN], async name => dns[name] ?? []);
    const web = installedFacts(profile, plan, 'server1', certs);
    const items = judgeE2e(profile, plan, set, e2e, target, web);
    expect(items.filter(i => i.status !== 'pass').map(i => `${i.id}: ${i.found}`)).toEqual([]);
    expect(items.map(i => i.id)).toEqual(['E2E-Unit', 'E2E-Version', 'E2E-Cert-Served', 'E2E-Redirect', 'E2E-TLS', 'DNS-Operator-FQDN']);
    expect(items.find(i => i.id === 'E2E-TLS')!.found).toContain('TLSv1.1 refused');
    expect(items.find(i => i.id === 'DNS-Operator-FQDN')).toMatchObject({title: `${FQDN} resolves from this machine`, found: `${FQDN} → 192.0.2.10`});
    expect(items.every(i => i.host === '(operator)' && i.role === 'unit')).toBe(true);
  });

  it('another certificate served, nothing answering, or a wrong unit URL fail', async () => {
    const other = await makeCerts(profile);
    const web = installedFacts(profile, plan, 'server1', other);
    const e2e = await gatherE2e(target, []);
    expect(judgeE2e(profile, plan, set, e2e, target, web).find(i => i.id === 'E2E-Cert-Served')!.status).toBe('fail');

    const down = await gatherE2e({...target, httpsPort: 9, httpPort: 9}, []);
    const items = judgeE2e(profile, plan, set, down, target, web);
    expect(items.find(i => i.id === 'E2E-Unit')).toMatchObject({status: 'fail', found: expect.stringContaining('no answer')});
    expect(items.find(i => i.id === 'E2E-Redirect')!.status).toBe('warn');

    const perCell = profileFor('small', {unit: {fqdn: FQDN, cellUrlMode: 'per-cell'}});
    const mode = judgeE2e(perCell, buildPlan(perCell), set, e2e, target, web).find(i => i.id === 'E2E-Unit')!;
    expect(mode.status).toBe('fail');
    expect(mode.fix).toContain('pathBasedCellUrl');
  });

  it('--smoke with the master token runs the whole regression flow and leaves nothing behind', async () => {
    const result = await runSmoke(target, profile, {kind: 'master-token', token: TOKEN}, 'pds-smoke-test1');
    const items = judgeSmoke(result);
    expect(items.filter(i => i.status !== 'pass').map(i => `${i.title}: ${i.found}`)).toEqual([]);
    expect(result.steps.map(s => s.name)).toEqual([
      'Create cell',
      'Get cell',
      'Create box',
      'Create service collection',
      'Put service script',
      'Register service',
      'Call the service (1/4)',
      'Call the service (2/4)',
      'Call the service (3/4)',
      'Call the service (4/4)',
      'Create rule',
      'Post an event',
      'Read the event log',
      'Delete rule',
      'Delete service script',
      'Delete collection',
      'Delete box',
      'Delete cell',
      'Cell is gone',
    ]);
    expect(state.cells.size).toBe(0);
    // The token travels in a header only: it is in no item.
    expect(JSON.stringify(items)).not.toContain(TOKEN);
  });

  it('--smoke with the unit admin account; a failing service call fails and is still cleaned up', async () => {
    state.failService = true;
    try {
      const result = await runSmoke(target, profile, {kind: 'unit-admin', cellUrl: `https://${FQDN}/unitadmin/`, account: 'unitadmin', password: 'admin-pw'}, 'pds-smoke-test2');
      const items = judgeSmoke(result);
      expect(result.steps[0]).toMatchObject({name: 'Unit user token', ok: true});
      const failed = items.filter(i => i.status === 'fail');
      expect(failed.map(i => i.title)).toEqual(['Call the service (1/4)']);
      expect(failed[0]!.found).toContain('500');
      expect(state.cells.size).toBe(0);
      expect(result.leftovers).toEqual([]);
    } finally {
      state.failService = false;
    }
  });

  it('--smoke without credentials is a warning that says what is missing', () => {
    expect(judgeSmoke({skipped: 'no master token'})).toMatchObject([{id: 'Smoke', status: 'warn'}]);
  });
});
