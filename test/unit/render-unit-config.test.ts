// personium-unit-config.properties for both version sets, read back with parseProperties.
import {describe, expect, it} from 'vitest';
import {checkUnitConfigKey} from '../../source/profile/unit-config-keys.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {renderUnitConfig} from '../../source/steps/render/unit-config.js';
import {SECRETS, context, mediumProfile, smallProfile} from './render-fixtures.js';

const read = (text: string) => Object.fromEntries(parseProperties(text));
const C = 'io.personium.core.';

describe('unit config, one server', () => {
  it.each([
    ['1.8.3', '127.0.0.1:9200', undefined],
    ['1.8.0', '127.0.0.1:9300', 'personium'],
  ] as const)('core %s: es.hosts %s, es.cluster.name %s', (set, esHosts, clusterName) => {
    const props = read(renderUnitConfig(context(smallProfile(), set)));
    expect(props[`${C}es.hosts`]).toBe(esHosts);
    expect(props[`${C}es.cluster.name`]).toBe(clusterName);
    expect(props).toMatchObject({
      [`${C}unitScheme`]: 'https',
      [`${C}pathBasedCellUrl.enabled`]: 'false',
      [`${C}unitUser.issuers`]: 'personium-localunit:/unitadmin/',
      [`${C}x509.key`]: '/opt/x509/unit.key',
      [`${C}x509.crt`]: '/opt/x509/unit.crt',
      [`${C}x509.root`]: '/opt/x509/unit.crt',
      [`${C}security.secret16`]: SECRETS.secret16,
      [`${C}security.auth.password.salt`]: SECRETS.salt,
      [`${C}es.index.numberOfShards`]: '1',
      [`${C}es.index.numberOfReplicas`]: '0',
      [`${C}lock.type`]: 'memcached',
      [`${C}lock.memcached.host`]: '127.0.0.1',
      [`${C}lock.memcached.port`]: '11211',
      [`${C}cache.type`]: 'memcached',
      [`${C}cache.memcached.host`]: '127.0.0.1',
      [`${C}cache.memcached.port`]: '11212',
      [`${C}eventbus.mq`]: 'activemq',
      [`${C}eventbus.broker`]: 'tcp://127.0.0.1:61616',
      [`${C}engine.enabled`]: 'true',
      [`${C}engine.host`]: 'localhost',
      [`${C}engine.port`]: '18888',
      [`${C}engine.path`]: 'personium-engine',
      [`${C}blobStore.root`]: '/personium_nfs/personium-core/dav',
      [`${C}event.log.current.dir`]: '/personium_nfs/personium-core/eventlog',
      [`${C}bar.tmp.dir`]: '/personium_nfs/personium-core/bar',
      [`${C}cellSnapshot.root`]: '/personium_nfs/personium-core/snapshot',
      [`${C}plugin.path`]: '/personium/personium-core/plugins',
    });
    // No master token unless asked for.
    expect(props[`${C}masterToken`]).toBeUndefined();
    expect(props['io.personium.engine.masterToken']).toBeUndefined();
    // Every key is one the chosen core version reads.
    for (const key of Object.keys(props)) expect([key, checkUnitConfigKey(key, set)]).toEqual([key, {known: true}]);
  });

  it('explains the shard budget next to numberOfShards', () => {
    const text = renderUnitConfig(context(smallProfile(), '1.8.3'));
    const before = text.slice(0, text.indexOf(`${C}es.index.numberOfShards=1`));
    expect(before.split('\n').slice(-5).join('\n')).toMatch(/max_shards_per_node/);
  });

  it('writes both master-token keys only when a master token is passed', () => {
    const props = read(renderUnitConfig(context(smallProfile(), '1.8.3', {masterToken: 'mt=with:odd#chars'})));
    expect(props[`${C}masterToken`]).toBe('mt=with:odd#chars');
    expect(props['io.personium.engine.masterToken']).toBe('mt=with:odd#chars');
  });

  it('follows cellUrlMode and the admin cell name', () => {
    const profile = smallProfile({unit: {fqdn: 'personium.example.test', cellUrlMode: 'path-based'}, security: {disableMasterToken: true, unitAdminCell: 'admin-cell'}});
    const props = read(renderUnitConfig(context(profile, '1.8.3')));
    expect(props[`${C}pathBasedCellUrl.enabled`]).toBe('true');
    expect(props[`${C}unitUser.issuers`]).toBe('personium-localunit:/admin-cell/');
  });

  it('refuses to render without the secrets', () => {
    expect(() => renderUnitConfig(context(smallProfile(), '1.8.3', {secrets: undefined}))).toThrow(/secret16/);
  });
});

