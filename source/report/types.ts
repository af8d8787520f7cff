// The post-install report: named items, each saying what was expected, what was found, whether
// that passes, and what to do when it does not. Items are grouped by host and by the role they
// concern; items checked from the operator machine (the unit seen from outside) carry OPERATOR.
import type {Role} from '../profile/schema.js';

export {OPERATOR} from '../preflight/types.js';

export type ReportStatus = 'pass' | 'warn' | 'fail';

/** A role of the profile, 'host' for what concerns the server itself, 'unit' for the unit as a whole. */
export type ReportRole = Role | 'host' | 'unit';

/** Display order of the role groups inside a host. */
export const ROLE_ORDER: readonly ReportRole[] = ['host', 'web', 'ap', 'mq', 'nfs', 'es', 'unit'];

export const ROLE_TITLES: Record<ReportRole, string> = {
  host: 'Server',
  web: 'Web (nginx)',
  ap: 'AP (Tomcat, core, engine)',
  mq: 'MQ (ActiveMQ)',
  nfs: 'NFS (storage, memcached)',
  es: 'ES (Elasticsearch)',
  unit: 'Unit (from this machine)',
};

export interface ReportItem {
  /** Stable name, the same on every host: Service-tomcat, Port-18888, Cert-Unit-CN … */
  id: string;
  /** Profile host name, or OPERATOR for what was checked from this machine. */
  host: string;
  role: ReportRole;
  title: string;
  expected: string;
  found: string;
  status: ReportStatus;
  /** What to do about it (warn and fail only). */
  fix?: string;
}

export interface ReportHost {
  name: string;
  address: string;
  roles: Role[];
  connected: boolean;
  /** Why the connection or the fact script failed. */
  error?: string;
  /** Milliseconds the fact script took, round trip. */
  factsMs?: number;
}

export interface Report {
  unitUrl: string;
  fqdn: string;
  profileName?: string;
  /** ISO time the report was made. */
  at: string;
  smoke: boolean;
  hosts: ReportHost[];
  items: ReportItem[];
  elapsedMs: number;
}

/** Builds items for one host, role and id. */
export function itemFor(host: string, role: ReportRole) {
  return (id: string, title: string, expected: string) => ({
    pass: (found: string): ReportItem => ({id, host, role, title, expected, found, status: 'pass'}),
    warn: (found: string, fix?: string): ReportItem => ({id, host, role, title, expected, found, status: 'warn', ...(fix ? {fix} : {})}),
    fail: (found: string, fix?: string): ReportItem => ({id, host, role, title, expected, found, status: 'fail', ...(fix ? {fix} : {})}),
  });
}
