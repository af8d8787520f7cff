// Building blocks the role steps share on top of the executor's primitives: artifacts uploaded by
// hash and unpacked once, symlinks, service users, pending restarts that survive a cut
// connection, services started with a readiness wait, and warnings for what containers forbid.
// Each one looks first, changes only what differs and honours check mode.
import {basename} from 'node:path';
import {REMOTE_ARTIFACT_DIR, type LocalArtifact} from '../artifacts/types.js';
import {run, ensureService, fileFacts, fileSha256, pathsExist, type ServiceSpec} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {javaHome as defaultJavaHome} from './os.js';

/** Where the tool keeps its own state on every server (pending restarts, markers). */
export const STATE_DIR = '/var/lib/personium-setup';
const PENDING_DIR = `${STATE_DIR}/pending-restart`;

export function warn(ctx: StepContext, message: string): void {
  ctx.log(`warning: ${message}`);
}

/**
 * A per-host fact, looked up once for the run: steps that start together (the converged check
 * runs them all at once) share the one lookup in flight instead of each running its own.
 */
function memoized<T>(ctx: StepContext, key: string, lookup: () => Promise<T>): Promise<T> {
  const cached = ctx.memo.get(key) as Promise<T> | undefined;
  if (cached) return cached;
  const pending = lookup();
  ctx.memo.set(key, pending);
  pending.catch(() => ctx.memo.delete(key));
  return pending;
}

/** Whether the host is a container (systemd-detect-virt -c); cached per host for the run. */
export function inContainer(ctx: StepContext): Promise<boolean> {
  return memoized(ctx, 'in-container', async () => (await run(ctx, 'systemd-detect-virt -c -q', {allowFail: true})).code === 0);
}

/**
 * JAVA_HOME of the distribution's JDK 17 on the host: the name the distribution gives it (the
 * RHEL family: /usr/lib/jvm/jre-17, which survives updates, unlike the versioned directory;
 * Debian and Ubuntu: /usr/lib/jvm/java-17-openjdk-<arch>), else the `java` on PATH when that is 17.
 * Never another Java that happens to be the default. Falls back to the distribution's usual path
 * when no Java 17 is installed yet (check mode before the JDK's step); that answer is not kept,
 * so the steps after the JDK's installation look again.
 */
export async function detectJavaHome(ctx: StepContext): Promise<string> {
  const found = await memoized(ctx, 'java-home', async () => {
    const script = [
      'for d in /usr/lib/jvm/jre-17 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-17-openjdk /usr/lib/jvm/java-17; do [ -x "$d/bin/java" ] && { echo "$d"; exit 0; }; done',
      'j=$(readlink -f "$(command -v java)" 2>/dev/null) && [ -x "$j" ] && h=$(dirname "$(dirname "$j")") && grep -q \'^JAVA_VERSION="17\' "$h/release" 2>/dev/null && echo "$h"',
    ].join('\n');
    const result = await run(ctx, script, {allowFail: true});
    const home = result.stdout.trim().split('\n')[0] ?? '';
    return result.code === 0 && home.startsWith('/') ? home : undefined;
  });
  if (found) return found;
  ctx.memo.delete('java-home');
  return defaultJavaHome(ctx.os);
}

/** The archive's place on the server. */
export function remoteArtifactPath(artifact: LocalArtifact): string {
  return `${REMOTE_ARTIFACT_DIR}/${artifact.ref.fileName}`;
}

/**
 * Put a verified archive in the server's artifact cache, compared by SHA-256 so an unchanged
 * file is never sent again. Streamed from disk (SFTP in parallel chunks), not read into memory.
 */
