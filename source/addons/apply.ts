// Applying the difference on each AP host as executor steps: extension jars (verified archives)
// and their Ext_<Class>.properties, core plugin jars, the OIDC keys merged into the unit config,
// then one Tomcat restart per host when something changed (a pending-restart mark kept on the
// host, so a cut run still restarts on the next one) and a wait until the unit answers.
// AP hosts go one after another, so a unit with several AP hosts keeps answering.
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureFile, fileSha256, run} from '../executor/primitives.js';
import type {StepContext, StepDefinition} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {Profile} from '../profile/schema.js';
import {ensureAbsent, ensureArtifact, ensureRunning, markRestart, remoteArtifactPath, waitForHttpAnswer} from '../steps/common.js';
import {extensionJarPath} from '../steps/extensions.js';
import {USERS} from '../steps/os-prepare.js';
import {hostPort, LOOPBACK, PORTS} from '../steps/render/context.js';
import {TOMCAT_SERVICE} from '../steps/tomcat.js';
import {mergeOidcProperties} from './oidc.js';
import {diffAddons, type AddonsDiff, type InstalledAddons, type WantedAddons} from './state.js';

export interface AddonsApply {
  wanted: WantedAddons;
  /** Verified extension jars by extension name. */
  artifacts: Map<string, LocalArtifact>;
  /** Plugin jar bytes by file name (checked for Plugin-Class before). */
  pluginJarBytes: Map<string, Buffer>;
}

/** Where Tomcat on this AP host answers (the installer's own readiness URL). */
export function coreUrl(profile: Profile, hostName: string): string {
  const host = profile.hosts.find(h => h.name === hostName);
  if (!host) throw new Error(`no host named ${hostName} in the profile`);
  const address = profile.hosts.length === 1 ? LOOPBACK : (host.privateAddress ?? host.address);
  return `http://${hostPort(address, PORTS.tomcat)}/personium-core/`;
}

/** Change what differs on one host; returns whether anything changed. */
export async function applyAddons(ctx: StepContext, diff: AddonsDiff, apply: AddonsApply): Promise<boolean> {
  const group = USERS.personium.name;
  let changed = false;
  const installed = ctx.memo.get('addons-installed') as InstalledAddons | undefined;

  for (const change of [...diff.extensions.add, ...diff.extensions.update]) {
    const ext = change.item!;
    const archive = apply.artifacts.get(ext.name);
    if (!archive) throw new Error(`the ${ext.name} jar was not resolved`);
    await ensureArtifact(ctx, archive);
    const target = extensionJarPath(ext.name);
    if ((await fileSha256(ctx, target)) !== archive.sha256) {
      ctx.changed(`${target} (${archive.ref.fileName})`);
      changed = true;
      if (!ctx.checkOnly) await run(ctx, `install -m 644 -o root -g ${q(group)} -- ${q(remoteArtifactPath(archive))} ${q(target)}`);
    }
    // The same extension under another file name (put there by hand): one copy only.
    const old = installed?.extensions.get(ext.name)?.file;
    if (old && `${PATHS.extensionsDir}/${old}` !== target) changed = (await ensureAbsent(ctx, `${PATHS.extensionsDir}/${old}`)) || changed;
    if (ext.properties) {
      changed = (await ensureFile(ctx, {path: `${PATHS.extensionsDir}/${ext.properties.file}`, content: ext.properties.content, mode: 0o640, owner: 'root', group})) || changed;
    }
  }
  for (const change of diff.extensions.remove) {
    const file = installed?.extensions.get(change.name)?.file ?? extensionJarPath(change.name).split('/').at(-1)!;
    changed = (await ensureAbsent(ctx, `${PATHS.extensionsDir}/${file}`)) || changed;
  }
  for (const file of diff.staleProperties) changed = (await ensureAbsent(ctx, `${PATHS.extensionsDir}/${file}`)) || changed;

  for (const change of [...diff.pluginJars.add, ...diff.pluginJars.update]) {
    const jar = change.item!;
    const content = apply.pluginJarBytes.get(jar.file);
    if (!content) throw new Error(`the plugin jar ${jar.file} was not read`);
    changed = (await ensureFile(ctx, {path: `${PATHS.pluginsDir}/${jar.file}`, content, mode: 0o644, owner: 'root', group})) || changed;
  }
  for (const change of diff.pluginJars.remove) changed = (await ensureAbsent(ctx, `${PATHS.pluginsDir}/${change.name}`)) || changed;

  const oidcChanges = new Map<string, Map<string, string> | undefined>();
  for (const change of [...diff.oidc.add, ...diff.oidc.update]) oidcChanges.set(change.name, change.item);
  for (const change of diff.oidc.remove) oidcChanges.set(change.name, undefined);
  if (oidcChanges.size > 0) {
    // Read again right here: only the OIDC keys change, every other line stays as it is.
    const current = await run(ctx, `cat -- ${q(PATHS.unitConfig)}`);
    const merged = mergeOidcProperties(current.stdout, oidcChanges);
    changed = (await ensureFile(ctx, {path: PATHS.unitConfig, content: merged, mode: 0o640, owner: 'root', group})) || changed;
  }
  return changed;
}

/** One step per AP host, each after the previous one (a rolling restart). */
export function addonSteps(profile: Profile, apHosts: string[], installed: Map<string, InstalledAddons>, apply: AddonsApply, readAgain: (ctx: StepContext) => Promise<InstalledAddons>): StepDefinition[] {
  return apHosts.map((name, index) => ({
    key: `${name}:addons`,
    host: name,
    id: 'addons',
    title: 'Engine extensions and auth plugins',
    needs: index === 0 ? [] : [`${apHosts[index - 1]}:addons`],
    retryable: true,
    run: async (ctx: StepContext) => {
      // A retry (or a resumed run) looks at the host again rather than trusting the first look.
      const state = ctx.memo.has('addons-looked') ? await readAgain(ctx) : installed.get(name) ?? (await readAgain(ctx));
      ctx.memo.set('addons-looked', true);
      ctx.memo.set('addons-installed', state);
      const diff = diffAddons(state, apply.wanted);
      const changed = await applyAddons(ctx, diff, apply);
      if (changed) await markRestart(ctx, TOMCAT_SERVICE);
      if (changed && ctx.checkOnly) ctx.changed(`${TOMCAT_SERVICE} restarted`);
      // Restarts only when a change is pending (this run's or an interrupted one's).
      await ensureRunning(ctx, {name: TOMCAT_SERVICE, ready: async () => void (await waitForHttpAnswer(ctx, coreUrl(profile, name), 300, '', {fromCore: true}))});
    },
  }));
}