describe('unit config, several servers', () => {
  it.each([
    ['1.8.3', '10.0.1.41:9200,10.0.1.42:9200,10.0.1.43:9200', undefined],
    ['1.8.0', '10.0.1.41:9300,10.0.1.42:9300,10.0.1.43:9300', 'personium'],
  ] as const)('core %s on ap2: private addresses of the ES, MQ and NFS hosts', (set, esHosts, clusterName) => {
    const props = read(renderUnitConfig(context(mediumProfile(), set, {host: 'ap2'})));
    expect(props).toMatchObject({
      [`${C}es.hosts`]: esHosts,
      [`${C}lock.memcached.host`]: '10.0.1.31',
      [`${C}cache.memcached.host`]: '10.0.1.31',
      [`${C}eventbus.broker`]: 'tcp://10.0.1.31:61616',
      // Tomcat on ap2 listens on its private address, so core reaches the engine there.
      [`${C}engine.host`]: '10.0.1.32',
      [`${C}pathBasedCellUrl.enabled`]: 'true',
    });
    expect(props[`${C}es.cluster.name`]).toBe(clusterName);
  });

  it('uses resolved addresses and brackets IPv6 literals', () => {
    const ctx = context(mediumProfile(), '1.8.3', {host: 'ap1', addresses: {es1: 'fd00::41', es2: 'fd00::42', es3: 'fd00::43', ap1: 'fd00::31'}});
    const props = read(renderUnitConfig(ctx));
    expect(props[`${C}es.hosts`]).toBe('[fd00::41]:9200,[fd00::42]:9200,[fd00::43]:9200');
    expect(props[`${C}eventbus.broker`]).toBe('tcp://[fd00::31]:61616');
  });
});

describe('unit config extras', () => {
  it('writes OIDC providers with space-separated client ids and only the options given', () => {
    const profile = smallProfile({
      authPlugins: {
        oidc: [
          {name: 'google', configURL: 'https://accounts.google.com/.well-known/openid-configuration', trustedClientIds: ['id1.apps', 'id2.apps']},
          {name: 'kc', configURL: 'https://kc.example.test/realms/x/.well-known/openid-configuration', trustedClientIds: ['*'], pluginName: 'Keycloak', accountType: 'oidc:kc', accountNameKey: 'email', grantType: 'urn:x-personium:oidc:kc'},
        ],
        jars: [],
      },
    });
    const props = read(renderUnitConfig(context(profile, '1.8.3')));
    const oidc = Object.fromEntries(Object.entries(props).filter(([k]) => k.startsWith('io.personium.plugin.oidc.')));
    expect(oidc).toEqual({
      'io.personium.plugin.oidc.google.enabled': 'true',
      'io.personium.plugin.oidc.google.configURL': 'https://accounts.google.com/.well-known/openid-configuration',
      'io.personium.plugin.oidc.google.trustedClientIds': 'id1.apps id2.apps',
      'io.personium.plugin.oidc.kc.enabled': 'true',
      'io.personium.plugin.oidc.kc.configURL': 'https://kc.example.test/realms/x/.well-known/openid-configuration',
      'io.personium.plugin.oidc.kc.trustedClientIds': '*',
      'io.personium.plugin.oidc.kc.pluginName': 'Keycloak',
      'io.personium.plugin.oidc.kc.accountType': 'oidc:kc',
      'io.personium.plugin.oidc.kc.accountNameKey': 'email',
      'io.personium.plugin.oidc.kc.grantType': 'urn:x-personium:oidc:kc',
    });
  });

  it('applies unitConfig overrides last: in place for written keys, appended otherwise', () => {
    const profile = smallProfile({
      unitConfig: {
        'io.personium.core.es.index.numberOfShards': '2',
        'io.personium.core.dav.childresource.maxnum': '1000000',
        'io.personium.core.es.cluster.name': 'ignored-on-1.8.3',
      },
    });
    const text = renderUnitConfig(context(profile, '1.8.3'));
    const props = read(text);
    expect(props[`${C}es.index.numberOfShards`]).toBe('2');
    expect(text.match(/numberOfShards=/g)).toHaveLength(1);
    expect(props[`${C}dav.childresource.maxnum`]).toBe('1000000');
    // 1.8.3 dropped es.cluster.name: an override of it is not written.
    expect(props[`${C}es.cluster.name`]).toBeUndefined();
    expect(read(renderUnitConfig(context(profile, '1.8.0')))[`${C}es.cluster.name`]).toBe('ignored-on-1.8.3');
  });

  it('refuses secrets in unitConfig', () => {
    const profile = smallProfile({unitConfig: {'io.personium.core.masterToken': 'x'}});
    expect(() => renderUnitConfig(context(profile, '1.8.3'))).toThrow(/secret/);
  });

  it('trusts the provided roots, or only the Personium CA when none are given', () => {
    const provided = smallProfile({unitCertificate: {mode: 'provided', certFile: '/in/unit.crt', keyFile: '/in/unit.key', trustedRoots: ['/in/ca-a.pem', '/in/ca-b.pem']}});
    expect(read(renderUnitConfig(context(provided, '1.8.3')))[`${C}x509.root`]).toBe('/opt/x509/roots/ca-a.pem /opt/x509/roots/ca-b.pem');
    const noRoots = smallProfile({unitCertificate: {mode: 'provided', certFile: '/in/unit.crt', keyFile: '/in/unit.key'}});
    expect(read(renderUnitConfig(context(noRoots, '1.8.3')))[`${C}x509.root`]).toBeUndefined();
  });
});
