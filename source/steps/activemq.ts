// ActiveMQ: unpacked to /opt, OpenWire only on loopback or the private address, no web console,
// run as its own user, then a wait for the port.
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureDirectory, ensureFile, waitForPort} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {PATHS} from '../plan/paths.js';
import {renderActiveMqXml} from './render/activemq.js';
import {PORTS, type UnitContext} from './render/context.js';
import {renderUnitFile, unitName, unitPath} from './render/systemd.js';
import {afterUnitChange, ensureArtifact, ensureRunning, ensureSymlink, ensureUnpacked, markRestart} from './common.js';
import {USERS} from './os-prepare.js';

const SERVICE = unitName('activemq');

export async function installActiveMq(ctx: StepContext, unit: UnitContext, archive: LocalArtifact): Promise<void> {
  const user = USERS.activemq.name;
  await ensureArtifact(ctx, archive);
  const home = `${PATHS.activemqHome}-${archive.ref.version}`;
  let restart = await ensureUnpacked(ctx, archive, home);
  restart = (await ensureSymlink(ctx, PATHS.activemqHome, home)) || restart;
  // The broker writes its store, logs and temporary files here.
  for (const dir of ['data', 'tmp']) await ensureDirectory(ctx, `${home}/${dir}`, {mode: 0o750, owner: user});
  await ensureDirectory(ctx, `${home}/conf`, {mode: 0o750, owner: 'root', group: user});
  restart = (await ensureFile(ctx, {path: `${home}/conf/activemq.xml`, content: renderActiveMqXml(unit), mode: 0o640, owner: 'root', group: user})) || restart;
  if (restart) await markRestart(ctx, SERVICE);
  const unitChanged = await ensureFile(ctx, {path: unitPath('activemq'), content: renderUnitFile('activemq', unit), mode: 0o644});
  await afterUnitChange(ctx, SERVICE, unitChanged);
  await ensureRunning(ctx, {name: SERVICE, ready: () => waitForPort(ctx, unit.host.bind, PORTS.activemq, 120)});
}
