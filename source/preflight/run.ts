// Running preflight: facts from every connected host in parallel (one exec each, over the
// connections the caller opened), the pure checks on them, then the measured ones (cross-host
// and public reachability, the operator's DNS view, the artifact source). No check stops another.
import {randomBytes} from 'node:crypto';
import {stat} from 'node:fs/promises';
import type {Host} from '../hosts/host.js';
import {findVersionSet} from '../presets.js';
import type {Plan} from '../plan/plan.js';
import type {Profile} from '../profile/schema.js';
import {isIpAddress} from './checks/addresses.js';
import {connectionFailureResults, connectionResults} from './checks/connection.js';
import {HOST_CHECKS} from './checks/index.js';
import {expectedUnitTargets, operatorDnsResults, wildcardLabel} from './checks/names.js';
import {artifactResults, type ArtifactProbe} from './checks/packages.js';
import {gatherFacts, type GatheredFacts} from './facts.js';
import {applyIgnore, type IgnoreList} from './ignore.js';
import {measureReach} from './reach.js';
import {CHECK_KINDS, OPERATOR, type CheckResult, type HostSummary, type PreflightResult} from './types.js';

export interface RunPreflightOptions {
  profile: Profile;
  plan: Plan;
  /** Open connections by profile host name (the same ones the install will use). */
  hosts: Map<string, Host>;
  /** Hosts that could not be connected, with why (HostKeyError, HostAuthError, HostUnreachableError …). */
  connectErrors?: Map<string, Error>;
  ignore?: IgnoreList;
  /** Operator clock, ms since epoch (default Date.now). */
  operatorNow?: () => number;
  /** Skip what needs the public internet view: the token on 80/443 through the FQDN and the operator's DNS answers. */
  skipPublicCheck?: boolean;
  /** The operator's resolver (default: the system's). */
  resolveOperator?: (name: string) => Promise<string[]>;
  /** Tests whether an artifact URL answers (default: HEAD, 5 s). */
  probeUrl?: (url: string) => Promise<{ok: boolean; detail: string}>;
  /** Per-host time limit of the fact script. */
  factsTimeoutMs?: number;
  /** Lifetime of the temporary listeners, seconds. */
  listenSeconds?: number;
  /** Called as each host's facts arrive (for a progress display). */
  onHostFacts?: (host: string, ok: boolean) => void;
}

async function headUrl(url: string): Promise<{ok: boolean; detail: string}> {
  try {
    const res = await fetch(url, {method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5000)});
    return {ok: res.status < 500, detail: `HTTP ${res.status}`};
  } catch (error) {
    const e = error as Error & {cause?: {code?: string; message?: string}};
    return {ok: false, detail: e.cause?.code ?? e.cause?.message ?? e.message};
  }
}

/** One URL per download site of the version set (or the mirror), as the install will fetch them. */
export function artifactProbeUrls(profile: Profile): string[] {
  if (profile.artifacts.source === 'mirror') return profile.artifacts.mirrorUrl ? [profile.artifacts.mirrorUrl] : [];
  const set = findVersionSet(profile.versionSet);
  if (!set) return [];
  const byOrigin = new Map<string, string>();
  for (const a of [set.core, set.engine, set.elasticsearch, set.tomcat, set.activemq]) {
    const origin = new URL(a.url).origin;
    if (!byOrigin.has(origin)) byOrigin.set(origin, a.url);
  }
  return [...byOrigin.values()];
}

async function checkArtifacts(profile: Profile, probeUrl: (url: string) => Promise<{ok: boolean; detail: string}>): Promise<CheckResult[]> {
  const source = profile.artifacts.source;
  if (source === 'bundle') {
    const path = profile.artifacts.bundleFile ?? '';
    try {
      const s = await stat(path);
      return artifactResults(source, [], {path, exists: s.isFile(), ...(s.isFile() ? {} : {detail: 'not a file'})});
    } catch (error) {
      return artifactResults(source, [], {path, exists: false, detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message});
    }
  }
  const probes: ArtifactProbe[] = await Promise.all(artifactProbeUrls(profile).map(async url => ({url, ...(await probeUrl(url))})));
  return artifactResults(source, probes);
}

/** Orders results: hosts in plan order, then the operator; kinds in table order. */
export function sortResults(results: CheckResult[], hostOrder: string[]): CheckResult[] {
  const hostIndex = (h: string) => (h === OPERATOR ? hostOrder.length : hostOrder.indexOf(h) < 0 ? hostOrder.length + 1 : hostOrder.indexOf(h));
  return results
    .map((r, i) => ({r, i}))
    .sort((a, b) => hostIndex(a.r.host) - hostIndex(b.r.host) || CHECK_KINDS.indexOf(a.r.kind) - CHECK_KINDS.indexOf(b.r.kind) || a.i - b.i)
    .map(x => x.r);
}

