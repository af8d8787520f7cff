// Java .properties files, written and read the way java.util.Properties does.
// Output is plain ASCII: every character outside printable ASCII becomes \uXXXX (UTF-16 code
// units, as Properties.store writes them), so the file reads the same as ISO-8859-1 (what
// Properties.load(InputStream) assumes) and as UTF-8.

export type PropertiesLine =
  | {key: string; value: string; comment?: string}
  | {comment: string}
  | {blank: true};

function escapeCodeUnits(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${ch}`;
        continue;
      case ' ':
        // In a key every space ends the key unless escaped; in a value only leading ones are lost.
        out += isKey || i === 0 ? '\\ ' : ' ';
        continue;
    }
    out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
  }
  return out;
}

/** Escape a value (or, with `key: true`, a key) for a .properties file. */
export function escapeProperties(text: string, options: {key?: boolean} = {}): string {
  return escapeCodeUnits(text, options.key === true);
}

/** A comment line (or lines): `# ` prefix on each, non-ASCII escaped so the file stays ASCII. */
function renderComment(comment: string): string {
  return comment
    .split(/\r\n|\r|\n/)
    .map(line => {
      const ascii = [...line]
        .map(c => {
          const code = c.charCodeAt(0);
          if (c.length === 1 && code >= 0x20 && code <= 0x7e) return c;
          return [...Array(c.length).keys()].map(k => `\\u${c.charCodeAt(k).toString(16).toUpperCase().padStart(4, '0')}`).join('');
        })
        .join('');
      return ascii === '' ? '#' : `# ${ascii}`;
    })
    .join('\n');
}

/** Render lines to the text of a .properties file (LF line ends, trailing newline). */
export function renderProperties(lines: readonly PropertiesLine[]): string {
  const out: string[] = [];
  for (const line of lines) {
    if ('blank' in line) {
      out.push('');
    } else if ('key' in line) {
      if (line.comment !== undefined) out.push(renderComment(line.comment));
      out.push(`${escapeProperties(line.key, {key: true})}=${escapeProperties(line.value)}`);
    } else {
      out.push(renderComment(line.comment));
    }
  }
  return `${out.join('\n')}\n`;
}

const WHITESPACE = new Set([' ', '\t', '\f']);

/**
 * Parse .properties text as java.util.Properties.load does: comments (# or !), continuation
 * lines, key terminators (=, : or whitespace), escapes (\t \n \r \f \uXXXX, and \x for any
 * other x). Later duplicates win. Throws on a malformed \u escape, as Java does.
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const physical = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < physical.length; index++) {
    let line = stripLeading(physical[index]!);
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // Join continuation lines: an odd number of trailing backslashes continues the line.
    while (endsWithContinuation(line) && index + 1 < physical.length) {
      line = line.slice(0, -1) + stripLeading(physical[++index]!);
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    const {key, rest} = splitKey(line);
    result.set(unescape(key), unescape(rest));
  }
  return result;
}

function stripLeading(line: string): string {
  let i = 0;
  while (i < line.length && WHITESPACE.has(line[i]!)) i++;
  return line.slice(i);
}

function endsWithContinuation(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

function splitKey(line: string): {key: string; rest: string} {
  let i = 0;
  let hasSeparator = false;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '=' || ch === ':') {
      hasSeparator = true;
      break;
    }
    if (WHITESPACE.has(ch)) break;
    i++;
  }
  const key = line.slice(0, Math.min(i, line.length));
  let j = i;
  if (hasSeparator) {
    j++;
  } else {
    while (j < line.length && WHITESPACE.has(line[j]!)) j++;
    if (j < line.length && (line[j] === '=' || line[j] === ':')) j++;
  }
  while (j < line.length && WHITESPACE.has(line[j]!)) j++;
  return {key, rest: line.slice(j)};
}

function unescape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error(`malformed \\uxxxx escape: \\u${hex}`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}
