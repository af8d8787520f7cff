// OpenSSH known_hosts: reading (plain, wildcard, [host]:port and hashed names, @revoked and
// @cert-authority markers), checking a server's key, and pinning accepted keys in the tool's own file.
import {createHash, createHmac} from 'node:crypto';
import {appendFile, mkdir, readFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number, as in OpenSSH's messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Comma list of patterns, or a hashed name (|1|salt|hmac). */
  hostField: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyStatus = 'known' | 'unknown' | 'changed' | 'revoked';

export interface HostKeyCheck {
  status: HostKeyStatus;
  fingerprint: string;
  keyType: string;
  /** Where the matching (or conflicting) key was found. */
  matchedFile?: string;
  matchedLine?: number;
  /** Key types recorded for this host when none matches the presented type. */
  otherKeyTypes?: string[];
}

/** The tool's own known_hosts, where keys the operator accepted are pinned. */
export function defaultToolKnownHostsFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'personium-setup', 'known_hosts');
}

export function defaultUserKnownHostsFiles(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), join(homedir(), '.ssh', 'known_hosts2')];
}

/** 'SHA256:…' exactly as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type is the first SSH string inside the public key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string, file = '(text)'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH skips the line too
    }
    const [hostField, keyType, keyB64] = fields;
    if (!hostField || !keyType || !keyB64) return;
    const key = Buffer.from(keyB64, 'base64');
    if (key.length === 0) return;
    entries.push({file, line: index + 1, marker, hostField, keyType, key});
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Does one host field match the looked-up name? Handles hashes, wildcards and `!negation`. */
export function hostFieldMatches(hostField: string, name: string): boolean {
  if (hostField.startsWith('|1|')) {
    const [, , salt, hmac] = hostField.split('|');
    if (!salt || !hmac) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hmac;
  }
  let matched = false;
  for (const pattern of hostField.split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(glob).test(name)) {
      if (negated) return false; // a matching negation wins over everything
      matched = true;
    }
  }
  return matched;
}

/** Hashed host field as `ssh-keygen -H` writes it; the salt is random unless given (tests). */
export function hashHostName(name: string, salt: Buffer): string {
  const hmac = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hmac}`;
}

async function readEntries(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export interface VerifyHostKeyInput {
  /** Names the host goes by (the address given and the resolved host name); any may match. */
  host: string | string[];
  port?: number;
  key: Buffer;
  files: string[];
}

export async function verifyHostKey(input: VerifyHostKeyInput): Promise<HostKeyCheck> {
  const names = (Array.isArray(input.host) ? input.host : [input.host]).map((h) => knownHostsName(h, input.port ?? 22));
  const keyType = keyTypeOf(input.key);
  const fingerprint = fingerprintSha256(input.key);
  const entries = (await Promise.all(input.files.map(readEntries))).flat();

  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(input.key));
  if (revoked) return {status: 'revoked', fingerprint, keyType, matchedFile: revoked.file, matchedLine: revoked.line};

  // Certificates are not used here, so @cert-authority lines only count as "not a plain key".
  const forHost = entries.filter((e) => !e.marker && names.some((n) => hostFieldMatches(e.hostField, n)));
  const same = forHost.find((e) => e.key.equals(input.key));
  if (same) return {status: 'known', fingerprint, keyType, matchedFile: same.file, matchedLine: same.line};
  const conflicting = forHost.find((e) => e.keyType === keyType);
  if (conflicting) {
    return {status: 'changed', fingerprint, keyType, matchedFile: conflicting.file, matchedLine: conflicting.line};
  }
  const otherKeyTypes = [...new Set(forHost.map((e) => e.keyType))];
  return {status: 'unknown', fingerprint, keyType, ...(otherKeyTypes.length ? {otherKeyTypes} : {})};
}

/** Key types already recorded for a host, so the connection can ask the server for one of those first. */
export async function knownKeyTypes(hosts: string[], port: number, files: string[]): Promise<string[]> {
  const names = hosts.map((h) => knownHostsName(h, port));
  const entries = (await Promise.all(files.map(readEntries))).flat();
  return [
    ...new Set(entries.filter((e) => !e.marker && names.some((n) => hostFieldMatches(e.hostField, n))).map((e) => e.keyType)),
  ];
}

/** Append an accepted key to the tool's own known_hosts (directory 0700, file 0600). */
export async function pinHostKey(file: string, host: string, port: number, key: Buffer): Promise<void> {
  await mkdir(dirname(file), {recursive: true, mode: 0o700});
  const line = `${knownHostsName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  await appendFile(file, line, {mode: 0o600});
}

/** The message shown when a host presents a different key than the one on record. */
export function changedHostKeyMessage(hostLabel: string, host: string, port: number, check: HostKeyCheck): string {
  const file = check.matchedFile ?? 'known_hosts';
  const lines = [
    `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${hostLabel} (${knownHostsName(host, port)})!`,
    `It sent the ${check.keyType} key ${check.fingerprint}, but ${file} line ${check.matchedLine ?? '?'} records a different one.`,
    'Someone could be intercepting the connection (man-in-the-middle attack), or the server was reinstalled.',
    'If you know the server was reinstalled, remove the old key and connect again:',
    `  ssh-keygen -f "${file}" -R "${knownHostsName(host, port)}"   (or delete line ${check.matchedLine ?? '?'} of ${file})`,
  ];
  return lines.join('\n');
}
