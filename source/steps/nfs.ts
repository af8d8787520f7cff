// Shared storage: the directories under the NFS root on the NFS host, exported to the AP hosts
// that live elsewhere; on those AP hosts, one fstab line and the mount, the service user's ids
// the same as on the NFS server.
import {ensureDirectory, ensureFile, ensureService, run} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {renderExports, renderFstabLine, replaceFstabLine} from './render/nfs.js';
import type {UnitContext} from './render/context.js';
import {USERS} from './os-prepare.js';

const SHARED_DIRS = [PATHS.blobStore, PATHS.eventLogDir, PATHS.barTmpDir, PATHS.cellSnapshotDir];

export async function nfsStorage(ctx: StepContext, unit: UnitContext): Promise<void> {
  const owner = USERS.personium.name;
  await ensureDirectory(ctx, PATHS.nfsRoot, {mode: 0o755});
  await ensureDirectory(ctx, PATHS.nfsCore, {mode: 0o750, owner});
  for (const dir of SHARED_DIRS) await ensureDirectory(ctx, dir, {mode: 0o750, owner});
  const clients = unit.nfs.clients.map(c => c.address);
  if (clients.length === 0) return;
  const changed = await ensureFile(ctx, {path: PATHS.nfsExports, content: renderExports(clients), mode: 0o644});
  const service = ctx.os.family === 'debian' ? 'nfs-kernel-server' : 'nfs-server';
  await ensureService(ctx, {name: service});
  if (changed && !ctx.checkOnly) await run(ctx, 'exportfs -ra');
}

export async function nfsMount(ctx: StepContext, unit: UnitContext): Promise<void> {
  const server = unit.nfs.server;
  if (!server) return;
  await ensureDirectory(ctx, PATHS.nfsRoot, {mode: 0o755});
  const fstab = (await ctx.host.readFile(PATHS.fstab, {sudo: true})).toString('utf8');
  const wanted = replaceFstabLine(fstab, renderFstabLine(server.address));
  if (wanted !== fstab) await ensureFile(ctx, {path: PATHS.fstab, content: wanted, mode: 0o644});
  const mounted = await run(ctx, `findmnt -n -o SOURCE --target ${q(PATHS.nfsRoot)} -t nfs,nfs4`, {allowFail: true});
  if (mounted.code === 0 && mounted.stdout.trim() !== '') return;
  ctx.changed(`${PATHS.nfsRoot} mounted from ${server.name}`);
  if (!ctx.checkOnly) await run(ctx, `mount -- ${q(PATHS.nfsRoot)}`, {timeoutMs: 120_000});
}

/**
 * Files on the share carry numeric ids: the service user must have the same uid and gid on the
 * NFS server and on the AP server that mounts it, or core cannot read what it wrote elsewhere.
 */
export async function sameServiceUser(ctx: StepContext, server: Host, user: string): Promise<void> {
  const ids = `printf '%s:%s\\n' "$(id -u ${q(user)} 2>/dev/null)" "$(id -g ${q(user)} 2>/dev/null)"`;
  const [here, there] = await Promise.all([ctx.host.exec(ids), server.exec(ids)]);
  const mine = here.stdout.trim();
  const theirs = there.stdout.trim();
  if (mine === ':' || theirs === ':' || mine === theirs) return; // a user not made yet (check mode) has nothing to compare
  throw new StepError(
    `${user} is uid:gid ${mine} here but ${theirs} on ${server.name}, the NFS server: files on the share would belong to someone else`,
    `id ${user}`,
    [`make them equal before the share is used, e.g. on ${ctx.host.name}: usermod -u ${theirs.split(':')[0]} ${user} && groupmod -g ${theirs.split(':')[1]} ${user} (then chown what the old ids own)`],
  );
}
