// --ignore-preflight-errors=ID,…|all: a failed error check becomes a warning that stays in the
// results, marked ignored. IDs are case-insensitive; a trailing * matches a prefix (Reach-*).
import type {CheckResult} from './types.js';

export type IgnoreList = string[] | 'all';

export function parseIgnoreList(value: string | readonly string[] | undefined): IgnoreList {
  const items = (typeof value === 'string' ? [value] : (value ?? []))
    .flatMap(v => v.split(','))
    .map(v => v.trim())
    .filter(Boolean);
  if (items.some(i => i.toLowerCase() === 'all')) return 'all';
  return items;
}

export function isIgnored(id: string, ignore: IgnoreList): boolean {
  if (ignore === 'all') return true;
  const lower = id.toLowerCase();
  return ignore.some(entry => {
    const e = entry.toLowerCase();
    return e.endsWith('*') ? lower.startsWith(e.slice(0, -1)) : lower === e;
  });
}

export function applyIgnore(results: CheckResult[], ignore: IgnoreList): CheckResult[] {
  return results.map(r => (r.status === 'fail' && isIgnored(r.id, ignore) ? {...r, status: 'warn', ignored: true} : r));
}
