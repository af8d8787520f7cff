// The install run: connect, learn each host (OS, memory), resolve the archives and the unit's
// certificates and secrets once, then execute the steps with a journal (for --resume), plain
// progress lines, a recap and a short "unit ready" summary. `checkOnly` is --dry-run against the
// real hosts: every step looks and reports what it would change, nothing is changed.
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import type {ArtifactName, LocalArtifact} from '../artifacts/types.js';
import type {StepResult} from '../executor/execute.js';
import {describeTxtRecords} from '../steps/acme/plan.js';
import {Journal, journalFingerprint} from '../executor/journal.js';
import {executeWithView, pausingPrompter, plainRunView, type RunView} from '../executor/render-run.js';
import type {OsInfo, StepDefinition} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {Plan} from '../plan/plan.js';
import {findVersionSet, type VersionSet} from '../presets.js';
import type {Prompter} from '../profile/prompter.js';
import type {Profile} from '../profile/schema.js';
import {registerSecret, type RunLog} from '../run-log.js';
import {connectProfile} from '../cli/connect-profile.js';
import {ADMIN_ACCOUNT, cellUrl, readBootstrapMarker, unitUrl} from '../steps/bootstrap.js';
import {detectOs} from '../steps/os.js';
import {loadOrCreateUnitSecrets, SECRETS_FILE} from '../steps/unit-secrets.js';
import {firstApHost, hostsWithRole, type AdminPasswordStore, type HostFacts, type TlsMaterial} from './context.js';
import {installSteps} from './steps.js';

/** What is already on the servers, so certificates are reused rather than made again. */
export interface ExistingTls {
  serverCert?: string;
  serverKey?: string;
  unitCert?: string;
  unitKey?: string;
}

/** Where archives and certificates come from (the defaults use source/artifacts and source/tls). */
export interface InstallProviders {
  artifacts(profile: Profile, set: VersionSet, log: (line: string) => void): Promise<Map<ArtifactName, LocalArtifact>>;
  tls(profile: Profile, existing: ExistingTls, log: (line: string) => void): Promise<TlsMaterial>;
}

export interface RunInstallOptions {
  profile: Profile;
  plan: Plan;
  profileName: string;
  checkOnly?: boolean;
  resume?: boolean;
  acceptNewHostKeys?: boolean;
  prompter?: Prompter;
  providers: InstallProviders;
  /** Progress lines (stdout). */
  out: (line: string) => void;
  /** How the steps' progress is shown (a live view in a terminal); default: plain lines on `out`. */
  makeView?: (steps: StepDefinition[]) => RunView;
  /** At most this many hosts run a step at the same time (default MAX_PARALLEL_HOSTS). */
  parallel?: number;
  log: RunLog;
  /** Directory for the journal and the admin password file (default $XDG_STATE_HOME/personium-setup). */
  stateDir?: string;
  signal?: AbortSignal;
  /** Already open connections (tests); otherwise the profile's hosts are connected and closed here. */
  hosts?: Map<string, Host>;
  /**
   * Preflight for a re-run, asked only when some step has work to do (a unit that already matches
   * the profile needs none); false stops the run before anything changes.
   */
  preflight?: () => Promise<boolean>;
}

export interface InstallOutcome {
  ok: boolean;
  /** Preflight (asked by the run) found errors: nothing was changed. */
  preflightRefused?: boolean;
  results: StepResult[];
  journalPath?: string;
  adminPasswordFile: string;
  /** Made in this run: shown once. */
  newAdminPassword?: string;
  unitUrl: string;
  adminCellUrl: string;
}

export function stateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'personium-setup');
}

export function journalFile(profileName: string, stateDir = stateDirectory()): string {
  return join(stateDir, `journal-${profileName}.json`);
}

/** The last install of this profile from this machine got through every step: a re-run. */
export function isRerun(profileName: string, stateDir?: string): boolean {
  return Journal.lastRunFinished(journalFile(profileName, stateDir), profileName);
}

