// `personium-setup install` without prompts (`--answers FILE --yes`): run the installation on the
// profile's servers, print plain progress lines and the recap, then a short "unit ready" summary.
// Exit 0 when every step is ok or changed, 1 otherwise.
import {setMaxListeners} from 'node:events';
import type {Plan} from '../plan/plan.js';
import type {Answers} from '../profile/answers.js';
import type {Profile} from '../profile/schema.js';
import type {Prompter} from '../profile/prompter.js';
import type {RunLog} from '../run-log.js';
import {defaultProviders} from '../install/providers.js';
import {runInstall, type InstallOutcome, type InstallProviders} from '../install/run-install.js';
import {EXIT, info, isInteractive, liveViewMaker, output} from './common.js';
import type {PreflightOptions} from './preflight.js';

export interface InstallFlags extends PreflightOptions {
  resume?: boolean;
  bundle?: string;
  /** Save the profile and show the plan; install nothing. */
  saveOnly?: boolean;
  /** At most this many servers run a step at the same time. */
  parallel?: number;
}

/** `--bundle FILE` is the same as artifacts.source=bundle with that file. */
export function applyInstallFlags(answers: Answers, flags: InstallFlags): Answers {
  if (!flags.bundle) return answers;
  const artifacts = typeof answers.artifacts === 'object' && answers.artifacts !== null ? (answers.artifacts as Answers) : {};
  return {...answers, artifacts: {...artifacts, source: 'bundle', bundleFile: flags.bundle}};
}

/** `revealing`: the new password is about to be shown on screen, so no hint to read the file. */
function unitReadySummary(outcome: InstallOutcome, profile: Profile, revealing: boolean): string[] {
  const lines = [
    '',
    'Unit ready.',
    `  Unit URL:         ${outcome.unitUrl}`,
    `  Admin cell:       ${outcome.adminCellUrl} (account unitadmin)`,
    `  Admin password:   in ${outcome.adminPasswordFile} (mode 0600)`,
  ];
  if (outcome.newAdminPassword && !revealing) lines.push(`                    new: read it with  cat ${outcome.adminPasswordFile}  and keep it somewhere safe`);
  if (!profile.security.disableMasterToken) lines.push('  Master token:     still enabled (the profile keeps it); it grants full control of the unit');
  return lines;
}

/**
 * A password this run made is shown once where someone answers questions at a terminal, and taken
 * off the screen when noted. Elsewhere (--yes, a pipe, CI) it is not printed at all: terminal
 * history and CI logs keep what is printed, and the 0600 file already holds it.
 */
function revealAdminPassword(outcome: InstallOutcome, prompter: Prompter | undefined): (() => Promise<void>) | undefined {
  if (!outcome.newAdminPassword || !prompter || !isInteractive()) return undefined;
  const secret = outcome.newAdminPassword;
  return () => prompter.reveal({id: 'admin.password', message: 'Unit admin password (account unitadmin)', secret, keptIn: `${outcome.adminPasswordFile} (mode 0600)`});
}

export async function runInstallOnServers(
  profile: Profile,
  plan: Plan,
  flags: InstallFlags,
  log: RunLog,
  providers: InstallProviders = defaultProviders(),
  prompter?: Prompter,
  preflight?: () => Promise<boolean>,
): Promise<void> {
  const controller = new AbortController();
  // Every command in flight listens on it (a host's shell runs up to twelve at once, hosts in
  // parallel): many listeners are expected, not a leak.
  setMaxListeners(200, controller.signal);
  const stop = () => {
    info('Interrupted: letting running steps finish; run again with --resume to continue.');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const outcome = await runInstall({
      profile,
      plan,
      profileName: flags.profile,
      checkOnly: flags.dryRun,
      resume: flags.resume,
      acceptNewHostKeys: flags.acceptNewHostKeys,
      // In the wizard: passwords asked once more for this connection, DNS-01 records confirmed.
      prompter,
      providers,
      out: output,
      makeView: await liveViewMaker(),
      parallel: flags.parallel,
      log,
      signal: controller.signal,
      preflight,
    });
    if (outcome.preflightRefused) return; // preflight said why; nothing was changed
    const reveal = revealAdminPassword(outcome, prompter);
    if (!outcome.ok) {
      // The account exists now even though a later step failed: its password is in the file already.
      if (outcome.newAdminPassword) {
        output(`The unit admin account was made before the stop; its password is in ${outcome.adminPasswordFile} (mode 0600).`);
        await reveal?.();
      }
      info('');
      info(`The installation stopped. Details: ${log.path}`);
      if (!flags.dryRun && outcome.results.length > 0) info('Fix the cause, then run the same command with --resume to continue where it stopped.');
      process.exitCode = EXIT.failed;
      return;
    }
    if (flags.dryRun) {
      const changes = outcome.results.filter(r => r.status === 'changed').length;
      output(changes === 0 ? 'Dry run: nothing would change.' : `Dry run: ${changes} step(s) would change something (listed above); nothing was changed.`);
    } else {
      for (const line of unitReadySummary(outcome, profile, reveal !== undefined)) output(line);
      await reveal?.();
    }
    info(`Log: ${log.path}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
