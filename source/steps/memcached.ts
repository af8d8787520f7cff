// memcached: two instances of the distribution's binary, lock (11211) and cache (11212), on
// loopback or the private address. The distribution's own memcached service (which listens on
// 11211 too) is stopped and disabled.
import {ensureFile, run, unitStates, waitForPort, type UnitState} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {PORTS, type UnitContext} from './render/context.js';
import {renderUnitFile, unitName, unitPath} from './render/systemd.js';
import {afterUnitChange, ensureRunning} from './common.js';

export async function installMemcached(ctx: StepContext, unit: UnitContext): Promise<void> {
  // The package's default instance would take 11211.
  const [{enabled, active}] = (await unitStates(ctx, ['memcached.service'])) as [UnitState];
  if (enabled === 'enabled' || active === 'active') {
    ctx.changed('the distribution\'s memcached.service stopped and disabled');
    if (!ctx.checkOnly) await run(ctx, 'systemctl disable --now memcached.service');
  }
  for (const kind of ['memcached-lock', 'memcached-cache'] as const) {
    const changed = await ensureFile(ctx, {path: unitPath(kind), content: renderUnitFile(kind, unit), mode: 0o644});
    await afterUnitChange(ctx, unitName(kind), changed);
  }
  for (const [kind, port] of [['memcached-lock', PORTS.memcachedLock], ['memcached-cache', PORTS.memcachedCache]] as const) {
    await ensureRunning(ctx, {name: unitName(kind), ready: () => waitForPort(ctx, unit.host.bind, port, 30)});
  }
}
