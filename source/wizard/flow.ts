// The wizard as plain async code: screens ask through a Prompter, answers go into a draft that
// the profile schema validates. Esc (GoBack) returns to the previous screen with its answers kept.
import {existsSync, statSync} from 'node:fs';
import {homedir} from 'node:os';
import {patternPresets} from '../presets.js';
import {cleanFqdn, checkAddress, checkPath, type FieldResult} from '../profile/fields.js';
import {GoBack, type Prompter, type Validation} from '../profile/prompter.js';
import type {
  CELL_URL_MODES} from '../profile/schema.js';
import {
  EXTENSION_NAMES,
  HostSpec,
  PATTERNS,
  ROLES,
  type ExtensionName,
  type Pattern,
  type Profile,
  type Role,
} from '../profile/schema.js';
import {mergeAnswers, presetAnswers, validateAnswers, AnswersError, type Answers, type Validated} from '../profile/answers.js';
import {buildPlan, type Plan} from '../plan/plan.js';
import {checkServerFiles, checkUnitFiles, withCertificateFacts, checkProfileCertificates, type CertificateReport} from './certificates.js';

export type WelcomeChoice = 'install' | 'add' | 'report';

export interface WizardResult {
  choice: WelcomeChoice;
  validated?: Validated;
  plan?: Plan;
  /** The operator confirmed the summary. */
  confirmed: boolean;
}

export interface WizardOptions {
  /** Answers from a saved profile, an answers file and flags: the defaults of every question. */
  initial: Answers;
  /** A saved profile exists: the welcome screen offers re-run choices. */
  savedProfile: boolean;
  /** Shows the plan summary (Ink view or text); defaults to a text note. */
  showPlan?: (plan: Plan) => void;
}

type Draft = Answers & {
  unit?: Record<string, unknown>;
  https?: Record<string, unknown>;
  unitCertificate?: Record<string, unknown>;
  hosts?: Array<Record<string, unknown>>;
  extensions?: Record<string, unknown>;
  authPlugins?: {oidc?: Array<Record<string, unknown>>; jars?: string[]};
};

/** `given`: the operator's own answers (saved profile, answers file, flags), without preset defaults. */
type Screen = (p: Prompter, draft: Draft, given: Answers) => Promise<void>;

/** Sections that describe servers; everything else in an answers file holds for any pattern. */
const LAYOUT_KEYS = new Set(['pattern', 'hosts', 'bastion']);

const asResult = <T>(r: FieldResult<T>): Validation<T> => r;

const optional =
  (check: (s: string) => FieldResult<string>) =>
  (input: string): Validation<string | undefined> =>
    input.trim() === '' ? {ok: true, value: undefined} : check(input);

/** A path to a file that must exist and be readable now. */
export function checkExistingFile(input: string): Validation<string> {
  const path = checkPath(input);
  if (!path.ok) return path;
  const full = path.value.startsWith('~/') ? homedir() + path.value.slice(1) : path.value;
  if (!existsSync(full)) return {ok: false, error: `${path.value}: no such file`};
  if (!statSync(full).isFile()) return {ok: false, error: `${path.value}: not a regular file`};
  return {ok: true, value: path.value};
}

function checkPort(input: string): Validation<number> {
  const n = Number(input.trim());
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? {ok: true, value: n} : {ok: false, error: 'a port is a whole number from 1 to 65535'};
}

function checkHostName(input: string, taken: string[]): Validation<string> {
  const parsed = HostSpec.shape.name.safeParse(input.trim());
  if (!parsed.success) return {ok: false, error: parsed.error.issues[0]?.message ?? 'invalid name'};
  if (taken.includes(parsed.data)) return {ok: false, error: `"${parsed.data}" is already used by another host`};
  return {ok: true, value: parsed.data};
}

const welcome = async (p: Prompter): Promise<WelcomeChoice> =>
  p.select<WelcomeChoice>({
    id: 'welcome',
    message: 'A saved profile was found. What do you want to do?',
    choices: [
      {value: 'install', label: 'New install or change the unit', hint: 'walk through every screen with the saved answers as defaults'},
      {value: 'add', label: 'Add engine extensions or auth plugins', hint: 'to a unit this tool installed'},
      {value: 'report', label: 'Print the environment confirmation report', hint: 'check the installed unit'},
    ],
  });

