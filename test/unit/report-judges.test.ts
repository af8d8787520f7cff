// The report's judges on fact fixtures: a freshly installed unit passes everywhere; each fault,
// made in the facts one at a time, fails (or warns) the item that names it, with a fix hint.
import {createPrivateKey} from 'node:crypto';
import {beforeAll, describe, expect, it} from 'vitest';
import {PATHS} from '../../source/plan/paths.js';
import type {ReportFacts} from '../../source/report/facts.js';
import {judgeHost} from '../../source/report/judges.js';
import type {ReportItem} from '../../source/report/types.js';
import {contextFor, installedUnit, makeCerts, type Unit} from './report-fixtures.js';

function judgeAll(unit: Unit): ReportItem[] {
  return unit.plan.hosts.flatMap(h => judgeHost(contextFor(unit, h.name)));
}

/** A copy of the unit with one host's facts changed. */
function withFacts(unit: Unit, host: string, change: (f: ReportFacts) => void): Unit {
  const facts = new Map([...unit.facts].map(([name, f]) => [name, structuredClone(f)]));
  change(facts.get(host)!);
  return {...unit, facts};
}

function item(items: ReportItem[], host: string, id: string): ReportItem {
  const found = items.find(i => i.host === host && i.id === id);
  if (!found) throw new Error(`no item ${id} on ${host}; have ${items.filter(i => i.host === host).map(i => i.id).join(', ')}`);
  return found;
}

const notPassing = (items: ReportItem[]) => items.filter(i => i.status !== 'pass').map(i => `${i.host} ${i.id} ${i.status}: ${i.found}`);

