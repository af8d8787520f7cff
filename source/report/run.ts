// Running the report: the fact script on every connected host in parallel (one exec each, over
// the connections the caller opened) while the unit is checked from this machine; then the pure
// judges; then, with --smoke, the regression flow through the API. Nothing stops the rest.
import {randomBytes} from 'node:crypto';
import {lookup} from 'node:dns/promises';
import {join} from 'node:path';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {adminPasswordStore, stateDirectory} from '../install/run-install.js';
import {PATHS} from '../plan/paths.js';
import type {Plan} from '../plan/plan.js';
import {findVersionSet} from '../presets.js';
import {expectedUnitTargets} from '../preflight/checks/names.js';
import type {Profile} from '../profile/schema.js';
import {registerSecret} from '../run-log.js';
import {ADMIN_ACCOUNT, cellUrl} from '../steps/bootstrap.js';
import {gatherE2e, judgeE2e, judgeSmoke, runSmoke, type E2eTarget, type SmokeAuth, type SmokeResult} from './e2e.js';
import {gatherReportFacts, type GatheredReportFacts, type ReportFacts, type ReportScriptOptions} from './facts.js';
import {diskPathsFor, judgeHost, probesFor, unreachableItems} from './judges.js';
import {OPERATOR, ROLE_ORDER, type Report, type ReportHost, type ReportItem} from './types.js';

export interface RunReportOptions {
  profile: Profile;
  plan: Plan;
  /** Open connections by profile host name. */
  hosts: Map<string, Host>;
  /** Hosts that could not be connected, with why. */
  connectErrors?: Map<string, Error>;
  /** Saved profile name (finds the unit admin password file install wrote). */
  profileName?: string;
  /** Run the regression flow through the API. */
  smoke?: boolean;
  /** Skip the operator's DNS view (load balancers, offline operator machines). */
  skipPublicCheck?: boolean;
  /** The operator's resolver (default: the system's). */
  resolveOperator?: (name: string) => Promise<string[]>;
  /** Where this machine reaches nginx (default: the unit's public address, else the web host). */
  e2eTarget?: Partial<E2eTarget>;
  /** The unit admin credentials for --smoke without a master token (default: the file install wrote). */
  adminCredentials?: () => {cellUrl: string; account: string; password: string} | undefined;
  /** Operator clock, ms since epoch (certificate expiry). */
  now?: () => number;
  factsTimeoutMs?: number;
  /** Called as each host's facts arrive (progress display). */
  onHostFacts?: (host: string, ok: boolean) => void;
}

async function systemResolve(name: string): Promise<string[]> {
  const answers = await lookup(name, {all: true});
  return answers.map(a => a.address);
}

/** The fact script's options for one host: what its roles installed, and what it must reach. */
export function scriptOptionsFor(profile: Profile, plan: Plan, hostName: string, names: string[]): Omit<ReportScriptOptions, 'marker'> {
  const set = findVersionSet(profile.versionSet);
  if (!set) throw new Error(`unknown version set ${profile.versionSet}`);
  const host = plan.hosts.find(h => h.name === hostName);
  if (!host) throw new Error(`no host named ${hostName} in the plan`);
  const nfsHost = profile.hosts.find(h => h.roles.includes('nfs'));
  const ap = host.roles.includes('ap');
  return {
    roles: host.roles,
    services: host.services,
    diskPaths: diskPathsFor(host).map(d => d.path),
    names: ap || plan.hosts.length === 1 ? names : [],
    probes: probesFor(profile, plan, set, host),
    nfsMount: ap && nfsHost !== undefined && nfsHost.name !== host.name,
    ...(ap ? {writeTestDir: PATHS.nfsCore} : {}),
    trustCheck: ap && profile.https.mode === 'self-signed',
  };
}

/** The master token from the first AP host's unit config; never printed or logged. */
export async function readMasterToken(host: Host): Promise<string | undefined> {
  const result = await host.exec(`sed -n 's/^[[:space:]]*io\\.personium\\.core\\.masterToken[[:space:]]*[=:][[:space:]]*//p' ${q(PATHS.unitConfig)} 2>/dev/null | tail -1`, {sudo: true, timeoutMs: 15_000});
  const token = result.stdout.trim();
  if (!token) return undefined;
  registerSecret(token);
  return token;
}

function defaultAdminCredentials(profile: Profile, profileName: string): () => {cellUrl: string; account: string; password: string} | undefined {
  return () => {
    const password = adminPasswordStore(join(stateDirectory(), `unitadmin-${profileName}.txt`), profile).read();
    if (!password) return undefined;
    return {cellUrl: cellUrl({fqdn: profile.unit.fqdn, cellUrlMode: profile.unit.cellUrlMode, cell: profile.security.unitAdminCell}), account: ADMIN_ACCOUNT, password};
  };
}

/** Hosts in plan order, the operator last; inside a host, roles in display order. */
export function sortItems(items: ReportItem[], hostOrder: string[]): ReportItem[] {
  const hostIndex = (h: string) => (h === OPERATOR ? hostOrder.length : hostOrder.indexOf(h) < 0 ? hostOrder.length + 1 : hostOrder.indexOf(h));
  return items
    .map((item, i) => ({item, i}))
    .sort((a, b) => hostIndex(a.item.host) - hostIndex(b.item.host) || ROLE_ORDER.indexOf(a.item.role) - ROLE_ORDER.indexOf(b.item.role) || a.i - b.i)
    .map(x => x.item);
}