/** The unit admin credentials on the operator machine: one 0600 file per profile. */
export function adminPasswordStore(path: string, profile: Profile): AdminPasswordStore {
  return {
    path,
    read() {
      if (!existsSync(path)) return undefined;
      const text = readFileSync(path, 'utf8');
      if (!text.includes(`unit_url=${unitUrl(profile.unit.fqdn)}\n`)) return undefined;
      const password = /^password=(.*)$/m.exec(text)?.[1];
      if (password) registerSecret(password);
      return password || undefined;
    },
    write(password) {
      registerSecret(password);
      mkdirSync(join(path, '..'), {recursive: true, mode: 0o700});
      const text = [
        '# Unit admin account made by personium-setup. Keep this file private (mode 0600).',
        `unit_url=${unitUrl(profile.unit.fqdn)}`,
        `cell_url=${cellUrl({fqdn: profile.unit.fqdn, cellUrlMode: profile.unit.cellUrlMode, cell: profile.security.unitAdminCell})}`,
        `account=${ADMIN_ACCOUNT}`,
        `password=${password}`,
        '',
      ].join('\n');
      writeFileSync(path, text, {mode: 0o600});
      chmodSync(path, 0o600);
    },
  };
}

async function readIfPresent(host: Host, path: string): Promise<string | undefined> {
  const result = await host.exec(`cat -- ${q(path)} 2>/dev/null`, {sudo: true});
  return result.code === 0 && result.stdout.includes('-----BEGIN') ? result.stdout : undefined;
}

async function hostFacts(host: Host): Promise<{os: OsInfo; facts: HostFacts}> {
  const [os, mem] = await Promise.all([detectOs(host), host.exec("awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo")]);
  const memoryMb = Number.parseInt(mem.stdout.trim(), 10);
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) throw new Error(`${host.name}: cannot read the memory size from /proc/meminfo`);
  return {os, facts: {memoryMb}};
}

