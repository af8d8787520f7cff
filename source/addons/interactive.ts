// The interactive way to `add`: the engine extensions as a multi-select with what the AP hosts
// already have pre-selected (and what the profile lists), the SMTP host asked when mailsender is
// chosen without one, a confirmation, then the same run as the command line's.
import {applyAddFlags, type AddRequest} from '../cli/add.js';
import type {Answers} from '../profile/answers.js';
import type {Prompter} from '../profile/prompter.js';
import {EXTENSION_NAMES, type ExtensionName} from '../profile/schema.js';
import type {VersionMatrix} from '../presets.js';

const HINTS: Record<ExtensionName, string> = {
  httpclient: 'HTTP calls from engine scripts (_p.extension.HttpClient)',
  mailsender: 'mail from engine scripts (_p.extension.MailSender); needs an SMTP server',
  'slack-messenger': 'Slack messages from engine scripts (_p.extension.Slack)',
  'ew-services': 'Exchange Web Services client (_p.extension.Ews)',
};

const HOST = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\d{1,3}(\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/;

/** Ask which extensions to have; returns the request (flags as if typed), or undefined when nothing changes. */
export async function askAddons(prompter: Prompter, base: Answers, installed: ReadonlySet<string>, matrix: VersionMatrix): Promise<AddRequest | undefined> {
  const profileExtensions = Object.keys((base.extensions as Record<string, unknown> | undefined) ?? {});
  const current = EXTENSION_NAMES.filter(name => installed.has(name) || profileExtensions.includes(name));
  const chosen = await prompter.multiSelect<ExtensionName>({
    id: 'add.extensions',
    message: 'Engine extensions on the unit (installed ones are selected; unselect one to remove it)',
    choices: EXTENSION_NAMES.map(name => ({value: name, label: `${name} ${matrix.extensions[name].version}${installed.has(name) ? ' (installed)' : ''}`, hint: HINTS[name]})),
    initial: current,
  });
  // Into the profile: chosen ones it does not list yet (also those found installed but not listed).
  const add = chosen.filter(name => !profileExtensions.includes(name));
  const remove = current.filter(name => !chosen.includes(name));
  const set: string[] = [];
  const mail = (base.extensions as Record<string, Record<string, unknown>> | undefined)?.mailsender;
  if (chosen.includes('mailsender') && !mail?.smtpHost) {
    const host = await prompter.text<string>({
      id: 'add.mailsender.smtpHost',
      message: 'SMTP server for mailsender (host name or address)',
      placeholder: 'mail.example.com',
      validate: input => (HOST.test(input.trim()) ? {ok: true, value: input.trim()} : {ok: false, error: 'a host name or an IP address'}),
    });
    const port = await prompter.text<number>({
      id: 'add.mailsender.smtpPort',
      message: 'Its port',
      initial: '25',
      validate: input => {
        const n = Number(input.trim());
        return Number.isInteger(n) && n >= 1 && n <= 65535 ? {ok: true, value: n} : {ok: false, error: 'a port from 1 to 65535'};
      },
    });
    set.push(`mailsender.smtpHost=${host}`, `mailsender.smtpPort=${port}`);
  }
  if (add.length === 0 && remove.length === 0 && set.length === 0) return undefined;
  const summary = [...add.map(n => `add ${n}`), ...remove.map(n => `remove ${n}`), ...(set.length > 0 && !add.includes('mailsender') ? ['set the SMTP server of mailsender'] : [])].join(', ');
  const go = await prompter.confirm({id: 'add.confirm', message: `${summary}: apply on the unit's AP servers now (Tomcat restarts once)?`, initial: true});
  if (!go) return undefined;
  return applyAddFlags(base, {extension: add, remove, set});
}
