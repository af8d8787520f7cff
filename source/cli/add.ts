// `personium-setup add`: engine extensions, OIDC providers and core plugin jars on an installed
// unit. Flags change the saved profile (or the answers file); what the AP hosts have is read and
// shown beside what is wanted; only the difference is applied; the profile is saved again.
// A problem with what was asked for exits 2 with nothing changed on the servers.
import {basename} from 'node:path';
import {mergeAnswers, validateAnswers, type Answers} from '../profile/answers.js';
import {Bastion, EXTENSION_NAMES, HostSpec, type Profile} from '../profile/schema.js';
import {DiscoveryError, SECRET_ON_SERVER, discoverHost, discoveredAnswers} from '../addons/discover.js';
import {saveProfile} from '../profile/store.js';
import {RunLog} from '../run-log.js';
import {runAddons, type AddonsOutcome} from '../addons/run.js';
import {AddonsError} from '../addons/wanted.js';
import {askAddons} from '../addons/interactive.js';
import {readInstalled} from '../addons/state.js';
import type {Host} from '../hosts/host.js';
import {hostsWithRole} from '../install/context.js';
import {versionMatrix} from '../presets.js';
import type {Prompter} from '../profile/prompter.js';
import {connectProfile, withSharedConnections} from './connect-profile.js';
import {reportProfile} from './report.js';
import {renderReportText, reportExitCode} from '../report/index.js';
import {buildPlan} from '../plan/plan.js';
import {EXIT, UsageError, gatherAnswers, info, isInteractive, liveViewMaker, output, type CommonOptions} from './common.js';

export interface AddOptions extends CommonOptions {
  extension?: string[];
  set?: string[];
  oidc?: string[];
  pluginJar?: string[];
  remove?: string[];
  acceptNewHostKeys?: boolean;
}

/** Settings each extension takes (`--set key=value`); the keys do not overlap. */
export const EXTENSION_SETTINGS: Record<string, readonly string[]> = {
  mailsender: ['smtpHost', 'smtpPort', 'smtpUser', 'smtpPassword', 'tls'],
  'slack-messenger': ['token', 'channel', 'proxyHost', 'proxyPort'],
};
const PORT_KEYS = new Set(['smtpPort', 'proxyPort']);
const SECRET_KEYS = new Set(['smtpPassword', 'token']);
const OIDC_FIELDS = ['name', 'configURL', 'trustedClientIds', 'pluginName', 'accountType', 'accountNameKey', 'grantType'] as const;


function extensionName(value: string): string {
  if (!(EXTENSION_NAMES as readonly string[]).includes(value)) {
    throw new UsageError(`unknown extension "${value}"; the extensions are: ${EXTENSION_NAMES.join(', ')}`);
  }
  return value;
}

/** A secret in a flag: env:NAME, file:PATH or prompt (never the secret itself). */
function secretValue(key: string, value: string): unknown {
  if (value === 'prompt') return 'prompt';
  if (value.startsWith('env:')) return {env: value.slice(4)};
  if (value.startsWith('file:')) return {file: value.slice(5)};
  throw new UsageError(`--set ${key}: give env:VARIABLE or file:/path (secrets are not written on the command line)`);
}