export async function runInstall(options: RunInstallOptions): Promise<InstallOutcome> {
  const {profile, plan, log} = options;
  const say = (line: string) => {
    options.out(line);
    log.write(line);
  };
  const set = findVersionSet(profile.versionSet);
  if (!set) throw new Error(`unknown version set ${profile.versionSet}`);
  const stateDir = options.stateDir ?? stateDirectory();
  const passwords = adminPasswordStore(join(stateDir, `unitadmin-${options.profileName}.txt`), profile);
  const adminCellUrl = cellUrl({fqdn: profile.unit.fqdn, cellUrlMode: profile.unit.cellUrlMode, cell: profile.security.unitAdminCell});
  const base = {adminPasswordFile: passwords.path, unitUrl: unitUrl(profile.unit.fqdn), adminCellUrl};

  const connections = options.hosts
    ? {hosts: options.hosts, errors: new Map<string, Error>(), close: async () => {}}
    : await connectProfile(profile, {prompter: options.prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    if (connections.errors.size > 0) {
      for (const [name, error] of connections.errors) say(`[${name}] cannot connect: ${error.message}`);
      return {ok: false, results: [], ...base};
    }
    const hosts = connections.hosts;
    const hostOf = (name: string) => {
      const host = hosts.get(name);
      if (!host) throw new Error(`no connection to ${name}`);
      return host;
    };

    // The steps' burst of root commands should not wait for shells to start: start them now,
    // while this machine reads the archives and certificates.
    for (const host of hosts.values()) void host.warmUp?.().catch(() => undefined);

    // What the steps need, all at once: every host's facts, the archives, the certificates and
    // secrets already on the servers (each a round trip or a local read; none waits for another).
    const os = new Map<string, OsInfo>();
    const facts = new Map<string, HostFacts>();
    const gatherFacts = Promise.all(
      profile.hosts.map(async spec => {
        const found = await hostFacts(hostOf(spec.name));
        os.set(spec.name, found.os);
        facts.set(spec.name, found.facts);
        log.write(`[${spec.name}] ${found.os.id} ${found.os.versionId}, ${found.facts.memoryMb} MB`);
      }),
    );
    say(`Archives: ${profile.artifacts.source}${profile.artifacts.source === 'bundle' ? ` (${profile.artifacts.bundleFile})` : ''}`);
    const apHost = hostOf(firstApHost(profile).name);
    const webName = hostsWithRole(profile, 'web')[0]?.name;
    const webHost = webName ? hostOf(webName) : undefined;
    const [, artifacts, serverCert, serverKey, unitCert, unitKey, unitSecrets, bootstrapped] = await Promise.all([
      gatherFacts,
      // Notices about how an archive was verified (a hash recorded at its first download) are the operator's to see.
      options.providers.artifacts(profile, set, say),
      webHost && readIfPresent(webHost, PATHS.serverCert),
      webHost && readIfPresent(webHost, PATHS.serverKey),
      readIfPresent(apHost, PATHS.unitCert),
      readIfPresent(apHost, PATHS.unitKey),
      // The first AP server (apHost) first: it keeps the secrets file.
      loadOrCreateUnitSecrets(hostsWithRole(profile, 'ap').map(h => hostOf(h.name)), {checkOnly: options.checkOnly ?? false}),
      readBootstrapMarker({host: apHost}),
    ]);
    const existing: ExistingTls = {serverCert, serverKey, unitCert, unitKey};
    const tls = await options.providers.tls(profile, existing, line => log.write(line));
    registerSecret(tls.serverKey);
    registerSecret(tls.unitKey);
    const {secrets, source} = unitSecrets;
    if (source === 'unit-config') say(`Unit secrets: secret16 and the password salt taken from the unit config on the AP server${options.checkOnly ? '' : ` and kept in ${SECRETS_FILE} again`} (the tool's secrets file was missing).`);
    else log.write(source === 'new' ? 'unit secrets made (secret16, salt, master token)' : 'unit secrets read back from the AP server');

    let newAdminPassword: string | undefined;
    // Made once the steps are known; the DNS-01 question below is asked while it runs.
    let view: RunView = plainRunView(options.out);
    const steps = installSteps(profile, plan, {
      profile,
      plan,
      versionSet: set,
      artifacts,
      secrets,
      tls,
      facts,
      hosts,
      os,
      adminPassword: passwords,
      onAdminPassword: password => (newAdminPassword = password),
      bootstrapped,
      confirmTxt: async records => {
        const lines = describeTxtRecords(records);
        if (options.prompter) {
          const prompter = pausingPrompter(options.prompter, view);
          prompter.note(`Create these DNS records at your DNS provider, then confirm:\n${lines.join('\n')}`, 'warning');
          if (!(await prompter.confirm({id: 'acme.txt', message: 'Are the TXT records in place?', initial: true}))) throw new Error('the TXT records were not created; nothing was ordered');
        } else {
          // Without a terminal the records are printed and the step waits until they resolve.
          for (const line of ['Create these DNS records at your DNS provider; the installation waits until they resolve:', ...lines.map(l => `  ${l}`)]) {
            view.line(line);
            log.write(line);
          }
        }
      },
    });

    const journalPath = journalFile(options.profileName, stateDir);
    const opened = options.checkOnly ? undefined : Journal.open(journalPath, options.profileName, options.resume ?? false, journalFingerprint(profile, set.id));
    if (opened?.resumed) say(`Resuming the interrupted run (${journalPath}): steps it finished are not run again.`);
    else if (opened?.changed) say('The profile changed since the interrupted run: running every step (each finds what is already done).');
    else if (options.resume && !options.checkOnly) say('Nothing to resume (the last run finished or no journal was found): running every step.');
    if (options.checkOnly) say('Dry run: every step only looks; nothing on the servers is changed.');
    if (options.makeView) view = options.makeView(steps);

    const {results, ok, converged, refused} = await executeWithView(
      steps,
      {hosts, os, checkOnly: options.checkOnly, signal: options.signal, journal: opened?.journal, resume: opened?.resumed ?? false, log: line => log.write(line), packageMirror: profile.artifacts.packageMirror, parallel: options.parallel},
      view,
      options.preflight,
    );
    if (converged && options.preflight) log.write('preflight not run: every step found the unit as the profile describes it, so nothing is installed');
    return {ok, results, journalPath: opened ? journalPath : undefined, newAdminPassword, ...(refused ? {preflightRefused: true} : {}), ...base};
  } finally {
    if (!options.hosts) await connections.close();
  }
}
