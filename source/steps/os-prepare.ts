// OS preparation: the distribution packages every role on the host needs (installed early, so
// hosts work in parallel), service users, open-file limits, time sync and the tool's marked block
// in /etc/hosts. Never a full upgrade, never a whole system file rewritten.
import {isIP} from 'node:net';
import {ensureFile, ensurePackages, run, unitStates, type UnitState} from '../executor/primitives.js';
import type {StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {Role} from '../profile/schema.js';
import {firewalldQuery, firewalldRules, firewallOpenings, ufwRules, type FirewallOpening} from './render/firewall.js';
import {renderHostsBlock, replaceHostsBlock, unitHostsEntries} from './render/hosts.js';
import type {UnitContext} from './render/context.js';
import {ensureUser, warn, type ServiceUser} from './common.js';
import {PACKAGES} from './os.js';

export const USERS = {
  personium: {name: 'personium', id: 2070, home: PATHS.personiumRoot},
  elasticsearch: {name: 'elasticsearch', id: 2060, home: PATHS.esHome},
  activemq: {name: 'activemq', id: 2050, home: PATHS.activemqHome},
} as const satisfies Record<string, ServiceUser>;

export interface OsPrepareOptions {
  roles: readonly Role[];
  /** The host's ports and who may reach them (public: anyone; private: the unit's servers). */
  ports: ReadonlyArray<{port: number; exposure?: string}>;
  /** The unit's other servers' private addresses (for the private ports). */
  peers: string[];
  /** An NFS server here (AP hosts elsewhere mount it). */
  nfsServer: boolean;
  /** This AP host mounts the NFS share from another host. */
  nfsClient: boolean;
  /** The renderers' view of this host (for the /etc/hosts block). */
  unit: UnitContext;
  /** Address the web host is reached at from the unit's servers. */
  webAddress: string;
}

/** Distribution packages for the roles of one host (JDK excluded: it has its own step). */
export function packagesFor(family: 'debian' | 'rhel', options: Pick<OsPrepareOptions, 'roles' | 'nfsServer' | 'nfsClient'>): string[] {
  const list: string[] = [...PACKAGES.base[family]];
  if (options.roles.includes('nfs')) list.push(...PACKAGES.memcached[family]);
  if (options.roles.includes('web')) list.push(...PACKAGES.nginx[family]);
  if (options.nfsServer) list.push(...PACKAGES.nfsServer[family]);
  if (options.nfsClient) list.push(...PACKAGES.nfsClient[family]);
  return [...new Set(list)];
}

export function renderLimits(roles: readonly Role[]): string {
  const lines = ['# Managed by personium-setup: open files and processes for the unit\'s services (login sessions; systemd services set their own).'];
  if (roles.includes('ap') || roles.includes('nfs')) lines.push('personium soft nofile 65536', 'personium hard nofile 65536');
  if (roles.includes('es')) {
    lines.push('elasticsearch soft nofile 65536', 'elasticsearch hard nofile 65536', 'elasticsearch soft nproc 4096', 'elasticsearch hard nproc 4096', 'elasticsearch soft memlock unlimited', 'elasticsearch hard memlock unlimited');
  }
  return `${lines.join('\n')}\n`;
}

const TIME_SERVICES = ['chrony', 'chronyd', 'systemd-timesyncd', 'ntp', 'ntpsec', 'openntpd'];

/**
 * Time sync: keep whatever NTP client the host already runs; otherwise install the
 * distribution's usual one and enable it. Containers cannot set the clock (the unit's
 * ConditionVirtualization skips it there): enabled, not a failure.
 */
async function ensureTimeSync(ctx: StepContext): Promise<void> {
  const states = await unitStates(ctx, TIME_SERVICES);
  if (states.some(state => state.active === 'active')) return;
  const [pkg, service] = ctx.os.family === 'debian' ? ['systemd-timesyncd', 'systemd-timesyncd'] : ['chrony', 'chronyd'];
  const installedOther =
    ctx.os.family === 'debian'
      ? await run(ctx, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' chrony ntp ntpsec openntpd 2>/dev/null | grep ' installed$' | cut -d' ' -f1 | head -1", {allowFail: true})
      : {stdout: '', code: 1};
  const chosen = installedOther.stdout.trim();
  if (!chosen) await ensurePackages(ctx, [pkg]);
  const unit = chosen ? (chosen === 'chrony' ? 'chrony' : chosen) : service;
  // Asked again when the package was just installed (or the unit is not one of the list).
  const known = TIME_SERVICES.indexOf(unit);
  const before = known >= 0 && (ctx.checkOnly || chosen) ? states[known]! : (await unitStates(ctx, [unit]))[0]!;
  if (!['enabled', 'static', 'alias', 'indirect'].includes(before.enabled)) {
    ctx.changed(`${unit} enabled`);
    if (!ctx.checkOnly) await run(ctx, `systemctl enable ${q(unit)}`, {allowFail: true});
  }
  if (ctx.checkOnly) {
    // A start would make it active unless its conditions exclude this system (seen at the last start).
    if (before.condition !== 'no') ctx.changed(`${unit} started`);
    return;
  }
  await run(ctx, `systemctl start ${q(unit)}`, {allowFail: true});
  const [now] = (await unitStates(ctx, [unit])) as [UnitState];
  if (now.active === 'active') ctx.changed(`${unit} started`);
  else warn(ctx, `${unit} is enabled but cannot run here${now.condition === 'no' ? ' (its conditions exclude this system, e.g. a container that may not set the clock)' : ''}; the host clock must be kept in sync by the machine it runs on`);
}

/** The tool's block in /etc/hosts, the rest of the file kept byte for byte. */
async function ensureHostsBlock(ctx: StepContext, options: OsPrepareOptions): Promise<void> {
  const current = await ctx.host.readFile(PATHS.etcHosts, {sudo: true}).then(b => b.toString('utf8'));
  const wanted = replaceHostsBlock(current, renderHostsBlock(unitHostsEntries(options.unit, options.webAddress)));
  if (wanted === current) return;
  const mode = await run(ctx, `stat -c '%a %U %G' -- ${q(PATHS.etcHosts)}`);
  const [perm = '644', owner = 'root', group = 'root'] = mode.stdout.trim().split(' ');
  await ensureFile(ctx, {path: PATHS.etcHosts, content: wanted, mode: Number.parseInt(perm, 8), owner, group});
}

/**
 * Open the ports the unit needs when a host firewall is running (firewalld on RHEL, ufw on
 * Ubuntu): public ones for anyone, private ones only for the unit's other servers. Nothing is
 * enabled, reconfigured or removed otherwise.
 */
async function ensureFirewall(ctx: StepContext, ports: OsPrepareOptions['ports'], peers: string[]): Promise<void> {
  if (ports.every(p => p.exposure === 'local')) return;
  const firewalld = await run(ctx, 'command -v firewall-cmd >/dev/null && firewall-cmd --state', {allowFail: true});
  const firewalldOn = firewalld.code === 0 && firewalld.stdout.trim() === 'running';
  const ufw = firewalldOn ? undefined : await run(ctx, 'command -v ufw >/dev/null && ufw status', {allowFail: true});
  const ufwOn = ufw !== undefined && ufw.code === 0 && /^Status: active/m.test(ufw.stdout);
  if (!firewalldOn && !ufwOn) return;
  const openings = firewallOpenings(ports, await peerAddresses(ctx, peers));
  if (openings.length === 0) return;
  if (firewalldOn) {
    // Every rule asked about in one round trip: a line "0" (there) or "1" (missing) each.
    const rules = openings.flatMap(firewalldRules);
    const query = await run(ctx, rules.map(rule => `firewall-cmd --permanent ${firewalldQuery(rule)} >/dev/null 2>&1; echo $?`).join('; '), {allowFail: true});
    const answers = query.stdout.trim().split('\n');
    const missing = rules.filter((_, i) => answers[i] !== '0');
    if (missing.length === 0) return;
    ctx.changed(`firewalld: ${missing.length} rule(s) added (${describeOpenings(openings)})`);
    if (!ctx.checkOnly) await run(ctx, `${missing.map(rule => `firewall-cmd --permanent ${rule}`).join(' && ')} && firewall-cmd --reload`);
    return;
  }
  const missing = openings.flatMap(ufwRules).filter(rule => !rule.listed.test(ufw!.stdout));
  if (missing.length === 0) return;
  ctx.changed(`ufw: ${missing.length} rule(s) added (${describeOpenings(openings)})`);
  if (!ctx.checkOnly) await run(ctx, missing.map(rule => rule.command).join(' && '));
}

function describeOpenings(openings: FirewallOpening[]): string {
  return openings.map(o => `${o.port}/tcp ${o.from ? `from ${o.from.join(', ')}` : 'from anywhere'}`).join('; ');
}

/** The other servers' addresses as IPs (firewall rules take no names): names resolved on the host. */
async function peerAddresses(ctx: StepContext, peers: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const peer of peers) {
    if (isIP(peer)) {
      out.push(peer);
      continue;
    }
    const resolved = await run(ctx, `getent ahosts ${q(peer)} | awk 'NR == 1 {print $1}'`, {allowFail: true});
    const ip = resolved.stdout.trim();
    if (isIP(ip)) out.push(ip);
    else warn(ctx, `${peer} does not resolve here: the firewall is not opened for it; allow the unit's private ports from its address by hand`);
  }
  return out;
}

export async function osPrepare(ctx: StepContext, options: OsPrepareOptions): Promise<void> {
  await ensurePackages(ctx, packagesFor(ctx.os.family, options));
  if (options.roles.some(r => r === 'ap' || r === 'nfs')) await ensureUser(ctx, USERS.personium);
  if (options.roles.includes('es')) await ensureUser(ctx, USERS.elasticsearch);
  if (options.roles.includes('mq')) await ensureUser(ctx, USERS.activemq);
  await ensureFile(ctx, {path: PATHS.limits, content: renderLimits(options.roles), mode: 0o644});
  await ensureTimeSync(ctx);
  await ensureHostsBlock(ctx, options);
  await ensureFirewall(ctx, options.ports, options.peers);
}
