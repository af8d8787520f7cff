// Memory sizes derived from what a host has and which roles share it, when the profile does not
// fix them. The official playbooks hard-code a 3328 MB ES heap that does not fit their own 4 GB
// all-in-one VM; here the budget follows the host.
import type {Profile, Role} from './schema.js';

export interface MemoryPlan {
  tomcatHeapMb?: number;
  esHeapMb?: number;
  memcachedLockMb?: number;
  memcachedCacheMb?: number;
  /** What the roles on this host need in all, including the OS and off-heap reserve. */
  requiredMb: number;
}

const OS_RESERVE_MB = 768;
/** ActiveMQ's heap (its unit sets it): the broker only relays core's events. */
export const ACTIVEMQ_HEAP_MB = 384;
// The heap plus metaspace and thread stacks.
const ACTIVEMQ_MB = 512;
const NGINX_MB = 64;
const roundDown = (mb: number, step = 64) => Math.max(step, Math.floor(mb / step) * step);

/**
 * Split a host's memory among its roles. Elasticsearch gets half of what is left for it (the
 * other half is file-system cache, as Elastic advises), capped at 31 GB (compressed oops).
 */
export function deriveMemory(totalMb: number, roles: readonly Role[], fixed: Profile['memory']): MemoryPlan {
  const has = (role: Role) => roles.includes(role);
  let free = totalMb - OS_RESERVE_MB - (has('web') ? NGINX_MB : 0) - (has('mq') ? ACTIVEMQ_MB : 0);
  const plan: MemoryPlan = {requiredMb: OS_RESERVE_MB + (has('web') ? NGINX_MB : 0) + (has('mq') ? ACTIVEMQ_MB : 0)};

  if (has('nfs')) {
    // memcached (lock and cache) lives with the NFS role, as in the official layout.
    plan.memcachedLockMb = fixed.memcachedLockMb ?? clamp(roundDown(free * 0.05, 16), 64, 512);
    plan.memcachedCacheMb = fixed.memcachedCacheMb ?? clamp(roundDown(free * 0.1, 16), 64, 1024);
    free -= plan.memcachedLockMb + plan.memcachedCacheMb;
    plan.requiredMb += plan.memcachedLockMb + plan.memcachedCacheMb;
  }
  const shares = (has('ap') ? 1 : 0) + (has('es') ? 1 : 0);
  if (has('ap')) {
    plan.tomcatHeapMb = fixed.tomcatHeapMb ?? clamp(roundDown((free / Math.max(shares, 1)) * 0.75), 512, 8192);
    // Heap plus metaspace (256 MB) and thread stacks.
    plan.requiredMb += plan.tomcatHeapMb + 384;
  }
  if (has('es')) {
    const forEs = has('ap') ? free - (plan.tomcatHeapMb ?? 0) - 384 : free;
    plan.esHeapMb = fixed.esHeapMb ?? clamp(roundDown(forEs / 2), 512, 31744);
    // ES needs about as much again outside the heap for the file-system cache to be useful.
    plan.requiredMb += plan.esHeapMb * 1.5;
  }
  plan.requiredMb = Math.ceil(plan.requiredMb);
  return plan;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