export async function ensureArtifact(ctx: StepContext, artifact: LocalArtifact): Promise<boolean> {
  const path = remoteArtifactPath(artifact);
  const [now] = await fileFacts(ctx, [path]);
  if (now?.sha256 === artifact.sha256) return false;
  ctx.changed(`${path}${now ? '' : ' (new)'}`);
  if (ctx.checkOnly) return true;
  await run(ctx, `install -d -m 755 -- ${q(REMOTE_ARTIFACT_DIR)}`);
  await ctx.host.upload({localPath: artifact.path}, path, {mode: 0o644, owner: 'root', group: 'root', sudo: true});
  if ((await fileSha256(ctx, path)) !== artifact.sha256) throw new StepError(`${basename(path)} arrived damaged (SHA-256 differs); run again`, `sha256sum ${path}`);
  return true;
}

/**
 * Unpack an archive (whose members sit under one top directory) to `target` once: a marker
 * inside records the archive's SHA-256, so the same archive is never unpacked again and a new
 * one replaces the directory as a whole (unpacked beside it, then renamed).
 */
export async function ensureUnpacked(ctx: StepContext, artifact: LocalArtifact, target: string): Promise<boolean> {
  const marker = `${target}/.personium-setup-archive`;
  const probe = await run(ctx, `cat -- ${q(marker)} 2>/dev/null`, {allowFail: true});
  if (probe.code === 0 && probe.stdout.trim() === artifact.sha256) return false;
  ctx.changed(`${target}/ (unpacked ${artifact.ref.fileName})`);
  if (ctx.checkOnly) return true;
  const temp = `${target}.unpacking`;
  const archive = remoteArtifactPath(artifact);
  const unpack = artifact.ref.fileName.endsWith('.zip')
    ? `unzip -q ${q(archive)} -d ${q(`${temp}.zip`)} && set -- ${q(`${temp}.zip`)}/* && mv "$1" ${q(temp)} && rmdir ${q(`${temp}.zip`)}`
    : `install -d -m 755 -- ${q(temp)} && tar -xzf ${q(archive)} -C ${q(temp)} --strip-components=1 --no-same-owner`;
  await run(ctx, `rm -rf -- ${q(temp)} ${q(`${temp}.zip`)} && ${unpack} && printf '%s\\n' ${q(artifact.sha256)} > ${q(marker.replace(target, temp))} && rm -rf -- ${q(target)} && mv -- ${q(temp)} ${q(target)}`, {timeoutMs: 600_000});
  return true;
}

/** A symbolic link `link` → `target` (e.g. /opt/tomcat → /opt/tomcat-9.0.120). */
export async function ensureSymlink(ctx: StepContext, link: string, target: string): Promise<boolean> {
  const probe = await run(ctx, `readlink -- ${q(link)}`, {allowFail: true});
  if (probe.code === 0 && probe.stdout.trim() === target) return false;
  ctx.changed(`${link} → ${target}`);
  if (!ctx.checkOnly) await run(ctx, `ln -sfn -- ${q(target)} ${q(link)}`);
  return true;
}

/** Owner (and group) of a tree; changes only when the top or any member differs. */
export async function ensureOwner(ctx: StepContext, path: string, owner: string, group: string): Promise<boolean> {
  const probe = await run(ctx, `find ${q(path)} \\( ! -user ${q(owner)} -o ! -group ${q(group)} \\) -print -quit 2>/dev/null`, {allowFail: true});
  if (probe.code === 0 && probe.stdout.trim() === '') return false;
  ctx.changed(`${path} owned by ${owner}:${group}`);
  if (!ctx.checkOnly) await run(ctx, `chown -R ${q(`${owner}:${group}`)} -- ${q(path)}`);
  return true;
}

/** Remove a path (file or tree) when it exists. */
export async function ensureAbsent(ctx: StepContext, path: string): Promise<boolean> {
  const [exists] = await pathsExist(ctx, [path]);
  if (!exists) return false;
  ctx.changed(`${path} removed`);
  if (!ctx.checkOnly) await run(ctx, `rm -rf -- ${q(path)}`);
  return true;
}

export interface ServiceUser {
  name: string;
  /** Fixed uid/gid (as the official layout uses), taken only when free on this host. */
  id?: number;
  home: string;
}