const patternScreen: Screen = async (p, draft, given) => {
  const choices = patternPresets().map(preset => ({value: preset.id, label: preset.title, hint: `${preset.summary} Needs: ${preset.needs}.`}));
  const pattern = await p.select<Pattern>({id: 'pattern', message: 'Which kind of unit?', choices, initial: draft.pattern as Pattern | undefined});
  if (pattern !== draft.pattern) {
    // A new pattern brings its own layout and defaults. On top: what the operator gave that holds
    // for any layout (--bundle, versionSet, memory, ...), then the answers of the screens so far.
    const portable = structuredClone(Object.fromEntries(Object.entries(given).filter(([key]) => !LAYOUT_KEYS.has(key))));
    const kept = mergeAnswers(presetAnswers(pattern), portable, {unit: draft.unit, https: draft.https, unitCertificate: draft.unitCertificate});
    for (const key of Object.keys(draft)) delete draft[key];
    Object.assign(draft, kept, {pattern});
    if (pattern !== 'try-it') (draft.unit as Record<string, unknown>).cellUrlMode ??= 'per-cell';
  }
};

async function askSsh(p: Prompter, host: Record<string, unknown>, label: string): Promise<void> {
  host.address = await p.text({
    id: `${label}.address`,
    message: `${label}: address (IP, DNS name or ~/.ssh/config alias)`,
    initial: (host.address as string) || undefined,
    validate: input => asResult(checkAddress(input)),
  });
  host.port = await p.text({id: `${label}.port`, message: `${label}: SSH port`, initial: String(host.port ?? 22), validate: checkPort});
  host.user = await p.text({
    id: `${label}.user`,
    message: `${label}: SSH user`,
    initial: (host.user as string) ?? 'root',
    validate: input => (/^[a-z_][a-z0-9_-]{0,31}$/.test(input.trim()) ? {ok: true, value: input.trim()} : {ok: false, error: 'a user name is lowercase letters, digits, _ or -'}),
  });
  const current = (host.auth as {method?: string; keyFile?: string} | undefined) ?? {};
  const method = await p.select<'agent' | 'key' | 'password'>({
    id: `${label}.auth`,
    message: `${label}: how to log in`,
    initial: (current.method as 'agent' | 'key' | 'password' | undefined) ?? 'agent',
    choices: [
      {value: 'agent', label: 'ssh-agent', hint: 'keys already loaded with ssh-add (SSH_AUTH_SOCK)'},
      {value: 'key', label: 'Key file', hint: 'a private key file; a passphrase is asked once, without echo'},
      {value: 'password', label: 'Password', hint: 'asked when connecting, without echo; never saved'},
    ],
  });
  if (method === 'key') {
    const keyFile = await p.text({
      id: `${label}.keyFile`,
      message: `${label}: private key file`,
      initial: current.keyFile ?? '~/.ssh/id_ed25519',
      validate: checkExistingFile,
    });
    host.auth = {method, keyFile};
  } else {
    host.auth = method === 'password' ? {method, password: 'prompt'} : {method};
  }
}

async function askRoles(p: Prompter, host: Record<string, unknown>): Promise<void> {
  const roles = await p.multiSelect<Role>({
    id: `${String(host.name)}.roles`,
    message: `${String(host.name)}: roles (space toggles, Enter accepts)`,
    choices: ROLES.map(role => ({value: role, label: role, hint: ROLE_HINT[role]})),
    initial: (host.roles as Role[] | undefined) ?? [],
  });
  host.roles = roles;
}

const ROLE_HINT: Record<Role, string> = {
  web: 'nginx reverse proxy, the only public server (443, 80)',
  ap: 'Tomcat with personium-core and personium-engine (18888)',
  es: 'Elasticsearch (9200, 9300)',
  mq: 'ActiveMQ (61616)',
  nfs: 'shared storage and memcached (2049, 11211, 11212)',
};

