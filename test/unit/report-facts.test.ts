// The report's fact script: the unit config is masked on the host by real awk (no secret value
// ever comes back), the script is valid sh for every role and runs here for real, and its
// output parses into the facts the judges read.
import {execFileSync, spawnSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {PATHS} from '../../source/plan/paths.js';
import {MASK_AWK, cachedVersion, parseReportFacts, reportScript, versionIn, type ReportScriptOptions} from '../../source/report/facts.js';

const SECRETS = ['s3cret16chars-xy', 'Salt-Value-99', 'MasterTok3n-abc', 'EngineTok-def', 'cont-part-one', 'cont-part-two', 'intro-pw'];

describe('unit config masking (awk on the host)', () => {
  const config = [
    '# comment with io.personium.core.masterToken=not-a-value',
    'io.personium.core.unitScheme=https',
    `io.personium.core.masterToken=${SECRETS[2]}`,
    `io.personium.engine.masterToken : ${SECRETS[3]}`,
    `  io.personium.core.security.secret16   ${SECRETS[0]}`,
    `io.personium.core.security.auth.password.salt=${SECRETS[1]}`,
    `io.personium.core.introspect.password=${SECRETS[6]}\\`,
    `    ${SECRETS[4]}\\`,
    `    ${SECRETS[5]}`,
    'io.personium.engine.security.secret16=',
    'io.personium.core.es.hosts=127.0.0.1:9200',
    '',
  ].join('\n');

  it('replaces every secret by a marker and keeps the rest', () => {
    const out = execFileSync('awk', [MASK_AWK], {input: config}).toString();
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    expect(out).toContain('io.personium.core.masterToken=__SET__');
    expect(out).toContain('io.personium.engine.masterToken=__SET__');
    expect(out).toContain('io.personium.core.security.secret16=__SET__');
    expect(out).toContain('io.personium.core.security.auth.password.salt=__SET__');
    expect(out).toContain('io.personium.core.introspect.password=__SET__');
    expect(out).toContain('io.personium.engine.security.secret16=\n');
    expect(out).toContain('io.personium.core.es.hosts=127.0.0.1:9200');
    expect(out).toContain('# comment with');
  });

  it('works with mawk and busybox-like awks too (POSIX only)', () => {
    for (const awk of ['mawk', 'gawk', 'original-awk', 'busybox']) {
      const found = spawnSync('sh', ['-c', `command -v ${awk}`]).status === 0;
      if (!found) continue;
      const args = awk === 'busybox' ? ['awk', MASK_AWK] : [MASK_AWK];
      const out = execFileSync(awk, args, {input: config}).toString();
      for (const secret of SECRETS) expect(out, awk).not.toContain(secret);
    }
  });
});

const ALL_ROLES: ReportScriptOptions = {
  marker: 'rp-test',
  roles: ['web', 'ap', 'es', 'mq', 'nfs'],
  services: ['nginx', 'tomcat', 'elasticsearch', 'activemq', 'personium-memcached-lock'],
  diskPaths: ['/', PATHS.esData],
  names: ['localhost', "it's; $(echo no)"],
  probes: [
    {id: 'es-health', kind: 'http', host: '127.0.0.1', port: 9, url: 'http://127.0.0.1:9/_cluster/health'},
    {id: 'memcached-lock', kind: 'memcached', host: '127.0.0.1', port: 9},
    {id: 'activemq', kind: 'activemq', host: '127.0.0.1', port: 9},
    {id: 'reach-es-0', kind: 'tcp', host: '127.0.0.1', port: 9},
  ],
  nfsMount: true,
  writeTestDir: '/nonexistent-dir-for-the-test',
  trustCheck: true,
};

describe('the fact script', () => {
  it('is valid sh for every role combination', () => {
    for (const roles of [['web'], ['ap'], ['es'], ['mq', 'nfs'], ['web', 'ap', 'es', 'mq', 'nfs']] as const) {
      const script = reportScript({...ALL_ROLES, roles: [...roles]});
      const check = spawnSync('sh', ['-n'], {input: script});
      expect(check.status, `${roles.join(',')}: ${check.stderr}`).toBe(0);
    }
  });

  it('refuses a marker or probe id that could break the sections', () => {
    expect(() => reportScript({...ALL_ROLES, marker: 'a b'})).toThrow();
    expect(() => reportScript({...ALL_ROLES, probes: [{id: 'x y', kind: 'tcp', host: 'h', port: 1}]})).toThrow();
  });

  it('runs for real here and parses, whatever is missing', () => {
    const run = spawnSync('sh', ['-s'], {input: reportScript(ALL_ROLES), timeout: 60_000});
    const out = run.stdout.toString();
    expect(out).toContain('--rp-test end');
    const facts = parseReportFacts(out, 'rp-test');
    expect(facts.os?.id).toBeTruthy();
    expect(facts.disks.find(d => d.path === '/')?.sizeKb).toBeGreaterThan(0);
    // Nothing listens on port 9: every probe says so, none throws.
    expect(facts.probes['es-health']).toMatchObject({ok: false});
    expect(facts.probes['memcached-lock']).toMatchObject({ok: false});
    expect(facts.probes.activemq).toMatchObject({ok: false});
    expect(facts.probes['reach-es-0']).toMatchObject({ok: false});
    expect(facts.nfs?.write).toBe('failed');
    // The hostile name was resolved as one plain argument.
    expect(Object.keys(facts.resolved)).toContain('localhost');
  });
});

describe('parsing the output', () => {
  const M = 'rp-x';
  const sec = (name: string, ...lines: string[]) => [`--${M} ${name}`, ...lines, ''].join('\n');
  const output = [
    sec('os', 'ID=debian', 'VERSION_ID="12"', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"'),
    sec(
      'services',
      'Id=tomcat.service',
      'LoadState=loaded',
      'ActiveState=active',
      'SubState=running',
      'UnitFileState=enabled',
      'After=network-online.target elasticsearch.service',
      'RequiresMountsFor=/personium_nfs',
      '',
      'Id=nginx.service',
      'LoadState=loaded',
      'ActiveState=failed',
      'SubState=failed',
      'UnitFileState=disabled',
    ),
    sec('listen', 'LISTEN 0 100 127.0.0.1:18888 0.0.0.0:* users:(("java",pid=501,fd=40))', 'LISTEN 0 4096 [::]:443 [::]:* users:(("nginx",pid=600,fd=7))'),
    sec('pids', '501 tomcat.service java', '600 nginx.service nginx'),
    sec('df', '/ / 1000 400 /'),
    sec(
      'versions',
      'javahome /usr/lib/jvm/java-17-openjdk-amd64',
      'java 17.0.13',
      'nginx nginx version: nginx/1.22.1',
      'tomcathome /opt/tomcat-9.0.120',
      'tomcatinfo 9.0.120.0',
      'tomcatnotes ',
      'war core',
      'core file:personium-core-1.8.3.war',
      'war engine',
      'engine 1.6.0',
      'eshome /opt/elasticsearch-7.17.29',
      'mqhome /opt/activemq-5.18.7',
      'memcached memcached 1.6.18',
    ),
    sec('nginx', 'rc 0', 'protocols /etc/nginx/nginx.conf TLSv1 TLSv1.1 TLSv1.2 TLSv1.3', `protocols ${PATHS.nginxSite} TLSv1.2 TLSv1.3`),
    sec('unitconfig', '#present', 'io.personium.core.masterToken=__SET__', 'io.personium.core.es.hosts=127.0.0.1:9200'),
    sec('unitkey', 'header -----BEGIN RSA PRIVATE KEY-----', 'match yes'),
    sec('extensions', '#dir', 'jar personium-ex-httpclient.jar file:personium-ex-httpclient-1.2.0-libs.jar', 'jar personium-ex-other.jar ', 'props Ext_MailSender.properties'),
    sec('tomcat', 'users 0', 'webapp personium-core', 'webapp personium-core.war'),
    sec('nfsmount', '10.0.0.12:/personium_nfs nfs4 rw,relatime,vers=4.2'),
    sec('updates', 'lists 1700000000', 'total 5', 'security 2', 'tool apt'),
    sec('probe.es-health', 'kind http', 'rc 0', 'http 200', 'error ', '#body', '{"status":"green"}'),
    sec('probe.memcached-lock', 'kind memcached', 'STAT pid 10', 'STAT uptime 50', 'STAT version 1.6.18', 'rc 0', 'error '),
    sec('probe.activemq', 'kind activemq', 'connected', '.....ActiveMQ', 'rc 0', 'error '),
    sec('probe.reach-es-0', 'kind tcp', 'rc 124', 'error '),
    sec('write', 'rc 0', 'error '),
    sec('trust', 'store /usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', 'Certificate fingerprint (SHA-256): aa:bb:cc'),
    `--${M} end`,
  ].join('\n');

  it('reads every section', () => {
    const f = parseReportFacts(output, M);
    expect(f.os).toMatchObject({id: 'debian', versionId: '12'});
    expect(f.services).toEqual([
      {name: 'tomcat', load: 'loaded', active: 'active', sub: 'running', enabled: 'enabled', after: ['network-online.target', 'elasticsearch.service'], wants: [], requiresMountsFor: ['/personium_nfs']},
      {name: 'nginx', load: 'loaded', active: 'failed', sub: 'failed', enabled: 'disabled', after: [], wants: [], requiresMountsFor: []},
    ]);
    expect(f.listeners).toEqual([
      {address: '127.0.0.1', port: 18888, processes: [{name: 'java', pid: 501, unit: 'tomcat.service'}]},
      {address: '::', port: 443, processes: [{name: 'nginx', pid: 600, unit: 'nginx.service'}]},
    ]);
    expect(f.versions).toMatchObject({java: '17.0.13', nginx: '1.22.1', tomcat: '9.0.120', core: '1.8.3 (= personium-core-1.8.3.war in the artifact cache)', engine: '1.6.0', elasticsearch: '7.17.29', activemq: '5.18.7', memcached: '1.6.18'});
    expect(f.wars).toEqual({core: true, engine: true});
    expect(f.nginx).toEqual({testOk: true, sslProtocols: [{file: '/etc/nginx/nginx.conf', protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']}, {file: PATHS.nginxSite, protocols: ['TLSv1.2', 'TLSv1.3']}]});
    expect(f.unitConfig).toEqual({present: true, values: {'io.personium.core.masterToken': '__SET__', 'io.personium.core.es.hosts': '127.0.0.1:9200'}});
    expect(f.unitKeyHeader).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(f.unitKeyMatches).toBe(true);
    expect(f.extensions).toEqual({dir: true, jars: [{file: 'personium-ex-httpclient.jar', version: '1.2.0 (= personium-ex-httpclient-1.2.0-libs.jar in the artifact cache)'}, {file: 'personium-ex-other.jar'}], properties: ['Ext_MailSender.properties']});
    expect(f.tomcatUsers).toBe(0);
    expect(f.nfs).toEqual({mount: {source: '10.0.0.12:/personium_nfs', fstype: 'nfs4', options: 'rw,relatime,vers=4.2'}, write: 'ok'});
    expect(f.updates).toMatchObject({tool: 'apt', security: 2, total: 5});
    expect(f.probes['es-health']).toMatchObject({ok: true, status: 200, body: '{"status":"green"}'});
    expect(f.probes['memcached-lock']).toMatchObject({ok: true, version: '1.6.18'});
    expect(f.probes.activemq).toMatchObject({ok: true, greeting: true});
    expect(f.probes['reach-es-0']).toMatchObject({ok: false, detail: 'timed out'});
    expect(f.trust).toEqual({store: '/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', fingerprints: ['AA:BB:CC']});
  });

  it('missing sections give empty facts, never a throw', () => {
    const f = parseReportFacts(`--${M} end\n`, M);
    expect(f.services).toEqual([]);
    expect(f.listenersUnknown).toBe(true);
    expect(f.unitConfig).toBeUndefined();
  });

  it('version helpers', () => {
    expect(versionIn('Apache Tomcat Version 9.0.120')).toBe('9.0.120');
    expect(cachedVersion('file:personium-engine-1.6.0.war')).toBe('1.6.0 (= personium-engine-1.6.0.war in the artifact cache)');
    expect(cachedVersion('file:unknown.war')).toBeUndefined();
    expect(cachedVersion('')).toBeUndefined();
  });
});
