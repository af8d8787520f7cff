// Opening one authenticated, host-key-verified ssh2 connection, directly or through a jump
// host, with a connect timeout and retries (only for "unreachable"; a refused key or password
// is not going to change by trying again).
import {existsSync} from 'node:fs';
import type {Readable} from 'node:stream';
import ssh2 from 'ssh2';
import type {AnyAuthMethod, Client as SshClient, ConnectConfig} from 'ssh2';
import {HostAuthError, HostError, HostKeyError, HostUnreachableError} from './errors.js';
import {
  changedHostKeyMessage,
  defaultToolKnownHostsFile,
  defaultUserKnownHostsFiles,
  knownHostsName,
  knownKeyTypes,
  pinHostKey,
  verifyHostKey,
} from './known-hosts.js';
import type {SecretStore} from './secrets.js';
import {defaultSshConfigFile, parseJumpHop, readSshConfig} from './ssh-config.js';
import type {ConnectOptions, HostAuth, HostSpec} from './spec.js';

const {Client} = ssh2;

/** A HostSpec with ssh config applied: where to connect, as whom, and through which bastion. */
export interface SshTarget {
  name: string;
  /** Names the host key may be recorded under (the address given and the resolved host name). */
  names: string[];
  host: string;
  port: number;
  user: string;
  auth: HostAuth[];
  jump?: SshTarget;
}

export function label(target: SshTarget): string {
  return `${target.name} (${target.user}@${knownHostsName(target.host, target.port)})`;
}

function existingKeys(files: string[]): HostAuth[] {
  return files.filter((file) => existsSync(file)).map((keyFile) => ({method: 'key' as const, keyFile}));
}

export async function resolveTarget(spec: HostSpec, options: ConnectOptions, allowJump = true): Promise<SshTarget> {
  const configFile = options.sshConfigFile ?? defaultSshConfigFile();
  const config = configFile === '' || configFile === 'none' ? {identityFiles: []} : await readSshConfig(spec.address, configFile);
  const host = config.hostName ?? spec.address;
  const target: SshTarget = {
    name: spec.name,
    names: [...new Set([spec.address, host])],
    host,
    port: spec.port ?? config.port ?? 22,
    user: spec.user ?? config.user ?? 'root',
    auth: [spec.auth],
  };
  // As OpenSSH would: after the agent, the IdentityFiles the ssh config names (those that exist).
  if (spec.auth.method === 'agent') target.auth.push(...existingKeys(config.identityFiles));
  if (!allowJump) return target;
  if (options.jump) {
    target.jump = await resolveTarget(options.jump, options, false);
  } else if (config.proxyJump) {
    const hops = config.proxyJump.split(',');
    if (hops.length > 1) {
      throw new HostError(spec.name, `ProxyJump ${config.proxyJump}: only one jump host is supported; use the jump option`);
    }
    const hop = parseJumpHop(hops[0] ?? '');
    const hopConfig = await readSshConfig(hop.host, configFile);
    const jump = await resolveTarget(
      {name: `${spec.name} jump host ${hop.host}`, address: hop.host, port: hop.port, user: hop.user, auth: {method: 'agent'}},
      options,
      false,
    );
    // The agent if there is one, then the IdentityFiles of the hop's own config.
    jump.auth = [...(process.env.SSH_AUTH_SOCK ? [{method: 'agent' as const}] : []), ...existingKeys(hopConfig.identityFiles)];
    target.jump = jump;
  }
  return target;
}

