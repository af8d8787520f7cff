// Unit-config keys that personium-core (and engine) read, per core version. Used to warn about
// advanced `unitConfig` properties the chosen version would silently ignore.

const CORE = 'io.personium.core.';

/** Keys every 1.8.x core reads (from personium-unit-config-default.properties). */
const COMMON = [
  'masterToken', 'unitScheme', 'unitPort', 'unitPath', 'pathBasedCellUrl.enabled', 'unitUser.issuers',
  'x509.key', 'x509.crt', 'x509.root', 'security.secret16', 'security.auth.password.salt',
  'security.auth.password.hashAlgorithm', 'security.auth.password.regex',
  'security.auth.password.scrypt.cpuCost', 'security.auth.password.scrypt.memoryCost',
  'security.auth.password.scrypt.parallelization', 'security.auth.password.scrypt.keyLength',
  'security.auth.password.scrypt.saltLength',
  'security.token.defaultScope.ropc', 'security.token.defaultScope.assertion', 'security.token.defaultScope.grant_code',
  'security.dav.encrypt.enabled', 'authn.account.lockCount', 'authn.account.lockTime', 'authn.account.validAuthnInterval',
  'account.lastauthenticated.enabled', 'plugin.path', 'plugin.defaultClassname',
  'engine.enabled', 'engine.host', 'engine.port', 'engine.path',
  'lock.type', 'lock.memcached.host', 'lock.memcached.port', 'lock.memcached.opTimeout',
  'cache.type', 'cache.memcached.host', 'cache.memcached.port', 'cache.memcached.opTimeout', 'cache.memcached.expiresin',
  'cache.cell.enabled', 'cache.box.enabled', 'cache.schema.enabled',
  'es.hosts', 'es.unitPrefix', 'es.topnum', 'es.retryTimes', 'es.retryInterval',
  'es.index.numberOfShards', 'es.index.numberOfReplicas', 'es.index.maxResultWindow',
  'es.index.merge.scheduler.maxThreadCount', 'es.ads.type',
  'blobStore.root', 'binaryData.fsync.enabled', 'binaryData.physical.delete.mode',
  'event.log.current.dir', 'event.hop.maxnum', 'bar.tmp.dir', 'bar.file.maxSize', 'bar.entry.maxSize',
  'bar.progress.expireInSec', 'cellSnapshot.root',
  'eventbus.mq', 'eventbus.broker', 'eventbus.queue', 'eventbus.topic.all', 'eventbus.topic.rule',
  'stream.mq', 'stream.broker', 'stream.username', 'stream.password', 'stream.expiresIn',
  'introspect.username', 'introspect.password',
  'cell.relayhtmlurl.default', 'cell.authorizationhtmlurl.default', 'cell.authorizationpasswordchangehtmlurl.default',
  'dav.childresource.maxnum', 'dav.depth.maxnum',
  'odata.batch.bulkRequestMaxSize', 'odata.query.top.maxSize', 'odata.query.skip.maxSize', 'odata.links.NtoN.maxSize',
  'thread.pool.num.io.cell', 'thread.pool.num.io.box', 'thread.pool.num.misc',
  'engine.script.cache.maxNum', 'engine.script.connection.timeout', 'version',
].map(key => CORE + key);

/** Keys that exist in some versions only. */
const ONLY_IN: Record<string, string[]> = {
  [`${CORE}es.cluster.name`]: ['1.8.0'],
};

/** Prefixes whose keys are open-ended (plugin and engine settings). */
const OPEN_PREFIXES = ['io.personium.plugin.oidc.', 'io.personium.engine.', 'io.personium.core.oidc.'];

export type KeyCheck = {known: true} | {known: false; reason: string};

export function checkUnitConfigKey(key: string, versionSetId: string): KeyCheck {
  if (OPEN_PREFIXES.some(prefix => key.startsWith(prefix))) return {known: true};
  if (COMMON.includes(key)) return {known: true};
  const only = ONLY_IN[key];
  if (only) {
    return only.includes(versionSetId)
      ? {known: true}
      : {known: false, reason: `core ${versionSetId} no longer reads ${key} (it exists in ${only.join(', ')} only)`};
  }
  return {known: false, reason: `core ${versionSetId} does not read ${key}; check the spelling (it would be ignored)`};
}

/** Elasticsearch 7's default cluster.max_shards_per_node (the tool does not change it). */
export const ES_MAX_SHARDS_PER_NODE = 1000;
/** Core makes one ES index per type: 2 for the admin index, 17 per cell owner. */
const ADMIN_INDICES = 2;
export const INDICES_PER_CELL_OWNER = 17;

/** How many more cell owners fit under `limit` shards with `used` taken, at `shardsPerIndex` each. */
export function cellOwnersThatFit(limit: number, used: number, shardsPerIndex = 1): number {
  return Math.max(0, Math.floor((limit - used) / (INDICES_PER_CELL_OWNER * shardsPerIndex)));
}

/**
 * More than one shard per index eats Elasticsearch 7's per-node shard limit fast: 10 shards
 * (core's own default) stop cell creation after about five owners on one node.
 */
export function shardBudgetWarning(value: string | undefined, esVersion: string): string | undefined {
  const shards = Number(value);
  if (value === undefined || !Number.isInteger(shards) || shards <= 1 || Number.parseInt(esVersion, 10) < 7) return undefined;
  const fit = (n: number) => cellOwnersThatFit(ES_MAX_SHARDS_PER_NODE, ADMIN_INDICES * n, n);
  return `${shards} shards per index: each cell owner takes ${INDICES_PER_CELL_OWNER * shards} of Elasticsearch's ${ES_MAX_SHARDS_PER_NODE} shards per node, so about ${fit(shards)} cell owners fit on one node (1 shard: about ${fit(1)})`;
}
