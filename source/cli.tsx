#!/usr/bin/env node
// Entry point: flags and subcommands, interactive or not, exit codes.
// Ink is imported only on the interactive path, so plain runs never touch the terminal modes.
import {readFileSync, realpathSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Command, CommanderError, InvalidArgumentError, Option} from 'commander';
import * as z from 'zod';
import {AnswersError} from './profile/answers.js';
import {Cancelled} from './profile/prompter.js';
import {Profile} from './profile/schema.js';
import {versionMatrix} from './presets.js';
import {MAX_PARALLEL_HOSTS} from './executor/execute.js';
import {EXIT, UsageError, gatherAnswers, type CommonOptions, isInteractive, output} from './cli/common.js';
import type {AddOptions} from './cli/add.js';
import type {PreflightOptions} from './cli/preflight.js';
import type {BundleOptions} from './cli/bundle.js';
import type {ReportOptions} from './cli/report.js';
import type {InstallFlags} from './cli/install.js';
import type {ServiceCommandOptions} from './cli/service-commands.js';

// Each command's module loads when that command runs: `--help`, `--version` and a no-op re-run
// start without the modules of the others (the X.509 library, the bundle writer, discovery…).
const commands = () => import('./cli/commands.js');

/** Repeatable options: every value, in order. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string};

/** Every command that opens SSH connections. */
function withHostKeyOption(command: Command): Command {
  return command.option('--accept-new-host-keys', 'pin unknown SSH host keys without asking (throwaway labs); changed keys are always refused');
}

function withConnectionOptions(command: Command): Command {
  return withHostKeyOption(command)
    .option('--ignore-preflight-errors <ids>', 'comma-separated check IDs (or "all") whose errors become warnings')
    .option('--skip-public-check', 'skip the DNS view and 80/443 reachability from this machine (load balancers, offline operator machines)');
}

function withProfileOptions(command: Command): Command {
  return command
    .option('-a, --answers <file>', 'answers file (YAML or JSON); see `personium-setup schema`')
    .option('-p, --profile <name>', 'saved profile name', 'default')
    .option('-y, --yes', 'take defaults and answers without asking; never prompt')
    .option('--dry-run', 'show what would be done and change nothing (no profile is saved)')
    .option('--json', 'machine-readable output on stdout')
    .addOption(new Option('--pattern <pattern>', 'unit layout').choices(['try-it', 'small', 'medium-large']))
    .option('--fqdn <name>', 'unit FQDN (unit.fqdn)')
    .addOption(new Option('--cell-url-mode <mode>', 'cell URLs (unit.cellUrlMode)').choices(['per-cell', 'path-based']))
    .option('--public-address <address>', "web server's public address (unit.publicAddress)")
    .option('--host <[user@]address[:port]>', 'the server of the small pattern (hosts[0])')
    .addOption(new Option('--https <mode>', 'server certificate (https.mode)').choices(['self-signed', 'provided', 'letsencrypt']))
    .option('--version-set <id>', 'version set from `personium-setup versions` (versionSet)');
}

