// Every remote command is built from values through these helpers, never by pasting strings:
// a host name, a path or a password with a quote, `$()` or a newline must stay one plain argument.

/** POSIX single-quote quoting: 'it'\''s'. Safe for any byte sequence, newlines included. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  // Plain words need no quotes; keeps logs and error messages readable.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A piece of shell text that is already safe (built by `sh` or `command`), inserted as is. */
export class ShellFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks trusted, constant shell text (operators, redirections) for `sh` or `command`. */
export function raw(text: string): ShellFragment {
  return new ShellFragment(text);
}

export type ShellValue = string | number | ShellFragment | readonly (string | number | ShellFragment)[];

function quoteValue(value: ShellValue): string {
  if (value instanceof ShellFragment) return value.text;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return shellQuote(value);
  return value.map(quoteValue).join(' ');
}

/** Join arguments into one command line, each quoted: command(['mkdir', '-p', dir]). */
export function command(parts: readonly ShellValue[]): string {
  return parts.map(quoteValue).join(' ');
}

/**
 * Tagged template: the literal text is shell syntax, every ${value} is one quoted argument
 * (arrays become several). sh`install -m 0644 ${tmp} ${target} && rm -f ${tmp}`
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += quoteValue(value) + (strings[i + 1] ?? '');
  });
  return out;
}
