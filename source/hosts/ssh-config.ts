// What ~/.ssh/config says about a host alias (HostName, User, Port, IdentityFile, ProxyJump),
// so an operator's existing aliases and bastions work without repeating them in the profile.
import {readFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import SSHConfig from 'ssh-config';

export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** Raw ProxyJump value ([user@]host[:port], comma list for several hops), 'none' dropped. */
  proxyJump?: string;
}

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Parse config text and compute the settings for one alias. `Match exec` is never run. */
export function computeSshConfig(text: string, alias: string): SshConfigHost {
  const computed = SSHConfig.parse(text).compute(alias, {ignoreCase: true, matchExec: false});
  const hostName = first(computed.hostname);
  const port = first(computed.port);
  const identity = computed.identityfile;
  const proxyJump = first(computed.proxyjump);
  return {
    // %h in HostName means the alias itself
    ...(hostName ? {hostName: hostName.replace(/%h/g, alias)} : {}),
    ...(first(computed.user) ? {user: first(computed.user)} : {}),
    ...(port && /^\d+$/.test(port) ? {port: Number(port)} : {}),
    identityFiles: (Array.isArray(identity) ? identity : identity ? [identity] : []).map(expandHome),
    ...(proxyJump && proxyJump.toLowerCase() !== 'none' ? {proxyJump} : {}),
  };
}

/** Read the config file (a missing file means no settings) and compute one alias. */
export async function readSshConfig(alias: string, file = defaultSshConfigFile()): Promise<SshConfigHost> {
  let text: string;
  try {
    text = await readFile(expandHome(file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {identityFiles: []};
    throw error;
  }
  return computeSshConfig(text, alias);
}

/** Split one ProxyJump hop: [user@]host[:port] or [user@][ipv6]:port. */
export function parseJumpHop(hop: string): {user?: string; host: string; port?: number} {
  let rest = hop.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const plain = /^([^:]+):(\d+)$/.exec(rest);
  if (bracketed) {
    host = bracketed[1] ?? rest;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (plain) {
    host = plain[1] ?? rest;
    port = Number(plain[2]);
  }
  return {...(user ? {user} : {}), host, ...(port ? {port} : {})};
}
