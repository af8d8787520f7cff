import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  changedHostKeyMessage,
  fingerprintSha256,
  hashHostName,
  hostFieldMatches,
  keyTypeOf,
  parseKnownHosts,
  pinHostKey,
  verifyHostKey,
} from '../../source/hosts/known-hosts.js';

let dir: string;
function makeKey(name: string, type = 'ed25519'): {blob: Buffer; line: string; pubFile: string} {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  return {blob: Buffer.from(line.split(' ')[1] ?? '', 'base64'), line, pubFile: `${file}.pub`};
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pds-known-hosts-'));
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('fingerprintSha256', () => {
  it('matches ssh-keygen -lf for real keys', () => {
    for (const type of ['ed25519', 'ecdsa', 'rsa']) {
      const key = makeKey(`fp-${type}`, type);
      const expected = execFileSync('ssh-keygen', ['-lf', key.pubFile], {encoding: 'utf8'}).split(' ')[1];
      expect(fingerprintSha256(key.blob)).toBe(expected);
      expect(keyTypeOf(key.blob)).toBe(key.line.split(' ')[0]);
    }
  });
});

describe('parseKnownHosts and host matching', () => {
  it('reads plain names, comma lists, [host]:port, markers, and skips comments', () => {
    const k = makeKey('parse');
    const [type, b64] = k.line.split(' ');
    const text = [
      '# comment',
      '',
      `web1,10.0.0.5 ${type} ${b64}`,
      `[web2]:2222 ${type} ${b64} trailing comment`,
      `@revoked old ${type} ${b64}`,
      `@cert-authority *.example.org ${type} ${b64}`,
      `@bogus x ${type} ${b64}`,
      'broken-line-without-key',
    ].join('\n');
    const entries = parseKnownHosts(text, 'f');
    expect(entries.map((e) => [e.line, e.hostField, e.marker])).toEqual([
      [3, 'web1,10.0.0.5', undefined],
      [4, '[web2]:2222', undefined],
      [5, 'old', 'revoked'],
      [6, '*.example.org', 'cert-authority'],
    ]);
    expect(entries[0]?.key.equals(k.blob)).toBe(true);
  });

  it('matches wildcards and lets a negation win', () => {
    expect(hostFieldMatches('*.example.org,!bad.example.org', 'web.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(hostFieldMatches('[web2]:2222', '[web2]:2222')).toBe(true);
    expect(hostFieldMatches('web2', '[web2]:2222')).toBe(false);
  });

  it('matches hashed names made with a known salt, and those ssh-keygen -H writes', async () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const field = hashHostName('[db.example.org]:2200', salt);
    expect(field.startsWith(`|1|${salt.toString('base64')}|`)).toBe(true);
    expect(hostFieldMatches(field, '[db.example.org]:2200')).toBe(true);
    expect(hostFieldMatches(field, 'db.example.org')).toBe(false);

    // The real tool's hashing, checked through verifyHostKey.
    const k = makeKey('hashed');
    const file = join(dir, 'hashed_known_hosts');
    const [type, b64] = k.line.split(' ');
    writeFileSync(file, `hashed.example.org ${type} ${b64}\n[hashed.example.org]:2201 ${type} ${b64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], {stdio: 'pipe'});
    expect(readFileSync(file, 'utf8')).not.toContain('hashed.example.org');
    expect((await verifyHostKey({host: 'hashed.example.org', key: k.blob, files: [file]})).status).toBe('known');
    expect((await verifyHostKey({host: 'hashed.example.org', port: 2201, key: k.blob, files: [file]})).status).toBe('known');
    expect((await verifyHostKey({host: 'other.example.org', key: k.blob, files: [file]})).status).toBe('unknown');
  });
});

describe('verifyHostKey', () => {
  it('known, unknown, changed and revoked', async () => {
    const good = makeKey('good');
    const evil = makeKey('evil');
    const rsa = makeKey('rsa', 'rsa');
    const file = join(dir, 'kh1');
    writeFileSync(file, `# hosts\nhost1,10.1.1.1 ${good.line}\n[host1]:2222 ${rsa.line}\n@revoked * ${rsa.line}\n`);
    const missing = join(dir, 'does-not-exist');

    const known = await verifyHostKey({host: ['host1'], key: good.blob, files: [missing, file]});
    expect(known).toMatchObject({status: 'known', keyType: 'ssh-ed25519', matchedFile: file, matchedLine: 2});

    const unknown = await verifyHostKey({host: 'host9', key: good.blob, files: [file]});
    expect(unknown).toMatchObject({status: 'unknown', fingerprint: fingerprintSha256(good.blob)});

    const changed = await verifyHostKey({host: ['some-alias', '10.1.1.1'], key: evil.blob, files: [file]});
    expect(changed).toMatchObject({status: 'changed', matchedFile: file, matchedLine: 2});
    const message = changedHostKeyMessage('host1', '10.1.1.1', 22, changed);
    expect(message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(message).toContain(`${file} line 2`);
    expect(message).toContain(`ssh-keygen -f "${file}" -R "10.1.1.1"`);

    const revoked = await verifyHostKey({host: 'host1', port: 2222, key: rsa.blob, files: [file]});
    expect(revoked).toMatchObject({status: 'revoked', matchedLine: 4});

    // Known only under another key type: not "changed", but unknown with a note.
    const other = makeKey('ecdsa', 'ecdsa');
    expect(await verifyHostKey({host: 'host1', key: other.blob, files: [file]})).toMatchObject({
      status: 'unknown',
      otherKeyTypes: ['ssh-ed25519'],
    });
  });

  it('pinHostKey appends an OpenSSH line to a private file that then verifies as known', async () => {
    const key = makeKey('pin');
    const file = join(dir, 'sub', 'dir', 'known_hosts');
    await pinHostKey(file, '10.2.2.2', 22, key.blob);
    await pinHostKey(file, 'web', 2200, key.blob);
    expect(readFileSync(file, 'utf8')).toBe(`10.2.2.2 ${key.line.split(' ').slice(0, 2).join(' ')}\n[web]:2200 ${key.line.split(' ').slice(0, 2).join(' ')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await verifyHostKey({host: 'web', port: 2200, key: key.blob, files: [file]})).status).toBe('known');
    // ssh-keygen -F reads our file as a valid known_hosts.
    expect(execFileSync('ssh-keygen', ['-F', '[web]:2200', '-f', file], {encoding: 'utf8'})).toContain('[web]:2200');
  });
});
