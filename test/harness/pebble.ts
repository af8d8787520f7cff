// A real ACME server for the Let's Encrypt tests: Debian's `pebble` (Let's Encrypt's small test
// CA) and `pebble-challtestsrv` (a DNS server the test controls through an HTTP API), both on this
// machine, bound to a test bridge address so the test hosts reach them. Pebble validates HTTP-01
// by connecting to port 80 of whatever challtestsrv says the name resolves to, and DNS-01 by
// asking challtestsrv for the TXT records; the test sets both through the management API.
import {execFile, execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {request} from 'node:https';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export interface ChallTestSrv {
  /** `address:port` of its DNS server (UDP and TCP). */
  dnsServer: string;
  /** A records for a name (what pebble connects to for HTTP-01). */
  addA(host: string, addresses: string[]): Promise<void>;
  clearA(host: string): Promise<void>;
  /** Adds one TXT value (several calls on one name give several records). */
  setTxt(host: string, value: string): Promise<void>;
  /** Removes every TXT value of the name. */
  clearTxt(host: string): Promise<void>;
}

export interface PebbleServer {
  address: string;
  /** The ACME directory: https://ADDRESS:14000/dir */
  directoryUrl: string;
  /** The CA that signs pebble's own HTTPS certificate (give it to certbot as REQUESTS_CA_BUNDLE). */
  httpsCaPem: string;
  challtestsrv: ChallTestSrv;
  /** Pebble's issuing root (made fresh at every start), from its management interface. */
  issuingRootPem(): Promise<string>;
  /** Both programs' output so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

const PEBBLE_PORT = 14000;
const MANAGEMENT_PORT = 15000;
const DNS_PORT = 8053;
const CHALLTESTSRV_PORT = 8055;

function onPath(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'});
    return true;
  } catch {
    return false;
  }
}

/** Install Debian's pebble package on this machine when it is missing (root only). */
export function ensurePebbleInstalled(): void {
  if (onPath('pebble') && onPath('pebble-challtestsrv')) return;
  execFileSync('apt-get', ['install', '-y', '-q', 'pebble'], {stdio: 'pipe', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}, timeout: 600_000});
  if (!onPath('pebble') || !onPath('pebble-challtestsrv')) throw new Error('apt-get install pebble did not provide pebble and pebble-challtestsrv');
}

/** A CA and a certificate for ADDRESS (IP SAN) for pebble's HTTPS: the Debian package ships none. */
function makeHttpsCertificate(dir: string, address: string): {caPem: string; cert: string; key: string} {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'});
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pebble test HTTPS CA', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=pebble', '-keyout', f('https.key'), '-out', f('https.csr'));
  writeFileSync(f('ext.cnf'), `subjectAltName=IP:${address},DNS:pebble,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl('x509', '-req', '-in', f('https.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('https.crt'));
  return {caPem: readFileSync(f('ca.crt'), 'utf8'), cert: f('https.crt'), key: f('https.key')};
}

function waitForPort(host: string, port: number, timeoutMs: number, what: string, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({host, port});
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs} ms:\n${logs()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

const fqdnDot = (host: string) => (host.endsWith('.') ? host : `${host}.`);

function challtestsrvClient(address: string): ChallTestSrv {
  const post = async (path: string, body: object) => {
    const response = await fetch(`http://${address}:${CHALLTESTSRV_PORT}${path}`, {method: 'POST', body: JSON.stringify(body)});
    if (!response.ok) throw new Error(`challtestsrv ${path}: HTTP ${response.status} ${await response.text()}`);
  };
  return {
    dnsServer: `${address}:${DNS_PORT}`,
    addA: (host, addresses) => post('/add-a', {host: fqdnDot(host), addresses}),
    clearA: host => post('/clear-a', {host: fqdnDot(host)}),
    setTxt: (host, value) => post('/set-txt', {host: fqdnDot(host), value}),
    clearTxt: host => post('/clear-txt', {host: fqdnDot(host)}),
  };
}

function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, {ca}, response => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${response.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Start pebble and challtestsrv on `address` (a test bridge address that exists on this
 * machine). Pebble runs without its artificial delays and nonce rejections, and never reuses a
 * valid authorization, so every order goes through real challenges and runs are repeatable.
 */
export async function startPebble(options: {address: string}): Promise<PebbleServer> {
  ensurePebbleInstalled();
  const {address} = options;
  const dir = mkdtempSync(join(tmpdir(), 'pds-pebble-'));
  mkdirSync(dir, {recursive: true});
  const https = makeHttpsCertificate(dir, address);
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `${address}:${PEBBLE_PORT}`,
        managementListenAddress: `${address}:${MANAGEMENT_PORT}`,
        certificate: https.cert,
        privateKey: https.key,
        // Validation goes to the real ports of the web server.
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  let output = '';
  const capture = (name: string, child: ChildProcess) => {
    child.stdout?.on('data', (c: Buffer) => (output += `[${name}] ${c.toString()}`));
    child.stderr?.on('data', (c: Buffer) => (output += `[${name}] ${c.toString()}`));
  };
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, {recursive: true, force: true});
  };
  try {
    const dns = spawn(
      'pebble-challtestsrv',
      ['-dns01', `${address}:${DNS_PORT}`, '-management', `${address}:${CHALLTESTSRV_PORT}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '', '-defaultIPv6', ''],
      {stdio: ['ignore', 'pipe', 'pipe']},
    );
    children.push(dns);
    capture('challtestsrv', dns);
    await waitForPort(address, CHALLTESTSRV_PORT, 10_000, 'pebble-challtestsrv', () => output);
    const pebble = spawn('pebble', ['-config', config, '-dnsserver', `${address}:${DNS_PORT}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0'},
    });
    children.push(pebble);
    capture('pebble', pebble);
    await waitForPort(address, PEBBLE_PORT, 15_000, 'pebble', () => output);
    // The directory answers over HTTPS with the certificate made above (a few tries: the port may
    // open a moment before the server is ready).
    for (let attempt = 1; ; attempt++) {
      try {
        await httpsGet(`https://${address}:${PEBBLE_PORT}/dir`, https.caPem);
        break;
      } catch (error) {
        if (attempt >= 5) throw new Error(`pebble's directory did not answer: ${(error as Error).message}\n${output}`);
        await new Promise(resolve => setTimeout(resolve, 300 * attempt));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    directoryUrl: `https://${address}:${PEBBLE_PORT}/dir`,
    httpsCaPem: https.caPem,
    challtestsrv: challtestsrvClient(address),
    issuingRootPem: () => httpsGet(`https://${address}:${MANAGEMENT_PORT}/roots/0`, https.caPem),
    logs: () => output,
    stop,
  };
}

/** openssl on this machine, output as text (for reading certificates the way an operator would). */
export function openssl(args: string[], input?: string): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise(resolve => {
    const child = execFile('openssl', args, {encoding: 'utf8'}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
    });
    child.stdin?.end(input ?? '');
  });
}
