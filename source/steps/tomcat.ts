// Tomcat 9: unpacked to /opt, one HTTP connector on 18888 (loopback or the private address) run
// as the personium user, no manager users and no stock applications, the systemd unit. It is
// started only once the Personium wars, config and extensions are in place (startTomcat).
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureDirectory, ensureFile, waitForPort} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {PATHS} from '../plan/paths.js';
import {PORTS, hostPort, type UnitContext} from './render/context.js';
import {renderUnitFile, unitName, unitPath} from './render/systemd.js';
import {renderServerXml, renderSetenv, renderTomcatUsers} from './render/tomcat.js';
import {afterUnitChange, ensureAbsent, ensureArtifact, ensureOwner, ensureRunning, ensureSymlink, ensureUnpacked, markRestart, waitForHttpAnswer, warnOnLowNofile} from './common.js';
import {USERS} from './os-prepare.js';

export const TOMCAT_SERVICE = unitName('tomcat');
const STOCK_WEBAPPS = ['manager', 'host-manager', 'examples', 'docs', 'ROOT'];

export async function installTomcat(ctx: StepContext, unit: UnitContext, archive: LocalArtifact): Promise<void> {
  const user = USERS.personium.name;
  await ensureArtifact(ctx, archive);
  const home = `${PATHS.tomcatHome}-${archive.ref.version}`;
  let restart = await ensureUnpacked(ctx, archive, home);
  restart = (await ensureSymlink(ctx, PATHS.tomcatHome, home)) || restart;
  // Nothing but Personium is deployed: the manager, examples and docs applications go.
  for (const app of STOCK_WEBAPPS) await ensureAbsent(ctx, `${home}/webapps/${app}`);
  // Tomcat reads its conf (shipped 0600) and writes work, temp, logs and the exploded wars.
  for (const dir of ['conf', 'webapps', 'work', 'temp', 'logs']) {
    await ensureDirectory(ctx, `${home}/${dir}`, {mode: 0o750, owner: user});
    await ensureOwner(ctx, `${home}/${dir}`, user, user);
  }
  const files = [
    {path: PATHS.tomcatServerXml, content: renderServerXml(unit), owner: user, group: user},
    {path: PATHS.tomcatUsers, content: renderTomcatUsers(), owner: user, group: user},
    {path: PATHS.tomcatSetenv, content: renderSetenv(unit), owner: 'root', group: user},
  ];
  for (const file of files) restart = (await ensureFile(ctx, {...file, mode: 0o640})) || restart;
  if (restart) await markRestart(ctx, TOMCAT_SERVICE);
  const unitChanged = await ensureFile(ctx, {path: unitPath('tomcat'), content: renderUnitFile('tomcat', unit), mode: 0o644});
  await afterUnitChange(ctx, TOMCAT_SERVICE, unitChanged);
}

/** Start (or restart, when a change is pending) Tomcat and wait for personium-core to answer. */
export async function startTomcat(ctx: StepContext, unit: UnitContext): Promise<void> {
  await ensureRunning(ctx, {
    name: TOMCAT_SERVICE,
    ready: async () => {
      await waitForPort(ctx, unit.host.bind, PORTS.tomcat, 300);
      await waitForHttpAnswer(ctx, `http://${hostPort(unit.host.bind, PORTS.tomcat)}/personium-core/`, 300, '', {fromCore: true});
    },
  });
  await warnOnLowNofile(ctx, TOMCAT_SERVICE, 65_535);
}