const hostsScreen: Screen = async (p, draft) => {
  const hosts = (draft.hosts ??= []);
  if (draft.pattern === 'try-it') {
    p.note('try-it installs every role on this machine (localhost): there is nothing to ask about servers.');
    return;
  }
  if (draft.pattern === 'small') {
    const host = (hosts[0] ??= {name: 'server1', roles: [...ROLES]});
    await askSsh(p, host, String(host.name));
    await askSudo(p, host);
    return;
  }
  for (const host of hosts) {
    await askSsh(p, host, String(host.name));
    await askSudo(p, host);
  }
  for (;;) {
    const layout = checkLayout(draft);
    p.note(`Layout: ${hosts.map(h => `${String(h.name)} [${(h.roles as string[]).join(', ')}]`).join('  ')}`, layout ? 'warning' : 'info');
    if (layout) p.note(layout, 'error');
    const action = await p.select<'continue' | 'add' | 'remove' | 'roles'>({
      id: 'hosts.action',
      message: layout ? 'Fix the layout' : 'Servers',
      choices: [
        ...(layout ? [] : [{value: 'continue' as const, label: 'Continue', hint: 'the layout is complete'}]),
        {value: 'roles', label: 'Change the roles of a server'},
        {value: 'add', label: 'Add a server'},
        ...(hosts.length > 1 ? [{value: 'remove' as const, label: 'Remove a server'}] : []),
      ],
    });
    if (action === 'continue') break;
    if (action === 'add') {
      const name = await p.text({
        id: 'hosts.new.name',
        message: 'Name of the new server',
        placeholder: `server${hosts.length + 1}`,
        validate: input => checkHostName(input, hosts.map(h => String(h.name))),
      });
      const host: Record<string, unknown> = {name, roles: []};
      await askSsh(p, host, name);
      await askSudo(p, host);
      await askRoles(p, host);
      hosts.push(host);
    } else {
      const name = await p.select<string>({
        id: `hosts.${action}`,
        message: action === 'remove' ? 'Remove which server?' : 'Change which server?',
        choices: hosts.map(h => ({value: String(h.name), label: `${String(h.name)} (${String(h.address ?? '')})`})),
      });
      const index = hosts.findIndex(h => h.name === name);
      if (action === 'remove') hosts.splice(index, 1);
      else await askRoles(p, hosts[index]!);
    }
  }
  const useBastion = await p.confirm({id: 'bastion', message: 'Connect through a bastion (jump host)?', initial: draft.bastion !== undefined});
  if (useBastion) {
    const bastion = (draft.bastion as Record<string, unknown> | undefined) ?? {};
    await askSsh(p, bastion, 'bastion');
    draft.bastion = bastion;
  } else {
    delete draft.bastion;
  }
};

async function askSudo(p: Prompter, host: Record<string, unknown>): Promise<void> {
  if (host.user === 'root') {
    host.sudo = 'root';
    return;
  }
  host.sudo = await p.select({
    id: `${String(host.name)}.sudo`,
    message: `${String(host.name)}: how does ${String(host.user)} become root?`,
    initial: (host.sudo as 'auto' | undefined) ?? 'auto',
    choices: [
      {value: 'auto', label: 'Detect', hint: 'passwordless sudo if it works, else ask for the sudo password once'},
      {value: 'nopasswd', label: 'sudo without a password', hint: 'NOPASSWD in sudoers'},
      {value: 'password', label: 'sudo with a password', hint: 'asked once without echo, passed on stdin, never saved'},
    ],
  });
}

/** The first role-layout problem for medium-large, or undefined when the layout is complete. */
export function checkLayout(draft: Answers): string | undefined {
  const hosts = (draft.hosts as Array<{roles?: Role[]}> | undefined) ?? [];
  if (hosts.length < 3) return `medium-large needs three or more servers (now ${hosts.length})`;
  for (const role of ROLES) {
    const n = hosts.filter(h => h.roles?.includes(role)).length;
    if (n === 0) return `no server has the ${role} role`;
    if (n > 1 && role !== 'ap' && role !== 'es') return `the ${role} role is on ${n} servers; it must be on exactly one`;
  }
  return undefined;
}