describe('report judges: small (one server)', () => {
  let unit: Unit;
  beforeAll(async () => {
    unit = await installedUnit('small');
  });

  it('a freshly installed unit passes every item', () => {
    const items = judgeAll(unit);
    expect(notPassing(items)).toEqual([]);
    // Grouped by the role each item concerns.
    expect(new Set(items.map(i => i.role))).toEqual(new Set(['host', 'web', 'ap', 'es', 'mq', 'nfs']));
    for (const id of ['OS', 'Updates-Security', 'DNS-FQDN', 'DNS-Wildcard', 'Service-tomcat', 'Boot-tomcat', 'Port-18888', 'Version-core', 'Cert-Server-Names', 'Cert-Unit-CN', 'Cert-Unit-Key', 'Cert-JVM-Trust', 'Config-Keys', 'Config-Secrets', 'Extension-httpclient', 'NFS-Write', 'ES-Health', 'Memcached-lock', 'ActiveMQ-Answers', 'Security-MasterToken', 'Security-TomcatUsers', 'Security-TLS-Config', 'Security-ActiveMQ']) {
      expect(item(items, 'server1', id).status).toBe('pass');
    }
    // Every item says what was expected and what was found.
    for (const i of items) {
      expect(i.expected.length).toBeGreaterThan(0);
      expect(i.found.length).toBeGreaterThan(0);
    }
  });

  it('a stopped service fails with how to start it', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        const s = f.services.find(x => x.name === 'tomcat')!;
        s.active = 'inactive';
        s.sub = 'dead';
        f.listeners = f.listeners.filter(l => l.port !== 18888 && l.port !== 8005);
      }),
    );
    const s = item(items, 'server1', 'Service-tomcat');
    expect(s.status).toBe('fail');
    expect(s.role).toBe('ap');
    expect(s.found).toContain('inactive');
    expect(s.fix).toContain('systemctl start tomcat');
    expect(item(items, 'server1', 'Port-18888')).toMatchObject({status: 'fail', found: 'nothing listens'});
  });

  it('a disabled service fails: it would not come back after a reboot', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.services.find(x => x.name === 'elasticsearch')!.enabled = 'disabled')));
    expect(item(items, 'server1', 'Service-elasticsearch')).toMatchObject({status: 'fail', fix: expect.stringContaining('systemctl enable elasticsearch')});
  });

  it('a port bound to every interface fails (memcached must stay on loopback)', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.listeners.find(l => l.port === 11211)!.address = '0.0.0.0')));
    const p = item(items, 'server1', 'Port-11211');
    expect(p.status).toBe('fail');
    expect(p.role).toBe('nfs');
    expect(p.found).toContain('every interface');
    expect(p.expected).toContain('127.0.0.1');
    expect(p.fix).toContain('bind');
  });

  it('a port bound to another address fails', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.listeners.find(l => l.port === 18888)!.address = '192.0.2.10')));
    expect(item(items, 'server1', 'Port-18888')).toMatchObject({status: 'fail', found: expect.stringContaining('bound to 192.0.2.10:18888, not 127.0.0.1:18888')});
  });

  it('a server certificate without the wildcard fails for per-cell URLs', async () => {
    const certs = await makeCerts(unit.profile, {names: [unit.profile.unit.fqdn]});
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.serverCert = certs.serverCert)));
    const c = item(items, 'server1', 'Cert-Server-Names');
    expect(c.status).toBe('fail');
    expect(c.role).toBe('web');
    expect(c.found).toContain(`*.${unit.profile.unit.fqdn} not covered`);
    expect(c.fix).toContain('per-cell');
    // The JVM no longer trusts what nginx serves either (another certificate).
    expect(item(items, 'server1', 'Cert-JVM-Trust').status).toBe('fail');
  });

  it('a unit certificate with the wrong CN fails', async () => {
    const certs = await makeCerts(unit.profile, {unitCn: 'other.example'});
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.unitCert = certs.unitCert)));
    expect(item(items, 'server1', 'Cert-Unit-CN')).toMatchObject({status: 'fail', found: expect.stringContaining('CN=other.example'), fix: expect.stringContaining(`CN=${unit.profile.unit.fqdn}`)});
  });

  it('a PKCS#8 unit key fails with the conversion command', () => {
    const pkcs8 = createPrivateKey(unit.certs.unitKey).export({type: 'pkcs8', format: 'pem'}).toString();
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.unitKeyHeader = pkcs8.split('\n')[0])));
    const k = item(items, 'server1', 'Cert-Unit-Key');
    expect(k.status).toBe('fail');
    expect(k.found).toContain('PKCS#8');
    expect(k.fix).toContain('openssl rsa');
    expect(k.fix).toContain('-traditional');
  });

  it('a missing extension fails; an unknown one warns', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.extensions!.jars = [{file: 'personium-ex-other.jar', version: '0.1'}])));
    expect(item(items, 'server1', 'Extension-httpclient')).toMatchObject({status: 'fail', found: 'missing', fix: expect.stringContaining(PATHS.extensionsDir)});
    expect(item(items, 'server1', 'Extension-Extra')).toMatchObject({status: 'warn', found: expect.stringContaining('personium-ex-other.jar')});
  });

  it('Elasticsearch down fails its health and its service', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        f.services.find(x => x.name === 'elasticsearch')!.active = 'failed';
        f.probes['es-health'] = {id: 'es-health', kind: 'http', ok: false, detail: 'curl: (7) Failed to connect'};
        f.probes['es-root'] = {id: 'es-root', kind: 'http', ok: false, detail: 'curl: (7) Failed to connect'};
        f.listeners = f.listeners.filter(l => l.port !== 9200 && l.port !== 9300);
      }),
    );
    expect(item(items, 'server1', 'ES-Health')).toMatchObject({status: 'fail', role: 'es', fix: expect.stringContaining('journalctl -u elasticsearch')});
    expect(item(items, 'server1', 'Service-elasticsearch').status).toBe('fail');
    expect(item(items, 'server1', 'Port-9200').status).toBe('fail');
  });

  it('the shard budget: room for new cell owners, warned from 80 % of the limit, failed at it', () => {
    const withShards = (active: number, nodes = 1) => judgeAll(withFacts(unit, 'server1', f => void (f.probes['es-health']!.body = JSON.stringify({cluster_name: 'personium', status: 'green', number_of_nodes: nodes, number_of_data_nodes: nodes, active_shards: active, unassigned_shards: 0}))));
    expect(item(withShards(36), 'server1', 'ES-Shard-Budget')).toMatchObject({status: 'pass', found: '36 of 1000 shards in use: room for about 56 more cell owners (17 shards each)'});
    expect(item(withShards(850), 'server1', 'ES-Shard-Budget')).toMatchObject({status: 'warn', fix: expect.stringContaining('cluster.max_shards_per_node')});
    expect(item(withShards(1000), 'server1', 'ES-Shard-Budget')).toMatchObject({status: 'fail', found: expect.stringContaining("core cannot make a new cell owner's indices")});
    expect(item(withShards(1000, 3), 'server1', 'ES-Shard-Budget').status).toBe('pass');
  });

  it('a red cluster fails; yellow passes', () => {
    const health = (status: string) => judgeAll(withFacts(unit, 'server1', f => void (f.probes['es-health']!.body = JSON.stringify({cluster_name: 'personium', status, number_of_nodes: 1}))));
    expect(item(health('red'), 'server1', 'ES-Health').status).toBe('fail');
    expect(item(health('yellow'), 'server1', 'ES-Health').status).toBe('pass');
  });

  it('memcached and ActiveMQ that do not answer fail', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        f.probes['memcached-cache'] = {id: 'memcached-cache', kind: 'memcached', ok: false, detail: 'connection refused'};
        f.probes.activemq = {id: 'activemq', kind: 'activemq', ok: false, detail: 'connection refused'};
      }),
    );
    expect(item(items, 'server1', 'Memcached-cache').status).toBe('fail');
    expect(item(items, 'server1', 'ActiveMQ-Answers').status).toBe('fail');
  });

  it('the master token left enabled fails when the profile disables it; never shows its value', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void (f.unitConfig!.values['io.personium.core.masterToken'] = '__SET__')));
    const m = item(items, 'server1', 'Security-MasterToken');
    expect(m.status).toBe('fail');
    expect(m.found).toContain('core enabled');
    expect(m.found).not.toContain('__SET__');
  });

  it('unit config keys that differ from the profile are listed; missing secrets fail', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        f.unitConfig!.values['io.personium.core.es.hosts'] = 'localhost:9300';
        delete f.unitConfig!.values['io.personium.core.security.auth.password.salt'];
      }),
    );
    expect(item(items, 'server1', 'Config-Keys')).toMatchObject({status: 'fail', found: expect.stringContaining('es.hosts=localhost:9300 (want 127.0.0.1:9200)')});
    expect(item(items, 'server1', 'Config-Secrets')).toMatchObject({status: 'fail', found: 'secret16 set, salt absent'});
  });

  it('Tomcat manager users, stock ActiveMQ listeners and old TLS protocols fail', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        f.tomcatUsers = 1;
        f.webapps!.push('manager');
        f.listeners.push({address: '0.0.0.0', port: 8161, processes: [{name: 'java', pid: 77, unit: 'activemq.service'}]});
        f.nginx!.sslProtocols = [{file: PATHS.nginxSite, protocols: ['TLSv1', 'TLSv1.2']}];
      }),
    );
    expect(item(items, 'server1', 'Security-TomcatUsers').status).toBe('fail');
    expect(item(items, 'server1', 'Security-ActiveMQ').status).toBe('fail');
    expect(item(items, 'server1', 'Security-TLS-Config').status).toBe('fail');
  });

  it('boot order, JVM trust, versions, disk, updates and DNS', () => {
    const items = judgeAll(
      withFacts(unit, 'server1', f => {
        f.services.find(x => x.name === 'tomcat')!.after = ['network-online.target'];
        f.trust!.fingerprints = ['AA:BB'];
        f.versions.core = '1.8.0';
        f.disks.find(d => d.path === PATHS.esData)!.availKb = 1024;
        f.updates = {tool: 'apt', security: 3, total: 5, listsAgeDays: 0};
        f.resolved = {};
      }),
    );
    expect(item(items, 'server1', 'Boot-tomcat')).toMatchObject({status: 'fail', found: expect.stringContaining('not after elasticsearch.service')});
    expect(item(items, 'server1', 'Cert-JVM-Trust')).toMatchObject({status: 'fail', fix: expect.stringContaining('keytool -importcert')});
    expect(item(items, 'server1', 'Version-core')).toMatchObject({status: 'fail', found: expect.stringContaining('1.8.0')});
    expect(item(items, 'server1', `Disk-${PATHS.esData}`)).toMatchObject({status: 'fail', role: 'es'});
    expect(item(items, 'server1', 'Updates-Security')).toMatchObject({status: 'warn', found: expect.stringContaining('3 security updates')});
    expect(item(items, 'server1', 'DNS-FQDN').status).toBe('fail');
    expect(item(items, 'server1', 'DNS-Wildcard').status).toBe('fail');
  });

  it('Java that is not 17 fails, with the fix for where the profile takes Java from', async () => {
    const notJava17 = (u: Unit) => withFacts(u, 'server1', f => void (f.versions.java = '11.0.25'));
    expect(item(judgeAll(notJava17(unit)), 'server1', 'Version-java')).toMatchObject({status: 'fail', fix: 'install openjdk-17-jre-headless (apt) or java-17-openjdk-headless (dnf)'});
    const tarball = await installedUnit('small', {artifacts: {jdk: 'tarball'}}, unit.certs);
    expect(item(judgeAll(notJava17(tarball)), 'server1', 'Version-java')).toMatchObject({status: 'fail', fix: expect.stringContaining('Temurin 17.0.18+8 tarball to /opt/jdk-17.0.18+8')});
  });

  it('an expired certificate fails, one about to expire warns', async () => {
    const soon = await makeCerts(unit.profile, {days: 10});
    expect(item(judgeAll(withFacts(unit, 'server1', f => void (f.serverCert = soon.serverCert))), 'server1', 'Cert-Server-Expiry').status).toBe('warn');
    const later = {...unit, facts: unit.facts};
    const items = later.plan.hosts.flatMap(h => judgeHost({...contextFor(withFacts(unit, 'server1', f => void (f.serverCert = soon.serverCert)), h.name), now: Date.parse('2027-01-01T00:00:00Z')}));
    expect(item(items, 'server1', 'Cert-Server-Expiry')).toMatchObject({status: 'fail', found: expect.stringContaining('expired')});
  });

  it('a judge that throws becomes a warning, never a crash', () => {
    const items = judgeAll(withFacts(unit, 'server1', f => void ((f as {services: unknown}).services = null)));
    expect(items.some(i => i.status === 'warn' && i.found.includes('the judge itself failed'))).toBe(true);
  });
});

