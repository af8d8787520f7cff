import {describe, expect, it} from 'vitest';
import {runWizard} from '../../source/wizard/flow.js';
import {Cancelled, FakePrompter, GoBack, type Scripted} from '../helpers/fake-prompter.js';

const ssh = (name: string, address: string, user = 'root'): Scripted[] => [
  [`${name}.address`, address],
  [`${name}.port`, '22'],
  [`${name}.user`, user],
  [`${name}.auth`, 'agent'],
  ...(user === 'root' ? [] : ([[`${name}.sudo`, 'auto']] as Scripted[])),
];

const tail: Scripted[] = [
  ['https.mode', 'self-signed'],
  ['unitCertificate.mode', 'self-signed'],
  ['extensions', ['httpclient']],
  ['oidc.add', false],
  ['confirm', true],
];

describe('wizard flow (without Ink)', () => {
  it('try-it: pattern, DNS, certificates, extensions, plan', async () => {
    const p = new FakePrompter([
      ['pattern', 'try-it'],
      ['unit.fqdn', 'personium.localhost'],
      ['unit.cellUrlMode', 'path-based'],
      ...tail,
    ]);
    let shown = '';
    const result = await runWizard(p, {initial: {}, savedProfile: false, showPlan: plan => (shown = plan.unitUrl)});
    expect(result.confirmed).toBe(true);
    expect(result.validated?.profile.hosts).toEqual([expect.objectContaining({name: 'local', address: 'localhost'})]);
    expect(shown).toBe('https://personium.localhost/');
    expect(p.remaining).toBe(0);
  });

  it('small: a bad answer is explained and asked again', async () => {
    const p = new FakePrompter([
      ['pattern', 'small'],
      ['server1.address', 'not valid!'],
      ['server1.address', '192.0.2.10'],
      ['server1.port', '99999'],
      ['server1.port', '2222'],
      ['server1.user', 'deploy'],
      ['server1.auth', 'agent'],
      ['server1.sudo', 'auto'],
      ['unit.fqdn', '192.0.2.10'],
      ['unit.fqdn', 'https://Personium.Example.com/'],
      ['unit.cellUrlMode', 'per-cell'],
      ['unit.publicAddress', ''],
      ...tail,
    ]);
    const result = await runWizard(p, {initial: {}, savedProfile: false});
    expect(p.rejected.map(r => r.id)).toEqual(['server1.address', 'server1.port', 'unit.fqdn']);
    expect(p.rejected[2]!.error).toMatch(/IP address/);
    const profile = result.validated!.profile;
    expect(profile.hosts[0]).toMatchObject({address: '192.0.2.10', port: 2222, user: 'deploy'});
    expect(profile.unit).toEqual({fqdn: 'personium.example.com', cellUrlMode: 'per-cell'});
    expect(p.notes.some(n => n.text.includes('*.personium.example.com A <web server address>'))).toBe(true);
  });

  it('Esc goes back one screen and keeps earlier answers as defaults', async () => {
    const p = new FakePrompter([
      ['pattern', 'try-it'],
      ['unit.fqdn', GoBack],
      ['pattern', 'try-it'],
      ['unit.fqdn', 'unit.example.test'],
      ['unit.cellUrlMode', 'path-based'],
      ['https.mode', GoBack],
      ['unit.fqdn', 'unit2.example.test'],
      ['unit.cellUrlMode', 'path-based'],
      ...tail,
    ]);
    const result = await runWizard(p, {initial: {}, savedProfile: false});
    expect(result.validated?.profile.unit.fqdn).toBe('unit2.example.test');
  });

  it('medium-large: fix an incomplete layout by adding a server and changing roles, then a bastion', async () => {
    const p = new FakePrompter([
      ['pattern', 'medium-large'],
      ...ssh('web1', '10.0.0.11'),
      ...ssh('ap1', '10.0.0.12'),
      ...ssh('es1', '10.0.0.13'),
      ['hosts.action', 'roles'],
      ['hosts.roles', 'ap1'],
      ['ap1.roles', ['ap']],
      ['hosts.action', 'add'],
      ['hosts.new.name', 'ap1'],
      ['hosts.new.name', 'mq1'],
      ...ssh('mq1', '10.0.0.14', 'deploy'),
      ['mq1.roles', ['mq', 'nfs']],
      ['hosts.action', 'continue'],
      ['bastion', true],
      ...ssh('bastion', '198.51.100.5', 'jump').filter(([id]) => id !== 'bastion.sudo'),
      ['unit.fqdn', 'unit.example.org'],
      ['unit.cellUrlMode', 'per-cell'],
      ['unit.publicAddress', '198.51.100.10'],
      ...tail,
    ]);
    const result = await runWizard(p, {initial: {}, savedProfile: false});
    const profile = result.validated!.profile;
    expect(profile.hosts.map(h => [h.name, h.roles])).toEqual([
      ['web1', ['web']],
      ['ap1', ['ap']],
      ['es1', ['es']],
      ['mq1', ['mq', 'nfs']],
    ]);
    expect(profile.bastion).toMatchObject({address: '198.51.100.5', user: 'jump'});
    expect(p.rejected).toEqual([{id: 'hosts.new.name', error: '"ap1" is already used by another host'}]);
    expect(p.notes.some(n => n.tone === 'error' && n.text.includes('no server has the mq role'))).toBe(true);
  });

  it('the layout screen refuses to continue while a role is missing', async () => {
    const p = new FakePrompter([
      ['pattern', 'medium-large'],
      ...ssh('web1', '10.0.0.11'),
      ...ssh('ap1', '10.0.0.12'),
      ...ssh('es1', '10.0.0.13'),
      ['hosts.action', 'remove'],
      ['hosts.remove', 'es1'],
      ['hosts.action', 'continue'],
    ]);
    await expect(runWizard(p, {initial: {}, savedProfile: false})).rejects.toThrow(/not a choice of hosts.action/);
    expect(p.notes.some(n => n.tone === 'error' && /three or more servers/.test(n.text))).toBe(true);
  });

  it('a saved profile offers the re-run choices first', async () => {
    const p = new FakePrompter([['welcome', 'report']]);
    const result = await runWizard(p, {initial: {pattern: 'try-it'}, savedProfile: true});
    expect(result).toEqual({choice: 'report', confirmed: false});
  });

  it('Ctrl-C cancels', async () => {
    const p = new FakePrompter([['pattern', Cancelled]]);
    await expect(runWizard(p, {initial: {}, savedProfile: false})).rejects.toBeInstanceOf(Cancelled);
  });

  it('answers given beforehand are the defaults and a bad one reopens its screen', async () => {
    const p = new FakePrompter([
      ['pattern', 'try-it'],
      ['unit.fqdn', 'ok.example.test'],
      ['unit.cellUrlMode', 'path-based'],
      ...tail,
    ]);
    const result = await runWizard(p, {initial: {pattern: 'try-it', unit: {fqdn: 'ok.example.test'}}, savedProfile: false});
    expect(result.validated?.profile.unit.fqdn).toBe('ok.example.test');
  });
  it('what was given beforehand for any layout (--bundle, version set, memory) outlives the pattern chosen here; another pattern\'s defaults do not', async () => {
    const given = {artifacts: {source: 'bundle', bundleFile: '/tmp/unit.tar.gz'}, versionSet: '1.8.0', memory: {esHeapMb: 1024}};
    const p = new FakePrompter([
      ['pattern', 'try-it'],
      ['unit.fqdn', 'personium.localhost'],
      ['unit.cellUrlMode', 'path-based'],
      ['https.mode', GoBack],
      ['unit.fqdn', GoBack],
      ['pattern', 'small'],
      ...ssh('server1', '192.0.2.10'),
      ['unit.fqdn', 'personium.example.com'],
      ['unit.cellUrlMode', 'path-based'],
      ['unit.publicAddress', ''],
      ['https.mode', 'self-signed'],
      ['unitCertificate.mode', 'self-signed'],
      ['extensions', []],
      ['oidc.add', false],
      ['confirm', true],
    ]);
    const result = await runWizard(p, {initial: structuredClone(given), savedProfile: false});
    const profile = result.validated!.profile;
    expect(profile.pattern).toBe('small');
    expect(profile.artifacts).toMatchObject({source: 'bundle', bundleFile: '/tmp/unit.tar.gz'});
    expect(profile.versionSet).toBe('1.8.0');
    expect(profile.memory.esHeapMb).toBe(1024);
    // try-it keeps its master token; that default left with the pattern.
    expect(profile.security.disableMasterToken).toBe(true);
    expect(p.remaining).toBe(0);
  });
});
