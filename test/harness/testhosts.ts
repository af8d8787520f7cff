// Test hosts for integration tests: a TypeScript face for testhosts.sh (real Debian 12 servers with
// systemd and sshd in network namespaces). Several test files may share one set: each takes a
// lease; the set goes down with the last lease, and only if this wrapper brought it up.
import {execFile, spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import {mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'testhosts.sh');

export interface TestHost {
  name: string;
  address: string;
}

export interface TestHostSet {
  /** Harness directory (PDS_TESTHOSTS_DIR). */
  dir: string;
  /** Private key accepted by root and deploy on every host. */
  keyFile: string;
  /** known_hosts with every host's keys (names hostN and their addresses). */
  knownHostsFile: string;
  /** `ssh -F sshConfigFile hostN` logs in as root. */
  sshConfigFile: string;
  hosts: TestHost[];
}

/** The install tests' base file system, with the big packages baked in (Java, nginx, memcached). */
export const INSTALL_BASE = '/var/cache/pds-th-install/base';
export const INSTALL_BASE_PACKAGES = 'openjdk-17-jre-headless,nginx,memcached,python3,ufw';
const DEFAULT_PACKAGES = 'systemd,systemd-sysv,dbus,openssh-server,openssh-client,iproute2,iputils-ping,sudo,python3,procps,ca-certificates,curl,less';

/**
 * For harnesses that borrow a base: the install tests' base read-only, with exactly the package
 * list it was built with (so it is never rebuilt from here), or the shared default base when there
 * is none yet (the install then fetches those packages through the apt proxy).
 */
export function installBaseEnv(): Record<string, string> {
  const marker = join(INSTALL_BASE, '.pds-base-complete');
  const list = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (list.startsWith(`${DEFAULT_PACKAGES},`)) return {PDS_TESTHOSTS_BASE: INSTALL_BASE, PDS_TESTHOSTS_EXTRA_PACKAGES: list.slice(DEFAULT_PACKAGES.length + 1)};
  return {PDS_TESTHOSTS_BASE: '/var/cache/pds-testhosts/base'};
}

export function testHostsDir(): string {
  return process.env.PDS_TESTHOSTS_DIR || '/var/cache/pds-testhosts';
}

function run(file: string, args: string[], timeoutMs = 600_000): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(file, args, {timeout: timeoutMs, maxBuffer: 64 << 20}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({code, stdout: String(stdout), stderr: String(stderr)});
    });
  });
}

async function onPath(command: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${command}`])).code === 0;
}

/** Whether this machine can make test hosts; `reason` says why not (for skip messages). */
export async function testHostsAvailable(): Promise<{ok: true} | {ok: false; reason: string}> {
  if (process.platform !== 'linux') return {ok: false, reason: 'test hosts need Linux namespaces'};
  if (process.getuid?.() !== 0) return {ok: false, reason: 'test hosts need root (namespaces, bridge, overlayfs); run the tests as root'};
  for (const tool of ['unshare', 'nsenter', 'ip', 'ssh', 'ssh-keygen', 'setpriv']) {
    if (!(await onPath(tool))) return {ok: false, reason: `test hosts need ${tool}, which is not installed`};
  }
  const base = process.env.PDS_TESTHOSTS_BASE || join(testHostsDir(), 'base');
  if (!existsSync(join(base, '.pds-base-complete')) && !(await onPath('debootstrap')) && !(await onPath('apt-get'))) {
    return {ok: false, reason: 'no test host base file system and debootstrap cannot be installed (no apt-get)'};
  }
  return {ok: true};
}

interface StateHost extends TestHost {
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readState(dir: string): Promise<StateHost[]> {
  let text = '';
  try {
    text = await readFile(join(dir, 'state'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[0] === 'host')
    .map((f) => ({name: f[1] ?? '', address: f[2] ?? '', pid: Number(f[3])}));
}

async function withLock<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'wrapper.lock');
  await mkdir(dir, {recursive: true});
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (holder && !alive(holder)) await rm(lock, {recursive: true, force: true});
      if (i > 6000) throw new Error(`test hosts: ${lock} stayed locked for 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lock, {recursive: true, force: true});
  }
}

const leasesDir = (dir: string) => join(dir, 'leases');
const myLeases: string[] = [];

async function liveLeases(dir: string): Promise<string[]> {
  const names = await readdir(leasesDir(dir)).catch(() => [] as string[]);
  const live: string[] = [];
  for (const name of names.filter((n) => !n.startsWith('.'))) {
    if (alive(Number(name.split('-')[0]))) live.push(name);
    else await rm(join(leasesDir(dir), name), {force: true});
  }
  return live;
}

function describe(set: Omit<TestHostSet, 'hosts'>, hosts: StateHost[]): TestHostSet {
  return {...set, hosts: hosts.map(({name, address}) => ({name, address}))};
}

