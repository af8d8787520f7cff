// Engine extensions (jars and their Ext_*.properties) and external auth plugin jars. Jars of
// extensions no longer in the profile are removed; a change restarts Tomcat.
import {readFileSync} from 'node:fs';
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureFile, fileSha256, run} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {extensionPropertiesPath, renderExtensionProperties, type MailSenderSettings, type SlackSettings} from './render/extensions.js';
import {ensureAbsent, ensureArtifact, markRestart, remoteArtifactPath, warn} from './common.js';
import {USERS} from './os-prepare.js';
import {TOMCAT_SERVICE} from './tomcat.js';

export interface ExtensionsPlan {
  jars: Array<{name: string; archive: LocalArtifact}>;
  mailsender?: MailSenderSettings;
  slack?: SlackSettings;
  /** Local plugin jar files for core's plugin directory. */
  pluginJars: string[];
}

export function extensionJarPath(name: string): string {
  return `${PATHS.extensionsDir}/personium-ex-${name}.jar`;
}

export async function installExtensions(ctx: StepContext, plan: ExtensionsPlan): Promise<void> {
  const user = USERS.personium.name;
  let restart = false;
  for (const {name, archive} of plan.jars) {
    await ensureArtifact(ctx, archive);
    const target = extensionJarPath(name);
    if ((await fileSha256(ctx, target)) === archive.sha256) continue;
    ctx.changed(`${target} (${archive.ref.fileName})`);
    restart = true;
    if (!ctx.checkOnly) await run(ctx, `install -m 644 -o root -g ${q(user)} -- ${q(remoteArtifactPath(archive))} ${q(target)}`);
  }
  // Jars of extensions the profile no longer lists.
  const present = await run(ctx, `ls -1 -- ${q(PATHS.extensionsDir)} 2>/dev/null`, {allowFail: true});
  const wanted = new Set(plan.jars.map(j => `personium-ex-${j.name}.jar`));
  for (const file of present.stdout.split('\n').filter(f => /^personium-ex-.*\.jar$/.test(f) && !wanted.has(f))) {
    restart = (await ensureAbsent(ctx, `${PATHS.extensionsDir}/${file}`)) || restart;
  }
  const props: Array<[string, string | undefined]> = [
    [extensionPropertiesPath('mailsender'), plan.mailsender ? renderExtensionProperties('mailsender', plan.mailsender) : undefined],
    [extensionPropertiesPath('slack-messenger'), plan.slack ? renderExtensionProperties('slack-messenger', plan.slack) : undefined],
  ];
  for (const [path, content] of props) {
    if (content === undefined) restart = (await ensureAbsent(ctx, path)) || restart;
    else restart = (await ensureFile(ctx, {path, content, mode: 0o640, owner: 'root', group: user})) || restart;
  }
  for (const jar of plan.pluginJars) {
    const name = jar.split('/').at(-1) ?? jar;
    if (/^https?:/.test(jar)) {
      warn(ctx, `plugin ${jar}: plugins given as URLs are not downloaded by this version; put the jar on this machine and give its path`);
      continue;
    }
    restart = (await ensureFile(ctx, {path: `${PATHS.pluginsDir}/${name}`, content: readFileSync(jar), mode: 0o644, owner: 'root', group: user})) || restart;
  }
  if (restart) await markRestart(ctx, TOMCAT_SERVICE);
}
