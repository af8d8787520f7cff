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

/**
 * Addresses no one outside a private network reaches: RFC 1918, shared CGNAT space (100.64/10),
 * link-local, and IPv6 unique-local and link-local (plus loopback).
 */
export function isPrivateAddress(address: string): boolean {
  const a = unmapped(address.replace(/^\[|\]$/g, ''));
  if (isLoopback(a)) return true;
  if (isIP(a) === 4) {
    const [x = 0, y = 0] = a.split('.').map(Number);
    return x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254);
  }
  if (isIP(a) === 6) return /^f[cd]/i.test(a) || /^fe[89ab]/i.test(a);
  return false;
}