export async function runReport(options: RunReportOptions): Promise<Report> {
  const {profile, plan, hosts} = options;
  const now = options.now ?? Date.now;
  const started = Date.now();
  const set = findVersionSet(profile.versionSet);
  if (!set) throw new Error(`unknown version set ${profile.versionSet}`);
  const fqdn = profile.unit.fqdn;
  const wildcardName = profile.unit.cellUrlMode === 'per-cell' ? `report-${randomBytes(5).toString('hex')}.${fqdn}` : undefined;
  const targets = expectedUnitTargets(profile, plan);
  const names = [...new Set([fqdn, ...(wildcardName ? [wildcardName] : []), ...targets.names])];

  const web = plan.hosts.find(h => h.roles.includes('web'));
  const target: E2eTarget = {
    fqdn,
    address: options.e2eTarget?.address ?? (options.skipPublicCheck ? undefined : profile.unit.publicAddress) ?? web?.address ?? fqdn,
    ...(options.e2eTarget?.httpsPort ? {httpsPort: options.e2eTarget.httpsPort} : {}),
    ...(options.e2eTarget?.httpPort ? {httpPort: options.e2eTarget.httpPort} : {}),
    ...(options.e2eTarget?.timeoutMs ? {timeoutMs: options.e2eTarget.timeoutMs} : {}),
  };
  const operatorNames = options.skipPublicCheck || profile.pattern === 'try-it' ? [] : [fqdn, ...(wildcardName ? [wildcardName] : []), ...targets.names];
  const e2ePromise = gatherE2e(target, operatorNames, operatorNames.length > 0 ? (options.resolveOperator ?? systemResolve) : undefined);

  const gathered = new Map<string, GatheredReportFacts>();
  await Promise.all(
    plan.hosts.map(async h => {
      const host = hosts.get(h.name);
      if (!host) return;
      const g = await gatherReportFacts(host, {...scriptOptionsFor(profile, plan, h.name, names), ...(options.factsTimeoutMs ? {timeoutMs: options.factsTimeoutMs} : {})});
      gathered.set(h.name, g);
      options.onHostFacts?.(h.name, g.facts !== undefined);
    }),
  );
  const e2e = await e2ePromise;

  const all = new Map<string, ReportFacts>();
  for (const [name, g] of gathered) if (g.facts) all.set(name, g.facts);

  const items: ReportItem[] = [];
  const summaries: ReportHost[] = [];
  const connectErrors = options.connectErrors ?? new Map<string, Error>();
  for (const hostPlan of plan.hosts) {
    const spec = profile.hosts.find(h => h.name === hostPlan.name)!;
    const g = gathered.get(hostPlan.name);
    const summary: ReportHost = {name: hostPlan.name, address: hostPlan.address, roles: [...hostPlan.roles], connected: hosts.has(hostPlan.name)};
    summaries.push(summary);
    if (!hosts.has(hostPlan.name)) {
      summary.error = (connectErrors.get(hostPlan.name) ?? new Error('not connected')).message;
      items.push(...unreachableItems(hostPlan.name, summary.error));
      continue;
    }
    if (!g?.facts) {
      summary.error = g?.error?.message ?? 'no facts';
      items.push(...unreachableItems(hostPlan.name, summary.error));
      continue;
    }
    summary.factsMs = g.elapsedMs;
    items.push(...judgeHost({profile, plan, versionSet: set, spec, hostPlan, facts: g.facts, all, ...(wildcardName ? {wildcardName} : {}), now: now()}));
  }
  items.push(...judgeE2e(profile, plan, set, e2e, target, web ? all.get(web.name) : undefined, wildcardName));

  if (options.smoke) items.push(...(await smoke(options, target)));

  return {
    unitUrl: `https://${fqdn}/`,
    fqdn,
    ...(options.profileName ? {profileName: options.profileName} : {}),
    at: new Date(now()).toISOString(),
    smoke: options.smoke ?? false,
    hosts: summaries,
    items: sortItems(items, plan.hosts.map(h => h.name)),
    elapsedMs: Date.now() - started,
  };
}

async function smoke(options: RunReportOptions, target: E2eTarget): Promise<ReportItem[]> {
  const {profile, plan, hosts} = options;
  const ap = plan.hosts.find(h => h.roles.includes('ap') && hosts.has(h.name));
  let auth: SmokeAuth | undefined;
  if (ap) {
    const token = await readMasterToken(hosts.get(ap.name)!).catch(() => undefined);
    if (token) auth = {kind: 'master-token', token};
  }
  if (!auth) {
    const creds = (options.adminCredentials ?? defaultAdminCredentials(profile, options.profileName ?? 'default'))();
    if (creds) {
      registerSecret(creds.password);
      auth = {kind: 'unit-admin', ...creds};
    }
  }
  if (!auth) return judgeSmoke({skipped: 'no master token in the unit config and no unit admin password file on this machine'});
  const result: SmokeResult = await runSmoke(target, profile, auth, `pds-smoke-${randomBytes(4).toString('hex')}`);
  return judgeSmoke(result);
}
