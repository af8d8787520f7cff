// Showing preflight results: a table (one row per host, one column group per kind), then the
// [ERROR id] / [WARNING id] lines with fix hints; or JSON. The table data is what an Ink
// component renders too, so everything here is data first, text second.
import {CHECK_KINDS, KIND_TITLES, OPERATOR, type CheckKind, type CheckStatus, type PreflightResult} from './types.js';

export interface TableCell {
  kind: CheckKind;
  /** Worst status in the group; undefined when nothing of that kind ran on the host. */
  status?: CheckStatus;
  /** Short text: ok, 2 warn, FAIL, —. */
  text: string;
  /** IDs of the checks that failed or warned, for a tooltip or detail line. */
  ids: string[];
}

export interface TableRow {
  host: string;
  cells: TableCell[];
}

export interface PreflightTable {
  columns: Array<{kind: CheckKind; title: string}>;
  rows: TableRow[];
}

const RANK: Record<CheckStatus, number> = {pass: 0, warn: 1, fail: 2};

export function preflightTable(result: PreflightResult): PreflightTable {
  const hostNames = [...result.hosts.map(h => h.name)];
  if (result.results.some(r => r.host === OPERATOR)) hostNames.push(OPERATOR);
  const kinds = CHECK_KINDS.filter(k => result.results.some(r => r.kind === k));
  const rows = hostNames.map(host => ({
    host,
    cells: kinds.map((kind): TableCell => {
      const mine = result.results.filter(r => r.host === host && r.kind === kind);
      if (mine.length === 0) return {kind, text: '—', ids: []};
      const status = mine.reduce<CheckStatus>((worst, r) => (RANK[r.status] > RANK[worst] ? r.status : worst), 'pass');
      const bad = mine.filter(r => r.status === status && status !== 'pass');
      const text = status === 'pass' ? 'ok' : status === 'fail' ? `FAIL${bad.length > 1 ? ` ×${bad.length}` : ''}` : `warn${bad.length > 1 ? ` ×${bad.length}` : ''}`;
      return {kind, status, text, ids: mine.filter(r => r.status !== 'pass').map(r => r.id)};
    }),
  }));
  return {columns: kinds.map(kind => ({kind, title: KIND_TITLES[kind]})), rows};
}

export interface PreflightCounts {
  errors: number;
  warnings: number;
  ignored: number;
  passed: number;
}

export function preflightCounts(result: PreflightResult): PreflightCounts {
  const rs = result.results;
  return {
    errors: rs.filter(r => r.status === 'fail').length,
    warnings: rs.filter(r => r.status === 'warn').length,
    ignored: rs.filter(r => r.ignored).length,
    passed: rs.filter(r => r.status === 'pass').length,
  };
}

/** 0 when nothing failed (warnings and ignored errors allowed), 1 otherwise. */
export function preflightExitCode(result: PreflightResult): 0 | 1 {
  return result.results.some(r => r.status === 'fail') ? 1 : 0;
}

/** The [ERROR id] / [WARNING id] lines, errors first. */
export function problemLines(result: PreflightResult): string[] {
  const lines: string[] = [];
  const problems = [...result.results.filter(r => r.status === 'fail'), ...result.results.filter(r => r.status === 'warn')];
  for (const r of problems) {
    const tag = r.status === 'fail' ? 'ERROR' : 'WARNING';
    lines.push(`[${tag} ${r.id}] ${r.host}: ${r.message}${r.ignored ? ' (error ignored)' : ''}`);
    if (r.fix) lines.push(`    fix: ${r.fix}`);
  }
  return lines;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** "Preflight: 34 passed, 1 error, 3 warnings in 0.3 s": the last line of the text and of the Ink view. */
export function preflightSummary(result: PreflightResult): string {
  const c = preflightCounts(result);
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `Preflight: ${c.passed} passed, ${count(c.errors, 'error')}, ${count(c.warnings, 'warning')}${c.ignored ? ` (${count(c.ignored, 'ignored error')})` : ''} in ${(result.elapsedMs / 1000).toFixed(1)} s`;
}

export function renderPreflightText(result: PreflightResult, options: {verbose?: boolean} = {}): string {
  const table = preflightTable(result);
  const header = ['HOST', ...table.columns.map(c => c.title)];
  const body = table.rows.map(row => [row.host, ...row.cells.map(c => c.text)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(r => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...body.map(line), ''];
  if (options.verbose) {
    for (const r of result.results) out.push(`${r.status === 'pass' ? '  ok ' : r.status === 'warn' ? 'warn ' : 'FAIL '} ${r.host} ${r.id}: ${r.message}`);
    out.push('');
  }
  out.push(...problemLines(result));
  const failedIds = [...new Set(result.results.filter(r => r.status === 'fail').map(r => r.id))];
  out.push('', `${preflightSummary(result)}.`);
  if (failedIds.length > 0) {
    out.push(`Fix the errors and run preflight again, or go on regardless with --ignore-preflight-errors=${failedIds.join(',')}`);
  }
  return out.join('\n');
}

export function renderPreflightJson(result: PreflightResult): string {
  return JSON.stringify(
    {
      ok: preflightExitCode(result) === 0,
      counts: preflightCounts(result),
      elapsedMs: result.elapsedMs,
      hosts: result.hosts,
      results: result.results,
    },
    null,
    2,
  );
}
