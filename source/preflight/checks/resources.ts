// CPU, memory (what the host's roles will use), disk free on the install and data paths, swap.
import {deriveMemory} from '../../profile/memory.js';
import type {Role} from '../../profile/schema.js';
import {PATHS} from '../../plan/paths.js';
import {resultsFor, type CheckResult, type HostCheckContext} from '../types.js';

/** Minimum CPUs: Tomcat and Elasticsearch each want a core of their own. */
export function requiredCpus(roles: readonly Role[]): number {
  return roles.includes('ap') || roles.includes('es') ? 2 : 1;
}

/** Free space (MB) each role needs under each path. Data sizes are what a fresh unit needs to start and grow a little. */
export const DISK_NEEDS_MB: Record<string, Partial<Record<Role | 'any', number>>> = {
  '/': {any: 512},
  '/var': {any: 1536, web: 256},
  '/opt': {es: 1024, ap: 512, mq: 256},
  [PATHS.personiumRoot]: {es: 5120, ap: 2048, mq: 1024},
  [PATHS.nfsRoot]: {nfs: 2048},
};

/** Elasticsearch stops allocating shards to a disk above its low watermark (85 % used). */
export const ES_WATERMARK = 0.85;

const gb = (mb: number) => (mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`);

export function checkCpu({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'resources')('CPU', 'error');
  const need = requiredCpus(spec.roles);
  if (facts.cpus === undefined) return [r.warn('cannot tell the number of CPUs')];
  if (facts.cpus >= need) return [r.pass(`${facts.cpus} CPUs (needs ${need})`)];
  return [r.fail(`${facts.cpus} CPU${facts.cpus === 1 ? '' : 's'}; the roles ${spec.roles.join(', ')} need at least ${need}`, 'give the server more CPUs or move roles to another server')];
}

export function checkMemory({spec, facts, profile}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'resources')('Mem', 'error');
  if (facts.memTotalMb === undefined) return [r.warn('cannot tell the memory size (/proc/meminfo)')];
  const plan = deriveMemory(facts.memTotalMb, spec.roles, profile.memory);
  const parts = [
    plan.esHeapMb !== undefined ? `Elasticsearch heap ${plan.esHeapMb} MB (+ as much for its file cache)` : '',
    plan.tomcatHeapMb !== undefined ? `Tomcat heap ${plan.tomcatHeapMb} MB` : '',
    plan.memcachedLockMb !== undefined ? `memcached ${plan.memcachedLockMb + (plan.memcachedCacheMb ?? 0)} MB` : '',
  ].filter(Boolean);
  const what = `${parts.join(', ')}${parts.length > 0 ? ', ' : ''}OS and services reserve`;
  if (facts.memTotalMb < plan.requiredMb) {
    return [
      r.fail(
        `${gb(facts.memTotalMb)} of memory, but the roles here need ${gb(plan.requiredMb)} (${what})`,
        'add memory, move roles to another server, or lower memory.esHeapMb / memory.tomcatHeapMb in the profile',
      ),
    ];
  }
  const message = `${gb(facts.memTotalMb)}; the roles need ${gb(plan.requiredMb)} (${what})`;
  const existing = facts.existing.length > 0;
  if (facts.memAvailableMb !== undefined && facts.memAvailableMb < plan.requiredMb && !existing) {
    return [r.warn(`${message}, but only ${gb(facts.memAvailableMb)} is free now`, 'stop what else runs on the server, or lower the heaps in the profile')];
  }
  return [r.pass(message)];
}

function diskNeed(path: string, roles: readonly Role[]): number {
  const table = DISK_NEEDS_MB[path] ?? {};
  let need = table.any ?? 0;
  for (const role of roles) need += table[role] ?? 0;
  return need;
}

export function checkDisks({spec, facts}: HostCheckContext): CheckResult[] {
  const results: CheckResult[] = [];
  // Paths on one file system share its free space: add their needs up.
  const perMount = new Map<string, {need: number; paths: string[]}>();
  for (const disk of facts.disks) {
    const need = diskNeed(disk.path, spec.roles);
    if (need === 0) continue;
    const entry = perMount.get(disk.mount) ?? {need: 0, paths: []};
    entry.need += need;
    entry.paths.push(disk.path);
    perMount.set(disk.mount, entry);
  }
  for (const disk of facts.disks) {
    const need = diskNeed(disk.path, spec.roles);
    if (need === 0) continue;
    const id = `Disk-${disk.path === '/' ? 'root' : disk.path.replace(/^\//, '').replace(/\//g, '-')}`;
    const r = resultsFor(spec.name, 'resources')(id, 'error');
    const shared = perMount.get(disk.mount)!;
    const freeMb = disk.availKb / 1024;
    const others = shared.paths.filter(p => p !== disk.path);
    const together = others.length > 0 ? `; ${gb(shared.need)} with ${others.join(', ')} on the same file system` : '';
    const where = disk.measured === disk.path ? disk.path : `${disk.path} (not there yet; measured on ${disk.measured})`;
    if (freeMb < shared.need) {
      results.push(
        r.fail(
          `${gb(freeMb)} free for ${where} on ${disk.mount}; needs ${gb(need)}${together}`,
          `free space on ${disk.mount} or mount a larger disk at ${disk.path}`,
        ),
      );
      continue;
    }
    const usedShare = disk.sizeKb > 0 ? 1 - disk.availKb / disk.sizeKb : 0;
    if (disk.path === PATHS.personiumRoot && spec.roles.includes('es') && usedShare > ES_WATERMARK) {
      results.push(
        r.warn(
          `${gb(freeMb)} free for ${where}, but ${disk.mount} is ${Math.round(usedShare * 100)} % used: Elasticsearch stops placing shards above 85 %`,
          `give ${PATHS.esData} a file system with more room`,
        ),
      );
      continue;
    }
    results.push(r.pass(`${gb(freeMb)} free for ${where} (needs ${gb(need)}${together})`));
  }
  if (facts.disks.length === 0) results.push(resultsFor(spec.name, 'resources')('Disk', 'error').warn('cannot tell the free disk space (df gave nothing)'));
  return results;
}

export function checkSwap({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'resources')('Swap', 'warning');
  const swap = facts.swapTotalMb ?? 0;
  if (!spec.roles.includes('es')) return [r.pass(swap > 0 ? `${gb(swap)} of swap` : 'no swap')];
  if (swap === 0) return [r.pass('no swap (as Elasticsearch advises)')];
  if ((facts.swappiness ?? 60) <= 1) return [r.pass(`${gb(swap)} of swap with vm.swappiness=${facts.swappiness} (Elasticsearch is not swapped out)`)];
  return [
    r.warn(
      `${gb(swap)} of swap with vm.swappiness=${facts.swappiness ?? '?'}: a swapped-out Elasticsearch heap makes nodes time out`,
      'turn swap off (swapoff -a and remove it from /etc/fstab) or set vm.swappiness=1',
    ),
  ];
}
