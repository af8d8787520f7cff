import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {AnswersError, loadAnswersFile, mergeAnswers, parseAnswersText, presetAnswers, validateAnswers} from '../../source/profile/answers.js';

const small = {
  pattern: 'small',
  hosts: [{name: 'server1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
  unit: {fqdn: 'personium.example.com'},
};

function problems(answers: Record<string, unknown>): Array<{key: string; message: string}> {
  try {
    validateAnswers(answers, 'test.yaml');
  } catch (error) {
    if (error instanceof AnswersError) return error.problems;
    throw error;
  }
  return [];
}

describe('validateAnswers', () => {
  it('fills defaults', () => {
    const {profile} = validateAnswers(small, 't');
    expect(profile.hosts[0]).toMatchObject({port: 22, user: 'root', auth: {method: 'agent'}, sudo: 'auto'});
    expect(profile.unit.cellUrlMode).toBe('per-cell');
    expect(profile.https).toEqual({mode: 'self-signed'});
    expect(profile.security).toEqual({disableMasterToken: true, unitAdminCell: 'unitadmin'});
    expect(profile.versionSet).toBe('latest');
  });

  it('names each bad key, one problem per line', () => {
    const found = problems({
      ...small,
      hosts: [{name: 'server1', adress: '192.0.2.10', port: 70000, roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
      https: {mode: 'lets-encrypt'},
    });
    expect(found).toEqual(
      expect.arrayContaining([
        {key: 'hosts[0].adress', message: 'unknown key (did you mean "address"?)'},
        {key: 'hosts[0].address', message: 'missing answer (give --host or set hosts[0].address in the answers file)'},
        {key: 'hosts[0].port', message: 'a port is a whole number from 1 to 65535'},
        {key: 'https.mode', message: 'https.mode is one of: self-signed, provided, letsencrypt'},
      ]),
    );
  });

  it('names the flag for a missing required answer', () => {
    expect(problems({})).toEqual([
      {key: 'pattern', message: 'missing answer (give --pattern or set pattern in the answers file)'},
      {key: 'unit.fqdn', message: 'missing answer (give --fqdn or set unit.fqdn in the answers file)'},
    ]);
  });

  it('refuses a literal secret', () => {
    const found = problems({...small, extensions: {mailsender: {smtpHost: 'mail.example.com', smtpPassword: 'hunter2'}}});
    expect(found).toEqual([{key: 'extensions.mailsender.smtpPassword', message: expect.stringMatching(/never written in the answers file/)}]);
  });

  it.each([
    [{...small, hosts: [{...small.hosts[0], roles: ['web']}]}, 'hosts[0].roles', /missing: ap, es, mq, nfs/],
    [{...small, hosts: []}, 'hosts', /exactly one server/],
    [{...small, pattern: 'medium-large'}, 'hosts', /three or more servers/],
    [{...small, pattern: 'try-it'}, 'hosts[0].address', /localhost/],
    [{...small, https: {mode: 'letsencrypt', email: 'a@example.com', challenge: 'http-01'}}, 'https.challenge', /dns-01/],
    [{...small, artifacts: {source: 'mirror'}}, 'artifacts.mirrorUrl', /mirrorUrl is needed/],
    [{...small, bastion: {address: '198.51.100.1'}}, 'bastion', /medium-large/],
    [{...small, unit: {fqdn: '10.0.0.1'}}, 'unit.fqdn', /IP address/],
    [{...small, versionSet: '0.9'}, 'versionSet', /unknown version set/],
  ])('layout and cross-field rules %#', (answers, key, message) => {
    const found = problems(answers as Record<string, unknown>);
    expect(found.find(p => p.key === key)?.message).toMatch(message);
  });

  it('medium-large roles: web, mq and nfs on exactly one server', () => {
    const host = (name: string, roles: string[]) => ({name, address: `10.0.0.${name.length}`, roles});
    const found = problems({
      pattern: 'medium-large',
      unit: {fqdn: 'u.example.com'},
      hosts: [host('a', ['web', 'ap']), host('bb', ['web', 'es']), host('ccc', ['mq'])],
    });
    expect(found.map(p => p.message).sort()).toEqual(['no server has the nfs role', 'the web role is on 2 servers; it must be on exactly one']);
  });

  it('warns about unit-config keys the version does not read', () => {
    const {warnings} = validateAnswers(
      {...small, versionSet: '1.8.3', unitConfig: {'io.personium.core.es.cluster.name': 'x', 'io.personium.core.masterTokn': 'y', 'io.personium.core.unitPort': '443'}},
      't',
    );
    expect(warnings).toEqual([
      expect.stringMatching(/es\.cluster\.name.*1\.8\.0 only/),
      expect.stringMatching(/masterTokn.*check the spelling/),
    ]);
    expect(validateAnswers({...small, versionSet: '1.8.0', unitConfig: {'io.personium.core.es.cluster.name': 'x'}}, 't').warnings).toEqual([]);
    // Shards back to core's default of 10 on Elasticsearch 7: the cell-owner ceiling is said.
    expect(validateAnswers({...small, versionSet: '1.8.3', unitConfig: {'io.personium.core.es.index.numberOfShards': '10'}}, 't').warnings).toEqual([
      "unitConfig.io.personium.core.es.index.numberOfShards: 10 shards per index: each cell owner takes 170 of Elasticsearch's 1000 shards per node, so about 5 cell owners fit on one node (1 shard: about 58)",
    ]);
    expect(validateAnswers({...small, versionSet: '1.8.0', unitConfig: {'io.personium.core.es.index.numberOfShards': '10'}}, 't').warnings).toEqual([]);
  });

  it('cleans a pasted URL and says so', () => {
    const {profile, warnings} = validateAnswers({...small, unit: {fqdn: 'https://Personium.Example.com/'}}, 't');
    expect(profile.unit.fqdn).toBe('personium.example.com');
    expect(warnings).toContain('unit.fqdn: cleaned "https://Personium.Example.com/" to "personium.example.com"');
  });
});

describe('answers files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'answers-'));

  it('reads YAML and JSON', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'pattern: small\nunit:\n  fqdn: a.example.com\n');
    writeFileSync(join(dir, 'a.json'), JSON.stringify({pattern: 'small'}));
    expect(await loadAnswersFile(join(dir, 'a.yaml'))).toEqual({pattern: 'small', unit: {fqdn: 'a.example.com'}});
    expect(await loadAnswersFile(join(dir, 'a.json'))).toEqual({pattern: 'small'});
  });

  it('reports syntax errors, duplicate keys, non-mappings and missing files', async () => {
    expect(() => parseAnswersText('pattern: [small', 'x.yaml')).toThrow(AnswersError);
    expect(() => parseAnswersText('pattern: a\npattern: b\n', 'x.yaml')).toThrow(/unique|duplicate/i);
    expect(() => parseAnswersText('- a\n- b\n', 'x.yaml')).toThrow(/mapping of keys/);
    await expect(loadAnswersFile(join(dir, 'nope.yaml'))).rejects.toThrow(/no such file/);
  });

  it('merges objects key by key and replaces lists', () => {
    expect(mergeAnswers({unit: {fqdn: 'a', cellUrlMode: 'per-cell'}, hosts: [1, 2]}, {unit: {fqdn: 'b'}, hosts: [3]}, {x: undefined})).toEqual({
      unit: {fqdn: 'b', cellUrlMode: 'per-cell'},
      hosts: [3],
    });
  });

  it('preset hosts without an address stay unset', () => {
    expect(presetAnswers('small').hosts).toEqual([{name: 'server1', roles: ['web', 'ap', 'es', 'mq', 'nfs']}]);
  });
});
