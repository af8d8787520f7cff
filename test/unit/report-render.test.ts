// Rendering a report: grouped by host and role in plain text, the Ink screen and Markdown; JSON
// for machines; the exit code follows the failures only.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest';
import {renderReportScreen, showReport} from '../../source/cli/report.js';
import {judgeHost} from '../../source/report/judges.js';
import {renderReportJson, renderReportMarkdown, renderReportText, reportCounts, reportExitCode, reportGroups} from '../../source/report/render.js';
import {sortItems} from '../../source/report/run.js';
import type {Report, ReportItem} from '../../source/report/types.js';
import {contextFor, installedUnit, type Unit} from './report-fixtures.js';

function reportOf(unit: Unit, extra: ReportItem[] = []): Report {
  const items = unit.plan.hosts.flatMap(h => judgeHost(contextFor(unit, h.name)));
  return {
    unitUrl: `https://${unit.profile.unit.fqdn}/`,
    fqdn: unit.profile.unit.fqdn,
    profileName: 'lab',
    at: '2026-11-25T10:00:00.000Z',
    smoke: false,
    hosts: unit.plan.hosts.map(h => ({name: h.name, address: h.address, roles: h.roles, connected: true, factsMs: 800})),
    items: sortItems([...extra, ...items], unit.plan.hosts.map(h => h.name)),
    elapsedMs: 1234,
  };
}

const FAIL: ReportItem = {id: 'E2E-Unit', host: '(operator)', role: 'unit', title: 'The unit answers through nginx', expected: 'HTTP 200 | unit JSON', found: 'no answer: ECONNREFUSED', status: 'fail', fix: 'start nginx'};

describe('report rendering', () => {
  let unit: Unit;
  let dir: string;
  beforeAll(async () => {
    unit = await installedUnit('medium-large');
    dir = mkdtempSync(join(tmpdir(), 'report-render-'));
  });
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('groups by host in plan order, then by role; the operator last', () => {
    const groups = reportGroups(reportOf(unit, [FAIL]));
    expect(groups.map(g => g.host)).toEqual(['web1', 'ap1', 'ap2', 'es1', '(operator)']);
    expect(groups[1]!.heading).toBe('ap1 (192.0.2.12): ap, mq, nfs');
    expect(groups[1]!.sections.map(s => s.role)).toEqual(['host', 'ap', 'mq', 'nfs']);
    expect(groups[4]!.sections.map(s => s.title)).toEqual(['Unit (from this machine)']);
  });

  it('plain text: one line per item, expected and fix for what does not pass', () => {
    const clean = renderReportText(reportOf(unit));
    expect(clean).toContain('== web1 (192.0.2.11): web');
    expect(clean).toMatch(/ {4}PASS {2}Service nginx: active \(running\), enabled {2}\[Service-nginx\]/);
    expect(clean).not.toContain('FAIL');
    expect(clean).toMatch(/Report: \d+ passed, 0 warnings, 0 failed in 1\.2 s\.$/);

    const text = renderReportText(reportOf(unit, [FAIL]));
    expect(text).toContain('    FAIL  The unit answers through nginx: no answer: ECONNREFUSED  [E2E-Unit]\n          expected: HTTP 200 | unit JSON\n          fix: start nginx');
    expect(text).toContain('Failed:\n  [E2E-Unit] (operator): no answer: ECONNREFUSED');
  });

  it('exit code and counts follow failures only', () => {
    expect(reportExitCode(reportOf(unit))).toBe(0);
    expect(reportExitCode(reportOf(unit, [{...FAIL, status: 'warn'}]))).toBe(0);
    expect(reportExitCode(reportOf(unit, [FAIL]))).toBe(1);
    expect(reportCounts(reportOf(unit, [FAIL])).fail).toBe(1);
  });

  it('JSON carries every item with expected, found, status and fix', () => {
    const json = JSON.parse(renderReportJson(reportOf(unit, [FAIL]))) as {ok: boolean; counts: {fail: number}; items: ReportItem[]; hosts: unknown[]};
    expect(json.ok).toBe(false);
    expect(json.counts.fail).toBe(1);
    expect(json.items.find(i => i.id === 'E2E-Unit')).toEqual(FAIL);
    expect(json.hosts).toHaveLength(4);
  });

  it('Markdown: a failures list, then one table per host and role, pipes escaped', () => {
    const md = renderReportMarkdown(reportOf(unit, [FAIL]));
    expect(md).toContain('# Personium unit report: https://unit.report.test/');
    expect(md).toContain('**1 failed, 0 warnings,');
    expect(md).toContain('## Failures\n\n- **(operator) E2E-Unit**: no answer: ECONNREFUSED — fix: start nginx');
    expect(md).toContain('## ap2 (192.0.2.14): ap\n\n### Server\n\n| Status | Check | Expected | Found | Fix |');
    expect(md).toContain('HTTP 200 \\| unit JSON');
    // Every table row has the same number of cells.
    for (const line of md.split('\n').filter(l => l.startsWith('| ✅') || l.startsWith('| ❌'))) expect(line.replace(/\\\|/g, '').split('|').length).toBe(7);
  });

  it('the Ink screen shows hosts, roles, items and fix hints', async () => {
    const screen = await renderReportScreen(reportOf(unit, [FAIL]), 160);
    expect(screen).toContain('Personium unit report: https://unit.report.test/');
    expect(screen).toContain('ap1 (192.0.2.12): ap, mq, nfs');
    expect(screen).toContain('AP (Tomcat, core, engine)');
    expect(screen).toMatch(/PASS Service tomcat: active \(running\), enabled/);
    expect(screen).toMatch(/FAIL The unit answers through nginx: no answer: ECONNREFUSED/);
    expect(screen).toContain('fix: start nginx');
    expect(screen).toMatch(/Report: \d+ passed, 0 warnings, 1 failed/);
  });

  it('showReport prints text without a terminal, writes --out Markdown and sets the exit code', async () => {
    const out = join(dir, 'report.md');
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(chunk => (writes.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const saved = process.exitCode;
    try {
      await showReport(reportOf(unit, [FAIL]), {out}, {isTTY: false} as NodeJS.WriteStream);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = saved;
    }
    expect(writes.join('')).toContain('== web1');
    expect(readFileSync(out, 'utf8')).toContain('| ❌ fail | The unit answers through nginx');
  });
});
