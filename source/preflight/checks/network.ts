// Network: the private address a host's services bind to must be on the host, and private; the role ports
// must be reachable from the peers that use them (AP→ES, AP→memcached, AP→MQ, AP→NFS, Web→AP);
// 80/443 must be reachable from outside through the FQDN. Reachability is measured with
// temporary listeners (see ../reach.ts); these functions turn what was measured into results.
import {findVersionSet} from '../../presets.js';
import type {Plan} from '../../plan/plan.js';
import type {Profile, Role} from '../../profile/schema.js';
import {OPERATOR, resultsFor, type CheckResult, type HostCheckContext} from '../types.js';
import {isIpAddress, isLoopback, isPrivateAddress, isWildcard, unmapped} from './addresses.js';

export function checkPrivateAddress({spec, hostPlan, facts, plan}: HostCheckContext): CheckResult[] {
  if (plan.hosts.length < 2) return [];
  const binds = [...new Set(hostPlan.ports.map(p => p.bind).filter(b => !isWildcard(b) && !isLoopback(b)))];
  if (binds.length === 0) return [];
  const r = resultsFor(spec.name, 'network')('Address', 'error');
  const results: CheckResult[] = checkPrivateBinds(spec.name, hostPlan, facts, binds);
  for (const bind of binds) {
    if (!isIpAddress(bind)) {
      const answers = facts.resolved[bind.toLowerCase()];
      const local = answers?.filter(a => facts.addresses.map(unmapped).includes(unmapped(a))) ?? [];
      if (local.length === 0) {
        results.push(
          r.warn(
            `services bind to ${bind}, a name${answers?.length ? ` that resolves to ${answers.join(', ')}, not an address of this host` : ' that does not resolve here'}`,
            'set privateAddress to one of the host\'s own IP addresses',
          ),
        );
      } else results.push(r.pass(`services bind to ${bind} (${local.join(', ')}, on this host)`));
      continue;
    }
    if (facts.addresses.map(unmapped).includes(unmapped(bind))) {
      results.push(r.pass(`services bind to ${bind}, an address of this host`));
    } else {
      const own = facts.addresses.filter(a => !isLoopback(a) && !a.startsWith('fe80:'));
      results.push(
        r.fail(
          `services bind to ${bind}, which is not an address of ${spec.name} (it has ${own.join(', ') || 'none'}): they would fail to start`,
          `set privateAddress of ${spec.name} to the address the other servers reach it on${own.length ? ` (one of ${own.join(', ')})` : ''}`,
        ),
      );
    }
  }
  return results;
}

/**
 * Elasticsearch (security off: core sends no credentials), memcached, ActiveMQ and Tomcat have no
 * authentication of their own here, so they must listen where only the unit's servers reach
 * them: an address on a private network, not a public one.
 */
function checkPrivateBinds(host: string, hostPlan: HostCheckContext['hostPlan'], facts: HostCheckContext['facts'], binds: string[]): CheckResult[] {
  const r = resultsFor(host, 'network')('Private-Bind', 'error');
  const services = (bind: string) => [...new Set(hostPlan.ports.filter(p => p.bind === bind && p.exposure === 'private').map(p => p.service))];
  const results: CheckResult[] = [];
  for (const bind of binds) {
    const on = services(bind);
    if (on.length === 0) continue;
    const addresses = isIpAddress(bind) ? [bind] : (facts.resolved[bind.toLowerCase()] ?? []);
    const open = addresses.filter(a => !isPrivateAddress(a));
    if (addresses.length > 0 && open.length === 0) {
      results.push(r.pass(`${on.join(', ')} listen on ${bind}, a private address`));
    } else if (open.length > 0) {
      results.push(
        r.fail(
          `${on.join(', ')} would listen on ${bind}${bind === open[0] ? '' : ` (${open.join(', ')})`}, a public address: they have no authentication (Elasticsearch runs with security off because core sends no credentials)`,
          `set privateAddress of ${host} to its address on a private network the other servers share; if a firewall in front already keeps these ports to the unit's servers, ignore with --ignore-preflight-errors=Private-Bind`,
        ),
      );
    }
  }
  return results;
}

/** One client→server connection the unit needs across hosts. */
export interface ReachFlow {
  id: string;
  from: string;
  to: string;
  /** Address the client uses (the server's private address). */
  address: string;
  port: number;
  /** What uses it, e.g. "AP → Elasticsearch REST". */
  what: string;
}

const FLOWS: Array<{from: Role; to: Role; ports: (profile: Profile) => number[]; what: string}> = [
  {from: 'ap', to: 'es', ports: p => [findVersionSet(p.versionSet)?.elasticsearch.port ?? 9200], what: 'AP → Elasticsearch'},
  {from: 'es', to: 'es', ports: () => [9300], what: 'Elasticsearch cluster transport'},
  {from: 'ap', to: 'nfs', ports: () => [11211, 11212], what: 'AP → memcached'},
  {from: 'ap', to: 'mq', ports: () => [61616], what: 'AP → ActiveMQ'},
  {from: 'ap', to: 'nfs', ports: () => [2049, 111], what: 'AP → NFS'},
  {from: 'web', to: 'ap', ports: () => [18888], what: 'Web → Tomcat'},
];

