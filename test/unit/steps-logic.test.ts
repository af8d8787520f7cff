// Install logic that needs no server: package lists per role, the --bundle flag, certificates
// kept while they fit (so a re-run changes nothing), the admin password file, service order for
// start/stop, and the idempotent file-system helpers on this machine (a temporary root).
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {applyInstallFlags} from '../../source/cli/install.js';
import {sameServiceUser} from '../../source/steps/nfs.js';
import {renderServiceStates, serviceOrder} from '../../source/cli/service-commands.js';
import type {StepContext} from '../../source/executor/types.js';
import type {Host} from '../../source/hosts/host.js';
import {tlsMaterial} from '../../source/install/providers.js';
import {adminPasswordStore} from '../../source/install/run-install.js';
import {buildPlan} from '../../source/plan/plan.js';
import {validateAnswers, type Answers} from '../../source/profile/answers.js';
import {cellUrl} from '../../source/steps/bootstrap.js';
import {ensureAbsent, ensureSymlink, waitForHttpAnswer} from '../../source/steps/common.js';
import {packagesFor, renderLimits} from '../../source/steps/os-prepare.js';
import {aptMirrorSources, parseUnitStates} from '../../source/executor/primitives.js';
import {osInfoFrom} from '../../source/steps/os.js';
import {decideUnitSecrets, UnitSecretsError, type UnitSecrets} from '../../source/steps/unit-secrets.js';

const temp = mkdtempSync(join(tmpdir(), 'pds-steps-'));
afterAll(() => rmSync(temp, {recursive: true, force: true}));

