// Elasticsearch files (YAML parsed back) and the systemd units, checked with systemd-analyze verify.
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {parse as parseYaml} from 'yaml';
import {esJvmOptionsPath, renderElasticsearchYml, renderEsJvmOptions, renderEsSysctl} from '../../source/steps/render/elasticsearch.js';
import {renderUnitFile, unitName, unitPath, type UnitKind} from '../../source/steps/render/systemd.js';
import type {UnitContext} from '../../source/steps/render/context.js';
import {context, mediumProfile, smallProfile, tempDir, tool} from './render-fixtures.js';

describe('elasticsearch.yml', () => {
  it('7.17 on one server: single-node, loopback, security off, REST and transport ports', () => {
    const yml = parseYaml(renderElasticsearchYml(context(smallProfile(), '1.8.3'))) as Record<string, unknown>;
    expect(yml).toEqual({
      'cluster.name': 'personium',
      'node.name': 'unit1',
      'path.data': '/personium/elasticsearch/data',
      'path.logs': '/personium/elasticsearch/log',
      'network.host': '127.0.0.1',
      'http.port': 9200,
      'transport.port': 9300,
      'discovery.type': 'single-node',
      'xpack.security.enabled': false,
      'ingest.geoip.downloader.enabled': false,
      'action.destructive_requires_name': false,
      'action.auto_create_index': '.security,.monitoring*,.watches,.triggered_watches,.watcher-history*',
    });
  });

  it('7.17 on three ES servers: private address, seed hosts and initial masters', () => {
    const yml = parseYaml(renderElasticsearchYml(context(mediumProfile(), '1.8.3', {host: 'es2'}))) as Record<string, unknown>;
    expect(yml).toMatchObject({
      'node.name': 'es2',
      'network.host': '10.0.1.42',
      'discovery.seed_hosts': ['10.0.1.41:9300', '10.0.1.42:9300', '10.0.1.43:9300'],
      'cluster.initial_master_nodes': ['es1', 'es2', 'es3'],
      'xpack.security.enabled': false,
    });
    expect(yml['discovery.type']).toBeUndefined();
  });

  it('6.6.1: zen discovery with a quorum, no xpack line', () => {
    const text = renderElasticsearchYml(context(mediumProfile(), '1.8.0', {host: 'es1'}));
    const yml = parseYaml(text) as Record<string, unknown>;
    expect(yml).toMatchObject({
      'cluster.name': 'personium',
      'network.host': '10.0.1.41',
      'transport.tcp.port': 9300,
      'discovery.zen.ping.unicast.hosts': ['10.0.1.41:9300', '10.0.1.42:9300', '10.0.1.43:9300'],
      'discovery.zen.minimum_master_nodes': 2,
      'action.destructive_requires_name': false,
    });
    expect(text).not.toMatch(/xpack|discovery\.type|transport\.port:/);
    const single = parseYaml(renderElasticsearchYml(context(smallProfile(), '1.8.0'))) as Record<string, unknown>;
    expect(single).toMatchObject({'network.host': '127.0.0.1', 'discovery.zen.ping.unicast.hosts': ['127.0.0.1:9300'], 'discovery.zen.minimum_master_nodes': 1});
  });

  it('never binds to every interface', () => {
    const ctx = context(smallProfile(), '1.8.3');
    expect(() => renderElasticsearchYml({...ctx, host: {...ctx.host, bind: '0.0.0.0'}})).toThrow(/never on every interface/);
  });

  it('JVM options: heap from the caller (-Xms = -Xmx), log4j lookups off; a whole jvm.options for 6.x', () => {
    const seven = renderEsJvmOptions(1536).split('\n');
    expect(seven).toEqual(expect.arrayContaining(['-Xms1536m', '-Xmx1536m', '-Dlog4j2.formatMsgNoLookups=true']));
    expect(esJvmOptionsPath(7)).toBe('/opt/elasticsearch/config/jvm.options.d/personium.options');
    const six = renderEsJvmOptions(3072, 6).split('\n');
    expect(six).toEqual(expect.arrayContaining(['-Xms3072m', '-Xmx3072m', '-Dlog4j2.formatMsgNoLookups=true', '-XX:+UseG1GC']));
    expect(six.join('\n')).not.toMatch(/ConcMarkSweep|3328/);
    expect(esJvmOptionsPath(6)).toBe('/opt/elasticsearch/config/jvm.options');
    expect(() => renderEsJvmOptions(40000)).toThrow();
  });

  it('sysctl: vm.max_map_count in its own file', () => {
    expect(renderEsSysctl()).toMatch(/^vm\.max_map_count = 262144$/m);
  });
});

const KINDS: UnitKind[] = ['elasticsearch', 'activemq', 'tomcat', 'memcached-lock', 'memcached-cache'];

/**
 * systemd-analyze verify checks that ExecStart= is executable. The real binaries (/opt/...,
 * /usr/bin/memcached) are not on the test machine, so each ExecStart binary is replaced by a stub
 * script under a temp dir; nothing else in the unit is changed.
 */
function verifyUnits(ctx: UnitContext, kinds: readonly UnitKind[], spoil = (text: string) => text): {stderr: string; code: number} {
  const dir = tempDir('units');
  const files = kinds.map(kind => {
    const stubbed = renderUnitFile(kind, ctx).replace(/^ExecStart=(\S+)/m, (_line, binary: string) => {
      const stub = join(dir, 'stubs', binary);
      mkdirSync(dirname(stub), {recursive: true});
      writeFileSync(stub, '#!/bin/sh\nexit 0\n');
      chmodSync(stub, 0o755);
      return `ExecStart=${stub}`;
    });
    const text = spoil(stubbed);
    const file = join(dir, `${unitName(kind)}.service`);
    writeFileSync(file, text);
    return file;
  });
  return tool('systemd-analyze', ['verify', '--man=no', ...files], 'systemd');
}

