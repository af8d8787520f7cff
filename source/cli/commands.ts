// The commands' bodies. Each returns through process.exitCode; errors are thrown to cli.tsx.
import {withCertificateFacts} from '../wizard/certificates.js';
import {saveProfile} from '../profile/store.js';
import {buildPlan, type Plan} from '../plan/plan.js';
import {renderPlanText} from '../plan/render-plan.js';
import {RunLog} from '../run-log.js';
import {runWizard} from '../wizard/flow.js';
import {preflightLoop} from '../wizard/preflight-loop.js';
import {preflightProfile} from './preflight.js';
import {reportProfile} from './report.js';
import {withSharedConnections} from './connect-profile.js';
import {preflightExitCode, renderPreflightText} from '../preflight/index.js';
import {renderReportText, reportExitCode} from '../report/index.js';
import type {Report} from '../report/types.js';
import type {Profile} from '../profile/schema.js';
import {applyInstallFlags, runInstallOnServers, type InstallFlags} from './install.js';
import {isRerun} from '../install/run-install.js';
import {EXIT, gatherAnswers, info, isInteractive, output, validateProfile, type CommonOptions} from './common.js';

function printPlan(plan: Plan, json: boolean | undefined): void {
  output(json ? JSON.stringify(plan, null, 2) : renderPlanText(plan));
}

export async function runPlanCommand(options: CommonOptions): Promise<void> {
  const {answers, source} = await gatherAnswers(options);
  const {profile, warnings, certificates} = await validateProfile(answers, source);
  for (const warning of warnings) info(`warning: ${warning}`);
  printPlan(withCertificateFacts(buildPlan(profile), certificates), options.json);
}

export async function runInstallCommand(options: InstallFlags): Promise<void> {
  // Preflight, install and report reach the same servers: one connection each for all three.
  return withSharedConnections(() => installCommand(options));
}

async function installCommand(options: InstallFlags): Promise<void> {
  const log = new RunLog('install');
  log.write(`personium-setup install (profile ${options.profile}${options.answers ? `, answers ${options.answers}` : ''})`);
  const gathered = await gatherAnswers(options);
  log.write(`answers from ${gathered.source}`);

  if (!options.yes && isInteractive()) {
    const {createInkPrompter, showPlanView} = await import('../ui/ink-prompter.js');
    const prompter = createInkPrompter();
    const result = await runWizard(prompter, {
      initial: applyInstallFlags(gathered.answers, options),
      savedProfile: gathered.saved.found && !options.answers,
      showPlan: plan => showPlanView(plan),
    });
    if (result.choice === 'add') {
      const {runAddInteractive} = await import('./add.js');
      await runAddInteractive(prompter, options);
      return;
    }
    if (result.choice !== 'install') {
      notAvailable('the environment confirmation report');
      return;
    }
    if (!result.confirmed || !result.validated) {
      prompter.note('Not saved: nothing was changed.', 'warning');
      return;
    }
    finish(options, result.validated.profile, log, message => prompter.note(message, 'success'));
    if (options.dryRun) return;
    const {showPreflightView} = await import('../ui/show-preflight.js');
    const profile = result.validated.profile;
    const outcome = await preflightLoop(
      prompter,
      ignore => preflightProfile(profile, result.plan!, {...options, ignorePreflightErrors: [options.ignorePreflightErrors ?? '', ...ignore].filter(Boolean).join(',')}, log, prompter),
      preflight => showPreflightView(preflight),
    );
    if (!outcome.go) {
      process.exitCode = EXIT.failed;
      return;
    }
    const go = await prompter.confirm({id: 'install.go', message: `Install the unit on ${profile.hosts.map(h => h.name).join(', ')} now?`, initial: true});
    if (!go) {
      prompter.note('Not installed. The profile is saved: run personium-setup install when ready.', 'info');
      return;
    }
    const ignore = [options.ignorePreflightErrors ?? '', ...outcome.ignore].filter(Boolean).join(',');
    await runInstallOnServers(profile, result.plan!, {...options, ignorePreflightErrors: ignore}, log, undefined, prompter);
    if (process.exitCode === undefined) await finalReport(profile, result.plan!, options, log);
    return;
  }

  // Non-interactive: every answer must be present (flags, answers file or saved profile).
  const {profile, warnings} = await validateProfile(applyInstallFlags(gathered.answers, options), gathered.source);
  for (const warning of warnings) info(`warning: ${warning}`);
  const plan = buildPlan(profile);
  printPlan(plan, options.json);
  if (options.saveOnly) {
    finish(options, profile, log, info);
    return;
  }
  if (!options.dryRun) finish(options, profile, log, info);
  // A re-run of a unit this machine installed asks preflight only when some step has work to do:
  // a unit that already matches the profile is left as it is, checked by the report at the end.
  if (!options.dryRun && !options.resume && isRerun(options.profile)) {
    // The report only reads, like the converged check, so it starts at once: kept when the check
    // finds nothing to do (then nothing has changed since), made again after a run that changed things.
    const held: string[] = [];
    let changing = false;
    const early = reportProfile(profile, plan, {...options, smoke: false}, {write: line => held.push(line)}).catch(() => undefined);
    await runInstallOnServers(profile, plan, options, log, undefined, undefined, () => {
      changing = true;
      return preflightGate(profile, plan, options, log);
    });
    const report = await early;
    if (process.exitCode !== undefined) return;
    if (changing || !report) return finalReport(profile, plan, options, log);
    for (const line of held) log.write(line);
    printFinalReport(report);
    return;
  }
  if (!(await preflightGate(profile, plan, options, log))) return;
  // --dry-run: every step looks at the real servers and reports what it would change.
  await runInstallOnServers(profile, plan, options, log);
  if (process.exitCode === undefined && !options.dryRun) await finalReport(profile, plan, options, log);
}

/** Preflight before anything changes; an error that is not ignored stops the run (exit 1). */
async function preflightGate(profile: Profile, plan: Plan, options: InstallFlags, log: RunLog): Promise<boolean> {
  const result = await preflightProfile(profile, plan, options, log);
  info(renderPreflightText(result));
  if (preflightExitCode(result) === 0) return true;
  info('Preflight found errors, so nothing was installed. Fix them, or turn chosen ones into warnings with --ignore-preflight-errors=ID,...');
  process.exitCode = EXIT.failed;
  return false;
}

/**
 * Installation ends with the confirmation report. Its verdict is printed, but the exit code
 * stays the installation's: `personium-setup report` gives the report's own exit code.
 */
async function finalReport(profile: Profile, plan: Plan, options: InstallFlags, log: RunLog): Promise<void> {
  printFinalReport(await reportProfile(profile, plan, {...options, smoke: false}, log));
}

function printFinalReport(report: Report): void {
  output(renderReportText(report));
  if (reportExitCode(report) !== 0) info('The report above has failing items: fix them, then check again with personium-setup report.');
}

function finish(options: CommonOptions, profile: Parameters<typeof saveProfile>[1], log: RunLog, say: (message: string) => void): void {
  if (options.dryRun) {
    say('Dry run: no profile was saved and nothing was changed.');
    log.write('dry run: nothing saved');
    return;
  }
  const path = saveProfile(options.profile, profile);
  log.write(`profile saved to ${path}`);
  say(`Profile "${options.profile}" saved to ${path} (mode 0600).`);
  say(`Log: ${log.path}`);
}

export function notAvailable(what: string): void {
  info(`${what[0]!.toUpperCase()}${what.slice(1)}: not available in this version yet. Nothing was done.`);
  process.exitCode = EXIT.failed;
}
