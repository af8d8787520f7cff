// Showing the report: data first (groups by host, then by role), then plain text (no TTY), JSON,
// and Markdown for a ticket or a wiki. The Ink view renders the same groups.
import {OPERATOR, ROLE_ORDER, ROLE_TITLES, type Report, type ReportItem, type ReportRole, type ReportStatus} from './types.js';

export interface ReportSection {
  role: ReportRole;
  title: string;
  items: ReportItem[];
}

export interface ReportGroup {
  host: string;
  /** "web1 (10.0.0.5): web, ap" or "this machine". */
  heading: string;
  error?: string;
  sections: ReportSection[];
}

export interface ReportCounts {
  pass: number;
  warn: number;
  fail: number;
}

export function reportCounts(report: Pick<Report, 'items'>): ReportCounts {
  const c = {pass: 0, warn: 0, fail: 0};
  for (const item of report.items) c[item.status]++;
  return c;
}

/** 0 when nothing fails (warnings allowed), 1 otherwise. */
export function reportExitCode(report: Pick<Report, 'items'>): 0 | 1 {
  return report.items.some(i => i.status === 'fail') ? 1 : 0;
}

export function reportGroups(report: Report): ReportGroup[] {
  const hostNames = [...report.hosts.map(h => h.name), ...(report.items.some(i => i.host === OPERATOR) ? [OPERATOR] : [])];
  return hostNames.map(name => {
    const host = report.hosts.find(h => h.name === name);
    const mine = report.items.filter(i => i.host === name);
    const sections = ROLE_ORDER.map(role => ({role, title: ROLE_TITLES[role], items: mine.filter(i => i.role === role)})).filter(s => s.items.length > 0);
    return {
      host: name,
      heading: host ? `${host.name} (${host.address}): ${host.roles.join(', ')}` : `${report.fqdn} from this machine`,
      ...(host?.error ? {error: host.error} : {}),
      sections,
    };
  });
}

export const STATUS_LABEL: Record<ReportStatus, string> = {pass: 'PASS', warn: 'WARN', fail: 'FAIL'};

export function summaryLine(report: Report): string {
  const c = reportCounts(report);
  return `Report: ${c.pass} passed, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.fail} failed in ${(report.elapsedMs / 1000).toFixed(1)} s${report.smoke ? ' (with --smoke)' : ''}.`;
}

/** Plain text: every item on one line; warnings and failures add what was expected and the fix. */
export function renderReportText(report: Report): string {
  const out: string[] = [`Personium unit report: ${report.unitUrl} (${report.at})`, ''];
  for (const group of reportGroups(report)) {
    out.push(`== ${group.heading}`);
    for (const section of group.sections) {
      out.push(`  ${section.title}`);
      for (const item of section.items) {
        out.push(`    ${STATUS_LABEL[item.status]}  ${item.title}: ${item.found}  [${item.id}]`);
        if (item.status !== 'pass') {
          out.push(`          expected: ${item.expected}`);
          if (item.fix) out.push(`          fix: ${item.fix}`);
        }
      }
    }
    out.push('');
  }
  const failed = report.items.filter(i => i.status === 'fail');
  if (failed.length > 0) {
    out.push('Failed:');
    for (const item of failed) out.push(`  [${item.id}] ${item.host}: ${item.found}`);
    out.push('');
  }
  out.push(summaryLine(report));
  return out.join('\n');
}

export function renderReportJson(report: Report): string {
  return JSON.stringify({ok: reportExitCode(report) === 0, counts: reportCounts(report), ...report}, null, 2);
}

const cell = (text: string | undefined) => (text ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
const ICON: Record<ReportStatus, string> = {pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail'};

/** Markdown for a ticket or a wiki page: one table per host and role. */
export function renderReportMarkdown(report: Report): string {
  const c = reportCounts(report);
  const out: string[] = [
    `# Personium unit report: ${report.unitUrl}`,
    '',
    `Made ${report.at}${report.profileName ? ` from profile "${report.profileName}"` : ''}${report.smoke ? ', with the regression flow (--smoke)' : ''}: **${c.fail} failed, ${c.warn} warnings, ${c.pass} passed** (${(report.elapsedMs / 1000).toFixed(1)} s).`,
    '',
  ];
  const failed = report.items.filter(i => i.status === 'fail');
  if (failed.length > 0) {
    out.push('## Failures', '');
    for (const item of failed) out.push(`- **${cell(item.host)} ${cell(item.id)}**: ${cell(item.found)}${item.fix ? ` — fix: ${cell(item.fix)}` : ''}`);
    out.push('');
  }
  for (const group of reportGroups(report)) {
    out.push(`## ${cell(group.heading)}`, '');
    if (group.error) out.push(`> ${cell(group.error)}`, '');
    for (const section of group.sections) {
      out.push(`### ${section.title}`, '', '| Status | Check | Expected | Found | Fix |', '|---|---|---|---|---|');
      for (const item of section.items) {
        out.push(`| ${ICON[item.status]} | ${cell(item.title)} (\`${cell(item.id)}\`) | ${cell(item.expected)} | ${cell(item.found)} | ${cell(item.fix)} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
