// Address comparisons shared by the port, name and network checks.
import {isIP} from 'node:net';

const WILDCARDS = new Set(['0.0.0.0', '::', '*', '']);

export function isWildcard(address: string): boolean {
  return WILDCARDS.has(address);
}

/** ::ffff:10.0.0.1 → 10.0.0.1 */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address.toLowerCase();
}

export function isLoopback(address: string): boolean {
  const a = unmapped(address);
  return a.startsWith('127.') || a === '::1' || a === 'localhost';
}

/** Two listening addresses clash on the same port when either is a wildcard or they are equal. */
export function bindsOverlap(a: string, b: string): boolean {
  if (isWildcard(a) || isWildcard(b)) return true;
  return unmapped(a) === unmapped(b);
}

export function isIpAddress(value: string): boolean {
  return isIP(value.replace(/^\[|\]$/g, '')) !== 0;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
export function isValidHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every(label => /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(label));
}