/**
 * Bring up n hosts, or reuse a set that is already up with at least n hosts. Throws with the
 * harness output when `up` fails. Pair every call with downTestHosts() (afterAll).
 */
export async function upTestHosts(n = 2): Promise<TestHostSet> {
  const dir = testHostsDir();
  const files = {
    dir,
    keyFile: join(dir, 'id_ed25519'),
    knownHostsFile: join(dir, 'known_hosts'),
    sshConfigFile: join(dir, 'ssh_config'),
  };
  return withLock(dir, async () => {
    let hosts = await readState(dir);
    if (hosts.length > 0 && hosts.every((h) => alive(h.pid)) && hosts.length < n) {
      throw new Error(`test hosts: a set of ${hosts.length} host(s) is up in ${dir}, but ${n} are needed; take it down first`);
    }
    if (hosts.length === 0 || !hosts.every((h) => alive(h.pid))) {
      if (hosts.length > 0) await run(SCRIPT, ['down']); // a dead set left behind
      const up = await run(SCRIPT, ['up', String(n)]);
      if (up.code !== 0) throw new Error(`test hosts: testhosts.sh up ${n} failed:\n${up.stderr}${up.stdout}`);
      await mkdir(leasesDir(dir), {recursive: true});
      await writeFile(join(leasesDir(dir), '.owned'), '');
      hosts = await readState(dir);
    }
    await mkdir(leasesDir(dir), {recursive: true});
    const lease = `${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(join(leasesDir(dir), lease), '');
    myLeases.push(lease);
    return describe(files, hosts);
  });
}

/** Drop this process's lease; power the set off when no lease is left and this wrapper made it. */
export async function downTestHosts(): Promise<void> {
  const dir = testHostsDir();
  const lease = myLeases.pop();
  if (!lease) return;
  await withLock(dir, async () => {
    await rm(join(leasesDir(dir), lease), {force: true});
    if ((await liveLeases(dir)).length > 0) return;
    if (!existsSync(join(leasesDir(dir), '.owned'))) return; // brought up by hand: leave it up
    const down = await run(SCRIPT, ['down']);
    await rm(join(leasesDir(dir), '.owned'), {force: true});
    if (down.code !== 0) throw new Error(`test hosts: testhosts.sh down failed:\n${down.stderr}${down.stdout}`);
  });
}

/**
 * testhosts.sh for a harness of its own (PDS_TESTHOSTS_DIR, bridge, network, cgroup…), apart
 * from the set the test run shares: the heavy integration tests and the benchmark each keep one,
 * so they can run at the same time. Never throws; the exit code and the output come back.
 */
export function runHarness(env: Record<string, string>, ...args: string[]): Promise<{code: number; out: string}> {
  return new Promise((resolve) => {
    execFile(SCRIPT, args, {env: {...process.env, ...env}, timeout: 900_000, maxBuffer: 16 << 20}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}`});
    });
  });
}

/**
 * Run a command as root on a test host (by name, e.g. host1) with the system ssh client: an
 * observer independent of the code under test. `input` goes to the command's stdin.
 */
export function rootSsh(set: TestHostSet, host: string, command: string, input = ''): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', set.sshConfigFile, host, command], {stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}));
    child.stdin.end(input);
  });
}

/** The password of PASSWORD_USER on every host prepared by preparePasswordUser. */
export const PASSWORD_USER = 'pwuser';
export const PASSWORD_USER_PASSWORD = 'Pw-S3cret-q7Zx-91';

/**
 * Give a host a user that logs in with a password and needs that password for sudo, and make
 * sure sshd accepts passwords. Idempotent, and safe when two test files run it at once.
 */
export async function preparePasswordUser(set: TestHostSet, host: string): Promise<void> {
  const script = [
    'set -e',
    `id ${PASSWORD_USER} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash ${PASSWORD_USER} 2>/dev/null || true`,
    `id ${PASSWORD_USER} >/dev/null`,
    'chpasswd', // reads user:password from stdin, so the password is on no command line
    `echo '${PASSWORD_USER} ALL=(ALL:ALL) ALL' >/etc/sudoers.d/50-${PASSWORD_USER}`,
    `chmod 0440 /etc/sudoers.d/50-${PASSWORD_USER}`,
    "if ! grep -qx 'PasswordAuthentication yes' /etc/ssh/sshd_config.d/50-pds-password.conf 2>/dev/null; then",
    '  echo "PasswordAuthentication yes" >/etc/ssh/sshd_config.d/50-pds-password.conf && systemctl reload ssh',
    'fi',
  ].join('\n');
  const result = await rootSsh(set, host, script, `${PASSWORD_USER}:${PASSWORD_USER_PASSWORD}\n`);
  if (result.code !== 0) throw new Error(`preparing ${PASSWORD_USER} on ${host} failed: ${result.stderr}`);
  // Only a set made before testhosts.sh wrote the setting reloads sshd: wait until it answers again.
  for (let i = 0; i < 50 && (await rootSsh(set, host, 'true')).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
}
