// NFS: the export of the shared storage on the NFS host and the fstab line on the AP hosts that
// mount it (when AP and NFS share a host there is nothing to mount).
import {PATHS} from '../../plan/paths.js';

const ADDRESS = /^[0-9A-Za-z:.-]+$/;

/** /etc/exports.d line: read-write for each AP client, synchronous, root squashed. */
export function renderExports(clients: readonly string[]): string {
  if (clients.length === 0) throw new Error('no NFS clients to export to');
  for (const client of clients) {
    if (!ADDRESS.test(client)) throw new Error(`not an address or host name for exports: ${JSON.stringify(client)}`);
  }
  const options = 'rw,sync,no_subtree_check,root_squash';
  return `# Managed by personium-setup: shared storage for the AP servers.\n${PATHS.nfsRoot} ${clients.map(c => `${c}(${options})`).join(' ')}\n`;
}

/**
 * The fstab line on an AP host. NFS 4.2, hard mounts, and no attribute or lookup caching so that
 * several AP servers see each other's files at once (as the official layout mounts it).
 */
export function renderFstabLine(server: string): string {
  if (!ADDRESS.test(server)) throw new Error(`not an address or host name for fstab: ${JSON.stringify(server)}`);
  const source = server.includes(':') ? `[${server}]` : server;
  return `${source}:${PATHS.nfsRoot} ${PATHS.nfsRoot} nfs vers=4.2,hard,noac,lookupcache=none,_netdev 0 0\n`;
}

/** Replace the fstab entry whose mount point is the NFS root (or append it); other lines untouched. */
export function replaceFstabLine(existing: string, line: string): string {
  const lines = existing.split(/(?<=\n)/);
  const index = lines.findIndex(l => !l.trimStart().startsWith('#') && l.trim().split(/\s+/)[1] === PATHS.nfsRoot);
  if (index === -1) return existing + (existing === '' || existing.endsWith('\n') ? '' : '\n') + line;
  lines[index] = line;
  return lines.join('');
}
