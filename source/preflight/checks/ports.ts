// Every port the plan gives a host must be free on the address the service will bind, or
// already be held by this unit's own service (a re-run). A taken port names its process.
import type {PortUse} from '../../plan/plan.js';
import type {HostFacts, Listener} from '../facts.js';
import {resultsFor, type CheckResult, type HostCheckContext} from '../types.js';
import {bindsOverlap} from './addresses.js';

/** systemd unit or process names that mean "our own service already runs here". */
const OWN_PROCESS: Record<string, {units: string[]; names: string[]}> = {
  nginx: {units: ['nginx.service'], names: ['nginx']},
  tomcat: {units: ['tomcat.service'], names: []},
  elasticsearch: {units: ['elasticsearch.service'], names: []},
  activemq: {units: ['activemq.service'], names: []},
  'personium-memcached-lock': {units: ['personium-memcached-lock.service'], names: []},
  'personium-memcached-cache': {units: ['personium-memcached-cache.service'], names: []},
  rpcbind: {units: ['rpcbind.service', 'rpcbind.socket', 'init.scope'], names: ['rpcbind']},
  'nfs-server': {units: [], names: []},
};

/**
 * Services the install stops and disables to take their port (the memcached package starts its own
 * instance on 11211): what they hold is taken over, which is worth a warning, not an error.
 */
const STOCK_MEMCACHED = {
  units: ['memcached.service'],
  what: "the distribution's memcached.service",
  fix: 'nothing to do, unless something else on this server uses that memcached: then give it another port first',
};
const TAKEN_OVER: Record<string, {units: string[]; what: string; fix: string}> = {
  'personium-memcached-lock': STOCK_MEMCACHED,
  'personium-memcached-cache': STOCK_MEMCACHED,
};

/** One entry per program and unit (nginx's master and workers are one nginx), pids listed. */
export function describeListener(l: Listener): string {
  const groups = new Map<string, {name: string; unit?: string; pids: number[]}>();
  for (const p of l.processes) {
    const key = `${p.name}\0${p.unit ?? ''}`;
    const group = groups.get(key) ?? {name: p.name, unit: p.unit, pids: []};
    group.pids.push(p.pid);
    groups.set(key, group);
  }
  const who = groups.size > 0 ? [...groups.values()].map(g => `${g.name} (${g.pids.length === 1 ? 'pid' : 'pids'} ${g.pids.join(', ')}${g.unit ? `, ${g.unit}` : ''})`).join(', ') : undefined;
  const at = `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
  return who ? `${who} on ${at}` : `${at} (no process shown${l.port === 2049 ? ': the kernel NFS server' : ''})`;
}

/** "personium-memcached-lock" of "personium-memcached-lock (cache)". */
const serviceName = (use: PortUse) => use.service.split(' ')[0]!;

function heldByStock(units: string[], listener: Listener): boolean {
  return listener.processes.length > 0 && listener.processes.every(p => p.unit !== undefined && units.includes(p.unit));
}

function isOwnService(use: PortUse, listener: Listener): boolean {
  const service = serviceName(use);
  const own = OWN_PROCESS[service];
  if (!own) return false;
  // The kernel NFS server holds 2049 without a process.
  if (service === 'nfs-server') return listener.processes.length === 0;
  return listener.processes.length > 0 && listener.processes.every(p => (p.unit !== undefined && own.units.includes(p.unit)) || own.names.includes(p.name));
}

/** Listeners on the port whose address clashes with where the service will bind. */
export function listenersOn(facts: HostFacts, port: number): Listener[] {
  return facts.listeners.filter(l => l.port === port);
}

export function portIsFree(facts: HostFacts, port: number, bind = '0.0.0.0'): boolean {
  return !listenersOn(facts, port).some(l => bindsOverlap(l.address, bind));
}

export function checkPorts({spec, hostPlan, facts}: HostCheckContext): CheckResult[] {
  const results: CheckResult[] = [];
  const seen = new Set<number>();
  for (const use of hostPlan.ports) {
    if (seen.has(use.port)) continue;
    seen.add(use.port);
    const r = resultsFor(spec.name, 'ports')(`Port-${use.port}`, 'error');
    const what = `${use.port} (${use.service} on ${use.bind})`;
    if (facts.listenersUnknown) {
      results.push(r.warn(`cannot tell whether ${what} is free: ss (iproute2) is not installed`, 'install iproute2'));
      continue;
    }
    const on = listenersOn(facts, use.port);
    const clashing = on.filter(l => bindsOverlap(l.address, use.bind));
    const over = TAKEN_OVER[serviceName(use)];
    const replaced = over ? on.filter(l => heldByStock(over.units, l)) : [];
    if (over && replaced.length > 0 && on.every(l => replaced.includes(l) || isOwnService(use, l))) {
      results.push(r.warn(`${over.what} holds port ${use.port} (${replaced.map(describeListener).join('; ')}); the install stops and disables it, and ${use.service} takes the port`, over.fix));
      continue;
    }
    if (clashing.length === 0) {
      if (on.length > 0) {
        results.push(r.warn(`${what} is free, but ${describeListener(on[0]!)} uses the same port on another address`, 'make sure clients reach the right one'));
      } else {
        results.push(r.pass(`${what} is free`));
      }
      continue;
    }
    if (clashing.every(l => isOwnService(use, l))) {
      results.push(r.pass(`${what} is held by this unit's own ${serviceName(use)} (a re-run converges it)`));
      continue;
    }
    const unknownOwner = clashing.some(l => l.processes.length === 0) && facts.uid !== 0;
    results.push(
      r.fail(
        `port ${use.port} is taken: ${clashing.map(describeListener).join('; ')}${unknownOwner ? ' (process names need root)' : ''}; ${use.service} needs it`,
        `stop and disable what holds it (ss -tlnp 'sport = :${use.port}' shows it), or move the role to another server`,
      ),
    );
  }
  return results;
}
