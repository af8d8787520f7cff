// Elasticsearch: the version the chosen set needs, unpacked to /opt, heap from the profile or the
// host's memory, security off, bound to loopback or the private address, vm.max_map_count in its
// own sysctl.d file, then a real wait for cluster health (green or yellow).
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureDirectory, ensureFile, run, waitForHttp} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {PORTS, hostPort, need, type UnitContext} from './render/context.js';
import {esJvmOptionsPath, renderElasticsearchYml, renderEsJvmOptions, renderEsSysctl} from './render/elasticsearch.js';
import {renderUnitFile, unitName, unitPath} from './render/systemd.js';
import {afterUnitChange, ensureArtifact, ensureRunning, ensureSymlink, ensureUnpacked, inContainer, markRestart, warn, warnOnLowNofile} from './common.js';
import {USERS} from './os-prepare.js';

export const MAX_MAP_COUNT = 262_144;
const SERVICE = unitName('elasticsearch');

/**
 * vm.max_map_count: the file is always written; applying it needs a writable /proc/sys, which
 * containers do not have. That is a warning when the value is already high enough or the host
 * is a container (the machine running it must set it), a failure otherwise.
 */
export async function ensureMaxMapCount(ctx: StepContext): Promise<void> {
  const changed = await ensureFile(ctx, {path: PATHS.esSysctl, content: renderEsSysctl(), mode: 0o644});
  const current = Number.parseInt((await run(ctx, 'sysctl -n vm.max_map_count', {allowFail: true})).stdout.trim(), 10);
  if (ctx.checkOnly || (!changed && current >= MAX_MAP_COUNT)) return;
  const applied = await run(ctx, `sysctl -p ${q(PATHS.esSysctl)}`, {allowFail: true});
  if (applied.code === 0) return;
  if (current >= MAX_MAP_COUNT) {
    warn(ctx, `sysctl could not apply ${PATHS.esSysctl} (read-only /proc/sys), but vm.max_map_count is already ${current}`);
  } else if (await inContainer(ctx)) {
    warn(ctx, `vm.max_map_count is ${current} and /proc/sys is read-only in this container; set vm.max_map_count=${MAX_MAP_COUNT} on the machine that runs it (a multi-node Elasticsearch refuses to start below it)`);
  } else {
    throw new StepError(`vm.max_map_count is ${current} and could not be raised to ${MAX_MAP_COUNT}`, `sysctl -p ${PATHS.esSysctl}`, `${applied.stdout}${applied.stderr}`.trim().split('\n').slice(-10));
  }
}

export async function installElasticsearch(ctx: StepContext, unit: UnitContext, archive: LocalArtifact): Promise<void> {
  const user = USERS.elasticsearch.name;
  await ensureMaxMapCount(ctx);

  await ensureArtifact(ctx, archive);
  const home = `${PATHS.esHome}-${archive.ref.version}`;
  let restart = await ensureUnpacked(ctx, archive, home);
  restart = (await ensureSymlink(ctx, PATHS.esHome, home)) || restart;

  await ensureDirectory(ctx, PATHS.personiumRoot, {mode: 0o755});
  await ensureDirectory(ctx, '/personium/elasticsearch', {mode: 0o755, owner: user});
  await ensureDirectory(ctx, PATHS.esData, {mode: 0o750, owner: user});
  await ensureDirectory(ctx, PATHS.esLogs, {mode: 0o750, owner: user});
  // Elasticsearch writes its keystore into the config directory.
  await ensureDirectory(ctx, `${home}/config`, {mode: 0o750, owner: user});

  const heap = need(unit.memory.esHeapMb, 'The Elasticsearch heap');
  const jvmPath = esJvmOptionsPath(unit.versions.esMajor);
  if (unit.versions.esMajor >= 7) await ensureDirectory(ctx, `${home}/config/jvm.options.d`, {mode: 0o750, owner: 'root', group: user});
  const files = [
    {path: PATHS.esConfig, content: renderElasticsearchYml(unit)},
    {path: jvmPath, content: renderEsJvmOptions(heap, unit.versions.esMajor)},
  ];
  for (const file of files) restart = (await ensureFile(ctx, {...file, mode: 0o640, owner: 'root', group: user})) || restart;
  if (restart) await markRestart(ctx, SERVICE);

  const unitChanged = await ensureFile(ctx, {path: unitPath('elasticsearch'), content: renderUnitFile('elasticsearch', unit), mode: 0o644});
  await afterUnitChange(ctx, SERVICE, unitChanged);

  const health = `http://${hostPort(unit.host.bind, PORTS.esHttp)}/_cluster/health?wait_for_status=yellow&timeout=5s`;
  await ensureRunning(ctx, {name: SERVICE, ready: () => waitForHttp(ctx, health, /"status"\s*:\s*"(green|yellow)"/, 300).then(() => undefined)});
  await warnOnLowNofile(ctx, SERVICE, 65_535);
}