const dnsScreen: Screen = async (p, draft) => {
  const unit = (draft.unit ??= {});
  unit.fqdn = await p.text({
    id: 'unit.fqdn',
    message: 'Unit FQDN (the DNS name of the unit)',
    initial: unit.fqdn as string | undefined,
    placeholder: 'personium.example.com',
    validate: input => asResult(cleanFqdn(input)),
  });
  unit.cellUrlMode = await p.select({
    id: 'unit.cellUrlMode',
    message: 'Cell URLs',
    initial: (unit.cellUrlMode as (typeof CELL_URL_MODES)[number] | undefined) ?? 'per-cell',
    choices: [
      {value: 'per-cell', label: `Per cell: https://cell.${String(unit.fqdn)}/`, hint: 'recommended; needs a wildcard DNS record and a *.FQDN certificate'},
      {value: 'path-based', label: `Path based: https://${String(unit.fqdn)}/cell/`, hint: 'one DNS name; cells share one origin (less isolation)'},
    ],
  });
  if (draft.pattern !== 'try-it') {
    const web = draft.hosts?.find(h => (h.roles as Role[] | undefined)?.includes('web'));
    const publicAddress = await p.text<string | undefined>({
      id: 'unit.publicAddress',
      message: 'Public address of the web server (what the FQDN resolves to)',
      initial: (unit.publicAddress as string | undefined) ?? (web?.address as string | undefined),
      validate: optional(checkAddress),
    });
    if (publicAddress) unit.publicAddress = publicAddress;
    else delete unit.publicAddress;
    const target = publicAddress ?? '<web server address>';
    const records = [`${String(unit.fqdn)} A ${target}`];
    if (unit.cellUrlMode === 'per-cell') records.push(`*.${String(unit.fqdn)} A ${target}`);
    p.note(`DNS records that must exist before installing: ${records.join('; ')}`);
  } else {
    p.note(`try-it adds ${String(unit.fqdn)} to this machine's /etc/hosts (in a marked block).`);
  }
};

const httpsScreen: Screen = async (p, draft) => {
  const perCell = draft.unit?.cellUrlMode === 'per-cell';
  const names = perCell ? `${String(draft.unit?.fqdn)} and *.${String(draft.unit?.fqdn)}` : String(draft.unit?.fqdn);
  const current = (draft.https ??= {mode: 'self-signed'});
  const mode = await p.select<'self-signed' | 'provided' | 'letsencrypt'>({
    id: 'https.mode',
    message: `Server certificate for ${names}`,
    initial: current.mode as 'self-signed' | undefined,
    choices: [
      {value: 'self-signed', label: 'Self-signed', hint: 'made by the tool; browsers warn; fine for trials and closed networks'},
      {value: 'provided', label: 'I have a certificate', hint: `PEM certificate and key (and chain) covering ${names}`},
      ...(draft.pattern === 'try-it'
        ? []
        : [
            {
              value: 'letsencrypt' as const,
              label: "Let's Encrypt",
              hint: perCell ? 'dns-01: you create TXT records in your DNS provider console' : 'http-01: port 80 must be open to the internet',
            },
          ]),
    ],
  });
  if (mode === 'provided') {
    // The files are checked as soon as they are named; a problem reopens the three questions.
    for (let given = current; ; ) {
      const certFile = await p.text({id: 'https.certFile', message: 'Certificate file (PEM)', initial: given.certFile as string | undefined, validate: checkExistingFile});
      const keyFile = await p.text({id: 'https.keyFile', message: 'Private key file (PEM)', initial: given.keyFile as string | undefined, validate: checkExistingFile});
      const chainFile = await p.text<string | undefined>({
        id: 'https.chainFile',
        message: 'Chain file (PEM; empty when the certificate file holds the chain)',
        initial: given.chainFile as string | undefined,
        validate: input => (input.trim() === '' ? {ok: true, value: undefined} : checkExistingFile(input)),
      });
      given = {mode, certFile, keyFile, ...(chainFile ? {chainFile} : {})};
      const report = await checkServerFiles({https: given, unit: draft.unit} as unknown as Profile);
      if (showReport(p, report)) {
        draft.https = given;
        if (report.serverCovers) p.note(`The certificate covers: ${report.serverCovers.join(', ')}`, 'success');
        break;
      }
    }
  } else if (mode === 'letsencrypt') {
    const email = await p.text({
      id: 'https.email',
      message: "E-mail for Let's Encrypt expiry notices",
      initial: current.email as string | undefined,
      validate: input => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.trim()) ? {ok: true, value: input.trim()} : {ok: false, error: 'an e-mail address such as ops@example.com'}),
    });
    draft.https = {mode, email};
  } else {
    draft.https = {mode};
  }

  const unitCurrent = (draft.unitCertificate ??= {mode: 'self-signed'});
  const unitMode = await p.select<'self-signed' | 'provided'>({
    id: 'unitCertificate.mode',
    message: `Unit certificate (signs tokens; CN must be ${String(draft.unit?.fqdn)})`,
    initial: unitCurrent.mode as 'self-signed' | undefined,
    choices: [
      {value: 'self-signed', label: 'Self-signed', hint: 'made by the tool; other units will not trust it unless they add it'},
      {value: 'provided', label: 'I have one', hint: 'PEM certificate with CN = FQDN and its RSA key (PKCS#8 is converted)'},
    ],
  });
  if (unitMode === 'provided') {
    for (let given = unitCurrent; ; ) {
      const certFile = await p.text({id: 'unitCertificate.certFile', message: 'Unit certificate file (PEM)', initial: given.certFile as string | undefined, validate: checkExistingFile});
      const keyFile = await p.text({id: 'unitCertificate.keyFile', message: 'Unit private key file (PEM)', initial: given.keyFile as string | undefined, validate: checkExistingFile});
      given = {mode: unitMode, certFile, keyFile, trustedRoots: unitCurrent.trustedRoots ?? []};
      const report = await checkUnitFiles({unitCertificate: given, unit: draft.unit} as unknown as Profile);
      if (showReport(p, report)) {
        draft.unitCertificate = given;
        break;
      }
    }
  } else {
    draft.unitCertificate = {mode: unitMode};
  }
};

