// Idempotent building blocks for steps: each looks at the host first and changes only what
// differs, recording what it changed. Every command is built with shellQuote.
import {createHash} from 'node:crypto';
import {shellQuote} from '../hosts/quote.js';
import type {ExecResult} from '../hosts/host.js';
import {readFileFacts, type FileFact} from '../hosts/file-facts.js';
import {StepError, type OsInfo, type StepContext} from './types.js';

const q = shellQuote;

/** Run a command as root; a non-zero exit is a StepError with the command and its output tail. */
export async function run(ctx: StepContext, command: string, options: {timeoutMs?: number; stdin?: string; allowFail?: boolean} = {}): Promise<ExecResult> {
  ctx.log(`$ ${command}`);
  const result = await ctx.host.exec(command, {sudo: true, timeoutMs: options.timeoutMs ?? 600_000, stdin: options.stdin, signal: ctx.signal});
  const output = `${result.stdout}${result.stderr}`.trimEnd();
  if (output) ctx.log(output);
  if (result.code !== 0 && !options.allowFail) {
    const why = result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with ${result.code}`;
    throw new StepError(`command ${why}`, command, output.split('\n').slice(-15));
  }
  return result;
}

/** Facts about files as root, one round trip for all of them (see hosts/file-facts.ts); logged like a command. */
export async function fileFacts(ctx: StepContext, paths: string[], options: {hash?: boolean} = {}): Promise<Array<FileFact | undefined>> {
  try {
    const answer = await readFileFacts(ctx.host, paths, {sudo: true, hash: options.hash, timeoutMs: 600_000, signal: ctx.signal});
    ctx.log(`$ ${answer.how}`);
    if (answer.text.trim()) ctx.log(answer.text.trimEnd());
    return answer.facts;
  } catch (error) {
    throw new StepError((error as Error).message, `file facts: ${paths.join(' ')}`);
  }
}

/** Whether each path exists (a dangling symlink does); no file is read. */
export async function pathsExist(ctx: StepContext, paths: string[]): Promise<boolean[]> {
  return (await fileFacts(ctx, paths, {hash: false})).map(fact => fact !== undefined);
}

/** The SHA-256 of a regular file, undefined when there is none. */
export async function fileSha256(ctx: StepContext, path: string): Promise<string | undefined> {
  const [fact] = await fileFacts(ctx, [path]);
  return fact?.type === 'file' ? fact.sha256 : undefined;
}

export interface FileSpec {
  path: string;
  content: string | Buffer;
  mode: number;
  owner?: string;
  group?: string;
}

/** Write a file only when its content, mode or owner differ. Returns whether it changed. */
export async function ensureFile(ctx: StepContext, file: FileSpec): Promise<boolean> {
  const owner = file.owner ?? 'root';
  const group = file.group ?? owner;
  const want = createHash('sha256').update(file.content).digest('hex');
  const [now] = await fileFacts(ctx, [file.path]);
  const same = now?.type === 'file' && now.sha256 === want && `${now.mode} ${now.user} ${now.group}` === `${file.mode.toString(8)} ${owner} ${group}`;
  if (same) return false;
  ctx.changed(`${file.path}${now ? '' : ' (new)'}`);
  if (ctx.checkOnly) return true;
  await ctx.host.upload(file.content, file.path, {mode: file.mode, owner, group, sudo: true});
  return true;
}

export async function ensureDirectory(ctx: StepContext, path: string, options: {mode: number; owner?: string; group?: string}): Promise<boolean> {
  const owner = options.owner ?? 'root';
  const group = options.group ?? owner;
  const [now] = await fileFacts(ctx, [path], {hash: false});
  if (now?.type === 'directory' && `${now.mode} ${now.user} ${now.group}` === `${options.mode.toString(8)} ${owner} ${group}`) return false;
  ctx.changed(`${path}/`);
  if (!ctx.checkOnly) {
    await run(ctx, `install -d -m ${options.mode.toString(8)} -o ${q(owner)} -g ${q(group)} -- ${q(path)}`);
  }
  return true;
}

/** Install distribution packages that are missing; never upgrades what is there. */
export async function ensurePackages(ctx: StepContext, names: string[]): Promise<boolean> {
  if (names.length === 0) return false;
  const quoted = names.map(q).join(' ');
  const probe =
    ctx.os.family === 'debian'
      ? await run(ctx, `dpkg-query -W -f='\${Package} \${db:Status-Status}\\n' ${quoted} 2>/dev/null`, {allowFail: true})
      : await run(ctx, `rpm -q --qf '%{NAME} installed\\n' ${quoted} 2>/dev/null`, {allowFail: true});
  const installed = new Set(
    probe.stdout
      .split('\n')
      .filter(line => line.endsWith(' installed'))
      .map(line => line.split(' ')[0]),
  );
  const missing = names.filter(name => !installed.has(name));
  if (missing.length === 0) return false;
  ctx.changed(`packages: ${missing.join(', ')}`);
  if (ctx.checkOnly) return true;
  const list = missing.map(q).join(' ');
  const source = await packageSourceOptions(ctx);
  if (ctx.os.family === 'debian') {
    if (!ctx.memo.get('apt-updated')) {
      await run(ctx, `DEBIAN_FRONTEND=noninteractive apt-get${source} update -q`, {timeoutMs: 300_000});
      ctx.memo.set('apt-updated', true);
    }
    await run(ctx, `DEBIAN_FRONTEND=noninteractive apt-get${source} install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold ${list}`, {timeoutMs: 1_200_000});
  } else {
    await run(ctx, `dnf${source} install -y -q ${list}`, {timeoutMs: 1_200_000});
  }
  return true;
}

/** The tool's own apt sources (with artifacts.packageMirror) and the package lists read from them. */
export const APT_MIRROR_LIST = '/etc/personium-setup/apt-mirror.list';
export const APT_MIRROR_LISTS_DIR = '/var/lib/personium-setup/apt-lists';

/** apt sources for the mirror: the release and its updates (Ubuntu: and security) of the host's codename. */
export function aptMirrorSources(mirror: string, os: Pick<OsInfo, 'id' | 'codename'>): string {
  if (!os.codename) throw new StepError(`cannot use the package mirror: /etc/os-release names no VERSION_CODENAME for ${os.id}`);
  const url = mirror.replace(/\/+$/, '');
  const components = os.id === 'ubuntu' ? 'main universe' : 'main';
  const suites = os.id === 'ubuntu' ? ['', '-updates', '-security'] : ['', '-updates'];
  return `# Managed by personium-setup (artifacts.packageMirror); used only by its own apt-get runs.\n${suites.map(s => `deb ${url} ${os.codename}${s} ${components}`).join('\n')}\n`;
}

/**
 * Package manager options that take packages from the profile's mirror, leaving the host's own
 * sources and apt's lists alone: apt reads the tool's sources file into lists of its own; dnf
 * uses the mirror's BaseOS and AppStream in place of the configured repositories, for this run.
 * Empty without a mirror.
 */
async function packageSourceOptions(ctx: StepContext): Promise<string> {
  const mirror = ctx.packageMirror;
  if (!mirror) return '';
  const url = mirror.replace(/\/+$/, '');
  if (ctx.os.family === 'rhel') {
    const repo = (name: string) => `--repofrompath=${q(`personium-${name.toLowerCase()},${url}/$releasever/${name}/$basearch/os/`)}`;
    return ` --disablerepo='*' ${repo('BaseOS')} ${repo('AppStream')} --enablerepo='personium-*' --setopt='personium-*.gpgcheck=1'`;
  }
  await ensureDirectory(ctx, '/etc/personium-setup', {mode: 0o755});
  await ensureFile(ctx, {path: APT_MIRROR_LIST, content: aptMirrorSources(mirror, ctx.os), mode: 0o644});
  await run(ctx, `install -d -m 755 -- ${q(APT_MIRROR_LISTS_DIR)} ${q(`${APT_MIRROR_LISTS_DIR}/partial`)}`);
  return ` -o Dir::Etc::SourceList=${APT_MIRROR_LIST} -o Dir::Etc::SourceParts=- -o Dir::State::Lists=${APT_MIRROR_LISTS_DIR}`;
}

export interface ServiceSpec {
  name: string;
  enabled?: boolean;
  running?: boolean;
  /** Restart even if running (its configuration changed). */
  restart?: boolean;
  /** A unit file was written: reload systemd first. */
  reload?: boolean;
}

/** What systemd says about a unit: ActiveState, UnitFileState (is-enabled's word), ConditionResult. */
export interface UnitState {
  active: string;
  enabled: string;
  condition: string;
}

/**
 * The state of several units from one `systemctl show` (a systemctl process costs more than
 * anything else a converged check runs). Blocks come back in the order asked; an unknown unit
 * is inactive with an empty UnitFileState.
 */
export async function unitStates(ctx: StepContext, units: string[]): Promise<UnitState[]> {
  const result = await run(ctx, `systemctl show -p ActiveState -p UnitFileState -p ConditionResult -- ${units.map(q).join(' ')}`, {allowFail: true});
  return parseUnitStates(result.stdout, units.length);
}

export function parseUnitStates(stdout: string, count: number): UnitState[] {
  const blocks = stdout.trim() === '' ? [] : stdout.trim().split(/\n\s*\n/);
  return Array.from({length: count}, (_, i) => {
    const props = new Map<string, string>();
    for (const line of (blocks[i] ?? '').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
    return {active: props.get('ActiveState') ?? '', enabled: props.get('UnitFileState') ?? '', condition: props.get('ConditionResult') ?? ''};
  });
}

export async function ensureService(ctx: StepContext, spec: ServiceSpec): Promise<boolean> {
  const unit = q(spec.name);
  let changed = false;
  if (spec.reload && !ctx.checkOnly) await run(ctx, 'systemctl daemon-reload');
  const [{enabled, active}] = (await unitStates(ctx, [spec.name])) as [UnitState];
  if (spec.enabled !== false && enabled !== 'enabled') {
    ctx.changed(`${spec.name} enabled`);
    changed = true;
    if (!ctx.checkOnly) await run(ctx, `systemctl enable ${unit}`);
  }
  if (spec.running !== false) {
    if (active !== 'active') {
      ctx.changed(`${spec.name} started`);
      changed = true;
      if (!ctx.checkOnly) await run(ctx, `systemctl start ${unit}`, {timeoutMs: 300_000});
    } else if (spec.restart) {
      ctx.changed(`${spec.name} restarted`);
      changed = true;
      if (!ctx.checkOnly) await run(ctx, `systemctl restart ${unit}`, {timeoutMs: 300_000});
    }
  } else if (active === 'active') {
    ctx.changed(`${spec.name} stopped`);
    changed = true;
    if (!ctx.checkOnly) await run(ctx, `systemctl stop ${unit}`, {timeoutMs: 300_000});
  }
  return changed;
}

/**
 * Wait until something answers, polling on the host itself in one command (no round trip per
 * try): a TCP port, or an HTTP URL whose body matches.
 */
export async function waitForPort(ctx: StepContext, address: string, port: number, waitSeconds: number): Promise<void> {
  if (ctx.checkOnly && !ctx.probe) return;
  const timeoutSeconds = ctx.probe ? 1 : waitSeconds;
  const script = `i=0; while [ $i -lt ${timeoutSeconds * 2} ]; do if (exec 3<>/dev/tcp/${address}/${port}) 2>/dev/null; then exit 0; fi; sleep 0.5; i=$((i+1)); done; exit 1`;
  const result = await run(ctx, `bash -c ${q(script)}`, {allowFail: true, timeoutMs: (timeoutSeconds + 10) * 1000});
  if (result.code !== 0) throw new StepError(`nothing answered on ${address}:${port} within ${timeoutSeconds} s`, `wait for ${address}:${port}`);
}

export async function waitForHttp(ctx: StepContext, url: string, expect: RegExp, timeoutSeconds: number): Promise<string> {
  if (ctx.checkOnly && !ctx.probe) return '';
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  do {
    // Polls for up to 10 s per round trip on the host, so slow starts cost few SSH calls (once when probing).
    const script = `i=0; while [ $i -lt ${ctx.probe ? 1 : 20} ]; do out=$(curl -fsS --max-time 5 ${q(url)} 2>&1) && { printf '%s' "$out"; exit 0; }; sleep 0.5; i=$((i+1)); done; printf '%s' "$out"; exit 1`;
    const result = await ctx.host.exec(`sh -c ${q(script)}`, {timeoutMs: 60_000, signal: ctx.signal});
    last = result.stdout;
    if (result.code === 0 && expect.test(result.stdout)) return result.stdout;
  } while (Date.now() < deadline && !ctx.probe);
  throw new StepError(`${url} did not answer as expected within ${timeoutSeconds} s`, `curl ${url}`, last.split('\n').slice(-10));
}
