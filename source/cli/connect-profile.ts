// Opening the profile's hosts: SSH specs from the profile, secrets from their references,
// host-key questions through the prompter when there is one, this machine for try-it.
import {readFileSync} from 'node:fs';
import {connectHosts, LocalHost, SSH_PASSWORD_ENV, SUDO_PASSWORD_ENV, type Host, type HostSpec as SshSpec} from '../hosts/index.js';
import type {HostEvent} from '../hosts/spec.js';
import {expandHome} from '../hosts/ssh-config.js';
import type {Prompter} from '../profile/prompter.js';
import type {HostSpec, Profile, SecretRef} from '../profile/schema.js';
import {registerSecret} from '../run-log.js';

export interface ConnectProfileOptions {
  prompter?: Prompter;
  acceptNewHostKeys?: boolean;
  log: (line: string) => void;
}

export interface ProfileConnections {
  hosts: Map<string, Host>;
  errors: Map<string, Error>;
  close(): Promise<void>;
}

/** The value of a secret reference; undefined for "prompt" (asked by the connection layer). */
export function readSecretRef(ref: SecretRef | undefined): string | undefined {
  if (ref === undefined || ref === 'prompt') return undefined;
  const value = 'env' in ref ? process.env[ref.env] : readFileSync(expandHome(ref.file), 'utf8').split('\n')[0];
  if (value === undefined || value === '') {
    throw new Error('env' in ref ? `environment variable ${ref.env} is not set` : `${ref.file} is empty`);
  }
  registerSecret(value);
  return value;
}

function sshSpec(host: {name: string; address: string; port: number; user: string; auth: HostSpec['auth']}, sudo?: HostSpec['sudo']): SshSpec {
  const auth = host.auth;
  return {
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    sudo,
    auth: auth.method === 'key' ? {method: 'key', keyFile: auth.keyFile} : auth.method === 'password' ? {method: 'password', ...(auth.password !== 'prompt' && 'file' in auth.password ? {passwordFile: auth.password.file} : {})} : {method: 'agent'},
  };
}

/**
 * Environment references other than the tool's own variable names are handed to the connection
 * layer through those names, in this process only.
 */
function exportSecretEnv(profile: Pick<Profile, 'hosts'>): void {
  // Passwords the operator put in the environment are redacted too.
  registerSecret(process.env[SSH_PASSWORD_ENV]);
  registerSecret(process.env[SUDO_PASSWORD_ENV]);
  for (const host of profile.hosts) {
    if (host.auth.method === 'password' && host.auth.password !== 'prompt' && 'env' in host.auth.password) {
      process.env[SSH_PASSWORD_ENV] = readSecretRef(host.auth.password);
    }
    if (host.sudoPassword && host.sudoPassword !== 'prompt') process.env[SUDO_PASSWORD_ENV] = readSecretRef(host.sudoPassword);
  }
}

/**
 * Connections kept for one command's phases (preflight, install, report), so a host is connected
 * (and its root shells started) once, not once per phase. Keyed by everything the connection
 * depends on; failed connections are not kept, so a later phase tries again.
 */
let shared: Map<string, Promise<Host>> | undefined;

export async function withSharedConnections<T>(body: () => Promise<T>): Promise<T> {
  if (shared) return body();
  const mine = new Map<string, Promise<Host>>();
  shared = mine;
  try {
    return await body();
  } finally {
    shared = undefined;
    await Promise.all([...mine.values()].map(async pending => (await pending.catch(() => undefined))?.close().catch(() => undefined)));
  }
}

const shareKey = (spec: SshSpec, jump?: SshSpec) => JSON.stringify([spec, jump ?? null]);

export async function connectProfile(profile: Pick<Profile, 'pattern' | 'hosts' | 'bastion'>, options: ConnectProfileOptions): Promise<ProfileConnections> {
  if (profile.pattern === 'try-it') {
    const local = new LocalHost({name: profile.hosts[0]!.name});
    return {hosts: new Map([[local.name, local]]), errors: new Map(), close: async () => {}};
  }
  const jump = profile.bastion ? sshSpec({name: 'bastion', ...profile.bastion}) : undefined;
  const specs = profile.hosts.map(h => sshSpec(h, h.sudo));
  const pool = shared;
  if (!pool) return openConnections(profile, specs, jump, options);
  // Connections being opened are shared too: phases that start together wait for the same one.
  const missing = specs.filter(spec => !pool.has(shareKey(spec, jump)));
  if (missing.length > 0) {
    const opening = openConnections(profile, missing, jump, options);
    for (const spec of missing) {
      const key = shareKey(spec, jump);
      const pending = opening.then(c => c.hosts.get(spec.name) ?? Promise.reject(c.errors.get(spec.name) ?? new Error(`${spec.name}: not connected`)));
      // A failed connection is not kept: a later phase tries again.
      pending.catch(() => pool.get(key) === pending && pool.delete(key));
      pool.set(key, pending);
    }
  }
  const hosts = new Map<string, Host>();
  const errors = new Map<string, Error>();
  await Promise.all(
    specs.map(async spec => {
      try {
        hosts.set(spec.name, await pool.get(shareKey(spec, jump))!);
      } catch (error) {
        errors.set(spec.name, error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
  // Closed when the command's phases are over (withSharedConnections).
  return {hosts, errors, close: async () => {}};
}

async function openConnections(profile: Pick<Profile, 'hosts'>, specs: SshSpec[], jump: SshSpec | undefined, options: ConnectProfileOptions): Promise<ProfileConnections> {
  exportSecretEnv(profile);
  const prompter = options.prompter;
  const connected = await connectHosts(
    specs,
    {
      acceptNewHostKeys: options.acceptNewHostKeys,
      confirmHostKey: prompter
        ? (host, fingerprint, keyType) =>
            prompter.confirm({id: `hostkey.${host}`, message: `${host}: unknown host key ${keyType} ${fingerprint}. Is this the server's key? (compare with ssh-keygen -lf on the server)`, initial: false})
        : undefined,
      // What is typed (passphrases, SSH and sudo passwords) is redacted from the run log from now on.
      askSecret: prompter ? prompt => prompter.secret({id: 'secret', message: prompt}).then(value => (registerSecret(value), value)) : undefined,
      jump,
      onEvent: (event: HostEvent) => options.log(describeEvent(event)),
    },
  );
  return {hosts: connected.hosts as Map<string, Host>, errors: connected.errors, close: () => connected.close()};
}

function describeEvent(event: HostEvent): string {
  switch (event.type) {
    case 'connecting':
      return `[${event.host}] connecting (${event.attempt}/${event.of})`;
    case 'retry':
      return `[${event.host}] ${event.message}`;
    case 'connected':
      return `[${event.host}] connected`;
    case 'host-key-pinned':
      return `[${event.host}] host key ${event.fingerprint} pinned in ${event.file}`;
  }
}
