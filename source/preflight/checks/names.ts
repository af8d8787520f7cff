// Host names and DNS: the server's own name, the unit FQDN and (per-cell mode) a random label
// under it, which only a wildcard record answers. Checked where it matters: on the AP servers
// (Personium calls its own unit URL) and, unless skipped, from the operator machine.
import type {Plan} from '../../plan/plan.js';
import type {Profile} from '../../profile/schema.js';
import {OPERATOR, resultsFor, type CheckResult, type HostCheckContext} from '../types.js';
import {isIpAddress, isLoopback, isValidHostname, unmapped} from './addresses.js';

/** Addresses (and names to resolve) the unit FQDN may answer with: the web host's public and private addresses. */
export function expectedUnitTargets(profile: Profile, plan: Plan): {addresses: string[]; names: string[]} {
  const candidates = new Set<string>();
  if (profile.unit.publicAddress) candidates.add(profile.unit.publicAddress);
  for (const host of plan.hosts.filter(h => h.roles.includes('web'))) {
    candidates.add(host.address);
    candidates.add(host.privateAddress);
  }
  const addresses: string[] = [];
  const names: string[] = [];
  for (const c of candidates) (isIpAddress(c) ? addresses : names).push(c.replace(/^\[|\]$/g, '').toLowerCase());
  return {addresses, names};
}

export function wildcardLabel(random: string): string {
  return `preflight-${random}`;
}

export function checkHostname({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'names')('Hostname', 'error');
  const name = facts.hostname;
  if (!name) return [r.warn('cannot read the host name')];
  if (!isValidHostname(name)) {
    return [r.fail(`host name "${name}" is not a valid DNS name (letters, digits, inner hyphens; dots between labels)`, 'set a valid one: hostnamectl set-hostname <name>')];
  }
  if (facts.hostnameAddresses.length === 0) {
    return [
      r.warn(
        `host name "${name}" does not resolve on the server (Java's InetAddress.getLocalHost fails, ActiveMQ and Tomcat log errors)`,
        `add it to /etc/hosts (e.g. "127.0.1.1 ${name}") or to DNS`,
      ),
    ];
  }
  return [r.pass(`${name} → ${facts.hostnameAddresses.join(', ')}`)];
}

interface DnsJudgement {
  status: 'pass' | 'fail' | 'unresolved';
  message: string;
}

function judge(name: string, answers: string[] | undefined, acceptable: Set<string>, allowLoopback: boolean): DnsJudgement {
  if (!answers || answers.length === 0) return {status: 'unresolved', message: `${name} does not resolve`};
  const good = answers.filter(a => acceptable.has(unmapped(a)) || (allowLoopback && isLoopback(a)));
  const list = answers.join(', ');
  if (good.length === 0) return {status: 'fail', message: `${name} resolves to ${list}, not to ${[...acceptable].join(' or ') || 'the web server'}`};
  if (good.length < answers.length) {
    return {status: 'fail', message: `${name} resolves to ${list}: ${answers.filter(a => !good.includes(a)).join(', ')} is not the web server`};
  }
  return {status: 'pass', message: `${name} → ${list}`};
}

/** Acceptable answers on a server: expected IPs plus what the expected names resolve to there. */
function acceptableOn(resolved: Record<string, string[]>, expected: {addresses: string[]; names: string[]}): Set<string> {
  const set = new Set(expected.addresses.map(unmapped));
  for (const name of expected.names) for (const a of resolved[name] ?? []) set.add(unmapped(a));
  return set;
}

/** Which hosts look up the FQDN themselves: the AP servers (and the only server of a one-server unit). */
export function resolvesUnitName(ctx: Pick<HostCheckContext, 'spec' | 'plan'>): boolean {
  return ctx.spec.roles.includes('ap') || ctx.plan.hosts.length === 1;
}