/** Notes every problem; true when none is an error. */
function showReport(p: Prompter, report: CertificateReport): boolean {
  for (const warning of report.warnings) p.note(warning, 'warning');
  for (const error of report.errors) p.note(error.message, 'error');
  return report.errors.length === 0;
}

const EXTENSION_HINT: Record<ExtensionName, string> = {
  httpclient: 'HTTP requests from engine scripts',
  mailsender: 'send e-mail from engine scripts (needs an SMTP server)',
  'slack-messenger': 'post to Slack from engine scripts',
  'ew-services': 'Exchange Web Services client',
};

const extensionsScreen: Screen = async (p, draft) => {
  const current = (draft.extensions ??= {});
  const chosen = await p.multiSelect<ExtensionName>({
    id: 'extensions',
    message: 'Engine extensions to install',
    choices: EXTENSION_NAMES.map(name => ({value: name, label: name, hint: EXTENSION_HINT[name]})),
    initial: EXTENSION_NAMES.filter(name => name in current),
  });
  const next: Record<string, unknown> = {};
  for (const name of chosen) next[name] = current[name] ?? {};
  if (chosen.includes('mailsender')) {
    const mail = next.mailsender as Record<string, unknown>;
    mail.smtpHost = await p.text({id: 'mailsender.smtpHost', message: 'mailsender: SMTP server', initial: (mail.smtpHost as string) ?? 'localhost', validate: input => asResult(checkAddress(input))});
    mail.smtpPort = await p.text({id: 'mailsender.smtpPort', message: 'mailsender: SMTP port', initial: String(mail.smtpPort ?? 25), validate: checkPort});
  }
  draft.extensions = next;

  const plugins = (draft.authPlugins ??= {});
  const oidc = (plugins.oidc ??= []);
  if (oidc.length > 0) p.note(`OIDC providers: ${oidc.map(o => String(o.name)).join(', ')}`);
  while (await p.confirm({id: 'oidc.add', message: 'Add an OpenID Connect login provider?', initial: false})) {
    const name = await p.text({id: 'oidc.name', message: 'Provider name (used in property keys)', placeholder: 'google', validate: input => checkHostName(input, oidc.map(o => String(o.name)))});
    const configURL = await p.text({
      id: 'oidc.configURL',
      message: 'Discovery URL (…/.well-known/openid-configuration)',
      validate: input => (/^https:\/\/\S+$/.test(input.trim()) ? {ok: true, value: input.trim()} : {ok: false, error: 'an https:// URL'}),
    });
    const ids = await p.text({
      id: 'oidc.trustedClientIds',
      message: 'Trusted client ids (space separated; * trusts all)',
      validate: input => (input.trim() === '' ? {ok: false, error: 'at least one client id'} : {ok: true, value: input.trim().split(/\s+/)}),
    });
    oidc.push({name, configURL, trustedClientIds: ids});
  }
};

