// The local adapter: this machine through zx, with the same semantics as the ssh2 adapter.
// quiet: child output must never reach the terminal behind Ink's back.
import {randomBytes} from 'node:crypto';
import {chmod, copyFile, readFile, rename, rm, writeFile as writeFileAsync} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {HostAuthError, HostCommandError} from './errors.js';
import {isLocalFile, type ExecOptions, type ExecResult, type Host, type LocalFile, type UploadOptions} from './host.js';
import {chownSpec, installFileCommand, tempNameNextTo} from './install-file.js';
import {sh} from './quote.js';
import {detectPrivilege, sudoersHint, wrapSudo, type Privilege} from './sudo.js';
import type * as ZxModule from 'zx';

// zx is loaded when this machine runs a command (try-it, tests), not by every run of the tool.
let zxModule: Promise<typeof ZxModule> | undefined;
const zx = async () => (await (zxModule ??= import('zx'))).$;

export interface LocalHostOptions {
  name?: string;
  /** Sudo password for a non-root user without NOPASSWD; goes on stdin only. */
  sudoPassword?: string;
}

export class LocalHost implements Host {
  readonly name: string;
  readonly address = 'localhost';
  private readonly isRoot = process.getuid?.() === 0;

  constructor(private readonly options: LocalHostOptions = {}) {
    this.name = options.name ?? 'local';
  }

  private privilege?: Promise<Privilege>;

  detectPrivilege(): Promise<Privilege> {
    this.privilege ??= detectPrivilege((command, stdin) => this.exec(command, {stdin}));
    return this.privilege;
  }

  private sudoCommand(command: string): {command: string; stdinPrefix: string} {
    if (this.isRoot) return {command: wrapSudo(command, 'root'), stdinPrefix: ''};
    if (this.options.sudoPassword !== undefined) {
      return {command: wrapSudo(command, 'password'), stdinPrefix: `${this.options.sudoPassword}\n`};
    }
    return {command: wrapSudo(command, 'nopasswd'), stdinPrefix: ''};
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const $ = await zx();
    const run = options.sudo ? this.sudoCommand(command) : {command: sh`sh -c ${command}`, stdinPrefix: ''};
    if (options.signal?.aborted) return {code: -1, stdout: '', stderr: '', cancelled: true};
    const input = Buffer.concat([Buffer.from(run.stdinPrefix), Buffer.from(options.stdin ?? '')]);
    // zx runs its command line through bash; ours is already a fully quoted sh command.
    const child = $({quiet: true, nothrow: true, ...(input.length > 0 ? {input} : {})})`sh -c ${run.command}`;
    // A command that exits before reading its stdin makes the write fail with EPIPE: not an error.
    child.stdin.on('error', () => undefined);
    if (options.onStdout) child.stdout.on('data', (c: Buffer) => options.onStdout?.(c.toString('utf8')));
    if (options.onStderr) child.stderr.on('data', (c: Buffer) => options.onStderr?.(c.toString('utf8')));

    let stopped: 'timedOut' | 'cancelled' | undefined;
    const stop = (why: 'timedOut' | 'cancelled') => {
      if (stopped) return;
      stopped = why;
      child.kill('SIGKILL').catch(() => undefined); // zx kills the whole process tree
    };
    const timer = options.timeoutMs ? setTimeout(() => stop('timedOut'), options.timeoutMs) : undefined;
    const onAbort = () => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, {once: true});
    try {
      const output = await child;
      return {
        code: stopped ? -1 : (output.exitCode ?? -1),
        stdout: output.stdout,
        stderr: output.stderr,
        ...(stopped ? {[stopped]: true} : {}),
      };
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async mustRun(command: string, what: string, sudo: boolean): Promise<ExecResult> {
    const result = await this.exec(command, {sudo});
    if (result.code !== 0) {
      const hint = sudo && /password is required/.test(result.stderr) ? `; ${sudoersHint(process.env.USER ?? 'this user')}` : '';
      const ErrorClass = hint ? HostAuthError : HostCommandError;
      throw new ErrorClass(this.name, `${what} failed (exit ${result.code}): ${result.stderr.trim()}${hint}`);
    }
    return result;
  }

  async upload(content: string | Buffer | LocalFile, path: string, options: UploadOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o644;
    const writeFile = async (target: string, data: string | Buffer | LocalFile, opts: {mode: number}) => {
      if (isLocalFile(data)) {
        await copyFile(data.localPath, target);
        await chmod(target, opts.mode);
      } else await writeFileAsync(target, data, opts);
    };
    if (options.sudo && !this.isRoot) {
      const staged = join(tmpdir(), `.personium-setup-upload-${randomBytes(6).toString('hex')}`);
      try {
        await writeFile(staged, content, {mode: 0o600});
        await this.mustRun(installFileCommand(staged, path, mode, options.owner, options.group), `installing ${path}`, true);
      } finally {
        await rm(staged, {force: true});
      }
      return;
    }
    const tmp = tempNameNextTo(path);
    try {
      await writeFile(tmp, content, {mode: 0o600});
      await chmod(tmp, mode);
      const owner = chownSpec(options.owner, options.group);
      if (owner) await this.mustRun(sh`chown -- ${owner} ${tmp}`, `chown ${owner} ${path}`, false);
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, {force: true});
      throw error;
    }
  }

  async readFile(path: string, options: {sudo?: boolean} = {}): Promise<Buffer> {
    if (!options.sudo || this.isRoot) return readFile(path);
    const run = this.sudoCommand(sh`cat -- ${path}`);
    const $ = await zx();
    const result = await $({quiet: true, nothrow: true, input: run.stdinPrefix})`sh -c ${run.command}`;
    if (result.exitCode !== 0) throw new HostCommandError(this.name, `cannot read ${path}: ${result.stderr.trim()}`);
    return result.buffer();
  }

  async close(): Promise<void> {}
}
