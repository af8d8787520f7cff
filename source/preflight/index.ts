// Preflight: everything callers (CLI, wizard, UI) need.
export {runPreflight, artifactProbeUrls, type RunPreflightOptions} from './run.js';
export {applyIgnore, isIgnored, parseIgnoreList, type IgnoreList} from './ignore.js';
export {
  preflightCounts,
  preflightExitCode,
  preflightTable,
  problemLines,
  renderPreflightJson,
  renderPreflightText,
  type PreflightCounts,
  type PreflightTable,
  type TableCell,
  type TableRow,
} from './render.js';
export {factsScript, gatherFacts, parseFacts, type GatheredFacts, type HostFacts} from './facts.js';
export {HOST_CHECKS} from './checks/index.js';
export {CHECK_KINDS, KIND_TITLES, OPERATOR, type CheckKind, type CheckResult, type CheckStatus, type HostSummary, type PreflightResult, type Severity} from './types.js';
