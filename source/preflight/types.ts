// Preflight: named checks in the kubeadm style. Every check has an ID, a host, a severity and a
// fix hint; all of them run, none stops the others, and an ignore list turns an error into a
// warning that stays in the results.
import type {HostPlan, Plan} from '../plan/plan.js';
import type {HostSpec, Profile} from '../profile/schema.js';
import type {HostFacts} from './facts.js';

/** Column groups of the results table, in display order. */
export const CHECK_KINDS = [
  'connection',
  'system',
  'resources',
  'ports',
  'elasticsearch',
  'time',
  'names',
  'network',
  'packages',
  'security',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const KIND_TITLES: Record<CheckKind, string> = {
  connection: 'SSH/sudo',
  system: 'OS',
  resources: 'CPU/mem/disk',
  ports: 'Ports',
  elasticsearch: 'ES limits',
  time: 'Clock',
  names: 'Names/DNS',
  network: 'Network',
  packages: 'Packages',
  security: 'Security',
};

/** What a failure of the check means: an error blocks the install, a warning does not. */
export type Severity = 'error' | 'warning';
/** pass: fine; warn: worth reading, does not block; fail: blocks (unless ignored). */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** kubeadm-like name, the same on every host: Port-9200, Mem, OS, DNS-FQDN, Reach-ap1-es1-9200 … */
  id: string;
  /** Profile host name, or OPERATOR for checks made from the machine running the tool. */
  host: string;
  kind: CheckKind;
  severity: Severity;
  status: CheckStatus;
  message: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
  /** A failed error check that the ignore list turned into a warning. */
  ignored?: boolean;
}

/** Pseudo host name of checks made from the operator machine (DNS as the world sees it, public reachability, artifacts). */
export const OPERATOR = '(operator)';

/** Everything a pure check looks at for one host. */
export interface HostCheckContext {
  profile: Profile;
  plan: Plan;
  spec: HostSpec;
  hostPlan: HostPlan;
  facts: HostFacts;
  /** Operator clock (ms since epoch) just before and just after the fact script ran. */
  operatorBefore?: number;
  operatorAfter?: number;
  /** A random name under the FQDN that a wildcard record must answer (per-cell mode). */
  wildcardName?: string;
}

export type HostCheck = (ctx: HostCheckContext) => CheckResult[];

/** Builds results for one check id on one host. */
export function checkResult(
  base: Pick<CheckResult, 'id' | 'host' | 'kind' | 'severity'>,
  status: CheckStatus,
  message: string,
  fix?: string,
): CheckResult {
  // A warning-severity check never blocks: its failures are warnings.
  const effective: CheckStatus = status === 'fail' && base.severity === 'warning' ? 'warn' : status;
  return {...base, status: effective, message, ...(fix && effective !== 'pass' ? {fix} : {})};
}

/** Helper that fixes id, host, kind and severity once per check. */
export function resultsFor(host: string, kind: CheckKind) {
  return (id: string, severity: Severity) => ({
    pass: (message: string): CheckResult => checkResult({id, host, kind, severity}, 'pass', message),
    warn: (message: string, fix?: string): CheckResult => checkResult({id, host, kind, severity}, 'warn', message, fix),
    fail: (message: string, fix?: string): CheckResult => checkResult({id, host, kind, severity}, 'fail', message, fix),
  });
}

export interface HostSummary {
  name: string;
  address: string;
  roles: string[];
  connected: boolean;
  /** Why the connection failed, when it did. */
  error?: string;
  /** The facts gathered from the host (absent when not connected or the script failed). */
  facts?: HostFacts;
  /** Milliseconds the fact script took, round trip. */
  factsMs?: number;
}

export interface PreflightResult {
  results: CheckResult[];
  hosts: HostSummary[];
  /** Milliseconds the whole preflight took. */
  elapsedMs: number;
}