export function checkUnitDns(ctx: HostCheckContext): CheckResult[] {
  const {spec, facts, profile, plan} = ctx;
  if (!resolvesUnitName(ctx)) return [];
  const fqdn = profile.unit.fqdn;
  const expected = expectedUnitTargets(profile, plan);
  const acceptable = acceptableOn(facts.resolved, expected);
  const tryIt = profile.pattern === 'try-it';
  const allowLoopback = tryIt || spec.roles.includes('web');
  const results: CheckResult[] = [];
  const dnsFix = (name: string) =>
    `make ${name} resolve to ${[...acceptable][0] ?? 'the web server'} on this server (DNS, or /etc/hosts), and remove any other answer`;

  const r = resultsFor(spec.name, 'names')('DNS-FQDN', 'error');
  const fq = judge(fqdn, facts.resolved[fqdn], acceptable, allowLoopback);
  if (fq.status === 'pass') results.push(r.pass(fq.message));
  // The OS step puts the FQDN in the tool's /etc/hosts block on every server, so a name that does
  // not resolve yet is fine here; a wrong answer is not (an earlier line of /etc/hosts, or DNS, wins).
  else if (fq.status === 'unresolved') results.push(r.pass(`${fqdn} does not resolve on ${spec.name} yet; the install adds it to its /etc/hosts block`));
  else results.push(r.fail(`${fq.message} on ${spec.name}: Personium calls its own unit URL from here`, dnsFix(fqdn)));

  if (profile.unit.cellUrlMode === 'per-cell' && ctx.wildcardName) {
    const w = resultsFor(spec.name, 'names')('DNS-Wildcard', tryIt ? 'warning' : 'error');
    const name = ctx.wildcardName;
    const wc = judge(name, facts.resolved[name], acceptable, allowLoopback);
    if (wc.status === 'pass') results.push(w.pass(`*.${fqdn} answers (${wc.message})`));
    else if (wc.status === 'unresolved') {
      results.push(
        w.fail(
          `*.${fqdn} has no wildcard answer on ${spec.name} (${name} does not resolve): per-cell URLs need one`,
          tryIt ? 'a hosts file cannot hold a wildcard: use cellUrlMode path-based for try-it' : `add a wildcard record "*.${fqdn}" pointing where ${fqdn} does, or use cellUrlMode path-based`,
        ),
      );
    } else results.push(w.fail(`wildcard answer is wrong: ${wc.message}`, dnsFix(`*.${fqdn}`)));
  }
  return results;
}

/** The same judgement from the operator machine (what browsers and ACME see). */
export function operatorDnsResults(
  profile: Profile,
  plan: Plan,
  answers: Record<string, string[] | Error>,
  wildcardName: string | undefined,
): CheckResult[] {
  const fqdn = profile.unit.fqdn;
  const expected = expectedUnitTargets(profile, plan);
  const acceptable = new Set(expected.addresses.map(unmapped));
  for (const name of expected.names) {
    const a = answers[name];
    if (Array.isArray(a)) for (const x of a) acceptable.add(unmapped(x));
  }
  const results: CheckResult[] = [];
  // The judgement names what it looked up; the ID says whether that was the FQDN or the wildcard.
  const one = (id: string, name: string, record: string) => {
    const r = resultsFor(OPERATOR, 'names')(id, 'error');
    const a = answers[name];
    const j = judge(name, a instanceof Error ? undefined : a, acceptable, false);
    const why = a instanceof Error ? ` (${a.message})` : '';
    if (j.status === 'pass') results.push(r.pass(j.message));
    else {
      results.push(
        r.fail(
          `${j.message}${why} from this machine`,
          `point ${record} at ${[...acceptable].join(' or ') || 'the web server'} in DNS; behind a load balancer or offline, use --skip-public-check`,
        ),
      );
    }
  };
  one('DNS-FQDN', fqdn, fqdn);
  if (profile.unit.cellUrlMode === 'per-cell' && wildcardName) one('DNS-Wildcard', wildcardName, `*.${fqdn}`);
  return results;
}