/** `--set [extension.]key=value` → [extension, key, value]. */
export function parseSetFlag(flag: string, named: readonly string[]): [string, string, unknown] {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set "${flag}" is not key=value`);
  let key = flag.slice(0, eq).trim();
  const raw = flag.slice(eq + 1);
  let ext: string | undefined;
  const dot = key.lastIndexOf('.');
  if (dot > 0) {
    ext = extensionName(key.slice(0, dot));
    key = key.slice(dot + 1);
  } else {
    const owners = Object.entries(EXTENSION_SETTINGS).filter(([, keys]) => keys.includes(key)).map(([name]) => name);
    ext = owners.find(o => named.includes(o)) ?? owners[0];
  }
  if (!ext || !EXTENSION_SETTINGS[ext]?.includes(key)) {
    const known = Object.entries(EXTENSION_SETTINGS).map(([name, keys]) => `${name}: ${keys.join(', ')}`).join('; ');
    throw new UsageError(`--set ${key}: no extension takes this setting (${known})`);
  }
  const value: unknown = SECRET_KEYS.has(key) ? secretValue(key, raw) : PORT_KEYS.has(key) && /^\d+$/.test(raw) ? Number(raw) : raw;
  return [ext, key, value];
}

/** `--oidc name=google,configURL=https://…,trustedClientIds=a b` → a provider object. */
export function parseOidcFlag(flag: string): Record<string, unknown> {
  const provider: Record<string, unknown> = {};
  for (const part of flag.split(/,(?=\s*[A-Za-z]+=)/)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || !(OIDC_FIELDS as readonly string[]).includes(key)) {
      throw new UsageError(`--oidc "${flag}": "${part}" is not one of ${OIDC_FIELDS.map(f => `${f}=…`).join(', ')}`);
    }
    provider[key] = key === 'trustedClientIds' ? value.split(/\s+/).filter(Boolean) : value;
  }
  if (!provider.name) throw new UsageError(`--oidc "${flag}": name=… is needed`);
  return provider;
}

export interface AddRequest {
  answers: Answers;
  removePluginJars: string[];
  /** OIDC providers given now (their discovery documents are checked). */
  oidcGiven: string[];
  /** What --remove named that the profile did not have. */
  notPresent: string[];
}

/** The answers with the flags applied (not validated yet). */
export function applyAddFlags(base: Answers, flags: Pick<AddOptions, 'extension' | 'set' | 'oidc' | 'pluginJar' | 'remove'>): AddRequest {
  const answers: Answers = structuredClone(base);
  const extensions: Record<string, Record<string, unknown>> = {...((answers.extensions as Record<string, Record<string, unknown>> | undefined) ?? {})};
  const auth = {...((answers.authPlugins as Answers | undefined) ?? {})};
  let oidc = [...((auth.oidc as Array<Record<string, unknown>> | undefined) ?? [])];
  let jars = [...((auth.jars as string[] | undefined) ?? [])];
  const named = (flags.extension ?? []).map(extensionName);
  for (const name of named) extensions[name] = {...(extensions[name] ?? {})};
  for (const flag of flags.set ?? []) {
    const [ext, key, value] = parseSetFlag(flag, named);
    extensions[ext] = {...(extensions[ext] ?? {}), [key]: value};
  }
  const oidcGiven: string[] = [];
  for (const flag of flags.oidc ?? []) {
    const provider = parseOidcFlag(flag);
    oidcGiven.push(String(provider.name));
    oidc = [...oidc.filter(p => p.name !== provider.name), provider];
  }
  for (const jar of flags.pluginJar ?? []) jars = [...jars.filter(j => basename(j) !== basename(jar)), jar];
  const removePluginJars: string[] = [];
  const notPresent: string[] = [];
  for (const target of flags.remove ?? []) {
    if (target.startsWith('oidc:')) {
      const name = target.slice(5);
      if (!oidc.some(p => p.name === name)) notPresent.push(target);
      oidc = oidc.filter(p => p.name !== name);
    } else if (target.endsWith('.jar')) {
      const file = basename(target);
      if (!jars.some(j => basename(j) === file)) notPresent.push(target);
      jars = jars.filter(j => basename(j) !== file);
      removePluginJars.push(file);
    } else {
      if (!(EXTENSION_NAMES as readonly string[]).includes(target)) {
        throw new UsageError(`--remove ${target}: not an extension (${EXTENSION_NAMES.join(', ')}), oidc:NAME or a plugin jar file name`);
      }
      if (!(target in extensions)) notPresent.push(target);
      delete extensions[target];
    }
  }
  answers.extensions = extensions;
  answers.authPlugins = {...auth, oidc, jars};
  return {answers, removePluginJars, oidcGiven, notPresent};
}

