// `personium-setup start|stop|status` on an installed unit: the plan's boot order (memcached,
// Elasticsearch, ActiveMQ → Tomcat → nginx), stop in reverse, a readiness wait after each start
// (a port or the cluster health, never a sleep), and each service's state.
import {waitForHttp, waitForPort} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {buildPlan, SERVICES, type Plan} from '../plan/plan.js';
import {validateAnswers} from '../profile/answers.js';
import {RunLog} from '../run-log.js';
import {PORTS, hostPort} from '../steps/render/context.js';
import {waitForHttpAnswer} from '../steps/common.js';
import {detectOs} from '../steps/os.js';
import {connectProfile} from './connect-profile.js';
import {EXIT, gatherAnswers, info, output, type CommonOptions} from './common.js';

export type ServiceAction = 'start' | 'stop' | 'status';

export interface ServiceCommandOptions extends CommonOptions {
  acceptNewHostKeys?: boolean;
}

export interface ServiceState {
  host: string;
  service: string;
  active: string;
  enabled: string;
}

interface Target {
  host: string;
  service: string;
}

/** Services in the order `action` touches them: boot order for start and status, reverse for stop. */
export function serviceOrder(plan: Plan, action: ServiceAction): Target[][] {
  const groups = plan.bootOrder.map(group => group.services);
  return action === 'stop' ? [...groups].reverse() : groups;
}

function probeContext(host: Host, log: (line: string) => void): StepContext {
  return {host, os: {family: 'debian', id: '', versionId: ''}, checkOnly: false, memo: new Map(), log, changed: () => {}};
}

/** Wait until a started service answers on what the plan says it listens on. */
async function waitReady(ctx: StepContext, plan: Plan, target: Target): Promise<void> {
  const hostPlan = plan.hosts.find(h => h.name === target.host);
  const ports = (hostPlan?.ports ?? []).filter(p => p.service === target.service);
  for (const port of ports) {
    const address = port.bind === '0.0.0.0' ? '127.0.0.1' : port.bind;
    if (target.service === SERVICES.elasticsearch && port.port === 9200) {
      await waitForHttp(ctx, `http://${hostPort(address, 9200)}/_cluster/health?wait_for_status=yellow&timeout=5s`, /"status"\s*:\s*"(green|yellow)"/, 300);
    } else {
      await waitForPort(ctx, address, port.port, 300);
    }
    // Tomcat listening is not yet Personium: wait for core itself to answer, as the install does.
    if (target.service === SERVICES.tomcat && port.port === PORTS.tomcat) {
      await waitForHttpAnswer(ctx, `http://${hostPort(address, PORTS.tomcat)}/personium-core/`, 300, '', {fromCore: true});
    }
  }
}

export async function serviceStates(hosts: Map<string, Host>, plan: Plan): Promise<ServiceState[]> {
  const targets = serviceOrder(plan, 'status').flat();
  return Promise.all(
    targets.map(async t => {
      const host = hosts.get(t.host);
      if (!host) return {...t, active: 'unreachable', enabled: '?'};
      const result = await host.exec(`systemctl is-active ${q(t.service)} 2>/dev/null; systemctl is-enabled ${q(t.service)} 2>/dev/null`, {sudo: true});
      const [active = 'unknown', enabled = 'unknown'] = result.stdout.trim().split('\n');
      return {...t, active, enabled};
    }),
  );
}

export function renderServiceStates(states: ServiceState[]): string {
  const width = (pick: (s: ServiceState) => string, title: string) => Math.max(title.length, ...states.map(s => pick(s).length));
  const wh = width(s => s.host, 'host');
  const ws = width(s => s.service, 'service');
  const wa = width(s => s.active, 'state');
  const lines = [`${'host'.padEnd(wh)}  ${'service'.padEnd(ws)}  ${'state'.padEnd(wa)}  enabled`];
  for (const s of states) lines.push(`${s.host.padEnd(wh)}  ${s.service.padEnd(ws)}  ${s.active.padEnd(wa)}  ${s.enabled}`);
  return lines.join('\n');
}

/** Start or stop every service of the unit in order; returns false at the first failure. */
export async function runServiceAction(hosts: Map<string, Host>, plan: Plan, action: 'start' | 'stop', say: (line: string) => void, log: (line: string) => void): Promise<boolean> {
  for (const group of serviceOrder(plan, action)) {
    const results = await Promise.all(
      group.map(async target => {
        const host = hosts.get(target.host);
        if (!host) return `${target.host}: not connected`;
        const ctx = probeContext(host, line => log(`[${target.host}] ${line}`));
        const started = Date.now();
        const result = await host.exec(`systemctl ${action} ${q(target.service)}`, {sudo: true, timeoutMs: 300_000});
        if (result.code !== 0) return `${target.service} on ${target.host}: systemctl ${action} failed: ${(result.stderr || result.stdout).trim()}`;
        try {
          if (action === 'start') await waitReady(ctx, plan, target);
        } catch (error) {
          return `${target.service} on ${target.host}: ${error instanceof Error ? error.message : String(error)}`;
        }
        say(`[${target.host}] ${action === 'start' ? 'started' : 'stopped'} ${target.service} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return undefined;
      }),
    );
    const failures = results.filter((r): r is string => r !== undefined);
    if (failures.length > 0) {
      for (const failure of failures) say(`FAILED: ${failure}`);
      return false;
    }
  }
  return true;
}

export async function runServiceCommand(action: ServiceAction, options: ServiceCommandOptions): Promise<void> {
  const log = new RunLog(action);
  const {answers, source} = await gatherAnswers(options);
  const {profile, warnings} = validateAnswers(answers, source);
  for (const warning of warnings) info(`warning: ${warning}`);
  const plan = buildPlan(profile);
  const connections = await connectProfile(profile, {acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    for (const [name, error] of connections.errors) info(`${name}: ${error.message}`);
    if (connections.errors.size > 0) {
      process.exitCode = EXIT.failed;
      return;
    }
    // Only supported systems get here: the OS check is the same as for install.
    await Promise.all([...connections.hosts.values()].map(host => detectOs(host)));
    let ok = true;
    if (action !== 'status') {
      ok = await runServiceAction(connections.hosts, plan, action, line => output(line), line => log.write(line));
    }
    const states = await serviceStates(connections.hosts, plan);
    output(renderServiceStates(states));
    for (const s of states) log.write(`${s.host} ${s.service} ${s.active} ${s.enabled}`);
    const wanted = action === 'stop' ? 'inactive' : 'active';
    if (!ok || states.some(s => (action === 'stop' ? s.active === 'active' : s.active !== wanted))) process.exitCode = EXIT.failed;
    info(`Log: ${log.path}`);
  } finally {
    await connections.close();
  }
}
