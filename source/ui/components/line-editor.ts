// The editing keys shared by the text and secret prompts: typing (and pasting), backspace,
// ←/→, Home/End. Pure, so a prompt's reducer stays a plain function of its state.
import type {Key} from 'ink';

export interface Line {
  value: string;
  /** Index in `value` where typing goes (0 = before the first character). */
  cursor: number;
}

/** Control characters never become part of an answer (a pasted newline included). */
function printable(input: string): string {
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, '');
}

/** The line after one key, or undefined when the key is not an editing key. */
export function editLine(line: Line, input: string, key: Key): Line | undefined {
  const {value, cursor} = line;
  // Ink 6 reports the usual Backspace key (0x7f) as `delete`; both erase backwards.
  if (key.backspace || key.delete) {
    if (cursor === 0) return line;
    return {value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1};
  }
  if (key.leftArrow) return {value, cursor: Math.max(0, cursor - 1)};
  if (key.rightArrow) return {value, cursor: Math.min(value.length, cursor + 1)};
  if (key.home || (key.ctrl && input === 'a')) return {value, cursor: 0};
  if (key.end || (key.ctrl && input === 'e')) return {value, cursor: value.length};
  if (key.ctrl && input === 'u') return {value: value.slice(cursor), cursor: 0};
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.return) return undefined;
  const text = printable(input);
  if (text === '') return undefined;
  return {value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length};
}

/**
 * Text and then Enter in one chunk (a paste that ends in a newline, or keys that arrived together
 * over a slow link): the text before the first newline, to be typed and then submitted. What
 * follows that newline is dropped: every answer is one line.
 */
export function textBeforeEnter(input: string): string | undefined {
  if (input.length < 2) return undefined;
  const at = input.search(/[\r\n]/);
  return at === -1 ? undefined : input.slice(0, at);
}
