// The `add` run: check what was asked for on this machine (plugin jars, OIDC discovery
// documents, verified extension jars), read what each AP host has (one command per host), show
// installed beside wanted, then apply only the difference through the executor, journaled and
// logged like the install, with one Tomcat restart per changed host.
import {join} from 'node:path';
import {artifactsFor} from '../artifacts/refs.js';
import {openBundle} from '../artifacts/bundle.js';
import {defaultCacheDir, downloadArtifacts} from '../artifacts/download.js';
import type {ArtifactRef, LocalArtifact} from '../artifacts/types.js';
import {connectProfile} from '../cli/connect-profile.js';
import type {StepResult} from '../executor/execute.js';
import {Journal} from '../executor/journal.js';
import {executeWithView, plainRunView, type RunView} from '../executor/render-run.js';
import type {OsInfo, StepContext, StepDefinition} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import {expandHome} from '../hosts/ssh-config.js';
import {hostsWithRole} from '../install/context.js';
import {stateDirectory} from '../install/run-install.js';
import {findVersionSet, versionMatrix, type VersionSet} from '../presets.js';
import type {Prompter} from '../profile/prompter.js';
import type {Profile} from '../profile/schema.js';
import type {RunLog} from '../run-log.js';
import {detectOs} from '../steps/os.js';
import {addonSteps} from './apply.js';
import {diffAddons, readInstalled, type AddonsDiff, type InstalledAddons, type WantedAddons} from './state.js';
import {renderAddonsTable} from './render.js';
import {AddonsError, checkDiscovery, checkPluginJar, wantedAddons, type CheckedJar} from './wanted.js';

