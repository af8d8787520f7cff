// `personium-setup preflight`: connect to every host and run the named checks, nothing changed.
import {buildPlan, type Plan} from '../plan/plan.js';
import {parseIgnoreList, preflightExitCode, renderPreflightJson, renderPreflightText, runPreflight, type PreflightResult} from '../preflight/index.js';
import type {Prompter} from '../profile/prompter.js';
import type {Profile} from '../profile/schema.js';
import {RunLog} from '../run-log.js';
import {connectProfile} from './connect-profile.js';
import {gatherAnswers, info, output, validateProfile, type CommonOptions} from './common.js';

export interface PreflightOptions extends CommonOptions {
  acceptNewHostKeys?: boolean;
  ignorePreflightErrors?: string;
  skipPublicCheck?: boolean;
}

/** Connect, check, close. Used by the command and by the wizard's try-again loop. */
export async function preflightProfile(profile: Profile, plan: Plan, options: PreflightOptions, log: RunLog, prompter?: Prompter): Promise<PreflightResult> {
  const connections = await connectProfile(profile, {prompter, acceptNewHostKeys: options.acceptNewHostKeys, log: line => log.write(line)});
  try {
    const result = await runPreflight({
      profile,
      plan,
      hosts: connections.hosts,
      connectErrors: connections.errors,
      ignore: parseIgnoreList(options.ignorePreflightErrors ?? ''),
      skipPublicCheck: options.skipPublicCheck,
    });
    for (const r of result.results) log.write(`preflight ${r.host} ${r.id} ${r.status}: ${r.message}`);
    return result;
  } finally {
    await connections.close();
  }
}

export async function runPreflightCommand(options: PreflightOptions): Promise<void> {
  const log = new RunLog('preflight');
  const {answers, source} = await gatherAnswers(options);
  const {profile, warnings} = await validateProfile(answers, source);
  for (const warning of warnings) info(`warning: ${warning}`);
  const result = await preflightProfile(profile, buildPlan(profile), options, log);
  output(options.json ? renderPreflightJson(result) : renderPreflightText(result));
  if (!options.json) info(`Log: ${log.path}`);
  process.exitCode = preflightExitCode(result);
}
