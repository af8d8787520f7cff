// Provided certificates are checked as soon as they are named: a wrong one is explained and the
// questions reopen; the summary shows the names the real certificate covers.
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {AnswersError} from '../../source/profile/answers.js';
import {validateProfile} from '../../source/cli/common.js';
import {generateServerCertificate, generateUnitCertificate} from '../../source/tls/index.js';
import {runWizard} from '../../source/wizard/flow.js';
import {FakePrompter} from '../helpers/fake-prompter.js';

const dir = mkdtempSync(join(tmpdir(), 'wizard-certs-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
let files: Record<string, string>;

beforeAll(async () => {
  const good = await generateServerCertificate({fqdn: 'unit.example.test', names: ['unit.example.test', '*.unit.example.test']});
  const noWildcard = await generateServerCertificate({fqdn: 'unit.example.test', names: ['unit.example.test']});
  const unit = await generateUnitCertificate({fqdn: 'unit.example.test'});
  const wrongUnit = await generateUnitCertificate({fqdn: 'other.example.test'});
  files = {
    cert: file('server.crt', good.certPem),
    key: file('server.key', good.keyPem),
    narrowCert: file('narrow.crt', noWildcard.certPem),
    narrowKey: file('narrow.key', noWildcard.keyPem),
    unitCert: file('unit.crt', unit.certPem),
    unitKey: file('unit.key', unit.keyPem),
    wrongUnitCert: file('wrong-unit.crt', wrongUnit.certPem),
    wrongUnitKey: file('wrong-unit.key', wrongUnit.keyPem),
  };
});

describe('provided certificates in the wizard', () => {
  it('a certificate without the wildcard is refused in per-cell mode and asked again', async () => {
    const p = new FakePrompter([
      ['pattern', 'small'],
      ['server1.address', '192.0.2.10'],
      ['server1.port', '22'],
      ['server1.user', 'root'],
      ['server1.auth', 'agent'],
      ['unit.fqdn', 'unit.example.test'],
      ['unit.cellUrlMode', 'per-cell'],
      ['unit.publicAddress', ''],
      ['https.mode', 'provided'],
      ['https.certFile', files.narrowCert],
      ['https.keyFile', files.narrowKey],
      ['https.chainFile', ''],
      ['https.certFile', files.cert],
      ['https.keyFile', files.key],
      ['https.chainFile', ''],
      ['unitCertificate.mode', 'provided'],
      ['unitCertificate.certFile', files.wrongUnitCert],
      ['unitCertificate.keyFile', files.wrongUnitKey],
      ['unitCertificate.certFile', files.unitCert],
      ['unitCertificate.keyFile', files.unitKey],
      ['extensions', []],
      ['oidc.add', false],
      ['confirm', true],
    ]);
    const result = await runWizard(p, {initial: {}, savedProfile: false});
    const errors = p.notes.filter(n => n.tone === 'error').map(n => n.text);
    expect(errors.some(e => e.includes('narrow.crt') && e.includes('*.unit.example.test'))).toBe(true);
    expect(errors.some(e => e.includes('wrong-unit.crt') && /CN/.test(e))).toBe(true);
    expect(result.validated?.profile.https).toEqual({mode: 'provided', certFile: files.cert, keyFile: files.key});
    expect(result.plan?.certificates[0]!.names).toEqual(['unit.example.test', '*.unit.example.test']);
    expect(p.notes.some(n => n.text === 'The certificate covers: unit.example.test, *.unit.example.test')).toBe(true);
  });
});

describe('provided certificates in answers files', () => {
  const answers = (https: Record<string, unknown>) => ({
    pattern: 'small',
    hosts: [{name: 'server1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
    unit: {fqdn: 'unit.example.test'},
    https,
  });

  it('a key that belongs to another certificate is a validation error naming the key and the file', async () => {
    const error = await validateProfile(answers({mode: 'provided', certFile: files.cert, keyFile: files.narrowKey}), 'unit.yaml').catch(e => e);
    expect(error).toBeInstanceOf(AnswersError);
    expect((error as AnswersError).problems[0]).toMatchObject({key: 'https.certFile', message: expect.stringContaining('narrow.key')});
  });

  it('a good one passes', async () => {
    const {certificates} = await validateProfile(answers({mode: 'provided', certFile: files.cert, keyFile: files.key}), 'unit.yaml');
    expect(certificates.serverCovers).toEqual(['unit.example.test', '*.unit.example.test']);
  });
});