/** A system user and its group, without a login shell or home directory of its own. */
export async function ensureUser(ctx: StepContext, user: ServiceUser): Promise<boolean> {
  const probe = await run(ctx, `id -u ${q(user.name)}`, {allowFail: true});
  if (probe.code === 0) return false;
  ctx.changed(`user ${user.name}`);
  if (ctx.checkOnly) return true;
  const name = q(user.name);
  const id = user.id;
  const script = [
    `if getent group ${name} >/dev/null; then args="-g ${name}"`,
    id === undefined ? '' : `elif ! getent group ${id} >/dev/null && ! getent passwd ${id} >/dev/null; then groupadd --system -g ${id} ${name} && args="-u ${id} -g ${name}"`,
    `else groupadd --system ${name} && args="-g ${name}"; fi`,
    `useradd --system --no-create-home --home-dir ${q(user.home)} --shell "$(command -v nologin || echo /usr/sbin/nologin)" $args ${name}`,
  ].filter(Boolean);
  await run(ctx, script.join('\n'));
  return true;
}

/** Mark that a service must restart to pick up a change; kept on the host, so a resumed run still restarts it. */
export async function markRestart(ctx: StepContext, service: string): Promise<void> {
  if (ctx.checkOnly) return;
  await run(ctx, `install -d -m 700 -- ${q(PENDING_DIR)} && touch -- ${q(`${PENDING_DIR}/${service}`)}`);
}

async function restartPending(ctx: StepContext, service: string): Promise<boolean> {
  const [pending] = await pathsExist(ctx, [`${PENDING_DIR}/${service}`]);
  return pending!;
}

async function clearRestart(ctx: StepContext, service: string): Promise<void> {
  if (!ctx.checkOnly) await run(ctx, `rm -f -- ${q(`${PENDING_DIR}/${service}`)}`);
}

/**
 * Enabled and running, restarted when a change is pending, then `ready` waited for (a port or
 * an HTTP answer, never a sleep). Returns whether anything changed.
 */
export async function ensureRunning(ctx: StepContext, spec: Omit<ServiceSpec, 'restart'> & {ready?: () => Promise<void>}): Promise<boolean> {
  const pending = await restartPending(ctx, spec.name);
  const changed = await ensureService(ctx, {...spec, restart: pending});
  if (spec.ready) {
    try {
      await spec.ready();
    } catch (error) {
      const journal = await run(ctx, `journalctl -u ${q(spec.name)} -n 20 --no-pager -q 2>/dev/null; systemctl status ${q(spec.name)} --no-pager -l 2>/dev/null | head -5`, {allowFail: true});
      if (error instanceof StepError) {
        const tail = [...(error.outputTail ?? []), ...journal.stdout.trimEnd().split('\n').filter(Boolean)].slice(-20);
        throw new StepError(`${spec.name}: ${error.message}`, error.command, tail);
      }
      throw error;
    }
  }
  if (pending) await clearRestart(ctx, spec.name);
  return changed;
}

/**
 * Write a systemd unit (or drop-in) file and reload systemd when it changed; a changed unit
 * of a running service is restarted.
 */
export async function afterUnitChange(ctx: StepContext, service: string, changed: boolean): Promise<void> {
  if (!changed) return;
  if (!ctx.checkOnly) await run(ctx, 'systemctl daemon-reload');
  await markRestart(ctx, service);
}

/**
 * What a service really got for open files: systemd cannot raise a limit above its own hard
 * limit when it lacks CAP_SYS_RESOURCE (containers), so LimitNOFILE may be lowered silently.
 */
export async function warnOnLowNofile(ctx: StepContext, service: string, wanted: number): Promise<void> {
  if (ctx.checkOnly) return;
  const result = await run(ctx, `p=$(systemctl show -p MainPID --value ${q(service)}) && [ "$p" != 0 ] && awk '/^Max open files/ {print $5}' /proc/$p/limits`, {allowFail: true});
  const hard = Number.parseInt(result.stdout.trim(), 10);
  if (Number.isFinite(hard) && hard < wanted) {
    warn(ctx, `${service} got ${hard} open files, not ${wanted}: systemd here cannot raise the limit${(await inContainer(ctx)) ? ' (a container)' : ''}; raise it on the machine that runs this server`);
  }
}

