// The tool's own block in /etc/hosts. Only the lines between the markers are managed; everything
// else in the file is kept byte for byte (the official playbooks replace the whole file).
import type {UnitContext} from './context.js';

export const HOSTS_BEGIN = '# BEGIN personium-setup';
export const HOSTS_END = '# END personium-setup';

export interface HostsEntry {
  address: string;
  names: string[];
}

const NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const ADDRESS = /^[0-9A-Fa-f:.]+$/;

/** The marked block (with a trailing newline); an empty string for no entries, which removes the block. */
export function renderHostsBlock(entries: readonly HostsEntry[]): string {
  if (entries.length === 0) return '';
  const lines = entries.map(entry => {
    if (!ADDRESS.test(entry.address)) throw new Error(`not an IP address for /etc/hosts: ${JSON.stringify(entry.address)}`);
    if (entry.names.length === 0) throw new Error(`no names for ${entry.address}`);
    for (const name of entry.names) {
      if (!NAME.test(name)) throw new Error(`not a host name for /etc/hosts: ${JSON.stringify(name)}`);
    }
    return `${entry.address}\t${entry.names.join(' ')}`;
  });
  return `${HOSTS_BEGIN}\n${lines.join('\n')}\n${HOSTS_END}\n`;
}

/**
 * Put `block` in place of the existing marked block, or append it; an empty block removes the
 * marked block. Lines outside the block are untouched. Idempotent. Throws on a BEGIN marker
 * without its END (rather than guess how much to replace).
 */
export function replaceHostsBlock(existing: string, block: string): string {
  const lines = existing.split(/(?<=\n)/);
  const isMarker = (line: string, marker: string) => line.replace(/\r?\n$/, '').trim() === marker;
  const begin = lines.findIndex(line => isMarker(line, HOSTS_BEGIN));
  if (begin === -1) {
    if (lines.some(line => isMarker(line, HOSTS_END))) throw new Error(`/etc/hosts has "${HOSTS_END}" without "${HOSTS_BEGIN}"; fix it by hand`);
    if (block === '') return existing;
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
    return existing + separator + block;
  }
  const end = lines.findIndex((line, index) => index > begin && isMarker(line, HOSTS_END));
  if (end === -1) throw new Error(`/etc/hosts has "${HOSTS_BEGIN}" without "${HOSTS_END}"; fix it by hand`);
  if (lines.slice(end + 1).some(line => isMarker(line, HOSTS_BEGIN))) throw new Error('/etc/hosts has two personium-setup blocks; fix it by hand');
  const after = lines.slice(end + 1).join('');
  return lines.slice(0, begin).join('') + block + after;
}

/**
 * What the unit needs in /etc/hosts on every one of its servers: the unit FQDN (and, per-cell,
 * the admin cell's name) at the web server, so core and the bootstrap reach the unit's own URLs
 * without depending on public DNS or hairpin NAT.
 */
export function unitHostsEntries(ctx: UnitContext, webAddress: string): HostsEntry[] {
  const names = [ctx.fqdn];
  if (ctx.cellUrlMode === 'per-cell') names.push(`${ctx.unitAdminCell}.${ctx.fqdn}`);
  return [{address: ctx.single ? '127.0.0.1' : webAddress, names}];
}