function parseParallel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('personium-setup')
    .description('Build, extend and check a Personium unit over SSH: a guided wizard, or an answers file.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Without a command, install runs: the wizard in a terminal, or the answers given.

Examples:
  personium-setup                                          the wizard
  personium-setup install --answers unit.yaml --yes        install without questions; safe to run again
  personium-setup install --resume                         continue an interrupted installation
  personium-setup report                                   check the installed unit
  personium-setup add --extension mailsender --set smtpHost=mail.example.com
  personium-setup <command> --help                         the options of a command

Exit codes: 0 done, 1 a check or step failed, 2 usage or answers error, 130 cancelled.`,
    );

  withConnectionOptions(withProfileOptions(program.command('install', {isDefault: true})))
    .description('run the wizard (or read the answers), show the plan, save the profile, then run preflight; with --yes, install')
    .option('--resume', 'continue an interrupted installation: steps the last run finished are not run again')
    .option('--bundle <file>', 'take the archives from this offline bundle (artifacts.source=bundle)')
    .option('--save-only', 'save the profile and show the plan; install nothing')
    .option('--parallel <n>', `at most this many servers run a step at the same time (default ${MAX_PARALLEL_HOSTS})`, parseParallel)
    .action(async (options: InstallFlags) => (await commands()).runInstallCommand(options));

  withProfileOptions(program.command('plan'))
    .description('print the plan for a profile: hosts, roles, ordered steps, files, services, ports')
    .action(async (options: CommonOptions) => (await commands()).runPlanCommand(options));

  program
    .command('schema')
    .description('print the answers-file JSON Schema')
    .action(() => {
      output(JSON.stringify(z.toJSONSchema(Profile, {io: 'input', unrepresentable: 'any'}), null, 2));
    });

  program
    .command('versions')
    .description('list the version sets this release knows')
    .option('--json', 'machine-readable output')
    .action((options: {json?: boolean}) => {
      const matrix = versionMatrix();
      if (options.json) return output(JSON.stringify(matrix.sets, null, 2));
      for (const set of matrix.sets) {
        output(`${set.id}${set.id === matrix.default ? ' (latest, default)' : ''}: ${set.label}`);
        output(`    core ${set.core.version}, engine ${set.engine.version}, Elasticsearch ${set.elasticsearch.version}, Tomcat ${set.tomcat.version}, ActiveMQ ${set.activemq.version}, Java ${set.jdk.version}`);
      }
    });

  withConnectionOptions(withProfileOptions(program.command('preflight')))
    .description('run the preflight checks on every host (changes nothing); exit 1 when an error remains')
    .action(async (options: PreflightOptions) => (await import('./cli/preflight.js')).runPreflightCommand(options));

  withProfileOptions(program.command('bundle'))
    .description('download and verify every archive the profile needs into one file, for servers without internet')
    .option('-o, --out <file>', 'the bundle to write (.tar.gz)')
    .action(async (options: BundleOptions) => (await import('./cli/bundle.js')).runBundleCommand(options));

  withHostKeyOption(withProfileOptions(program.command('report')))
    .description('the post-install environment confirmation report: every host checked over one connection each, the unit from this machine; exit 1 when an item fails')
    .option('--smoke', 'also run the regression flow through the API (test cell, box, service script, event, log; all deleted again)')
    .option('--out <file.md>', 'also write the report as Markdown (for a ticket or a wiki)')
    .option('--skip-public-check', "skip this machine's DNS view of the unit (load balancers, offline operator machines)")
    .action(async (options: ReportOptions) => (await import('./cli/report.js')).runReportCommand(options));

  withHostKeyOption(withProfileOptions(program.command('add')))
    .description('add, update or remove engine extensions, OIDC providers and auth plugin jars on an installed unit; only the difference is applied')
    .option('--extension <name>', 'an engine extension to install (repeatable)', collect)
    .option('--set <key=value>', 'an extension setting, e.g. smtpHost=mail.example.com or mailsender.smtpPort=587 (repeatable)', collect)
    .option('--oidc <spec>', 'an OIDC provider: name=NAME,configURL=URL,trustedClientIds=ID ID... (repeatable)', collect)
    .option('--plugin-jar <path|url>', 'an auth plugin jar whose manifest names a Plugin-Class (repeatable)', collect)
    .option('--remove <name>', 'take out an extension (NAME), an OIDC provider (oidc:NAME) or a plugin jar (FILE.jar) (repeatable)', collect)
    .action(async (options: AddOptions) => (await import('./cli/add.js')).runAddCommand(options));
  for (const [name, what] of [
    ['start', 'start the unit\'s services in boot order (memcached, Elasticsearch, ActiveMQ → Tomcat → nginx), each waited for'],
    ['stop', 'stop the unit\'s services in reverse boot order'],
    ['status', 'show the state of each service of the unit; exit 1 when one is not running'],
  ] as const) {
    withHostKeyOption(withProfileOptions(program.command(name)))
      .description(what)
      .action(async (options: ServiceCommandOptions) => (await import('./cli/service-commands.js')).runServiceCommand(name, options));
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return EXIT.usage; // commander already printed the message
  }
  if (error instanceof AnswersError) {
    process.stderr.write(`error: ${error.source} has ${error.problems.length === 1 ? 'a problem' : `${error.problems.length} problems`}:\n`);
    for (const problem of error.problems) process.stderr.write(`  - ${problem.key ? `${problem.key}: ` : ''}${problem.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof Cancelled) {
    process.stderr.write('Cancelled: nothing was saved or changed.\n');
    return EXIT.cancelled;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT.failed;
}

export {isInteractive, gatherAnswers};

// Run only when executed, not when imported by tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv);
}