export interface RunAddonsOptions {
  profile: Profile;
  profileName: string;
  checkOnly?: boolean;
  /** Plugin jar file names to take out of core's plugin directory. */
  removePluginJars?: string[];
  /** OIDC providers whose discovery document is checked (the ones added or changed now). */
  checkOidc?: string[];
  acceptNewHostKeys?: boolean;
  prompter?: Prompter;
  out: (line: string) => void;
  /** How the steps' progress is shown (a live view in a terminal); default: plain lines on `out`. */
  makeView?: (steps: StepDefinition[]) => RunView;
  warn: (line: string) => void;
  log: RunLog;
  stateDir?: string;
  /** Already open connections (tests). */
  hosts?: Map<string, Host>;
  /** Extension jars (default: the profile's artifact source, verified as for the install). */
  artifacts?: (profile: Profile, set: VersionSet, refs: ArtifactRef[]) => Promise<Map<string, LocalArtifact>>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface AddonsHostReport {
  host: string;
  installed: InstalledAddons;
  diff: AddonsDiff;
}

export interface AddonsOutcome {
  ok: boolean;
  wanted: WantedAddons;
  hosts: AddonsHostReport[];
  results: StepResult[];
  /** Things changed on the servers (each file, key block or restart counts once). */
  changed: number;
  warnings: string[];
}

/** Extension jars only, from upstream, the mirror or the bundle; verified like every archive. */
export async function extensionArtifacts(profile: Profile, _set: VersionSet, refs: ArtifactRef[]): Promise<Map<string, LocalArtifact>> {
  if (refs.length === 0) return new Map();
  const cacheDir = defaultCacheDir();
  const source = profile.artifacts;
  const found =
    source.source === 'bundle'
      ? await openBundle(expandHome(source.bundleFile ?? ''), cacheDir, {needed: refs})
      : await downloadArtifacts(refs, {cacheDir, ...(source.source === 'mirror' ? {mirrorUrl: source.mirrorUrl} : {})});
  const byName = new Map<string, LocalArtifact>();
  for (const [name, artifact] of found) if (name.startsWith('extension:')) byName.set(name.slice('extension:'.length), artifact);
  return byName;
}

/** Everything checked on this machine before any server is touched; AddonsError on a refusal. */
export async function prepareAddons(options: Pick<RunAddonsOptions, 'profile' | 'removePluginJars' | 'checkOidc' | 'artifacts' | 'fetch' | 'warn'>): Promise<{wanted: WantedAddons; artifacts: Map<string, LocalArtifact>; jars: CheckedJar[]}> {
  const {profile} = options;
  const set = findVersionSet(profile.versionSet);
  if (!set) throw new AddonsError(`unknown version set ${profile.versionSet}`);
  const jars: CheckedJar[] = [];
  for (const source of profile.authPlugins.jars) jars.push(await checkPluginJar(source, options.fetch));
  const seen = new Set<string>();
  for (const jar of jars) {
    if (seen.has(jar.file)) throw new AddonsError(`two plugin jars are named ${jar.file}; core's plugin directory holds one file per name`);
    seen.add(jar.file);
  }
  for (const name of options.checkOidc ?? []) {
    const provider = profile.authPlugins.oidc.find(p => p.name === name);
    if (!provider) continue;
    const result = await checkDiscovery(name, provider.configURL, options.fetch);
    if (!result.reachable) options.warn(result.message);
  }
  const refs = artifactsFor(profile, set).filter(ref => ref.name.startsWith('extension:'));
  const artifacts = await (options.artifacts ?? extensionArtifacts)(profile, set, refs);
  return {wanted: wantedAddons(profile, versionMatrix(), artifacts, jars, options.removePluginJars), artifacts, jars};
}

export async function runAddons(options: RunAddonsOptions): Promise<AddonsOutcome> {
  const {profile, log} = options;
  const say = (line: string) => {
    options.out(line);
    log.write(line);
  };
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    options.warn(line);
    log.write(`warning: ${line}`);
  };
  const prepared = await prepareAddons({...options, warn});
  const apSpecs = hostsWithRole(profile, 'ap');
  if (apSpecs.length === 0) throw new AddonsError('the profile has no host with the ap role');
  const connections = options.hosts
    ? {hosts: options.hosts, errors: new Map<string, Error>(), close: async () => {}}
    : await connectProfile({...profile, hosts: apSpecs}, {prompter: options.prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    if (connections.errors.size > 0) {
      for (const [name, error] of connections.errors) say(`[${name}] cannot connect: ${error.message}`);
      return {ok: false, wanted: prepared.wanted, hosts: [], results: [], changed: 0, warnings};
    }
    const hostOf = (name: string) => {
      const host = connections.hosts.get(name);
      if (!host) throw new Error(`no connection to ${name}`);
      return host;
    };
    const os = new Map<string, OsInfo>();
    const installed = new Map<string, InstalledAddons>();
    await Promise.all(
      apSpecs.map(async spec => {
        const host = hostOf(spec.name);
        os.set(spec.name, await detectOs(host));
        const state = await readInstalled(host);
        for (const w of state.warnings) warn(w);
        installed.set(spec.name, state);
      }),
    );
    const reports: AddonsHostReport[] = apSpecs.map(spec => {
      const state = installed.get(spec.name)!;
      return {host: spec.name, installed: state, diff: diffAddons(state, prepared.wanted)};
    });
    for (const report of reports) {
      if (report.installed.unitConfig === undefined) throw new AddonsError(`${report.host}: Personium is not installed there (no unit config); run personium-setup install first`);
    }
    for (const report of reports) for (const line of renderAddonsTable(report.installed, prepared.wanted, report.diff, versionMatrix())) say(line);

    const steps = addonSteps(profile, apSpecs.map(s => s.name), installed, {wanted: prepared.wanted, artifacts: prepared.artifacts, pluginJarBytes: new Map(prepared.jars.map(j => [j.file, j.bytes]))}, (ctx: StepContext) => readInstalled(ctx.host));
    const stateDir = options.stateDir ?? stateDirectory();
    const journal = options.checkOnly ? undefined : Journal.open(join(stateDir, `journal-add-${options.profileName}.json`), options.profileName, false).journal;
    if (options.checkOnly) say('Dry run: every step only looks; nothing on the servers is changed.');
    say('');
    const {results, ok} = await executeWithView(
      steps,
      {hosts: connections.hosts, os, checkOnly: options.checkOnly, signal: options.signal, journal, log: line => log.write(line)},
      options.makeView?.(steps) ?? plainRunView(options.out),
    );
    const changed = results.reduce((sum, r) => sum + r.changes.length, 0);
    return {ok, wanted: prepared.wanted, hosts: reports, results, changed, warnings};
  } finally {
    if (!options.hosts) await connections.close();
  }
}
