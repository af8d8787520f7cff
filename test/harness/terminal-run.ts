// personium-setup in a real pseudo-terminal (util-linux `script` gives it one, at a set size),
// driven key by key as an operator would, its output read back the way a terminal shows it.
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {join} from 'node:path';
import {shellQuote} from '../../source/hosts/quote.js';
import {screenOf, stripAnsi} from '../ui/helpers.js';
import {ROOT} from './cli-run.js';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export class TerminalRun {
  private raw = '';
  /** Where in the plain text the last awaited prompt was found: later waits look after it. */
  private mark = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, readonly size: TerminalSize = {columns: 120, rows: 40}) {
    const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'source/cli.tsx'), ...args].map(shellQuote).join(' ');
    const command = `stty cols ${size.columns} rows ${size.rows}; exec ${cli}`;
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {cwd: ROOT, env: {...env, TERM: 'xterm-256color'}});
    this.child.stdout.on('data', (chunk: Buffer) => (this.raw += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.raw += chunk.toString()));
    this.exited = new Promise(resolve => this.child.on('close', code => resolve(code)));
  }

  /** Everything written so far, escape codes removed (every frame Ink drew, one after another). */
  text(): string {
    return stripAnsi(this.raw);
  }

  /** Waits until `what` is drawn after the last thing waited for; returns the text from there on. */
  async waitFor(what: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const started = Date.now();
    for (;;) {
      const rest = this.text().slice(this.mark);
      const found = typeof what === 'string' ? rest.indexOf(what) : rest.search(what);
      if (found !== -1) {
        this.mark += found + 1;
        return rest.slice(found);
      }
      if (this.child.exitCode !== null) throw new Error(`the program ended (exit ${this.child.exitCode}) before showing ${String(what)}:\n${this.text().slice(-3000)}`);
      if (Date.now() - started > timeoutMs) throw new Error(`${String(what)} not shown within ${timeoutMs} ms:\n${this.text().slice(-3000)}`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }

  /** Keys as typed, in one piece; waits until the program has drawn something in answer. */
  async keys(data: string, timeoutMs = 10_000): Promise<void> {
    const before = this.raw.length;
    this.child.stdin.write(data);
    const started = Date.now();
    while (this.raw.length === before) {
      if (Date.now() - started > timeoutMs) throw new Error(`nothing drawn after ${JSON.stringify(data)}:\n${this.text().slice(-2000)}`);
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    // Ink takes a key in the input handler of the frame before; let the new frame's handler settle.
    await new Promise(resolve => setTimeout(resolve, 30));
  }

  /** Answers questions in order: waits for each prompt, then types its keys one piece at a time. */
  async answer(script: Array<[prompt: string, ...keys: string[]]>, timeoutMs?: number): Promise<void> {
    for (const [prompt, ...keys] of script) {
      await this.waitFor(prompt, timeoutMs);
      for (const key of keys) await this.keys(key);
    }
  }

  /** The terminal's scrollback and screen as the operator would see them now. */
  screen(): Promise<string[]> {
    return screenOf(this.raw, this.size.columns, this.size.rows);
  }

  /** Ends the program if it still runs (a failed test). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