export async function runPreflight(options: RunPreflightOptions): Promise<PreflightResult> {
  const {profile, plan, hosts} = options;
  const now = options.operatorNow ?? Date.now;
  const started = now();
  const connectErrors = options.connectErrors ?? new Map<string, Error>();
  const wildcardName = profile.unit.cellUrlMode === 'per-cell' ? `${wildcardLabel(randomBytes(5).toString('hex'))}.${profile.unit.fqdn}` : undefined;
  const expected = expectedUnitTargets(profile, plan);
  const names = [profile.unit.fqdn, ...(wildcardName ? [wildcardName] : []), ...expected.names];
  // Private addresses given as names are resolved on the hosts too (the Address check compares them).
  const bindNames = plan.hosts.map(h => h.privateAddress.toLowerCase()).filter(a => !isIpAddress(a));
  const packageSourceUrl = profile.artifacts.packageMirror;

  const artifacts = checkArtifacts(profile, options.probeUrl ?? headUrl);

  const gathered = new Map<string, GatheredFacts>();
  await Promise.all(
    plan.hosts.map(async h => {
      const host = hosts.get(h.name);
      if (!host) return;
      const g = await gatherFacts(host, {
        names: [...new Set([...names, ...bindNames])],
        ...(packageSourceUrl ? {packageSourceUrl} : {}),
        ...(options.factsTimeoutMs ? {timeoutMs: options.factsTimeoutMs} : {}),
        now,
      });
      gathered.set(h.name, g);
      options.onHostFacts?.(h.name, g.facts !== undefined);
    }),
  );

  const results: CheckResult[] = [];
  const summaries: HostSummary[] = [];
  for (const hostPlan of plan.hosts) {
    const spec = profile.hosts.find(h => h.name === hostPlan.name)!;
    const host = hosts.get(hostPlan.name);
    const g = gathered.get(hostPlan.name);
    const summary: HostSummary = {name: hostPlan.name, address: hostPlan.address, roles: [...hostPlan.roles], connected: host !== undefined};
    summaries.push(summary);
    if (!host) {
      const error = connectErrors.get(hostPlan.name) ?? new Error(`${hostPlan.name} was not connected`);
      summary.error = error.message;
      results.push(...connectionFailureResults(hostPlan.name, error));
      continue;
    }
    if (!g?.facts) {
      const error = g?.error ?? new Error('no facts');
      summary.error = error.message;
      results.push(...connectionResults(hostPlan.name, {user: spec.user, address: spec.address, asRoot: false, ...(g?.sudoError ? {sudoError: g.sudoError} : {})}));
      results.push({id: 'Facts', host: hostPlan.name, kind: 'connection', severity: 'error', status: 'fail', message: error.message, fix: 'run the command by hand to see why: the fact script needs only POSIX sh and standard tools'});
      continue;
    }
    summary.facts = g.facts;
    summary.factsMs = g.elapsedMs;
    results.push(
      ...connectionResults(hostPlan.name, {
        user: spec.user,
        address: spec.address,
        asRoot: g.asRoot,
        ...(g.facts.sudoUser ? {sudoUser: g.facts.sudoUser} : {}),
        ...(g.sudoError ? {sudoError: g.sudoError} : {}),
      }),
    );
    const ctx = {profile, plan, spec, hostPlan, facts: g.facts, operatorBefore: g.operatorBefore, operatorAfter: g.operatorAfter, ...(wildcardName ? {wildcardName} : {})};
    for (const check of HOST_CHECKS) {
      try {
        results.push(...check(ctx));
      } catch (error) {
        results.push({id: check.name.replace(/^check/, '') || 'Check', host: hostPlan.name, kind: 'system', severity: 'warning', status: 'warn', message: `the check itself failed: ${(error as Error).message}`});
      }
    }
  }

  const operatorNames = options.skipPublicCheck ? [] : names;
  const reach = await measureReach(
    {profile, plan, hosts, facts: gathered, ...(options.skipPublicCheck ? {skipPublicCheck: true} : {}), ...(options.resolveOperator ? {resolveOperator: options.resolveOperator} : {}), ...(options.listenSeconds ? {listenSeconds: options.listenSeconds} : {})},
    operatorNames,
  );
  results.push(...reach.results);
  if (!options.skipPublicCheck && profile.pattern !== 'try-it') results.push(...operatorDnsResults(profile, plan, reach.operatorAnswers, wildcardName));
  results.push(...(await artifacts));

  return {
    results: sortResults(applyIgnore(results, options.ignore ?? []), plan.hosts.map(h => h.name)),
    hosts: summaries,
    elapsedMs: now() - started,
  };
}