describe('systemd units', () => {
  it.each([
    ['one server', smallProfile(), 'unit1', KINDS],
    ['AP + MQ + NFS host', mediumProfile(), 'ap1', ['activemq', 'tomcat', 'memcached-lock', 'memcached-cache'] as UnitKind[]],
    ['ES host', mediumProfile(), 'es1', ['elasticsearch'] as UnitKind[]],
  ])('pass systemd-analyze verify (%s)', (_label, profile, host, kinds) => {
    for (const set of ['1.8.3', '1.8.0'] as const) {
      const result = verifyUnits(context(profile, set, {host, memoryMb: 8192}), kinds);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
  });

  it('the verify check is live: it reports an unknown directive and a missing binary', () => {
    const ctx = context(smallProfile(), '1.8.3');
    expect(verifyUnits(ctx, ['tomcat'], text => text.replace('[Service]', '[Service]\nBogusKey=1')).stderr).toMatch(/Unknown key 'BogusKey'/);
    expect(verifyUnits(ctx, ['tomcat'], text => text.replace(/^ExecStart=.*$/m, 'ExecStart=/nonexistent/catalina.sh run')).stderr).toMatch(/not executable/);
  });

  const directives = (text: string, key: string) =>
    text
      .split('\n')
      .filter(line => line.startsWith(`${key}=`))
      .flatMap(line => line.slice(key.length + 1).split(' '));

  it('Tomcat runs as personium after the services on its host, without a sleep', () => {
    const one = renderUnitFile('tomcat', context(smallProfile(), '1.8.3'));
    expect(directives(one, 'User')).toEqual(['personium']);
    expect(directives(one, 'After')).toEqual(
      expect.arrayContaining(['elasticsearch.service', 'activemq.service', 'personium-memcached-lock.service', 'personium-memcached-cache.service']),
    );
    expect(directives(one, 'Wants')).toEqual(expect.arrayContaining(['elasticsearch.service', 'activemq.service']));
    expect(one).not.toMatch(/sleep|User=root/);
    expect(one).toMatch(/^LimitNOFILE=65536$/m);

    const ap2 = renderUnitFile('tomcat', context(mediumProfile(), '1.8.3', {host: 'ap2'}));
    // Nothing else runs on ap2: no ordering on remote services, but the NFS mount comes first.
    expect(directives(ap2, 'After')).not.toContain('elasticsearch.service');
    expect(directives(ap2, 'After')).not.toContain('activemq.service');
    expect(directives(ap2, 'RequiresMountsFor')).toEqual(['/personium_nfs']);
    const ap1 = renderUnitFile('tomcat', context(mediumProfile(), '1.8.3', {host: 'ap1'}));
    expect(directives(ap1, 'After')).toEqual(expect.arrayContaining(['activemq.service', 'personium-memcached-lock.service']));
    expect(directives(ap1, 'After')).not.toContain('elasticsearch.service');
    expect(ap1).not.toMatch(/RequiresMountsFor/);
  });

  it('memcached instances: ports, bind address, sizes, user from the caller', () => {
    const lock = renderUnitFile('memcached-lock', context(smallProfile(), '1.8.3', {memcachedUser: 'memcached'}));
    const exec = directives(lock, 'ExecStart');
    expect(exec.join(' ')).toBe('/usr/bin/memcached -p 11211 -U 0 -l 127.0.0.1 -m 64 -c 1024 -I 6m');
    expect(directives(lock, 'User')).toEqual(['memcached']);
    const cache = renderUnitFile('memcached-cache', context(mediumProfile({memory: {memcachedCacheMb: 256, memcachedLockMb: 32}}), '1.8.3', {host: 'ap1'}));
    expect(directives(cache, 'ExecStart').join(' ')).toBe('/usr/bin/memcached -p 11212 -U 0 -l 10.0.1.31 -m 256 -c 1024 -I 6m');
    for (const kind of KINDS) expect(renderUnitFile(kind, context(smallProfile(), '1.8.3'))).toMatch(/^LimitNOFILE=65536$/m);
    expect(unitPath('memcached-lock')).toBe('/etc/systemd/system/personium-memcached-lock.service');
  });

  it('ActiveMQ: the heap of the memory plan instead of the stock 1 GB, the rest of its options as bin/env sets them', () => {
    const unit = renderUnitFile('activemq', context(smallProfile(), '1.8.3'));
    expect(unit.split('\n')).toContain('Environment="ACTIVEMQ_OPTS=-Xms64m -Xmx384m -Djava.util.logging.config.file=logging.properties -Djava.security.auth.login.config=/opt/activemq/conf/login.config"');
  });

  it('Elasticsearch uses its bundled JDK on 7.x and the system JDK 17 on 6.x', () => {
    expect(renderUnitFile('elasticsearch', context(smallProfile(), '1.8.3'))).not.toMatch(/JAVA_HOME/);
    expect(renderUnitFile('elasticsearch', context(smallProfile(), '1.8.0'))).toMatch(/^Environment=JAVA_HOME=\/usr\/lib\/jvm\/java-17-openjdk-amd64$/m);
  });
});