describe('report judges: medium-large (web, two AP, ES)', () => {
  let unit: Unit;
  beforeAll(async () => {
    unit = await installedUnit('medium-large');
  });

  it('a freshly installed unit passes every item, on every host', () => {
    const items = judgeAll(unit);
    expect(notPassing(items)).toEqual([]);
    expect(item(items, 'ap2', 'NFS-Mount').status).toBe('pass');
    expect(item(items, 'ap2', 'Reach-memcached-lock').status).toBe('pass');
    expect(item(items, 'ap2', 'Reach-activemq').status).toBe('pass');
    expect(item(items, 'ap1', 'Reach-es-0').status).toBe('pass');
    // Only the roles a host plays are judged there.
    expect(items.filter(i => i.host === 'es1').map(i => i.role)).not.toContain('ap');
    expect(items.filter(i => i.host === 'web1').some(i => i.id === 'Service-tomcat')).toBe(false);
  });

  it('Tomcat bound to every interface fails on the AP host', () => {
    const items = judgeAll(withFacts(unit, 'ap2', f => void (f.listeners.find(l => l.port === 18888)!.address = '0.0.0.0')));
    expect(item(items, 'ap2', 'Port-18888')).toMatchObject({status: 'fail', expected: expect.stringContaining('10.0.0.14 only')});
  });

  it('NFS not mounted or not writable fails on the AP host that needs it', () => {
    const items = judgeAll(
      withFacts(unit, 'ap2', f => {
        f.nfs = {write: 'timeout'};
      }),
    );
    expect(item(items, 'ap2', 'NFS-Mount')).toMatchObject({status: 'fail', found: 'not mounted'});
    expect(item(items, 'ap2', 'NFS-Write')).toMatchObject({status: 'fail', found: expect.stringContaining('hung')});
  });

  it('Elasticsearch down is seen on the ES host and from the AP hosts', () => {
    const items = judgeAll(
      withFacts(withFacts(unit, 'es1', f => void (f.probes['es-health'] = {id: 'es-health', kind: 'http', ok: false, detail: 'no answer'})), 'ap1', f => {
        f.probes['reach-es-0'] = {id: 'reach-es-0', kind: 'tcp', ok: false, detail: 'connection refused'};
      }),
    );
    expect(item(items, 'es1', 'ES-Health').status).toBe('fail');
    expect(item(items, 'ap1', 'Reach-es-0')).toMatchObject({status: 'fail', found: expect.stringContaining('10.0.0.13:9200')});
  });

  it('the NFS server and rpcbind listening everywhere only warn (the kernel binds them so)', () => {
    const items = judgeAll(withFacts(unit, 'ap1', f => void (f.listeners.find(l => l.port === 2049)!.address = '0.0.0.0')));
    expect(item(items, 'ap1', 'Port-2049').status).toBe('warn');
  });
});