/** The cross-host connections of a plan (none on one server). Only ports the server's plan really opens. */
export function reachFlows(profile: Profile, plan: Plan): ReachFlow[] {
  const flows: ReachFlow[] = [];
  const seen = new Set<string>();
  for (const rule of FLOWS) {
    for (const client of plan.hosts.filter(h => h.roles.includes(rule.from))) {
      for (const server of plan.hosts.filter(h => h.roles.includes(rule.to))) {
        if (client.name === server.name) continue;
        for (const port of rule.ports(profile)) {
          if (!server.ports.some(p => p.port === port)) continue;
          const id = `Reach-${client.name}-${server.name}-${port}`;
          if (seen.has(id)) continue;
          seen.add(id);
          flows.push({id, from: client.name, to: server.name, address: server.privateAddress, port, what: rule.what});
        }
      }
    }
  }
  return flows;
}

/** What a temporary listener reported for one port. */
export interface ListenerReport {
  /** bound: our listener ran; busy: something else holds the port (probed anyway); skipped: not started. */
  state: 'bound' | 'busy' | 'skipped';
  detail?: string;
}

/** What one probe saw. */
export interface ProbeOutcome {
  /** ours: our listener answered with the host's token; other: connected to some other listener; refused; timeout; error. */
  result: 'ours' | 'other' | 'refused' | 'timeout' | 'error';
  detail?: string;
}

/** Parses the prober's lines: `probe ADDRESS PORT EXIT OUTPUT…`. */
export function parseProbeOutput(stdout: string, tokenFor: (address: string, port: number) => string | undefined): Map<string, ProbeOutcome> {
  const outcomes = new Map<string, ProbeOutcome>();
  for (const line of stdout.split('\n')) {
    const m = /^probe (\S+) (\d+) (\d+) ?(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, address, portText, codeText, output = ''] = m;
    const port = Number(portText);
    const code = Number(codeText);
    const words = output.split(/\s+/).filter(Boolean);
    const connected = words[0] === 'C';
    const token = tokenFor(address!, port);
    let outcome: ProbeOutcome;
    if (connected && token && words.includes(token)) outcome = {result: 'ours'};
    else if (connected) outcome = {result: 'other'};
    else if (code === 124) outcome = {result: 'timeout', detail: 'no answer (filtered by a firewall, or no route)'};
    else {
      const text = output.replace(/_/g, ' ');
      const reason = /refused/i.test(text) ? 'connection refused' : /no route/i.test(text) ? 'no route to host' : /unreachable/i.test(text) ? 'network unreachable' : text.trim() || `exit ${code}`;
      outcome = {result: /refused/i.test(text) ? 'refused' : 'error', detail: reason};
    }
    outcomes.set(`${address} ${port}`, outcome);
  }
  return outcomes;
}

export function reachResults(
  flows: ReachFlow[],
  listeners: Map<string, ListenerReport>,
  probes: Map<string, ProbeOutcome>,
  notTested: Map<string, string>,
): CheckResult[] {
  return flows.map(flow => {
    const r = resultsFor(flow.from, 'network')(flow.id, 'error');
    const target = `${flow.to} ${flow.address}:${flow.port} (${flow.what})`;
    const skipped = notTested.get(flow.id);
    if (skipped) return r.warn(`${target}: not tested: ${skipped}`);
    const listener = listeners.get(`${flow.to} ${flow.port}`);
    const probe = probes.get(`${flow.address} ${flow.port}`);
    const fix = `allow TCP ${flow.port} from ${flow.from} to ${flow.to} (${flow.address}) in every firewall and security group between them`;
    if (!probe) return r.warn(`${target}: no probe result`);
    switch (probe.result) {
      case 'ours':
        return r.pass(`${flow.from} → ${target}: reached (temporary listener)`);
      case 'other':
        return listener?.state === 'bound'
          ? r.fail(`${flow.from} → ${target}: connected, but to something other than ${flow.to} (a NAT or proxy in between?)`, `make sure ${flow.address} is ${flow.to}'s own address`)
          : r.pass(`${flow.from} → ${target}: reached the listener already there`);
      case 'refused':
        return r.fail(`${flow.from} → ${target}: connection refused${listener?.state === 'bound' ? ' although a temporary listener was running (a firewall rejects it)' : ''}`, fix);
      case 'timeout':
        return r.fail(`${flow.from} → ${target}: ${probe.detail}`, fix);
      case 'error':
        return r.fail(`${flow.from} → ${target}: ${probe.detail ?? 'failed'}`, fix);
    }
    return r.warn(`${target}: unknown probe result`);
  });
}

export interface PublicFetch {
  port: number;
  /** The token came back through the FQDN. */
  ok: boolean;
  detail: string;
}

export function publicResults(fqdn: string, webHost: string, fetches: PublicFetch[], notTested: Map<number, string>): CheckResult[] {
  return [443, 80].map(port => {
    const r = resultsFor(OPERATOR, 'network')(`Public-${port}`, 'error');
    const skipped = notTested.get(port);
    if (skipped) return r.warn(`${fqdn}:${port}: not tested: ${skipped}`, `the report that ends the install reaches the unit through ${port} from here (${port === 443 ? 'E2E-Unit' : 'E2E-Redirect'})`);
    const f = fetches.find(x => x.port === port);
    if (!f) return r.warn(`${fqdn}:${port}: not tested`);
    if (f.ok) return r.pass(`${fqdn}:${port} reaches ${webHost} from this machine (token answered)`);
    return r.fail(
      `${fqdn}:${port} does not reach ${webHost} from this machine: ${f.detail}`,
      `open TCP ${port} to ${webHost} from the internet (firewall, security group, NAT port forward); behind a load balancer or offline, use --skip-public-check`,
    );
  });
}