export function outcomeJson(profile: Profile, outcome: AddonsOutcome): unknown {
  const map = (m: Map<string, Map<string, string>>) => Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries(v)]));
  return {
    ok: outcome.ok,
    changed: outcome.changed,
    warnings: outcome.warnings,
    wanted: {extensions: outcome.wanted.extensions.map(e => ({name: e.name, version: e.version, properties: e.properties?.file})), oidc: map(outcome.wanted.oidc), pluginJars: outcome.wanted.pluginJars},
    hosts: outcome.hosts.map(h => ({
      host: h.host,
      installed: {
        extensions: [...h.installed.extensions.values()],
        properties: [...h.installed.properties.keys()],
        oidc: map(h.installed.oidc),
        pluginJars: h.installed.pluginJars.map(j => ({file: j.file, sha256: j.sha256, pluginClass: j.manifest.get('Plugin-Class')})),
      },
      diff: {
        extensions: strip(h.diff.extensions),
        staleProperties: h.diff.staleProperties,
        oidc: strip(h.diff.oidc),
        pluginJars: strip(h.diff.pluginJars),
      },
    })),
    steps: outcome.results.map(r => ({host: r.host, status: r.status, changes: r.changes, error: r.error})),
    profile: {extensions: Object.keys(profile.extensions), oidc: profile.authPlugins.oidc.map(p => p.name), jars: profile.authPlugins.jars},
  };
}

function strip(diff: {add: Array<{name: string; reason: string}>; update: Array<{name: string; reason: string}>; remove: Array<{name: string; reason: string}>; unchanged: string[]}) {
  const names = (list: Array<{name: string; reason: string}>) => list.map(({name, reason}) => ({name, reason}));
  return {add: names(diff.add), update: names(diff.update), remove: names(diff.remove), unchanged: diff.unchanged};
}

type AddDeps = {storeDir?: string; run?: typeof runAddons; report?: (profile: Profile, log: RunLog) => Promise<void>};

/** Adding ends with the confirmation report (its verdict is shown; the exit code stays add's). */
async function reportAfterAdd(profile: Profile, log: RunLog, options: AddOptions): Promise<void> {
  const report = await reportProfile(profile, buildPlan(profile), {profile: options.profile, acceptNewHostKeys: options.acceptNewHostKeys, smoke: false}, log);
  output(renderReportText(report));
  if (reportExitCode(report) !== 0) info('The report above has failing items: fix them, then check again with personium-setup report.');
}

function hasAddFlags(options: AddOptions): boolean {
  return [options.extension, options.set, options.oidc, options.pluginJar, options.remove].some(list => (list?.length ?? 0) > 0);
}

/** The answers to start from: the saved profile (or --answers), or what the servers say for a unit never seen. */
async function gatherSaved(options: AddOptions, log: RunLog, deps: AddDeps, prompter?: Prompter): Promise<{answers: Answers; source: string} | undefined> {
  const gathered = await gatherAnswers(options, deps.storeDir);
  const hosts = Array.isArray(gathered.answers.hosts) ? (gathered.answers.hosts as Answers[]) : [];
  if (!gathered.saved.found && gathered.answers.unit === undefined && hosts.length > 0) {
    return discover(gathered.answers, hosts, options, log, prompter);
  }
  if (!options.answers && !gathered.saved.found) {
    throw new UsageError(`no saved profile "${options.profile}": install the unit first, give its answers with --answers, or name a server of it with --host to read its layout from the servers`);
  }
  log.write(`answers from ${gathered.source}`);
  return {answers: gathered.answers, source: gathered.source};
}

/**
 * A unit this machine has never seen: connect to the servers given (--host, or hosts in
 * --answers), read what they run, and build the answers from that. The operator's other answers
 * (e.g. --fqdn) win over what was found. Undefined (exit 1) when a server cannot be reached.
 */
