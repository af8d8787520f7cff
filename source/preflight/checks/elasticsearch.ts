// Elasticsearch bootstrap prerequisites, checked before its first start. ES enforces them (refuses
// to start) when its transport binds a non-loopback address, as in a multi-server unit; on one
// server it binds loopback and only logs them, so there they are warnings.
import {isLoopback} from './addresses.js';
import {resultsFor, type CheckResult, type HostCheckContext, type Severity} from '../types.js';

export const ES_MAX_MAP_COUNT = 262_144;
export const ES_NOFILE = 65_535;
export const ES_NPROC = 4096;

/** error when ES will run in production mode (bound to a non-loopback address). */
export function esSeverity(ctx: HostCheckContext): Severity {
  const use = ctx.hostPlan.ports.find(p => p.port === 9300 || p.port === 9200);
  return use && !isLoopback(use.bind) ? 'error' : 'warning';
}

function modeNote(severity: Severity): string {
  return severity === 'error' ? 'Elasticsearch refuses to start in a multi-server unit' : 'Elasticsearch logs a bootstrap warning';
}

export function checkMaxMapCount(ctx: HostCheckContext): CheckResult[] {
  const {spec, facts} = ctx;
  if (!spec.roles.includes('es')) return [];
  const severity = esSeverity(ctx);
  const r = resultsFor(spec.name, 'elasticsearch')('MaxMapCount', severity);
  const current = facts.maxMapCount;
  if (current === undefined) return [r.warn('cannot read vm.max_map_count')];
  if (current >= ES_MAX_MAP_COUNT) return [r.pass(`vm.max_map_count=${current}`)];
  if (facts.maxMapCountWritable === 'yes') {
    return [r.pass(`vm.max_map_count=${current}; settable, the installer raises it to ${ES_MAX_MAP_COUNT} (sysctl.d)`)];
  }
  if (facts.maxMapCountWritable === 'unknown') {
    return [r.warn(`vm.max_map_count=${current} (needs ${ES_MAX_MAP_COUNT}); whether it can be raised needs root`, 'give the login user sudo')];
  }
  return [
    r.fail(
      `vm.max_map_count=${current} (needs ${ES_MAX_MAP_COUNT}) and cannot be changed here (/proc/sys is read-only: a container?); ${modeNote(severity)}`,
      `set vm.max_map_count=${ES_MAX_MAP_COUNT} where it can be set (the container's host: sysctl -w vm.max_map_count=${ES_MAX_MAP_COUNT}), or ignore with --ignore-preflight-errors=MaxMapCount`,
    ),
  ];
}

function limitText(n: number | undefined): string {
  return n === undefined ? '?' : n === Number.POSITIVE_INFINITY ? 'unlimited' : String(n);
}

function limitCheck(
  ctx: HostCheckContext,
  id: string,
  what: string,
  need: number,
  ceiling: number | undefined,
  ceilingWhy: string,
  session: number | undefined,
  limitName: string,
): CheckResult[] {
  const severity = esSeverity(ctx);
  const r = resultsFor(ctx.spec.name, 'elasticsearch')(id, severity);
  if (ceiling !== undefined && ceiling < need) {
    return [
      r.fail(
        `${what}: the elasticsearch service can get at most ${limitText(ceiling)} (${ceilingWhy}); it needs ${need}; ${modeNote(severity)}`,
        `raise the limit for PID 1 / the container (${limitName}), or ignore with --ignore-preflight-errors=${id}`,
      ),
    ];
  }
  if (session !== undefined && session < need) {
    return [
      r.warn(
        `${what}: login sessions are capped at ${limitText(session)} (limits.d or ulimit), below the ${need} Elasticsearch checks; the service gets its own limit from its systemd unit, but ES or its tools started by hand will fail`,
        `raise "${limitName}" in /etc/security/limits.conf or /etc/security/limits.d/ (the installer adds entries for the elasticsearch user only)`,
      ),
    ];
  }
  return [r.pass(`${what}: the service can get ${need} (session ${limitText(session)}, ${ceilingWhy})`)];
}

export function checkLimits(ctx: HostCheckContext): CheckResult[] {
  const {spec, facts} = ctx;
  if (!spec.roles.includes('es')) return [];
  const l = facts.limits;
  const nofileCeiling = l.pid1CanRaise ? l.nrOpen : l.pid1NofileHard;
  const nofileWhy = l.pid1CanRaise ? `fs.nr_open=${limitText(l.nrOpen)}` : `PID 1's hard limit ${limitText(l.pid1NofileHard)}`;
  const nprocCeiling = l.pid1CanRaise ? l.threadsMax : l.pid1NprocHard;
  const nprocWhy = l.pid1CanRaise ? `kernel.threads-max=${limitText(l.threadsMax)}` : `PID 1's hard limit ${limitText(l.pid1NprocHard)}`;
  return [
    ...limitCheck(ctx, 'Nofile', 'open files', ES_NOFILE, nofileCeiling, nofileWhy, l.sessionNofileHard, 'nofile'),
    ...limitCheck(ctx, 'Nproc', 'processes/threads', ES_NPROC, nprocCeiling, nprocWhy, l.sessionNprocHard, 'nproc'),
  ];
}
