import {mkdtempSync, readFileSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {validateAnswers} from '../../source/profile/answers.js';
import {loadProfile, saveProfile} from '../../source/profile/store.js';
import {describeKeys, replaceKeysTable} from '../../source/profile/describe.js';

const small = validateAnswers(
  {
    pattern: 'small',
    hosts: [{name: 'server1', address: '192.0.2.10', auth: {method: 'password'}, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
    unit: {fqdn: 'personium.example.com'},
    extensions: {mailsender: {smtpHost: 'mail.example.com', smtpPassword: {env: 'SMTP_PASSWORD'}}},
  },
  't',
).profile;

describe('saved profiles', () => {
  it('are written 0600 and read back', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'store-'));
    expect(loadProfile('default', {cwd}).found).toBe(false);
    const path = saveProfile('default', small, {cwd});
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const loaded = loadProfile('default', {cwd});
    expect(loaded.found && validateAnswers(loaded.answers as Record<string, unknown>, 'saved').profile).toEqual(small);
  });

  it('hold secret references, never secret values', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'store-'));
    process.env.SMTP_PASSWORD = 'correct horse battery staple';
    const text = readFileSync(saveProfile('unit-a', small, {cwd}), 'utf8');
    expect(text).toContain('"env": "SMTP_PASSWORD"');
    expect(text).not.toContain('correct horse');
    expect(text).toContain('"password": "prompt"');
  });

  it('refuse unsafe profile names', () => {
    expect(() => loadProfile('../etc', {cwd: tmpdir()})).toThrow(/profile name/);
  });
});

describe('docs/answers-file.md', () => {
  it('documents every key of the schema (npm run docs regenerates it)', () => {
    const doc = readFileSync(new URL('../../docs/answers-file.md', import.meta.url), 'utf8');
    expect(replaceKeysTable(doc)).toBe(doc);
    for (const key of describeKeys()) expect(doc).toContain(`| \`${key.key}\` |`);
  });
});