async function discover(answers: Answers, hosts: Answers[], options: AddOptions, log: RunLog, prompter?: Prompter): Promise<{answers: Answers; source: string} | undefined> {
  const given = hosts.map((h, i) => ({name: `server${i + 1}`, ...h}));
  const specs = given.map(h => {
    const parsed = HostSpec.safeParse({...h, roles: ['ap']}); // roles are what discovery finds
    if (!parsed.success) throw new UsageError(`host ${String((h as Answers).address ?? h.name)}: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  });
  const bastion = answers.bastion === undefined ? undefined : Bastion.safeParse(answers.bastion);
  if (bastion && !bastion.success) throw new UsageError(`bastion: ${bastion.error.issues[0]?.message}`);
  const say = options.json ? info : output;
  say(`No saved profile "${options.profile}": reading the unit's layout from ${specs.map(h => h.address).join(', ')}.`);
  log.write(`discovering the unit from ${specs.map(h => `${h.name} (${h.address})`).join(', ')}`);
  const connections = await connectProfile({pattern: 'medium-large', hosts: specs, bastion: bastion?.data}, {prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    if (connections.errors.size > 0) {
      for (const [name, error] of connections.errors) info(`${name}: cannot connect: ${error.message}`);
      process.exitCode = EXIT.failed;
      return undefined;
    }
    const findings = await Promise.all(specs.map(h => discoverHost(connections.hosts.get(h.name)!)));
    const found = discoveredAnswers(given.map((a, i) => ({answers: a, findings: findings[i]!})), versionMatrix());
    const {hosts: _given, ...overrides} = answers;
    const merged = mergeAnswers(found, overrides);
    for (const line of describeDiscovery(merged)) {
      say(`  ${line}`);
      log.write(`discovered: ${line}`);
    }
    return {answers: merged, source: `the servers (${specs.map(h => h.address).join(', ')})`};
  } catch (error) {
    if (error instanceof DiscoveryError) throw new UsageError(`${error.message}. Nothing was changed.`);
    throw error;
  } finally {
    await connections.close();
  }
}

function describeDiscovery(answers: Answers): string[] {
  const unit = answers.unit as {fqdn: string; cellUrlMode: string};
  const hosts = answers.hosts as Array<{name: string; address: string; roles: string[]}>;
  const oidc = ((answers.authPlugins as {oidc?: Array<{name: string}>} | undefined)?.oidc ?? []).map(p => p.name);
  return [
    `unit: https://${unit.fqdn}/ (${unit.cellUrlMode}), pattern ${String(answers.pattern)}, version set ${String(answers.versionSet)}`,
    ...hosts.map(h => `${h.name} (${h.address}): ${h.roles.join(', ')}`),
    `extensions: ${Object.keys((answers.extensions as object | undefined) ?? {}).join(', ') || 'none'}; OIDC providers: ${oidc.join(', ') || 'none'}`,
  ];
}

/** A secret only the server has must be given before the profile can manage that extension. */
function requireServerSecrets(answers: Answers): void {
  const slack = (answers.extensions as Record<string, Record<string, unknown>> | undefined)?.['slack-messenger'];
  if (slack?.token === SECRET_ON_SERVER) {
    throw new UsageError('slack-messenger has an API token in Ext_Slack.properties on the server, which a profile cannot hold: give it with --set token=env:VARIABLE or --set token=file:/path. Nothing was changed.');
  }
}

/** Validate, check, read, apply the difference, save the profile. */
async function runRequest(request: AddRequest, source: string, options: AddOptions, log: RunLog, deps: AddDeps, extra: {prompter?: Prompter; hosts?: Map<string, Host>} = {}): Promise<void> {
  const {profile, warnings} = validateAnswers(request.answers, source);
  const say = options.json ? info : output;
  for (const warning of warnings) info(`warning: ${warning}`);
  for (const target of request.notPresent) info(`note: --remove ${target}: the profile does not list it; it is removed from the servers if found there`);
  let outcome: AddonsOutcome;
  try {
    outcome = await (deps.run ?? runAddons)({
      profile,
      profileName: options.profile,
      checkOnly: options.dryRun,
      removePluginJars: request.removePluginJars,
      checkOidc: request.oidcGiven,
      acceptNewHostKeys: options.acceptNewHostKeys,
      prompter: extra.prompter,
      hosts: extra.hosts,
      out: say,
      makeView: await liveViewMaker(options.json),
      warn: line => info(`warning: ${line}`),
      log,
    });
  } catch (error) {
    if (error instanceof AddonsError) throw new UsageError(`${error.message}. Nothing was changed.`);
    throw error;
  }
  if (options.json) output(JSON.stringify(outcomeJson(profile, outcome), null, 2));
  if (!outcome.ok) {
    info(`Adding stopped. Details: ${log.path}. Fix the cause and run the same command again: what is done already is not done twice.`);
    process.exitCode = EXIT.failed;
    return;
  }
  say(options.dryRun ? `Dry run: ${outcome.changed} would change; nothing was changed and no profile was saved.` : `${outcome.changed} changed.`);
  if (!options.dryRun) {
    const path = saveProfile(options.profile, profile, {cwd: deps.storeDir});
    log.write(`profile saved to ${path}`);
    say(`Profile "${options.profile}" saved to ${path}.`);
    if (!options.json) await (deps.report ?? ((p, l) => reportAfterAdd(p, l, options)))(profile, log);
  }
  info(`Log: ${log.path}`);
}

export async function runAddCommand(options: AddOptions, deps: AddDeps = {}): Promise<void> {
  // Discovery, add and the report reach the same servers: one connection each for all of them.
  return withSharedConnections(() => addCommand(options, deps));
}

async function addCommand(options: AddOptions, deps: AddDeps): Promise<void> {
  if (!hasAddFlags(options) && !options.yes && !options.json && isInteractive()) {
    const {createInkPrompter} = await import('../ui/ink-prompter.js');
    return runAddInteractive(createInkPrompter(), options, deps);
  }
  const log = new RunLog('add');
  log.write(`personium-setup add (profile ${options.profile}${options.answers ? `, answers ${options.answers}` : ''})`);
  const gathered = await gatherSaved(options, log, deps);
  if (!gathered) return;
  const request = applyAddFlags(gathered.answers, options);
  requireServerSecrets(request.answers);
  await runRequest(request, gathered.source, options, log, deps);
}

/**
 * The interactive flow (the wizard's "Add engine extensions or auth plugins", or `add` in a
 * terminal without flags): read what the AP hosts have, ask, then apply over the same connections.
 */
export async function runAddInteractive(prompter: Prompter, options: AddOptions, deps: AddDeps = {}): Promise<void> {
  return withSharedConnections(() => addInteractive(prompter, options, deps));
}

async function addInteractive(prompter: Prompter, options: AddOptions, deps: AddDeps): Promise<void> {
  const log = new RunLog('add');
  log.write(`personium-setup add, interactive (profile ${options.profile})`);
  const gathered = await gatherSaved(options, log, deps, prompter);
  if (!gathered) return;
  requireServerSecrets(gathered.answers);
  const {profile} = validateAnswers(gathered.answers, gathered.source);
  const apSpecs = hostsWithRole(profile, 'ap');
  const connections = await connectProfile({...profile, hosts: apSpecs}, {prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    if (connections.errors.size > 0) {
      for (const [name, error] of connections.errors) prompter.note(`${name}: cannot connect: ${error.message}`, 'error');
      process.exitCode = EXIT.failed;
      return;
    }
    const installed = new Set<string>();
    for (const host of connections.hosts.values()) {
      const state = await readInstalled(host);
      for (const name of state.extensions.keys()) installed.add(name);
    }
    const request = await askAddons(prompter, gathered.answers, installed, versionMatrix());
    if (!request) {
      prompter.note('Nothing to change: nothing was done.', 'info');
      return;
    }
    await runRequest(request, gathered.source, options, log, deps, {prompter, hosts: connections.hosts});
  } finally {
    await connections.close();
  }
}
