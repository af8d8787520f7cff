// personium-unit-config.properties: every key the chosen core version needs, and none it dropped.
import {PATHS} from '../../plan/paths.js';
import {ES_CLUSTER_NAME, PORTS, hostPort, type UnitContext} from './context.js';
import {renderProperties, type PropertiesLine} from './properties.js';

const CORE = 'io.personium.core.';
const CLUSTER_NAME_KEY = `${CORE}es.cluster.name`;

/** Keys that carry secrets: set from the resolved secrets only, never from `unitConfig` overrides. */
export const SECRET_KEYS = [
  `${CORE}masterToken`,
  'io.personium.engine.masterToken',
  `${CORE}security.secret16`,
  'io.personium.engine.security.secret16',
  `${CORE}security.auth.password.salt`,
] as const;

export function renderUnitConfig(ctx: UnitContext): string {
  if (!ctx.secrets) throw new Error('the unit config needs the unit secrets (secret16 and salt)');
  if (ctx.connect.es.length === 0) throw new Error('the unit config needs at least one Elasticsearch host');
  const lines: PropertiesLine[] = [];
  const section = (title: string) => lines.push({blank: true}, {comment: title});
  const set = (key: string, value: string, comment?: string) => lines.push(comment === undefined ? {key, value} : {key, value, comment});

  lines.push({
    comment: [
      `Personium unit configuration for ${ctx.fqdn} (core ${ctx.versions.core}, engine ${ctx.versions.engine}).`,
      'Managed by personium-setup: edits are replaced on the next run; put lasting changes in the',
      'profile\'s unitConfig. Keys not listed here keep the defaults built into the war.',
    ].join('\n'),
  });

  section('Unit identity');
  set(`${CORE}unitScheme`, 'https');
  set(`${CORE}pathBasedCellUrl.enabled`, String(ctx.cellUrlMode === 'path-based'));
  set(`${CORE}unitUser.issuers`, `personium-localunit:/${ctx.unitAdminCell}/`, 'Unit users are issued by the unit admin cell only.');
  if (ctx.masterToken !== undefined) {
    set(`${CORE}masterToken`, ctx.masterToken, 'Master token: full control of the unit. Removed again once the unit admin cell exists.');
    set('io.personium.engine.masterToken', ctx.masterToken);
  }

  section('Unit certificate (signs trans-cell tokens) and secrets');
  set(`${CORE}x509.key`, ctx.unitCertificate.key);
  set(`${CORE}x509.crt`, ctx.unitCertificate.crt);
  if (ctx.unitCertificate.roots.length > 0) set(`${CORE}x509.root`, ctx.unitCertificate.roots.join(' '));
  set(`${CORE}security.secret16`, ctx.secrets.secret16, 'Changing secret16 invalidates every issued token and encrypted value.');
  set(`${CORE}security.auth.password.salt`, ctx.secrets.salt);

  section('Plugins');
  set(`${CORE}plugin.path`, PATHS.pluginsDir);

  section('Engine (same Tomcat)');
  set(`${CORE}engine.enabled`, 'true');
  set(`${CORE}engine.host`, ctx.connect.engine);
  set(`${CORE}engine.port`, String(PORTS.tomcat));
  set(`${CORE}engine.path`, 'personium-engine');

  section('Lock and cache (memcached)');
  set(`${CORE}lock.type`, 'memcached');
  set(`${CORE}lock.memcached.host`, ctx.connect.memcached);
  set(`${CORE}lock.memcached.port`, String(PORTS.memcachedLock));
  set(`${CORE}cache.type`, 'memcached');
  set(`${CORE}cache.memcached.host`, ctx.connect.memcached);
  set(`${CORE}cache.memcached.port`, String(PORTS.memcachedCache));

  section(`Elasticsearch ${ctx.versions.elasticsearch}`);
  set(
    `${CORE}es.hosts`,
    ctx.connect.es.map(address => hostPort(address, ctx.versions.esClientPort)).join(','),
    ctx.versions.esClientPort === PORTS.esTransport ? 'Transport protocol (core 1.8.0).' : 'REST (core 1.8.1 and later).',
  );
  if (ctx.versions.esClusterName) set(CLUSTER_NAME_KEY, ES_CLUSTER_NAME, 'Must equal cluster.name in elasticsearch.yml (transport client only).');
  set(
    `${CORE}es.index.numberOfShards`,
    '1',
    [
      'Shard budget: core makes one ES index per type (2 for the admin index, 17 per cell owner),',
      'each with numberOfShards shards. With the default 10 a node passes ES 7\'s limit of 1000',
      'shards (cluster.max_shards_per_node) after about five cell owners and cell creation fails.',
      'With one shard per index a node holds about 58 cell owners; the report (ES-Shard-Budget)',
      'warns as a unit nears that. Takes effect for indices created from now on.',
    ].join('\n'),
  );
  set(`${CORE}es.index.numberOfReplicas`, '0', 'Replicas need a second ES node; 0 keeps a single node green.');

  section('Event bus (ActiveMQ, OpenWire)');
  set(`${CORE}eventbus.mq`, 'activemq');
  set(`${CORE}eventbus.broker`, `tcp://${hostPort(ctx.connect.mq, PORTS.activemq)}`);

  section(`Storage (shared under ${PATHS.nfsRoot})`);
  set(`${CORE}blobStore.root`, PATHS.blobStore);
  set(`${CORE}event.log.current.dir`, PATHS.eventLogDir);
  set(`${CORE}bar.tmp.dir`, PATHS.barTmpDir);
  set(`${CORE}cellSnapshot.root`, PATHS.cellSnapshotDir);

  if (ctx.oidc.length > 0) {
    section('OpenID Connect providers (built-in OIDC plugin)');
    for (const provider of ctx.oidc) {
      const prefix = `io.personium.plugin.oidc.${provider.name}.`;
      set(`${prefix}enabled`, 'true');
      set(`${prefix}configURL`, provider.configURL);
      set(`${prefix}trustedClientIds`, provider.trustedClientIds.join(' '));
      if (provider.pluginName !== undefined) set(`${prefix}pluginName`, provider.pluginName);
      if (provider.accountType !== undefined) set(`${prefix}accountType`, provider.accountType);
      if (provider.accountNameKey !== undefined) set(`${prefix}accountNameKey`, provider.accountNameKey);
      if (provider.grantType !== undefined) set(`${prefix}grantType`, provider.grantType);
    }
  }

  applyOverrides(lines, ctx);
  return renderProperties(lines);
}

/**
 * The profile's advanced `unitConfig`: a key already written gets the new value in place, others
 * are appended. Secrets cannot come from there, and a key the version dropped is left out.
 */
function applyOverrides(lines: PropertiesLine[], ctx: UnitContext): void {
  const extra: PropertiesLine[] = [];
  for (const [key, value] of Object.entries(ctx.unitConfigOverrides)) {
    if ((SECRET_KEYS as readonly string[]).includes(key)) {
      throw new Error(`${key} is a secret: it comes from the unit secrets, not from unitConfig`);
    }
    if (key === CLUSTER_NAME_KEY && !ctx.versions.esClusterName) continue;
    const existing = lines.find((line): line is {key: string; value: string} => 'key' in line && line.key === key);
    if (existing) existing.value = value;
    else extra.push({key, value});
  }
  if (extra.length > 0) lines.push({blank: true}, {comment: 'Advanced settings from the profile (unitConfig)'}, ...extra);
}
