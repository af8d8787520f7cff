// `personium-setup report [--smoke] [--json] [--out FILE.md]`: the post-install environment
// confirmation report from the saved profile (or an answers file). Every host is checked in
// parallel over one connection each; the unit is checked from this machine. An Ink screen on a
// terminal, plain text otherwise, JSON with --json; --out also writes Markdown. Exit 0 when
// nothing fails, 1 otherwise.
import {writeFileSync} from 'node:fs';
import {buildPlan, type Plan} from '../plan/plan.js';
import {validateAnswers} from '../profile/answers.js';
import type {Prompter} from '../profile/prompter.js';
import type {Profile} from '../profile/schema.js';
import {renderReportJson, renderReportMarkdown, renderReportText, reportExitCode, reportGroups, runReport, summaryLine, type Report} from '../report/index.js';
import {RunLog} from '../run-log.js';
import {drawWidth} from '../ui/draw-width.js';
import {connectProfile} from './connect-profile.js';
import {gatherAnswers, info, output, type CommonOptions} from './common.js';

export interface ReportOptions extends CommonOptions {
  acceptNewHostKeys?: boolean;
  skipPublicCheck?: boolean;
  smoke?: boolean;
  /** Also write the report as Markdown to this file. */
  out?: string;
}

/** Connect, report, close. Used by the command, and at the end of install and add. */
export async function reportProfile(profile: Profile, plan: Plan, options: Pick<ReportOptions, 'acceptNewHostKeys' | 'skipPublicCheck' | 'smoke' | 'profile'>, log: Pick<RunLog, 'write'>, prompter?: Prompter): Promise<Report> {
  const connections = await connectProfile(profile, {prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    const report = await runReport({
      profile,
      plan,
      hosts: connections.hosts,
      connectErrors: connections.errors,
      profileName: options.profile,
      smoke: options.smoke,
      skipPublicCheck: options.skipPublicCheck,
      onHostFacts: (host, ok) => log.write(`report ${host}: ${ok ? 'facts gathered' : 'no facts'}`),
    });
    for (const item of report.items) log.write(`report ${item.host} ${item.id} ${item.status}: ${item.found}`);
    return report;
  } finally {
    await connections.close();
  }
}

/** The Ink screen, printed once (nothing stays mounted). */
export async function renderReportScreen(report: Report, columns = 100): Promise<string> {
  const [{renderToString}, {createElement}, {ReportView}] = await Promise.all([import('ink'), import('react'), import('../ui/components/ReportView.js')]);
  const view = createElement(ReportView, {title: `Personium unit report: ${report.unitUrl}`, groups: reportGroups(report), summary: summaryLine(report), failed: reportExitCode(report) !== 0});
  return `${renderToString(view, {columns})}\n`;
}

/** Prints a report the way the command does, writes --out, and sets the exit code. */
export async function showReport(report: Report, options: Pick<ReportOptions, 'json' | 'out'>, stdout: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (options.json) output(renderReportJson(report));
  else if (stdout.isTTY && process.env.TERM !== 'dumb') stdout.write(await renderReportScreen(report, drawWidth(stdout.columns || 100)));
  else output(renderReportText(report));
  if (options.out) {
    writeFileSync(options.out, `${renderReportMarkdown(report)}\n`);
    if (!options.json) info(`Markdown report: ${options.out}`);
  }
  process.exitCode = reportExitCode(report);
}

export async function runReportCommand(options: ReportOptions): Promise<void> {
  const log = new RunLog('report');
  const {answers, source} = await gatherAnswers(options);
  const {profile, warnings} = validateAnswers(answers, source);
  for (const warning of warnings) info(`warning: ${warning}`);
  const report = await reportProfile(profile, buildPlan(profile), options, log);
  await showReport(report, options);
  if (!options.json) info(`Log: ${log.path}`);
}
