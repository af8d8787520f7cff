// Checking that the operator's `_acme-challenge` TXT records resolve before certbot asks the ACME
// server to validate them: a record that is missing or wrong is caught here, where it costs
// nothing, instead of as a failed validation that counts against the rate limits.
import {Resolver} from 'node:dns/promises';
import type {TxtRecord} from './plan.js';

export interface WaitTxtOptions {
  /** DNS server to ask, `address` or `address:port` (IPv6 in brackets). Default: the system's. */
  server?: string;
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Between two rounds of queries. Default 5 s. */
  intervalMs?: number;
  /** One line per round that is not complete yet (what is still missing). */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** What one name has: the TXT strings (chunks joined), or an error code (ENOTFOUND, ENODATA …). */
export async function lookupTxt(resolver: Resolver, name: string): Promise<{values: string[]; error?: string}> {
  try {
    const answers = await resolver.resolveTxt(name);
    return {values: answers.map(chunks => chunks.join(''))};
  } catch (error) {
    return {values: [], error: (error as NodeJS.ErrnoException).code ?? String(error)};
  }
}

/** For each record name: the values expected and those found; complete when every expected value is there. */
export async function txtStatus(records: readonly TxtRecord[], resolver: Resolver): Promise<{complete: boolean; lines: string[]}> {
  const byName = new Map<string, string[]>();
  for (const r of records) byName.set(r.name, [...(byName.get(r.name) ?? []), r.value]);
  let complete = true;
  const lines: string[] = [];
  for (const [name, expected] of byName) {
    const found = await lookupTxt(resolver, name);
    const missing = expected.filter(v => !found.values.includes(v));
    if (missing.length > 0) {
      complete = false;
      const seen = found.values.length > 0 ? found.values.map(v => `"${v}"`).join(', ') : `none${found.error ? ` (${found.error})` : ''}`;
      lines.push(`${name}: expected ${expected.map(v => `"${v}"`).join(' and ')}; found ${seen}`);
    }
  }
  return {complete, lines};
}

/**
 * Poll DNS until every record resolves with its value (the wildcard and the apex share a name,
 * so that name must carry both values). Throws with what is missing after the timeout.
 */
export async function waitForTxtRecords(records: readonly TxtRecord[], options: WaitTxtOptions = {}): Promise<void> {
  const resolver = new Resolver({timeout: 3000, tries: 2});
  if (options.server) resolver.setServers([options.server]);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const intervalMs = options.intervalMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw new Error('stopped while waiting for the TXT records');
    const status = await txtStatus(records, resolver);
    if (status.complete) return;
    if (Date.now() + intervalMs > deadline) {
      const via = options.server ? `the DNS server ${options.server}` : 'this machine\'s DNS resolver';
      throw new Error(
        `the TXT records did not resolve through ${via} within ${Math.round(timeoutMs / 1000)} s: ${status.lines.join('; ')}. ` +
          'Check the record names and values (both values on the same name for FQDN and *.FQDN), then try again',
      );
    }
    for (const line of status.lines) options.onProgress?.(`waiting for DNS: ${line}`);
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}