/** ssh2's server host key algorithm names for a known_hosts key type. */
function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Like OpenSSH: ask the server first for a key type we already know for it, so a known host stays known. */
async function hostKeyAlgorithms(target: SshTarget, files: string[]): Promise<string[]> {
  const known = (await knownKeyTypes(target.names, target.port, files)).flatMap(algorithmsFor);
  return [...new Set([...known.filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a)), ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

export interface ConnectContext {
  options: ConnectOptions;
  secrets: SecretStore;
}

interface HostKeyOutcome {
  error?: HostKeyError;
}

/** Decide about the server's key; sets outcome.error when refusing, so the caller reports why. */
async function checkHostKey(ctx: ConnectContext, target: SshTarget, key: Buffer, outcome: HostKeyOutcome): Promise<boolean> {
  const {options} = ctx;
  const toolFile = options.toolKnownHostsFile ?? defaultToolKnownHostsFile();
  const files = [...(options.knownHostsFiles ?? defaultUserKnownHostsFiles()), toolFile];
  const check = await verifyHostKey({host: target.names, port: target.port, key, files});
  const where = knownHostsName(target.host, target.port);
  switch (check.status) {
    case 'known':
      return true;
    case 'changed':
      outcome.error = new HostKeyError(target.name, changedHostKeyMessage(target.name, target.host, target.port, check));
      return false;
    case 'revoked':
      outcome.error = new HostKeyError(
        target.name,
        `${target.name} (${where}) presented the ${check.keyType} key ${check.fingerprint}, which ${check.matchedFile} line ${check.matchedLine} marks as revoked; refusing to connect.`,
      );
      return false;
    case 'unknown':
      break;
  }
  const other = check.otherKeyTypes?.length ? ` (known_hosts only has ${check.otherKeyTypes.join(', ')} keys for it)` : '';
  let accepted = false;
  if (options.acceptNewHostKeys) accepted = true;
  else if (options.confirmHostKey) accepted = await options.confirmHostKey(target.name, check.fingerprint, check.keyType);
  if (!accepted) {
    const how = options.confirmHostKey
      ? 'The key was not accepted.'
      : 'Nobody can confirm it in a non-interactive run: compare it with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the server, then run interactively, add it to known_hosts, or allow new host keys.';
    outcome.error = new HostKeyError(
      target.name,
      `The authenticity of ${target.name} (${where}) can't be established${other}. Its ${check.keyType} key fingerprint is ${check.fingerprint}. ${how}`,
    );
    return false;
  }
  await pinHostKey(toolFile, target.host, target.port, key);
  options.onEvent?.({type: 'host-key-pinned', host: target.name, fingerprint: check.fingerprint, file: toolFile});
  return true;
}

async function authMethods(ctx: ConnectContext, target: SshTarget): Promise<{methods: AnyAuthMethod[]; password?: string}> {
  const methods: AnyAuthMethod[] = [];
  let password: string | undefined;
  const username = target.user;
  for (const auth of target.auth) {
    if (auth.method === 'agent') {
      const agent = process.env.SSH_AUTH_SOCK;
      if (!agent) {
        if (target.auth.length === 1) {
          throw new HostAuthError(
            target.name,
            'no SSH agent is running (SSH_AUTH_SOCK is not set): start one with `eval "$(ssh-agent)"` and `ssh-add`, or use a key file',
          );
        }
        continue;
      }
      methods.push({type: 'agent', username, agent});
    } else if (auth.method === 'key') {
      const loaded = await ctx.secrets.loadKey(target.name, auth.keyFile);
      methods.push({type: 'publickey', username, key: loaded.key, ...(loaded.passphrase ? {passphrase: loaded.passphrase} : {})});
    } else {
      password = await ctx.secrets.sshPassword(target.name, `${username}@${target.host}`, auth.passwordFile);
      methods.push({type: 'password', username, password});
    }
  }
  if (methods.length === 0) throw new HostAuthError(target.name, `no way to authenticate to ${label(target)}: no agent and no key file`);
  return {methods, password};
}

function describeAuth(target: SshTarget): string {
  return target.auth
    .map((a) => (a.method === 'key' ? `key ${a.keyFile}` : a.method === 'agent' ? 'agent keys' : 'password'))
    .join(', ');
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running, is the port right?)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};

function classify(target: SshTarget, error: Error & {level?: string; code?: string}, timeoutMs: number): HostError {
  const where = label(target);
  if (error.level === 'client-authentication') {
    return new HostAuthError(target.name, `${where} refused the login (tried: ${describeAuth(target)})`, {cause: error});
  }
  if (error.level === 'client-timeout') {
    return new HostUnreachableError(target.name, `${where}: no SSH handshake within ${timeoutMs / 1000} s`, {cause: error});
  }
  const reason = error.code ? UNREACHABLE_CODES[error.code] : undefined;
  if (reason) return new HostUnreachableError(target.name, `${where} is unreachable: ${reason}`, {cause: error});
  if (/channel open failure|connection refused|no route|timed out/i.test(error.message)) {
    return new HostUnreachableError(target.name, `${where} is unreachable through the jump host: ${error.message}`, {cause: error});
  }
  return new HostError(target.name, `${where}: SSH connection failed: ${error.message}`, {cause: error});
}

/** One attempt: TCP (or the jump stream), handshake, host key, authentication. */
async function connectOnce(ctx: ConnectContext, target: SshTarget, sock?: Readable): Promise<{client: SshClient; password?: string}> {
  const timeoutMs = ctx.options.connectTimeoutMs ?? 10_000;
  const {methods, password} = await authMethods(ctx, target);
  const files = [...(ctx.options.knownHostsFiles ?? defaultUserKnownHostsFiles()), ctx.options.toolKnownHostsFile ?? defaultToolKnownHostsFile()];
  const serverHostKey = await hostKeyAlgorithms(target, files);
  const outcome: HostKeyOutcome = {};
  const client = new Client();
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    authHandler: methods,
    algorithms: {serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey']},
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      checkHostKey(ctx, target, key, outcome).then(verify, (error: unknown) => {
        outcome.error = new HostKeyError(target.name, `checking the host key of ${label(target)} failed: ${(error as Error).message}`);
        verify(false);
      });
    },
    ...(sock ? {sock} : {}),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: HostError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(error);
    };
    client.once('ready', () => {
      settled = true;
      resolve({client, password});
    });
    client.on('error', (error: Error & {level?: string; code?: string}) => {
      fail(outcome.error ?? classify(target, error, timeoutMs));
    });
    client.once('close', () => fail(outcome.error ?? new HostUnreachableError(target.name, `${label(target)} closed the connection during the handshake`)));
    client.connect(config);
  });
}