const small = (extra: Answers = {}) =>
  validateAnswers({pattern: 'small', hosts: [{name: 's1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}], unit: {fqdn: 'unit.example.com'}, ...extra}, 'test').profile;

// This machine as a Host, through plain sh (no stdin: LocalHost writes an empty stdin that a
// command exiting at once answers with EPIPE, reported by vitest as an unhandled error).
const here: Host = {
  name: 'local',
  address: 'localhost',
  exec: async command => {
    const result = spawnSync('sh', ['-c', command], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    return {code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr};
  },
  upload: async () => {
    throw new Error('not used');
  },
  readFile: async path => readFileSync(path),
  close: async () => {},
};

function localContext(changes: string[], checkOnly = false): StepContext {
  return {host: here, os: {family: 'debian', id: 'debian', versionId: '12'}, checkOnly, memo: new Map(), log: () => {}, changed: what => changes.push(what)};
}

describe('install logic', () => {
  it('packages follow the roles and the distribution family; no JDK here (its own step)', () => {
    expect(packagesFor('debian', {roles: ['web', 'ap', 'es', 'mq', 'nfs'], nfsServer: false, nfsClient: false})).toEqual(expect.arrayContaining(['memcached', 'nginx', 'curl']));
    expect(packagesFor('rhel', {roles: ['ap'], nfsServer: false, nfsClient: true})).toEqual(expect.arrayContaining(['nfs-utils', 'procps-ng']));
    expect(packagesFor('debian', {roles: ['es'], nfsServer: false, nfsClient: false}).some(p => /jdk|nginx|memcached/.test(p))).toBe(false);
    expect(packagesFor('debian', {roles: ['nfs'], nfsServer: true, nfsClient: false})).toContain('nfs-kernel-server');
    expect(renderLimits(['es'])).toContain('elasticsearch hard nofile 65536');
    expect(renderLimits(['web'])).not.toContain('nofile');
  });

  it('--bundle sets artifacts.source=bundle and keeps the other artifact answers', () => {
    expect(applyInstallFlags({artifacts: {packageMirror: 'http://m/'}}, {profile: 'p', bundle: '/b.tar'})).toEqual({artifacts: {packageMirror: 'http://m/', source: 'bundle', bundleFile: '/b.tar'}});
    const untouched = {pattern: 'small'};
    expect(applyInstallFlags(untouched, {profile: 'p'})).toBe(untouched);
  });

  it('certificates on the servers are kept while they fit; made again when the names change', async () => {
    const profile = small();
    const made = await tlsMaterial(profile, {}, () => {});
    expect(made.unitKey).toContain('BEGIN RSA PRIVATE KEY');
    expect(made.selfSignedServer).toBe(true);
    const log: string[] = [];
    const again = await tlsMaterial(profile, {serverCert: made.serverCert, serverKey: made.serverKey, unitCert: made.unitCert, unitKey: made.unitKey}, line => log.push(line));
    expect(again).toEqual(made);
    expect(log.join('\n')).toMatch(/kept[\s\S]*kept/);
    // Path-based URLs need no wildcard, but the unit FQDN changed: both are made again.
    const other = await tlsMaterial(small({unit: {fqdn: 'other.example.com'}}), {serverCert: made.serverCert, serverKey: made.serverKey, unitCert: made.unitCert, unitKey: made.unitKey}, () => {});
    expect(other.serverCert).not.toBe(made.serverCert);
    expect(other.unitCert).not.toBe(made.unitCert);
    // A key that does not belong to the certificate is not kept either.
    const mismatched = await tlsMaterial(profile, {serverCert: made.serverCert, serverKey: other.serverKey}, () => {});
    expect(mismatched.serverCert).not.toBe(made.serverCert);
  });

  it('the admin password file is 0600, per unit URL, and read back', () => {
    const profile = small();
    const path = join(temp, 'state', 'unitadmin-p.txt');
    const store = adminPasswordStore(path, profile);
    expect(store.read()).toBeUndefined();
    store.write('Secret-123');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain('cell_url=https://unitadmin.unit.example.com/');
    expect(store.read()).toBe('Secret-123');
    // Another unit's file is not taken for this one.
    expect(adminPasswordStore(path, small({unit: {fqdn: 'other.example.com'}})).read()).toBeUndefined();
    expect(cellUrl({fqdn: 'u.example', cellUrlMode: 'path-based', cell: 'admin'})).toBe('https://u.example/admin/');
  });

  it('start follows the boot order, stop the reverse; status is a table', () => {
    const plan = buildPlan(small());
    const start = serviceOrder(plan, 'start').map(group => group.map(s => s.service));
    expect(start).toEqual([['personium-memcached-lock', 'personium-memcached-cache', 'elasticsearch', 'activemq'], ['tomcat'], ['nginx']]);
    expect(serviceOrder(plan, 'stop').map(group => group.map(s => s.service))).toEqual([...start].reverse());
    expect(renderServiceStates([{host: 's1', service: 'tomcat', active: 'active', enabled: 'enabled'}])).toBe('host  service  state   enabled\ns1    tomcat   active  enabled');
  });

  it.skipIf(process.getuid?.() !== 0)('symlinks and removals change once, then report nothing; check mode changes nothing', async () => {
    const root = join(temp, 'fs');
    mkdirSync(join(root, 'app-2'), {recursive: true});
    mkdirSync(join(root, 'app-1'), {recursive: true});
    symlinkSync(join(root, 'app-1'), join(root, 'app'));
    writeFileSync(join(root, 'stale'), 'x');

    const dry: string[] = [];
    expect(await ensureSymlink(localContext(dry, true), join(root, 'app'), join(root, 'app-2'))).toBe(true);
    expect(await ensureAbsent(localContext(dry, true), join(root, 'stale'))).toBe(true);
    expect(existsSync(join(root, 'stale'))).toBe(true);
    expect(dry).toHaveLength(2);

    const changes: string[] = [];
    expect(await ensureSymlink(localContext(changes), join(root, 'app'), join(root, 'app-2'))).toBe(true);
    expect(await ensureAbsent(localContext(changes), join(root, 'stale'))).toBe(true);
    expect(existsSync(join(root, 'stale'))).toBe(false);
    const again: string[] = [];
    expect(await ensureSymlink(localContext(again), join(root, 'app'), join(root, 'app-2'))).toBe(false);
    expect(await ensureAbsent(localContext(again), join(root, 'stale'))).toBe(false);
    expect(again).toEqual([]);
  });
});

describe('package mirror (artifacts.packageMirror)', () => {
  it('gives apt the release and its updates of the host codename, with Ubuntu also universe and security', () => {
    expect(aptMirrorSources('http://mirror.example/debian/', {id: 'debian', codename: 'bookworm'}).split('\n').filter(l => l.startsWith('deb '))).toEqual([
      'deb http://mirror.example/debian bookworm main',
      'deb http://mirror.example/debian bookworm-updates main',
    ]);
    expect(aptMirrorSources('http://mirror.example/ubuntu', {id: 'ubuntu', codename: 'noble'}).split('\n').filter(l => l.startsWith('deb '))).toEqual([
      'deb http://mirror.example/ubuntu noble main universe',
      'deb http://mirror.example/ubuntu noble-updates main universe',
      'deb http://mirror.example/ubuntu noble-security main universe',
    ]);
    expect(() => aptMirrorSources('http://mirror.example/debian', {id: 'debian'})).toThrow(/VERSION_CODENAME/);
  });

  it('reads the codename from os-release', () => {
    expect(osInfoFrom({ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm'})).toEqual({family: 'debian', id: 'debian', versionId: '12', codename: 'bookworm'});
    expect(osInfoFrom({ID: 'rocky', VERSION_ID: '9.4'})).toEqual({family: 'rhel', id: 'rocky', versionId: '9.4'});
  });
});

describe('unit states from one systemctl show', () => {
  it('reads the blocks in the order asked; an unknown unit is inactive and not enabled', () => {
    const stdout = 'ActiveState=active\nUnitFileState=enabled\nConditionResult=yes\n\nActiveState=inactive\nUnitFileState=\nConditionResult=no\n\nActiveState=failed\nUnitFileState=disabled\nConditionResult=yes\n';
    expect(parseUnitStates(stdout, 3)).toEqual([
      {active: 'active', enabled: 'enabled', condition: 'yes'},
      {active: 'inactive', enabled: '', condition: 'no'},
      {active: 'failed', enabled: 'disabled', condition: 'yes'},
    ]);
  });
  it('gives empty states when systemctl printed nothing (no systemd)', () => {
    expect(parseUnitStates('', 2)).toEqual([
      {active: '', enabled: '', condition: ''},
      {active: '', enabled: '', condition: ''},
    ]);
  });
});

describe('unit secrets are never made anew for a unit that has them', () => {
  const made: UnitSecrets = {secret16: 'newnewnewnewnew1', salt: 'newsalt', masterToken: 'newtoken'};
  const kept: UnitSecrets = {secret16: 'abcdefghijklmnop', salt: 'saltsalt', masterToken: 'tokentoken'};
  const generate = () => made;

  it('takes the secrets file, from whichever AP server has it', () => {
    expect(decideUnitSecrets([{host: 'ap1', config: {}}, {host: 'ap2', file: kept, config: {secret16: kept.secret16}}], generate)).toEqual({secrets: kept, source: 'file', from: 'ap2'});
  });

  it('takes secret16 and the salt from a unit config when no server has the file (a new master token only)', () => {
    const decided = decideUnitSecrets([{host: 'ap1', config: {secret16: kept.secret16, salt: kept.salt}}], generate);
    expect(decided).toEqual({secrets: {secret16: kept.secret16, salt: kept.salt, masterToken: 'newtoken'}, source: 'unit-config', from: 'ap1'});
    expect(decideUnitSecrets([{host: 'ap1', config: kept}], generate).secrets).toEqual(kept);
  });

  it('makes new ones only where no server has any', () => {
    expect(decideUnitSecrets([{host: 'ap1', config: {}}, {host: 'ap2', config: {}}], generate)).toEqual({secrets: made, source: 'new'});
  });

  it('refuses servers that disagree, and a unit config with only one of the two', () => {
    expect(() => decideUnitSecrets([{host: 'ap1', file: kept, config: {}}, {host: 'ap2', file: {...kept, salt: 'other'}, config: {}}], generate)).toThrow(/ap1 and ap2 hold different unit secrets/);
    expect(() => decideUnitSecrets([{host: 'ap1', config: {secret16: kept.secret16, salt: kept.salt}}, {host: 'ap2', config: {secret16: 'zzzzzzzzzzzzzzzz', salt: kept.salt}}], generate)).toThrow(UnitSecretsError);
    expect(() => decideUnitSecrets([{host: 'ap1', config: {secret16: kept.secret16}}], generate)).toThrow(/security.secret16 but no security.auth.password.salt/);
  });
});

describe('readiness: an HTTP answer, and from personium-core where that matters', () => {
  // A server in another process (this one's sh calls block the event loop): /core answers 404 as
  // core does for an unknown path, with X-Personium-Version; /tomcat is Tomcat's own 404.
  const SERVER = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        if self.path == '/core': self.send_header('X-Personium-Version', '1.8.3')
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
`;

  it('accepts any answer below 500, and with fromCore only one that carries the core header', async () => {
    const {spawn} = await import('node:child_process');
    const server = spawn('python3', ['-c', SERVER], {stdio: ['ignore', 'pipe', 'inherit']});
    try {
      const port = await new Promise<number>(resolve => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      const ctx = {...localContext([], true), probe: true};
      expect(await waitForHttpAnswer(ctx, `http://127.0.0.1:${port}/tomcat`, 5)).toBe('404');
      expect(await waitForHttpAnswer(ctx, `http://127.0.0.1:${port}/core`, 5, '', {fromCore: true})).toBe('404');
      await expect(waitForHttpAnswer(ctx, `http://127.0.0.1:${port}/tomcat`, 5, '', {fromCore: true})).rejects.toThrow(/did not answer from personium-core \(no X-Personium-Version header/);
    } finally {
      server.kill();
    }
  });
});

describe('the service user across an NFS share', () => {
  const withIds = (name: string, ids: string): Host => ({...here, name, exec: async () => ({code: 0, stdout: `${ids}\n`, stderr: ''})});
  const ctxOn = (host: Host): StepContext => ({...localContext([]), host});

  it('passes when uid and gid agree (or the user is not made yet), and stops with the fix when they differ', async () => {
    await expect(sameServiceUser(ctxOn(withIds('ap1', '2070:2070')), withIds('nfs1', '2070:2070'), 'personium')).resolves.toBeUndefined();
    await expect(sameServiceUser(ctxOn(withIds('ap1', ':')), withIds('nfs1', '2070:2070'), 'personium')).resolves.toBeUndefined();
    const differ = sameServiceUser(ctxOn(withIds('ap1', '998:998')), withIds('nfs1', '2070:2070'), 'personium');
    await expect(differ).rejects.toThrow('personium is uid:gid 998:998 here but 2070:2070 on nfs1, the NFS server');
    await expect(differ).rejects.toMatchObject({outputTail: [expect.stringContaining('usermod -u 2070 personium && groupmod -g 2070 personium')]});
  });
});
