// personium-setup from the sources (node with the tsx loader, one process, so a kill really ends
// the run), without a terminal, as the end-to-end tests drive it.
import {spawn, type ChildProcess} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with `env` only; `onLine` sees stdout lines as they come. Logs the whole output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string, child: ChildProcess) => void): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'source/cli.tsx'), ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Date.now() - started;
      console.log(`$ personium-setup ${args.join(' ')}   (${(ms / 1000).toFixed(1)} s, exit ${code ?? signal})\n${stdout}${stderr}`);
      resolve({code, signal, stdout, stderr, ms});
    });
  });
}

/** The step lines of a run's output: `[server1] ok      Title (0.1 s)`. */
export const stepLines = (out: string) => out.split('\n').filter(l => /^\[[^\]]+\] (ok|changed|failed|skipped) /.test(l));