/** Screens in order; Esc on the first question of one goes back to the previous one. */
const SCREENS: Screen[] = [patternScreen, hostsScreen, dnsScreen, httpsScreen, extensionsScreen];

export async function runWizard(p: Prompter, options: WizardOptions): Promise<WizardResult> {
  if (options.savedProfile) {
    const choice = await welcome(p);
    if (choice !== 'install') return {choice, confirmed: false};
  }
  const draft: Draft = structuredClone(options.initial) as Draft;
  if (typeof draft.pattern === 'string' && (PATTERNS as readonly string[]).includes(draft.pattern)) {
    Object.assign(draft, mergeAnswers(presetAnswers(draft.pattern as Pattern), draft));
  }
  let index = 0;
  let lastProblems = '';
  // Screens that asked something, so Esc skips screens that had nothing to ask (try-it's hosts).
  const visited: number[] = [];
  const counting = countingPrompter(p);
  for (;;) {
    while (index < SCREENS.length) {
      const before = counting.asked();
      try {
        await SCREENS[index]!(counting, draft, options.initial);
        if (counting.asked() > before && visited.at(-1) !== index) visited.push(index);
        index++;
      } catch (error) {
        if (!(error instanceof GoBack)) throw error;
        if (visited.at(-1) === index) visited.pop();
        index = visited.pop() ?? 0;
      }
    }
    let validated: Validated;
    try {
      validated = validateAnswers(draft, 'wizard');
    } catch (error) {
      if (!(error instanceof AnswersError)) throw error;
      // A problem the screens cannot fix (e.g. in an advanced answers-file section) ends the wizard.
      const signature = JSON.stringify(error.problems);
      if (signature === lastProblems) throw error;
      lastProblems = signature;
      for (const problem of error.problems) p.note(`${problem.key}: ${problem.message}`, 'error');
      index = screenFor(error.problems[0]?.key ?? '');
      continue;
    }
    for (const warning of validated.warnings) p.note(warning, 'warning');
    const plan = withCertificateFacts(buildPlan(validated.profile), await checkProfileCertificates(validated.profile));
    (options.showPlan ?? (() => p.note('Plan ready.')))(plan);
    try {
      const confirmed = await p.confirm({id: 'confirm', message: 'Save this profile and go on?', initial: true});
      return {choice: 'install', validated, plan, confirmed};
    } catch (error) {
      if (!(error instanceof GoBack)) throw error;
      index = visited.pop() ?? SCREENS.length - 1;
    }
  }
}

function countingPrompter(p: Prompter): Prompter & {asked: () => number} {
  let n = 0;
  const count = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => {
    n++;
    return fn(...args);
  };
  return {
    select: count(p.select.bind(p)) as Prompter['select'],
    multiSelect: count(p.multiSelect.bind(p)) as Prompter['multiSelect'],
    text: count(p.text.bind(p)) as Prompter['text'],
    secret: count(p.secret.bind(p)),
    confirm: count(p.confirm.bind(p)),
    reveal: p.reveal.bind(p),
    note: p.note.bind(p),
    asked: () => n,
  };
}

/** Which screen to reopen for a problem at this answers-file key. */
function screenFor(key: string): number {
  if (key.startsWith('pattern')) return 0;
  if (key.startsWith('hosts') || key.startsWith('bastion')) return 1;
  if (key.startsWith('unit.')) return 2;
  if (key.startsWith('https') || key.startsWith('unitCertificate')) return 3;
  return 4;
}
