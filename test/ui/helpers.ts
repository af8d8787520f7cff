// Deterministic driving of Ink prompts: tick after render, one key per write, wait for the
// frame to change, one more tick (Ink 6 re-subscribes input handlers in an effect), poll, never sleep.
import {EventEmitter} from 'node:events';
import xterm from '@xterm/headless';
import type {render} from 'ink-testing-library';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  left: '\u001B[D',
  right: '\u001B[C',
  enter: '\r',
  escape: '\u001B',
  ctrlC: '\u0003',
  backspace: '\u007F',
  space: ' ',
} as const;

/** Lets React 19's scheduler and passive effects run. */
export const tick = () => new Promise<void>(resolve => setImmediate(() => setTimeout(resolve, 0)));

export async function until(predicate: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error('until: timed out');
    await tick();
  }
}

type Rendered = ReturnType<typeof render>;

/** One key, then wait until the frame has changed and effects have run. */
export async function press(r: Rendered, key: string): Promise<void> {
  const before = r.lastFrame();
  r.stdin.write(key);
  await until(() => r.lastFrame() !== before);
  await tick();
}

/** One key whose effect does not show on screen (secret input): write, then let it settle. */
export async function pressBlind(r: {stdin: {write: (data: string) => void}}, key: string): Promise<void> {
  r.stdin.write(key);
  await tick();
}

/** Types text one character per write. */
export async function type(r: Rendered, text: string): Promise<void> {
  for (const ch of text) await press(r, ch);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B[@-Z\\-_]/g;
export const stripAnsi = (text: string) => text.replace(ANSI, '');

/** A terminal stdin for Ink: isTTY, raw mode recorded, data read through `read()` as Ink does. */
export class FakeStdin extends EventEmitter {
  isTTY: boolean | undefined = true;
  isRaw = false;
  private pending: string[] = [];
  write(data: string): void {
    this.pending.push(data);
    this.emit('readable');
  }
  read(): string | null {
    return this.pending.shift() ?? null;
  }
  setEncoding(): this {
    return this;
  }
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** A terminal stdout 100 columns wide that records everything written to it. */
export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 100;
  readonly rows = 40;
  readonly chunks: string[] = [];
  write(chunk: string, callback?: () => void): boolean {
    this.chunks.push(String(chunk));
    callback?.();
    return true;
  }
  /** Everything written so far, without escape codes. */
  text(): string {
    return stripAnsi(this.chunks.join(''));
  }
}

/** The fakes typed as the streams Ink and the prompter take. */
export function fakeTerminal() {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const stderr = new FakeStdout();
  return {
    stdin,
    stdout,
    stderr,
    streams: {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
    },
  };
}

/**
 * What a real terminal (xterm.js, headless) holds after these writes: every row of its scrollback
 * and screen, trailing blanks trimmed, empty rows at the end dropped. What the operator would see
 * and could scroll back to, escape codes (erasing, cursor moves, wrapping) applied as a terminal does.
 */
export function screenOf(written: string, columns: number, rows = 40): Promise<string[]> {
  const terminal = new xterm.Terminal({cols: columns, rows, scrollback: 1000, convertEol: true, allowProposedApi: true});
  return new Promise(resolve => {
    terminal.write(written, () => {
      const buffer = terminal.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
      while (lines.length > 0 && lines.at(-1) === '') lines.pop();
      terminal.dispose();
      resolve(lines);
    });
  });
}
