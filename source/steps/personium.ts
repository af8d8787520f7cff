// Personium core and engine: directories, the unit config with every key the version needs,
// logback, the unit certificate and key, and the two wars deployed into Tomcat.
import type {LocalArtifact} from '../artifacts/types.js';
import {ensureDirectory, ensureFile, fileSha256, run} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {UnitContext} from './render/context.js';
import {renderLogback} from './render/logback.js';
import {renderUnitConfig} from './render/unit-config.js';
import {ensureArtifact, markRestart, remoteArtifactPath, STATE_DIR} from './common.js';
import {USERS} from './os-prepare.js';
import {TOMCAT_SERVICE} from './tomcat.js';
import {isStampMatch, jdkTruststoreCommands, parseTruststoreCheck} from '../tls/truststore.js';

export interface UnitKeys {
  unitCert: string;
  unitKey: string;
  unitRoots: Array<{fileName: string; pem: string}>;
  /** The server certificate nginx serves, when it is self-signed: Java must trust it (core calls its own HTTPS URLs). */
  trustServerCert?: string;
}

export const TRUSTED_SERVER_CERT = '/opt/x509/server-trusted.crt';

/** The self-signed server certificate in the JDK truststore of this host (keytool, idempotent). */
async function ensureJdkTrust(ctx: StepContext, unit: UnitContext, pem: string): Promise<boolean> {
  const written = await ensureFile(ctx, {path: TRUSTED_SERVER_CERT, content: pem, mode: 0o644});
  const commands = jdkTruststoreCommands({certPath: TRUSTED_SERVER_CERT, javaHome: unit.javaHome, stampFile: `${STATE_DIR}/truststore-stamp`});
  if (ctx.checkOnly && written) {
    ctx.changed('JDK truststore: the server certificate trusted');
    return true;
  }
  const check = await run(ctx, `sh -c ${q(commands.check)}`);
  if (parseTruststoreCheck(check.stdout) === 'same') {
    // Trusted, but found by keytool: let apply record the stamp so the next run skips keytool.
    if (!isStampMatch(check.stdout) && !ctx.checkOnly) await run(ctx, `sh -c ${q(commands.apply)}`);
    return false;
  }
  ctx.changed('JDK truststore: the server certificate trusted');
  if (!ctx.checkOnly) await run(ctx, `sh -c ${q(commands.apply)}`);
  return true;
}

/** The unit config alone (also rewritten by the bootstrap when the master token goes). */
export async function ensureUnitConfig(ctx: StepContext, unit: UnitContext): Promise<boolean> {
  return ensureFile(ctx, {path: PATHS.unitConfig, content: renderUnitConfig(unit), mode: 0o640, owner: 'root', group: USERS.personium.name});
}

/** Copy a war from the artifact cache into webapps when it differs; the exploded copy goes with it. */
async function deployWar(ctx: StepContext, archive: LocalArtifact, context: string): Promise<boolean> {
  await ensureArtifact(ctx, archive);
  const war = `${PATHS.webapps}/${context}.war`;
  if ((await fileSha256(ctx, war)) === archive.sha256) return false;
  ctx.changed(`${war} (${archive.ref.fileName})`);
  if (ctx.checkOnly) return true;
  // Tomcat must not see a half-copied war or keep serving the old exploded one.
  await run(ctx, `systemctl stop ${q(TOMCAT_SERVICE)} 2>/dev/null; rm -rf -- ${q(`${PATHS.webapps}/${context}`)} && install -m 640 -o ${q(USERS.personium.name)} -g ${q(USERS.personium.name)} -- ${q(remoteArtifactPath(archive))} ${q(war)}`);
  return true;
}

export async function installPersonium(ctx: StepContext, unit: UnitContext, wars: {core: LocalArtifact; engine: LocalArtifact}, keys: UnitKeys): Promise<void> {
  const user = USERS.personium.name;
  const dirs: Array<[string, number, string, string?]> = [
    [PATHS.personiumRoot, 0o755, 'root'],
    ['/personium/personium-core', 0o755, user],
    [PATHS.coreLogDir, 0o750, user],
    [PATHS.secretsDir, 0o750, 'root', user],
    [PATHS.pluginsDir, 0o755, user],
    ['/personium/personium-engine', 0o755, user],
    [PATHS.engineLogDir, 0o750, user],
    [PATHS.extensionsDir, 0o755, user],
    ['/personium/logback', 0o755, user],
    [PATHS.logbackLogDir, 0o750, user],
    ['/opt/x509', 0o750, 'root', user],
  ];
  for (const [path, mode, owner, group] of dirs) await ensureDirectory(ctx, path, {mode, owner, group});

  let restart = await ensureUnitConfig(ctx, unit);
  restart = (await ensureFile(ctx, {path: PATHS.logback, content: renderLogback(unit), mode: 0o640, owner: 'root', group: user})) || restart;
  restart = (await ensureFile(ctx, {path: PATHS.unitKey, content: keys.unitKey, mode: 0o640, owner: 'root', group: user})) || restart;
  restart = (await ensureFile(ctx, {path: PATHS.unitCert, content: keys.unitCert, mode: 0o644})) || restart;
  if (keys.unitRoots.length > 0) {
    await ensureDirectory(ctx, PATHS.unitRootsDir, {mode: 0o755});
    for (const root of keys.unitRoots) restart = (await ensureFile(ctx, {path: PATHS.unitRoot(root.fileName), content: root.pem, mode: 0o644})) || restart;
  }
  if (keys.trustServerCert) restart = (await ensureJdkTrust(ctx, unit, keys.trustServerCert)) || restart;
  restart = (await deployWar(ctx, wars.core, 'personium-core')) || restart;
  restart = (await deployWar(ctx, wars.engine, 'personium-engine')) || restart;
  if (restart) await markRestart(ctx, TOMCAT_SERVICE);
}
