// The post-install report: everything callers (CLI, install, UI) need.
export {runReport, scriptOptionsFor, readMasterToken, sortItems, type RunReportOptions} from './run.js';
export {reportCounts, reportExitCode, reportGroups, renderReportJson, renderReportMarkdown, renderReportText, summaryLine, STATUS_LABEL, type ReportCounts, type ReportGroup, type ReportSection} from './render.js';
export {reportScript, parseReportFacts, gatherReportFacts, type ReportFacts, type ReportScriptOptions, type Probe} from './facts.js';
export {HOST_JUDGES, judgeHost, probesFor, type JudgeContext} from './judges.js';
export {gatherE2e, judgeE2e, runSmoke, judgeSmoke, type E2eFacts, type E2eTarget, type SmokeResult} from './e2e.js';
export {OPERATOR, ROLE_ORDER, ROLE_TITLES, type Report, type ReportHost, type ReportItem, type ReportRole, type ReportStatus} from './types.js';
