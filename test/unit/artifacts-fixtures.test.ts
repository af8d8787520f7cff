// The FIXTURE programs themselves (test/fixtures): unpacked from their archives into a temp
// directory, configured on 127.0.0.1 and free high ports, run with python3 and sh as the install
// runs them, talked to with curl, and stopped with SIGTERM or their own stop commands.
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {connect, createServer, type AddressInfo, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import * as tar from 'tar';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {buildFixtureArtifacts} from '../fixtures/fixture-bundle.js';

const work = mkdtempSync(join(tmpdir(), 'pds-fixture-programs-'));
const children: ChildProcess[] = [];
const daemonPidFiles: string[] = [];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some(dir => existsSync(join(dir, tool)));
}
const tools = ['python3', 'curl', 'sh'].filter(t => !onPath(t));
if (tools.length > 0) console.warn(`skipping the fixture program tests: ${tools.join(', ')} not installed`);

const archives = new Map<string, string>();
let javaHome: string;

beforeAll(async () => {
  if (tools.length > 0) return;
  for (const set of ['1.8.3', '1.8.0']) {
    for (const entry of await buildFixtureArtifacts(join(work, 'files', set), set, {extensions: ['httpclient']})) archives.set(entry.ref.fileName, entry.path);
  }
  for (const [name, path] of archives) if (name.endsWith('.tar.gz')) await tar.x({file: path, cwd: work});
  // The launchers want a Java, as the real ones do; the fixtures never run it.
  javaHome = join(work, 'jdk');
  mkdirSync(join(javaHome, 'bin'), {recursive: true});
  writeFileSync(join(javaHome, 'bin', 'java'), '#!/bin/sh\necho "fixture java" >&2\nexit 1\n');
  chmodSync(join(javaHome, 'bin', 'java'), 0o755);
}, 60_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  for (const file of daemonPidFiles) {
    try {
      process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(work, {recursive: true, force: true});
});

// ---------------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(command: string, args: string[], env: Record<string, string | undefined>): Running {
  const child = spawn(command, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
  return {child, output: () => output, exited};
}

function run(command: string, args: string[], env: Record<string, string | undefined> = {}): Promise<{code: number; out: string}> {
  return new Promise(resolve => {
    execFile(command, args, {env: {...process.env, ...env}, timeout: 30_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}`});
    });
  });
}

interface CurlAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function curl(url: string, options: {method?: string; headers?: Record<string, string>; data?: string} = {}): Promise<CurlAnswer> {
  const args = ['-s', '-i', '--max-time', '10', '-X', options.method ?? 'GET'];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.data !== undefined) args.push('--data-binary', options.data);
  const {code, out} = await run('curl', [...args, url]);
  if (code !== 0) return {status: 0, headers: {}, body: out};
  const cut = out.indexOf('\r\n\r\n');
  const head = out.slice(0, cut).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {status: Number(head[0]!.split(' ')[1]), headers, body: out.slice(cut + 4)};
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, running?: Running, seconds = 15): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (running && running.child.exitCode !== null) throw new Error(`${what}: the program exited (${running.child.exitCode}):\n${running.output()}`);
    if (Date.now() > end) throw new Error(`${what}: not within ${seconds} s${running ? `:\n${running.output()}` : ''}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({host: '127.0.0.1', port}, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const asRoot = process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------

describe.skipIf(tools.length > 0)('FIXTURE Elasticsearch', () => {
  function configure(home: string, settings: Record<string, string | number>): void {
    writeFileSync(join(home, 'config', 'elasticsearch.yml'), `# test\n${Object.entries(settings).map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`).join('\n')}\n`);
  }

  it('7.17: reads elasticsearch.yml, answers / and /_cluster/health, listens on the transport port, stops on SIGTERM', async () => {
    const home = join(work, 'elasticsearch-7.17.29');
    expect(existsSync(join(home, 'config', 'jvm.options'))).toBe(true);
    expect(existsSync(join(home, 'config', 'jvm.options.d'))).toBe(true);
    expect(readFileSync(join(home, 'FIXTURE.txt'), 'utf8')).toContain('FIXTURE');
    const data = join(work, 'es7-data');
    const logs = join(work, 'es7-logs');
    mkdirSync(data);
    mkdirSync(logs);
    const [http, transport] = [await freePort(), await freePort()];
    configure(home, {'cluster.name': 'personium', 'node.name': 'es1', 'path.data': data, 'path.logs': logs, 'network.host': '127.0.0.1', 'http.port': http, 'transport.port': transport});
    writeFileSync(join(home, 'config', 'jvm.options.d', 'personium.options'), '-Xms300m\n-Xmx300m\n');
    const es = start(join(home, 'bin', 'elasticsearch'), [], {ES_PATH_CONF: join(home, 'config'), ES_FIXTURE_ALLOW_ROOT: '1', ES_FIXTURE_START_DELAY: '0.3', ES_JAVA_OPTS: '-Dfoo=1'});
    const health = await until('cluster health', async () => {
      const answer = await curl(`http://127.0.0.1:${http}/_cluster/health?wait_for_status=yellow&timeout=5s`);
      return answer.status === 200 ? answer : undefined;
    }, es);
    expect(JSON.parse(health.body)).toMatchObject({cluster_name: 'personium', status: 'green', number_of_nodes: 1});
    const info = JSON.parse((await curl(`http://127.0.0.1:${http}/`)).body);
    expect(info).toMatchObject({name: 'es1', cluster_name: 'personium', version: {number: '7.17.29'}, tagline: 'You Know, for Search'});
    expect(await tcpOpen(transport)).toBe(true);
    expect(existsSync(join(data, 'node.lock'))).toBe(true);
    expect(es.output()).toContain('FIXTURE stand-in for Elasticsearch 7.17.29');
    expect(es.output()).toContain('-Xms300m -Xmx300m');
    expect(readFileSync(join(logs, 'personium.log'), 'utf8')).toContain('started');

    es.child.kill('SIGTERM');
    expect(await es.exited).toBe(0);
    expect(await tcpOpen(http)).toBe(false);
  });

  it('6.6.1: transport.tcp.port, needs a Java in JAVA_HOME', async () => {
    const home = join(work, 'elasticsearch-6.6.1');
    expect(existsSync(join(home, 'config', 'jvm.options.d'))).toBe(false);
    const data = join(work, 'es6-data');
    mkdirSync(data);
    const [http, transport] = [await freePort(), await freePort()];
    configure(home, {'cluster.name': 'personium', 'path.data': data, 'network.host': '127.0.0.1', 'http.port': http, 'transport.tcp.port': transport});
    const env = {ES_PATH_CONF: join(home, 'config'), ES_FIXTURE_ALLOW_ROOT: '1', ES_FIXTURE_START_DELAY: '0'};
    const noJava = await run(join(home, 'bin', 'elasticsearch'), [], {...env, JAVA_HOME: join(work, 'no-jdk')});
    expect(noJava.code).toBe(1);
    expect(noJava.out).toContain('could not find java in JAVA_HOME');

    const es = start(join(home, 'bin', 'elasticsearch'), [], {...env, JAVA_HOME: javaHome});
    const info = await until('GET /', async () => {
      const answer = await curl(`http://127.0.0.1:${http}/`);
      return answer.status === 200 ? answer : undefined;
    }, es);
    expect(JSON.parse(info.body).version.number).toBe('6.6.1');
    expect(await tcpOpen(transport)).toBe(true);
    es.child.kill('SIGTERM');
    expect(await es.exited).toBe(0);
  });

  it('refuses a missing path.data, and root, with a message and exit 1', async () => {
    const home = join(work, 'elasticsearch-7.17.29');
    configure(home, {'path.data': join(work, 'not-there'), 'network.host': '127.0.0.1', 'http.port': await freePort()});
    const missing = await run(join(home, 'bin', 'elasticsearch'), [], {ES_PATH_CONF: join(home, 'config'), ES_FIXTURE_ALLOW_ROOT: '1'});
    expect(missing.code).toBe(1);
    expect(missing.out).toContain(`Unable to access 'path.data' (${join(work, 'not-there')})`);
    if (asRoot) {
      const root = await run(join(home, 'bin', 'elasticsearch'), [], {ES_PATH_CONF: join(home, 'config'), ES_FIXTURE_ALLOW_ROOT: undefined});
      expect(root.code).toBe(1);
      expect(root.out).toContain('can not run elasticsearch as root');
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(tools.length > 0)('FIXTURE Tomcat with the Personium bootstrap API', () => {
  const home = () => join(work, 'apache-tomcat-9.0.120');
  const environment = join(work, 'personium');
  const configFile = join(work, 'personium-unit-config.properties');
  const MASTER = 'master-token-for-tests';
  let es: Server;
  let esPort: number;
  let http: number;
  let shutdown: number;

  beforeAll(async () => {
    if (tools.length > 0) return;
    mkdirSync(join(environment, 'personium-core'), {recursive: true});
    mkdirSync(join(environment, 'personium-engine', 'extensions'), {recursive: true});
    copyFileSync(archives.get('personium-ex-httpclient-1.2.0-libs.jar')!, join(environment, 'personium-engine', 'extensions', 'personium-ex-httpclient.jar'));
    // Something listening where io.personium.core.es.hosts points.
    es = createServer(socket => socket.end());
    await new Promise<void>(resolve => es.listen(0, '127.0.0.1', resolve));
    esPort = (es.address() as AddressInfo).port;
    [http, shutdown] = [await freePort(), await freePort()];
    writeFileSync(join(home(), 'conf', 'server.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<Server port="${shutdown}" address="127.0.0.1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="${http}" protocol="HTTP/1.1" server="personium"/>
    <Engine name="Catalina" defaultHost="localhost"><Host name="localhost" appBase="webapps"/></Engine>
  </Service>
</Server>
`);
    writeFileSync(join(home(), 'bin', 'setenv.sh'), `JAVA_HOME="${javaHome}"\nexport JAVA_HOME\nCATALINA_OPTS="-Xmx256m -Dio.personium.configurationFile=${configFile} -Dio.personium.environment=${environment}"\nexport CATALINA_OPTS\n`);
  });
  afterAll(() => new Promise<void>(resolve => (es ? es.close(() => resolve()) : resolve())));

  function writeConfig(extra: Record<string, string> = {}, without: string[] = []): void {
    const props: Record<string, string> = {
      'io.personium.core.masterToken': MASTER,
      'io.personium.core.security.secret16': 'abcdefghijklmnop',
      'io.personium.core.es.hosts': `127.0.0.1:${esPort}`,
      'io.personium.core.pathBasedCellUrl.enabled': 'false',
      'io.personium.core.unitUser.issuers': 'personium-localunit:/unitadmin/',
      ...extra,
    };
    for (const key of without) delete props[key];
    // Written like the product's properties writer: escaped colons, a continuation line.
    writeFileSync(configFile, `# test unit config\n${Object.entries(props).map(([k, v]) => `${k}=${v.replace(/:/g, '\\:')}`).join('\n')}\nio.personium.core.x509.crt=/opt/x509/\\\n    unit.crt\n`);
  }

  function deploy(set: '1.8.3' | '1.8.0'): void {
    copyFileSync(archives.get(set === '1.8.3' ? 'personium-core-1.8.3.war' : 'personium-core-1.8.0.war')!, join(home(), 'webapps', 'personium-core.war'));
    copyFileSync(archives.get('personium-engine-1.6.0.war')!, join(home(), 'webapps', 'personium-engine.war'));
  }

  const catalina = (command: string) => start(join(home(), 'bin', 'catalina.sh'), [command], {TOMCAT_FIXTURE_START_DELAY: '0', CATALINA_HOME: home(), CATALINA_BASE: home(), JAVA_HOME: undefined});
  const base = () => `http://127.0.0.1:${http}/personium-core`;
  const bearer = (token = MASTER) => ({Authorization: `Bearer ${token}`});
  const json = (token = MASTER) => ({...bearer(token), 'Content-Type': 'application/json'});

  async function up(tomcat: Running): Promise<CurlAnswer> {
    return until('GET /personium-core/', async () => {
      const answer = await curl(`${base()}/`);
      return answer.status === 200 ? answer : undefined;
    }, tomcat);
  }

  async function stop(tomcat: Running): Promise<void> {
    const stopped = await run(join(home(), 'bin', 'catalina.sh'), ['stop'], {CATALINA_HOME: home(), CATALINA_BASE: home()});
    expect(stopped.code).toBe(0);
    expect(await tomcat.exited).toBe(0);
  }

  it('refuses to start without the unit config keys core needs, or without a Java', async () => {
    deploy('1.8.3');
    writeConfig({}, ['io.personium.core.security.secret16']);
    const noSecret = catalina('run');
    expect(await noSecret.exited).toBe(1);
    expect(noSecret.output()).toContain(`io.personium.core.security.secret16 is not set in ${configFile}`);
    writeConfig({}, ['io.personium.core.es.hosts']);
    const noEs = catalina('run');
    expect(await noEs.exited).toBe(1);
    expect(noEs.output()).toContain('io.personium.core.es.hosts is not set');

    writeConfig();
    const setenv = readFileSync(join(home(), 'bin', 'setenv.sh'), 'utf8');
    writeFileSync(join(home(), 'bin', 'setenv.sh'), setenv.replace(javaHome, join(work, 'no-jdk')));
    const noJava = catalina('run');
    expect(await noJava.exited).toBe(1);
    expect(noJava.output()).toContain('The JAVA_HOME environment variable is not defined correctly');
    writeFileSync(join(home(), 'bin', 'setenv.sh'), setenv);
  });

  it('serves the bootstrap API: master token, cells, accounts, roles, links, tokens; per-cell and path-based URLs', async () => {
    deploy('1.8.3');
    writeConfig();
    const tomcat = catalina('run');
    const root = await up(tomcat);
    expect(root.headers['x-personium-version']).toBe('1.8.3');
    expect(JSON.parse(root.body).unit.fixture).toMatch(/fixture/);
    expect(await tcpOpen(shutdown)).toBe(true);
    expect(tomcat.output()).toContain('personium-engine: extension personium-ex-httpclient.jar');

    // The unit level: master token only.
    const cell = JSON.stringify({Name: 'unitadmin'});
    expect((await curl(`${base()}/__ctl/Cell`, {method: 'POST', data: cell, headers: {'Content-Type': 'application/json'}})).status).toBe(401);
    expect((await curl(`${base()}/__ctl/Cell`, {method: 'POST', data: cell, headers: json('wrong')})).status).toBe(401);
    expect((await curl(`${base()}/__ctl/Cell('unitadmin')`, {headers: bearer()})).status).toBe(404);
    expect((await curl(`${base()}/__ctl/Cell`, {method: 'POST', data: cell, headers: {...json(), 'X-Personium-Unit-User': 'https://personium.test/unitadmin/#unitadmin'}})).status).toBe(201);
    expect((await curl(`${base()}/__ctl/Cell`, {method: 'POST', data: cell, headers: json()})).status).toBe(409);
    expect((await curl(`${base()}/__ctl/Cell('unitadmin')`, {headers: bearer()})).status).toBe(200);

    // The cell, path-based.
    const cellBase = `${base()}/unitadmin`;
    expect((await curl(`${cellBase}/__ctl/Account('unitadmin')`, {headers: bearer()})).status).toBe(404);
    const account = {method: 'POST', data: JSON.stringify({Name: 'unitadmin'}), headers: {...json(), 'X-Personium-Credential': 'pass-word_1'}};
    expect((await curl(`${cellBase}/__ctl/Account`, {...account, headers: {...account.headers, Authorization: ''}})).status).toBe(401);
    expect((await curl(`${cellBase}/__ctl/Account`, account)).status).toBe(201);
    expect((await curl(`${cellBase}/__ctl/Account`, account)).status).toBe(409);
    for (const role of ['UnitAdmin', 'CellContentsAdmin']) {
      expect((await curl(`${cellBase}/__ctl/Role`, {method: 'POST', data: JSON.stringify({Name: role}), headers: json()})).status).toBe(201);
      expect((await curl(`${cellBase}/__ctl/Role`, {method: 'POST', data: JSON.stringify({Name: role}), headers: json()})).status).toBe(409);
    }
    const link = {method: 'POST', data: JSON.stringify({uri: `https://personium.test/unitadmin/__ctl/Account('unitadmin')`}), headers: json()};
    expect((await curl(`${cellBase}/__ctl/Role('CellContentsAdmin')/$links/_Account`, link)).status).toBe(204);
    expect((await curl(`${cellBase}/__ctl/Role('CellContentsAdmin')/$links/_Account`, link)).status).toBe(409);

    // Tokens: the password must match.
    const form = {'Content-Type': 'application/x-www-form-urlencoded'};
    const wrong = await curl(`${cellBase}/__token`, {method: 'POST', data: 'grant_type=password&username=unitadmin&password=nope', headers: form});
    expect(wrong.status).toBe(401);
    const good = await curl(`${cellBase}/__token`, {method: 'POST', data: 'grant_type=password&username=unitadmin&password=pass-word_1', headers: form});
    expect(good.status).toBe(200);
    const token = JSON.parse(good.body).access_token as string;
    expect(token).toMatch(/^AR~/);

    // Per-cell URL (Host: cell.FQDN): the same cell without the path segment; its own token works there.
    const perCell = {Host: 'unitadmin.personium.test'};
    expect((await curl(`${base()}/__ctl/Account('unitadmin')`, {headers: {...perCell, ...bearer(token)}})).status).toBe(200);
    expect((await curl(`${base()}/__ctl/Role('UnitAdmin')`, {headers: {...perCell, ...bearer()}})).status).toBe(200);
    expect((await curl(`${base()}/__ctl/Role('Nope')`, {headers: {...perCell, ...bearer()}})).status).toBe(404);
    expect((await curl(`${base()}/__token`, {method: 'POST', data: 'grant_type=password&username=unitadmin&password=pass-word_1', headers: {...perCell, ...form}})).status).toBe(200);

    // Elasticsearch gone: core cannot answer.
    await new Promise<void>(resolve => es.close(() => resolve()));
    expect((await curl(`${base()}/__ctl/Cell('unitadmin')`, {headers: bearer()})).status).toBe(503);
    es = createServer(socket => socket.end());
    await new Promise<void>(resolve => es.listen(esPort, '127.0.0.1', resolve));

    await stop(tomcat);
    expect(await tcpOpen(http)).toBe(false);
    expect(existsSync(join(environment, 'personium-core', 'fixture-unit-state.json'))).toBe(true);
  });

  it('keeps cells across a restart and reports the version the war carries (1.8.0 says 1.7.26)', async () => {
    deploy('1.8.0');
    writeConfig();
    const tomcat = catalina('run');
    const root = await up(tomcat);
    expect(root.headers['x-personium-version']).toBe('1.7.26');
    expect((await curl(`${base()}/__ctl/Cell('unitadmin')`, {headers: bearer()})).status).toBe(200);
    expect((await curl(`${base()}/unitadmin/__ctl/Account('unitadmin')`, {headers: bearer()})).status).toBe(200);
    // Without the war nothing answers there.
    rmSync(join(home(), 'webapps', 'personium-core.war'));
    await stop(tomcat);
    const bare = catalina('run');
    await until('Tomcat without core', async () => ((await tcpOpen(http)) ? true : undefined), bare);
    expect((await curl(`${base()}/`)).status).toBe(404);
    bare.child.kill('SIGTERM');
    expect(await bare.exited).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(tools.length > 0)('FIXTURE ActiveMQ', () => {
  const home = () => join(work, 'apache-activemq-5.18.7');

  async function configure(): Promise<number> {
    const port = await freePort();
    writeFileSync(join(home(), 'conf', 'activemq.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<beans xmlns="http://www.springframework.org/schema/beans">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="personium" dataDirectory="\${activemq.data}">
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:${port}?maximumConnections=1000&amp;wireFormat.maxFrameSize=104857600"/>
    </transportConnectors>
  </broker>
</beans>
`);
    return port;
  }

  it('console: listens on the openwire connector of activemq.xml and stops on SIGTERM', async () => {
    const port = await configure();
    const broker = start(join(home(), 'bin', 'activemq'), ['console'], {JAVA_HOME: javaHome, ACTIVEMQ_HOME: home()});
    await until('openwire port', async () => ((await tcpOpen(port)) ? true : undefined), broker);
    expect(broker.output()).toContain(`Listening for connections at: tcp://127.0.0.1:${port}?maximumConnections=1000&wireFormat.maxFrameSize=104857600`);
    expect(existsSync(join(home(), 'data', 'kahadb', 'lock'))).toBe(true);
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    expect(await tcpOpen(port)).toBe(false);
  });

  it('start and stop with a pid file; no Java, no broker', async () => {
    const port = await configure();
    const env = {JAVA_HOME: javaHome, ACTIVEMQ_HOME: home()};
    const pidFile = join(home(), 'data', 'activemq.pid');
    daemonPidFiles.push(pidFile);
    const started = await run(join(home(), 'bin', 'activemq'), ['start'], env);
    expect(started.code).toBe(0);
    expect(started.out).toContain('pidfile created');
    await until('openwire port', async () => ((await tcpOpen(port)) ? true : undefined));
    expect((await run(join(home(), 'bin', 'activemq'), ['status'], env)).out).toContain('ActiveMQ is running');
    expect((await run(join(home(), 'bin', 'activemq'), ['stop'], env)).code).toBe(0);
    expect(await tcpOpen(port)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);

    const noJava = await run(join(home(), 'bin', 'activemq'), ['console'], {...env, JAVA_HOME: join(work, 'no-jdk')});
    expect(noJava.code).toBe(1);
    expect(noJava.out).toContain('JAVA_HOME');
  });
});

describe('FIXTURE JDK tarball', () => {
  it('unpacks to Temurin\'s top directory and is a Java 17 that runs, with keytool and cacerts', async () => {
    const dir = join(work, 'jdk-files');
    const entries = await buildFixtureArtifacts(dir, '1.8.3', {extensions: [], jdk: true});
    const jdk = entries.find(e => e.ref.name === 'jdk')!;
    expect(jdk.ref.fileName).toBe('OpenJDK17U-jdk_x64_linux_hotspot_17.0.18_8.tar.gz');
    const out = join(work, 'jdk-unpacked');
    mkdirSync(out);
    await tar.x({file: jdk.path, cwd: out});
    const home = join(out, 'jdk-17.0.18+8');
    expect(readFileSync(join(home, 'FIXTURE.txt'), 'utf8')).toContain('not Eclipse Temurin');
    const version = await run(join(home, 'bin', 'java'), ['-version'], {});
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/version "17\./);
    const listed = await run(join(home, 'bin', 'keytool'), ['-list', '-cacerts', '-storepass', 'changeit'], {});
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/Your keystore contains \d+ entries/);
  }, 60_000);
});
