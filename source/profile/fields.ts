// Field-level validators shared by the profile schema, the wizard and the flags.
// Each returns a cleaned value or a message a person understands.
import {isIP} from 'node:net';
import * as z from 'zod';

export type FieldResult<T> = {ok: true; value: T; notice?: string} | {ok: false; error: string};

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The unit FQDN: a lowercase DNS name with at least two labels.
 * A pasted URL (`https://x/`) is cleaned with a notice; an IP address is refused, because the
 * unit certificate's CN, the server certificate and per-cell URLs all need a DNS name.
 */
export function cleanFqdn(input: string): FieldResult<string> {
  let value = input.trim();
  const notices: string[] = [];
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (withScheme) {
    value = value.slice(withScheme[0].length);
    notices.push(`removed "${withScheme[0]}"`);
  }
  if (/[/?#]/.test(value)) {
    const cut = value.search(/[/?#]/);
    const rest = value.slice(cut);
    value = value.slice(0, cut);
    if (rest.replace(/\/+$/, '') !== '') {
      return {ok: false, error: `the unit FQDN is a host name only, without a path ("${rest}")`};
    }
    notices.push('removed the trailing slash');
  }
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (value !== value.toLowerCase()) {
    value = value.toLowerCase();
    notices.push('changed to lowercase');
  }
  if (value === '') return {ok: false, error: 'the unit FQDN is empty'};
  if (/:\d+$/.test(value)) {
    return {ok: false, error: 'the unit FQDN must not carry a port: Personium units are served on 443'};
  }
  if (isIP(value.replace(/^\[|\]$/g, ''))) {
    return {
      ok: false,
      error:
        'an IP address cannot be the unit FQDN: the unit certificate CN, the server certificate and cell URLs need a DNS name (for a local trial, use a name such as personium.test and an /etc/hosts entry)',
    };
  }
  if (value.length > 253) return {ok: false, error: 'the unit FQDN is longer than 253 characters'};
  const labels = value.split('.');
  if (labels.length < 2) {
    return {ok: false, error: `"${value}" has a single label; use a fully qualified name such as personium.example.com`};
  }
  const bad = labels.find(label => !LABEL.test(label));
  if (bad !== undefined) {
    return {
      ok: false,
      error: `"${bad}" is not a valid DNS label (letters, digits and inner hyphens, 1 to 63 characters)`,
    };
  }
  if (/^\d+$/.test(labels.at(-1) ?? '')) {
    return {ok: false, error: 'the last label of the unit FQDN cannot be all digits'};
  }
  return {ok: true, value, notice: notices.length > 0 ? `${notices.join(', ')}: ${value}` : undefined};
}

/** A host address: IPv4, IPv6, a DNS name or an ssh_config alias. */
export function checkAddress(input: string): FieldResult<string> {
  const value = input.trim();
  if (value === '') return {ok: false, error: 'the address is empty'};
  if (isIP(value)) return {ok: true, value};
  if (/^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/.test(value) && !value.includes('..')) {
    return {ok: true, value};
  }
  return {ok: false, error: `"${value}" is not an IP address, a host name or an ssh_config alias`};
}

/** Absolute, or starting with ~/ (expanded later); no NUL or newline. */
export function checkPath(input: string): FieldResult<string> {
  const value = input.trim();
  if (value === '') return {ok: false, error: 'the path is empty'};
  if (/[\0\n\r]/.test(value)) return {ok: false, error: 'the path contains a control character'};
  if (!value.startsWith('/') && !value.startsWith('~/')) {
    return {ok: false, error: `"${value}" must be an absolute path (or start with ~/)`};
  }
  return {ok: true, value};
}

/** Turn a FieldResult check into a zod string schema (used inside the profile schema). */
export function zCleaned(check: (input: string) => FieldResult<string>) {
  return z.string().transform((input, ctx) => {
    const result = check(input);
    if (!result.ok) {
      ctx.addIssue({code: 'custom', message: result.error});
      return z.NEVER;
    }
    return result.value;
  });
}

export const zFqdn = zCleaned(cleanFqdn);
export const zAddress = zCleaned(checkAddress);
export const zPath = zCleaned(checkPath);
export const zPort = z
  .number({error: 'a port is a whole number from 1 to 65535'})
  .int({error: 'a port is a whole number from 1 to 65535'})
  .min(1, {error: 'a port is a whole number from 1 to 65535'})
  .max(65535, {error: 'a port is a whole number from 1 to 65535'});

/** Linux user names as useradd accepts them. */
export const zUserName = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, {error: 'a user name is lowercase letters, digits, _ or -, starting with a letter or _'});

/** Names of things the tool refers to (hosts, OIDC providers): safe in files, properties and shells. */
export const zName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {error: 'use letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)'});

/** Personium cell names: 1-128 of [A-Za-z0-9_-], not starting with - or _. */
export const zCellName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, {error: 'a cell name is 1 to 128 letters, digits, "-" or "_", starting with a letter or digit'});

export const zHttpsUrl = z.url({protocol: /^https$/, error: 'expected an https:// URL'});
export const zHttpUrl = z.url({protocol: /^https?$/, error: 'expected an http:// or https:// URL'});