/** A TCP stream to the target, opened by the jump host's sshd. */
function forwardThrough(jump: SshClient, target: SshTarget): Promise<Readable> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, target.host, target.port, (error, stream) => {
      if (error) reject(classify(target, error, 0));
      else resolve(stream);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OpenedConnection {
  client: SshClient;
  /** The SSH login password, when password auth was used (a candidate for sudo). */
  password?: string;
}

/**
 * Connect with retries and exponential backoff. `openJump` gives the (shared) jump connection;
 * retries of the target reuse it.
 */
export async function openSsh(ctx: ConnectContext, target: SshTarget, jump?: SshClient): Promise<OpenedConnection> {
  const attempts = Math.max(1, ctx.options.retries ?? 3);
  const baseDelay = ctx.options.retryDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    ctx.options.onEvent?.({type: 'connecting', host: target.name, attempt, of: attempts});
    try {
      const sock = jump ? await forwardThrough(jump, target) : undefined;
      const opened = await connectOnce(ctx, target, sock);
      ctx.options.onEvent?.({type: 'connected', host: target.name});
      return opened;
    } catch (error) {
      if (!(error instanceof HostUnreachableError) || attempt >= attempts) throw error;
      const delayMs = baseDelay * 2 ** (attempt - 1);
      ctx.options.onEvent?.({
        type: 'retry',
        host: target.name,
        attempt: attempt + 1,
        of: attempts,
        delayMs,
        reason: error.message,
        message: `${error.message}; retrying (${attempt + 1}/${attempts}) in ${delayMs / 1000} s`,
      });
      await sleep(delayMs);
    }
  }
}
