// What every command shares: options, where answers come from, output, exit codes.
import {AnswersError, loadAnswersFile, mergeAnswers, presetAnswers, isPattern, validateAnswers, type Answers, type Validated} from '../profile/answers.js';
import {checkProfileCertificates, type CertificateReport} from '../wizard/certificates.js';
import {loadProfile, PROFILE_NAME, type LoadedProfile} from '../profile/store.js';
import type {RunView} from '../executor/render-run.js';
import type {StepDefinition} from '../executor/types.js';

export const EXIT = {ok: 0, failed: 1, usage: 2, cancelled: 130} as const;

export interface CommonOptions {
  answers?: string;
  profile: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  pattern?: string;
  fqdn?: string;
  cellUrlMode?: string;
  publicAddress?: string;
  host?: string;
  https?: string;
  versionSet?: string;
}

/** A usage problem (bad flag combination, missing input): exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Prompting needs a terminal on both ends and no CI (a prompt in CI would hang forever). */
export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY) && liveProgress(process.stdout, env);
}

/** Progress is drawn live (Ink) only where someone watches a terminal: not a pipe, not CI, not TERM=dumb. */
export function liveProgress(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !inCi(env) && env.TERM !== 'dumb';
}

/** Ink's own rule (is-in-ci): under CI it draws only the last frame, so a live view would show nothing. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (key: string) => key in env && env[key] !== '0' && env[key] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

/** The live run view's maker when stdout is such a terminal (Ink loaded only then), else undefined: plain lines. */
export async function liveViewMaker(json = false): Promise<((steps: StepDefinition[]) => RunView) | undefined> {
  if (json || !liveProgress()) return undefined;
  const {liveRunView} = await import('../ui/live-run.js');
  return steps => liveRunView(steps);
}

export function output(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function info(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `[user@]address[:port]` → the host fields it sets. */
export function parseHostFlag(value: string): Answers {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(value.trim());
  if (!match) throw new UsageError(`--host "${value}" is not [user@]address[:port]`);
  const [, user, address, port] = match;
  return {
    address: address!.replace(/^\[|\]$/g, ''),
    ...(user ? {user} : {}),
    ...(port ? {port: Number(port)} : {}),
  };
}

export function flagsToAnswers(options: CommonOptions): Answers {
  const unit: Answers = {};
  if (options.fqdn !== undefined) unit.fqdn = options.fqdn;
  if (options.cellUrlMode !== undefined) unit.cellUrlMode = options.cellUrlMode;
  if (options.publicAddress !== undefined) unit.publicAddress = options.publicAddress;
  return {
    ...(options.pattern ? {pattern: options.pattern} : {}),
    ...(Object.keys(unit).length > 0 ? {unit} : {}),
    ...(options.https ? {https: {mode: options.https}} : {}),
    ...(options.versionSet ? {versionSet: options.versionSet} : {}),
  };
}

export interface Gathered {
  answers: Answers;
  saved: LoadedProfile;
  /** Where the answers came from, for messages and the log. */
  source: string;
}

/**
 * defaults of the pattern < saved profile (only without an answers file) < answers file < flags.
 * An answers file describes a whole unit, so a saved profile does not leak into it.
 */
export async function gatherAnswers(options: CommonOptions, storeDir?: string): Promise<Gathered> {
  const name = PROFILE_NAME.safeParse(options.profile);
  if (!name.success) throw new UsageError(`--profile: ${name.error.issues[0]?.message}`);
  const saved = loadProfile(options.profile, {cwd: storeDir});
  const file = options.answers ? await loadAnswersFile(options.answers) : undefined;
  const flags = flagsToAnswers(options);
  const savedAnswers = !file && saved.found ? (saved.answers as Answers) : undefined;
  const pattern = flags.pattern ?? file?.pattern ?? savedAnswers?.pattern;
  const answers = mergeAnswers(isPattern(pattern) ? presetAnswers(pattern) : {}, savedAnswers, file, flags);
  if (options.host) {
    const hosts = Array.isArray(answers.hosts) ? [...(answers.hosts as Answers[])] : [];
    if (hosts.length > 1) throw new UsageError('--host sets the single server of the small pattern; list several servers in an answers file');
    hosts[0] = {name: 'server1', ...hosts[0], ...parseHostFlag(options.host)};
    answers.hosts = hosts;
  }
  const source = options.answers ?? (saved.found && !file ? `saved profile "${options.profile}" (${saved.path})` : 'flags');
  return {answers, saved, source};
}

/**
 * Schema validation plus the checks that read files: provided certificates must parse, match
 * their keys and cover the names before any command uses the profile. Errors exit 2.
 */
export async function validateProfile(answers: Answers, source: string): Promise<Validated & {certificates: CertificateReport}> {
  const validated = validateAnswers(answers, source);
  const certificates = await checkProfileCertificates(validated.profile);
  if (certificates.errors.length > 0) throw new AnswersError(source, certificates.errors);
  return {...validated, warnings: [...validated.warnings, ...certificates.warnings], certificates};
}
