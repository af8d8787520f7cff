// Ext_<JsClass>.properties for the engine extensions that take settings. The engine loads them
// from its extensions directory as ISO-8859-1 (the text here is plain ASCII with \u escapes).
// Secrets arrive as resolved strings from the caller.
import {PATHS} from '../../plan/paths.js';
import {renderProperties, type PropertiesLine} from './properties.js';

export interface MailSenderSettings {
  smtpHost: string;
  smtpPort: number;
  smtpUser?: string;
  smtpPassword?: string;
  tls?: 'none' | 'starttls' | 'tls';
}

export interface SlackSettings {
  token?: string;
  channel?: string;
  proxyHost?: string;
  proxyPort?: number;
}

export type ExtensionSettings = {name: 'mailsender'; settings: MailSenderSettings} | {name: 'slack-messenger'; settings: SlackSettings};

const JS_CLASS = {mailsender: 'MailSender', 'slack-messenger': 'Slack'} as const;

/** Where the file goes: next to the jars, named after the extension's JavaScript class. */
export function extensionPropertiesPath(name: keyof typeof JS_CLASS): string {
  return `${PATHS.extensionsDir}/Ext_${JS_CLASS[name]}.properties`;
}

/**
 * Settings the installed extension cannot use, for the caller to show as warnings.
 * personium-ex-mailsender 1.5.4 reads only smtp.host and smtp.port and builds its JavaMail
 * session from those two alone, so SMTP login and TLS are not possible with it.
 * personium-ex-slack-messenger 1.0.3 reads no properties file at all: scripts pass the token,
 * channel and proxy with Slack.setConfig(); the file is written for later versions and for
 * reference only.
 */
export function extensionWarnings(name: 'mailsender', settings: MailSenderSettings): string[];
export function extensionWarnings(name: 'slack-messenger', settings: SlackSettings): string[];
export function extensionWarnings(name: ExtensionSettings['name'], settings: MailSenderSettings | SlackSettings): string[] {
  const extension = {name, settings} as ExtensionSettings;
  const warnings: string[] = [];
  if (extension.name === 'mailsender') {
    const s = extension.settings;
    if (s.smtpUser !== undefined || s.smtpPassword !== undefined) {
      warnings.push('mailsender 1.5.4 cannot log in to an SMTP server (it reads only smtp.host and smtp.port); smtpUser/smtpPassword are not used');
    }
    if (s.tls !== undefined && s.tls !== 'none') {
      warnings.push(`mailsender 1.5.4 has no TLS setting; tls: ${s.tls} is not used (use a local relay that forwards with TLS)`);
    }
  } else if (Object.values(extension.settings).some(v => v !== undefined)) {
    warnings.push('slack-messenger 1.0.3 reads no settings file; scripts must call Slack.setConfig(token, channel, proxy)');
  }
  return warnings;
}

export function renderExtensionProperties(name: 'mailsender', settings: MailSenderSettings): string;
export function renderExtensionProperties(name: 'slack-messenger', settings: SlackSettings): string;
export function renderExtensionProperties(name: ExtensionSettings['name'], settings: MailSenderSettings | SlackSettings): string {
  const extension = {name, settings} as ExtensionSettings;
  const lines: PropertiesLine[] = [{comment: 'Managed by personium-setup. Edits are replaced on the next run.'}];
  if (extension.name === 'mailsender') {
    const s = extension.settings;
    const prefix = 'io.personium.engine.extension.MailSender.';
    lines.push({key: `${prefix}smtp.host`, value: s.smtpHost}, {key: `${prefix}smtp.port`, value: String(s.smtpPort)});
    const unused = extensionWarnings('mailsender', s);
    if (unused.length > 0) lines.push({blank: true}, {comment: `Not written (unsupported by this extension):\n${unused.join('\n')}`});
  } else {
    const s = extension.settings;
    const prefix = 'io.personium.engine.extension.Slack.';
    lines.push({comment: 'slack-messenger 1.0.3 does not read this file (scripts call Slack.setConfig); kept for later versions.'});
    if (s.token !== undefined) lines.push({key: `${prefix}apitoken`, value: s.token});
    if (s.channel !== undefined) lines.push({key: `${prefix}channel`, value: s.channel});
    if (s.proxyHost !== undefined) lines.push({key: `${prefix}proxy.host`, value: s.proxyHost});
    if (s.proxyPort !== undefined) lines.push({key: `${prefix}proxy.port`, value: String(s.proxyPort)});
  }
  return renderProperties(lines);
}