/**
 * Wait until a URL gives an HTTP answer below 500 (the application is up, whatever it thinks
 * of this request), polling on the host itself. `curlOptions` are extra curl arguments, already
 * quoted (e.g. `-k --resolve name:443:127.0.0.1`). With `fromCore`, the answer must come from
 * personium-core itself (its X-Personium-Version header on every response), not from Tomcat or
 * nginx answering 404 for a web application that did not deploy.
 */
export async function waitForHttpAnswer(ctx: StepContext, url: string, timeoutSeconds: number, curlOptions = '', options: {fromCore?: boolean} = {}): Promise<string> {
  if (ctx.checkOnly && !ctx.probe) return '';
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  // The headers go to stdout (-D -), the status code after them (-w); core's header is looked for there.
  const core = options.fromCore ? ` && printf '%s\\n' "$out" | grep -qi '^x-personium-version:'` : '';
  do {
    const script = `i=0; while [ $i -lt ${ctx.probe ? 1 : 20} ]; do out=$(curl -sS -o /dev/null -D - -w '%{http_code}' --max-time 5 ${curlOptions} ${q(url)} 2>&1); code=$(printf '%s' "$out" | tail -c 3); case "$code" in [1-4][0-9][0-9]) true${core} && { echo "$code"; exit 0; };; esac; sleep 0.5; i=$((i+1)); done; printf '%s\\n' "$out" | tr -d '\\r' | tail -n 5; exit 1`;
    const result = await ctx.host.exec(`sh -c ${q(script)}`, {timeoutMs: 60_000, signal: ctx.signal});
    last = result.stdout.trim();
    if (result.code === 0) {
      ctx.log(`${url} answered ${last}`);
      return last;
    }
  } while (Date.now() < deadline && !ctx.probe);
  const what = options.fromCore ? 'did not answer from personium-core (no X-Personium-Version header: is the war deployed? see catalina.out)' : 'did not answer';
  throw new StepError(`${url} ${what} within ${timeoutSeconds} s`, `curl -D - ${curlOptions} ${url}`.replace(/\s+/g, ' '), last.split('\n').slice(-10));
}

/**
 * After a reload nginx's old workers may still answer for a moment: wait (on the host) until the
 * certificate served on 443 for the FQDN is the one in nginx's files, so the step ends with the
 * new certificate really in use.
 */
export async function waitForServedCertificate(ctx: StepContext, fqdn: string, seconds = 15): Promise<void> {
  const fingerprint = (source: string) => `${source} 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null`;
  const script = [
    'command -v openssl >/dev/null 2>&1 || exit 0',
    'systemctl is-active -q nginx || exit 0',
    `want=$(${fingerprint(`cat ${q(PATHS.serverCert)}`)})`,
    `i=0; while [ $i -lt ${seconds * 4} ]; do`,
    `  have=$(${fingerprint(`openssl s_client -connect 127.0.0.1:443 -servername ${q(fqdn)} </dev/null`)})`,
    '  [ -n "$want" ] && [ "$have" = "$want" ] && exit 0',
    '  sleep 0.25; i=$((i+1))',
    'done',
    'echo "nginx still serves ${have:-no certificate}, not ${want}" >&2; exit 1',
  ].join('\n');
  const result = await run(ctx, `sh -c ${q(script)}`, {allowFail: true, timeoutMs: (seconds + 15) * 1000});
  if (result.code !== 0) throw new StepError(`nginx did not start serving the new certificate within ${seconds} s`, 'openssl s_client -connect 127.0.0.1:443', result.stderr.trim().split('\n').slice(-5));
}
