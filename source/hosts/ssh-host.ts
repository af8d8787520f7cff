// The ssh2 adapter: one connection per host, a channel per command, SFTP for files.
import {randomBytes} from 'node:crypto';
import pLimit from 'p-limit';
import type {Client as SshClient, ClientChannel, SFTPWrapper} from 'ssh2';
import {HostAuthError, HostCommandError, HostUnreachableError} from './errors.js';
import {isLocalFile, type ExecOptions, type ExecResult, type Host, type LocalFile, type UploadOptions} from './host.js';
import {chownSpec, installFileCommand, tempNameNextTo} from './install-file.js';
import {sh} from './quote.js';
import {SHELL_SESSION_SCRIPT, ShellPool, ShellSession} from './shell-session.js';
import type {SecretStore} from './secrets.js';
import type {SudoMode} from './spec.js';
import {checkSudoPassword, detectPrivilege, sudoersHint, wrapSudo, type Privilege} from './sudo.js';

/** Kills a process and all its descendants; $1 is the PID the wrapper reported. */
const KILL_TREE = `t=$1; all=" $t "
while :; do
  new=$(ps -e -o pid= -o ppid= | awk -v all="$all" '{ if (index(all, " " $2 " ") && !index(all, " " $1 " ")) printf "%s ", $1 }')
  [ -z "$new" ] && break
  all="$all$new"
done
kill -KILL $all 2>/dev/null; true`;

const ROOT_SHELLS = 3;

interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut?: boolean;
  cancelled?: boolean;
}

export interface SshHostInit {
  name: string;
  address: string;
  user: string;
  client: SshClient;
  secrets: SecretStore;
  sudo?: SudoMode;
  /** The SSH login password, tried as the sudo password before asking. */
  loginPassword?: string;
  /** Called once when the connection is closed (e.g. to release a shared jump host). */
  onClose?: () => void;
  /**
   * Opens a new connection to the same server (the host key checked against the one pinned at
   * the first connection, the same credentials), for `reconnect` after the first one was lost.
   */
  reopen?: () => Promise<{client: SshClient; onClose?: () => void}>;
}

export class SshHost implements Host {
  readonly name: string;
  readonly address: string;
  readonly user: string;
  private client: SshClient;
  private onClose?: () => void;
  private reopening?: Promise<boolean>;
  private sftpSession?: Promise<SFTPWrapper>;
  private privilegePromise?: Promise<Privilege>;
  private sudoPasswordPromise?: Promise<string>;
  private lost?: Error;
  // sshd allows 10 sessions per connection (MaxSessions): up to 3 persistent root shells (one
  // where the loop is Python: it runs commands concurrently) and 1 of the login user, 3 for
  // commands on their own channel, 1 for SFTP, 1 for kills, and 1 spare for sessions sshd has
  // not freed yet.
  private readonly commandSlots = pLimit(3);
  private readonly killSlots = pLimit(1);
  private shells = this.newShellPools();
  private closed = false;

  constructor(private readonly init: SshHostInit) {
    this.name = init.name;
    this.address = init.address;
    this.user = init.user;
    this.client = init.client;
    this.onClose = init.onClose;
    this.watch(this.client);
  }

  private newShellPools() {
    return {
      root: new ShellPool(ROOT_SHELLS, () => this.startShell(true), (e) => this.isFatalShellError(e)),
      user: new ShellPool(1, () => this.startShell(false), (e) => this.isFatalShellError(e)),
    };
  }

  private watch(client: SshClient): void {
    // A dropped connection must not crash the process; the next command reports it.
    client.on('error', (error: Error) => {
      if (client === this.client) this.lost = error;
    });
    client.on('close', () => {
      if (client === this.client) this.lost ??= new Error('connection closed');
    });
  }

  /** Whether the connection was lost (commands fail at once until `reconnect`). */
  get connectionLost(): boolean {
    return this.lost !== undefined;
  }

  /**
   * After a lost connection: a new one to the same server, with fresh shells and SFTP; the
   * privilege found before still holds. Does nothing (false) while the connection is up.
   */
  reconnect(): Promise<boolean> {
    if (!this.lost || this.closed) return Promise.resolve(false);
    const reopen = this.init.reopen;
    if (!reopen) return Promise.reject(new HostUnreachableError(this.name, `${this.name}: the SSH connection was lost (${this.lost.message}) and cannot be opened again here`));
    this.reopening ??= (async () => {
      try {
        const opened = await reopen();
        this.shells.root.closeAll();
        this.shells.user.closeAll();
        this.onClose?.();
        this.client = opened.client;
        this.onClose = opened.onClose;
        this.watch(opened.client);
        this.shells = this.newShellPools();
        this.sftpSession = undefined;
        this.lost = undefined;
        return true;
      } finally {
        this.reopening = undefined;
      }
    })();
    return this.reopening;
  }

  /** How this login becomes root, detected once (or as the profile says). */
  detectPrivilege(): Promise<Privilege> {
    if (!this.privilegePromise) {
      const mode = this.init.sudo ?? 'auto';
      this.privilegePromise =
        mode === 'auto' ? detectPrivilege((c, stdin) => this.exec(c, {stdin})) : Promise.resolve<Privilege>(mode);
    }
    return this.privilegePromise;
  }

  private sudoPassword(): Promise<string> {
    if (!this.sudoPasswordPromise) {
      this.sudoPasswordPromise = this.findSudoPassword();
      this.sudoPasswordPromise.catch(() => (this.sudoPasswordPromise = undefined));
    }
    return this.sudoPasswordPromise;
  }

  private async findSudoPassword(): Promise<string> {
    let notAllowed = false;
    const password = await this.init.secrets.sudoPassword(
      `${this.user}@${this.address}`,
      this.user,
      this.init.loginPassword,
      async (candidate) => {
        const check = await checkSudoPassword((c, stdin) => this.exec(c, {stdin}), candidate);
        if (check === 'not-allowed') notAllowed = true;
        return check === 'ok';
      },
    );
    if (notAllowed) throw new HostAuthError(this.name, `${this.user} may not use sudo on ${this.name}; ${sudoersHint(this.user)}`);
    if (password === undefined) {
      throw new HostAuthError(
        this.name,
        `sudo on ${this.name} needs ${this.user}'s password and none was given (or it was wrong): ` +
          `set PERSONIUM_SETUP_SUDO_PASSWORD, run interactively, or ${sudoersHint(this.user)}`,
      );
    }
    return password;
  }

  /** The command line and stdin prefix that run `command` as root. */
  private async asRoot(command: string): Promise<{command: string; stdinPrefix: string}> {
    const privilege = await this.detectPrivilege();
    if (privilege === 'none') {
      throw new HostAuthError(this.name, `${this.user} on ${this.name} is not root and cannot use sudo; ${sudoersHint(this.user)}`);
    }
    const stdinPrefix = privilege === 'password' ? `${await this.sudoPassword()}\n` : '';
    return {command: wrapSudo(command, privilege), stdinPrefix};
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.execRaw(command, options);
    return {
      code: result.code,
      stdout: result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
      ...(result.timedOut ? {timedOut: true} : {}),
      ...(result.cancelled ? {cancelled: true} : {}),
    };
  }

  private async openChannel(command: string): Promise<ClientChannel> {
    // sshd frees a session slot only after it has reaped the command, a moment after the channel
    // closed; an "open failed" right after many short commands is that lag, so wait and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.openChannelOnce(command);
      } catch (error) {
        if (attempt >= 40 || !/open failed/i.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private openChannelOnce(command: string): Promise<ClientChannel> {
    if (this.closed) return Promise.reject(new HostCommandError(this.name, `${this.name}: the connection is closed`));
    if (this.lost) {
      return Promise.reject(new HostUnreachableError(this.name, `${this.name}: the SSH connection was lost (${this.lost.message})`));
    }
    return new Promise((resolve, reject) => {
      this.client.exec(command, {pty: false}, (error, channel) => {
        if (error) reject(new HostCommandError(this.name, `${this.name}: cannot start a command: ${error.message}`, {cause: error}));
        else resolve(channel);
      });
    });
  }

  /**
   * Runs `command` under `sh -c` and reports the shell's PID first on stderr (stripped here), so a
   * timeout or cancel can kill the whole remote process tree: closing an SSH channel alone leaves
   * a non-pty command running on the server.
   */
  private async execRaw(command: string, options: ExecOptions): Promise<RawResult> {
    // Commands without input or streaming go to a persistent shell (no session set-up, no sudo
    // per command). Input stays off it, because it would pass through a file there.
    if (options.stdin === undefined && !options.onStdout && !options.onStderr) {
      const result = await this.runInShell(command, options);
      if (result) return result;
    }
    const sudo = options.sudo ? await this.asRoot(command) : {command: sh`sh -c ${command}`, stdinPrefix: ''};
    const wrapped = `printf '%s\\n' "$$" >&2; exec ${sudo.command}`;
    // Commands queue for a channel slot; the privilege detection above runs its own commands first.
    return this.commandSlots(() => this.runChannel(wrapped, sudo.stdinPrefix, options));
  }

  private async runChannel(wrapped: string, stdinPrefix: string, options: ExecOptions): Promise<RawResult> {
    if (options.signal?.aborted) return {code: -1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), cancelled: true};
    const channel = await this.openChannel(wrapped);

    return new Promise<RawResult>((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let header = Buffer.alloc(0);
      let pid: number | undefined;
      let pidWaiters: (() => void)[] = [];
      let stopped: 'timedOut' | 'cancelled' | undefined;
      let exitCode: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const decoder = {out: new TextDecoder(), err: new TextDecoder()};

      const finish = () => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({
          code: stopped ? -1 : (exitCode ?? -1),
          stdout: Buffer.concat(stdout),
          stderr: Buffer.concat(stderr),
          ...(stopped ? {[stopped]: true} : {}),
        });
      };

      const stop = async (why: 'timedOut' | 'cancelled') => {
        if (stopped || done) return;
        stopped = why;
        if (pid === undefined) await new Promise<void>((r) => pidWaiters.push(r)); // the PID is the first thing printed
        if (pid !== undefined) await this.killTree(pid, options.sudo === true);
        channel.close();
        setTimeout(finish, 2000).unref(); // some servers never send close after a kill
      };
      const onAbort = () => void stop('cancelled');

      channel.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        options.onStdout?.(decoder.out.decode(chunk, {stream: true}));
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        if (pid === undefined) {
          header = Buffer.concat([header, chunk]);
          const nl = header.indexOf(0x0a);
          if (nl < 0) return;
          pid = Number(header.subarray(0, nl).toString('latin1'));
          pidWaiters.forEach((w) => w());
          pidWaiters = [];
          chunk = header.subarray(nl + 1);
          if (chunk.length === 0) return;
        }
        stderr.push(chunk);
        options.onStderr?.(decoder.err.decode(chunk, {stream: true}));
      });
      let stderrEnded = false;
      channel.stderr.once('end', () => (stderrEnded = true));
      channel.on('exit', (code: number | null) => {
        if (typeof code === 'number') exitCode = code;
      });
      // ssh2 may emit 'exit' before these listeners exist (same parse loop as the exec reply); the
      // close event repeats the code, so take it from there too.
      channel.on('close', (code?: number | null) => {
        if (typeof code === 'number') exitCode ??= code;
        pidWaiters.forEach((w) => w());
        // 'close' waits for stdout's end but not stderr's: let stderr drain first.
        if (stderrEnded) finish();
        else {
          channel.stderr.once('end', finish);
          setTimeout(finish, 1000).unref();
        }
      });

      if (options.timeoutMs) timer = setTimeout(() => void stop('timedOut'), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, {once: true});
      // stdin is always closed, so a command that reads it cannot hang; the sudo password goes first.
      const input = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
      channel.end(Buffer.concat([Buffer.from(stdinPrefix), input]));
    });
  }

  /** Kill a remote process and all its descendants, on a channel of its own. */
  private async killTree(pid: number, asRoot: boolean): Promise<void> {
    const killTree = sh`sh -c ${KILL_TREE} kill-tree ${pid}`;
    const killer = asRoot ? await this.asRoot(killTree) : {command: killTree, stdinPrefix: ''};
    await this.killSlots(async () => {
      try {
        const kc = await this.openChannel(killer.command);
        kc.on('data', () => {}).stderr.on('data', () => {});
        kc.end(killer.stdinPrefix);
        await new Promise((r) => kc.once('close', r));
      } catch {
        // connection gone: nothing more we can do remotely
      }
    });
  }

  /** Start the root shell now, while the caller does other work, so a burst of commands does not wait for it. */
  async warmUp(): Promise<void> {
    await this.exec('true', {sudo: true});
  }

  async fileFacts(paths: string[], options: {sudo?: boolean; hash?: boolean; timeoutMs?: number; signal?: AbortSignal} = {}): Promise<string | undefined> {
    const pool = options.sudo ? this.shells.root : this.shells.user;
    const shell = await pool.acquire();
    if (!shell) return undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const giveUp = new AbortController();
    const onAbort = () => giveUp.abort();
    try {
      if (shell.loop !== 'py') return undefined;
      // Nothing to kill here (no process): a hung read (a dead NFS mount) is no longer waited for.
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          timedOut = true;
          giveUp.abort();
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, {once: true});
      const result = await shell.fileFacts(paths, options.hash !== false, giveUp.signal);
      if (result.code !== 0) throw new HostCommandError(this.name, `${this.name}: file facts failed: ${result.stderr.toString('utf8').trim()}`);
      return result.stdout.toString('utf8');
    } catch (error) {
      if (this.lost) throw new HostUnreachableError(this.name, `${this.name}: the SSH connection was lost (${this.lost.message})`);
      if (error instanceof HostCommandError) throw error;
      const why = options.signal?.aborted ? 'was cancelled' : timedOut ? 'timed out (the shell was closed)' : (error as Error).message;
      throw new HostCommandError(this.name, `${this.name}: file facts ${why}`, {cause: error});
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      pool.release(shell);
    }
  }

  private async startShell(asRoot: boolean): Promise<ShellSession> {
    const launch = asRoot ? await this.asRoot(SHELL_SESSION_SCRIPT) : {command: sh`sh -c ${SHELL_SESSION_SCRIPT}`, stdinPrefix: ''};
    return ShellSession.start(await this.openChannel(launch.command), launch.stdinPrefix);
  }

  private isFatalShellError(error: unknown): boolean {
    return this.lost !== undefined || error instanceof HostAuthError;
  }

  private async runInShell(command: string, options: ExecOptions): Promise<RawResult | undefined> {
    const empty = Buffer.alloc(0);
    if (options.signal?.aborted) return {code: -1, stdout: empty, stderr: empty, cancelled: true};
    const pool = options.sudo ? this.shells.root : this.shells.user;
    const shell = await pool.acquire();
    if (!shell) return undefined;
    let pid: number | undefined;
    let pidKnown = () => {};
    const pidPromise = new Promise<void>((r) => (pidKnown = r));
    let stopped: 'timedOut' | 'cancelled' | undefined;
    let finished = false;
    const giveUp = new AbortController();
    const stop = async (why: 'timedOut' | 'cancelled') => {
      if (stopped) return;
      stopped = why;
      await pidPromise;
      if (pid !== undefined) await this.killTree(pid, options.sudo === true);
      // The shell reports the killed command; if it does not (a process stuck in the kernel), it
      // is no longer waited for (see ShellSession.run).
      setTimeout(() => finished || giveUp.abort(), 5000).unref();
    };
    const onAbort = () => void stop('cancelled');
    const timer = options.timeoutMs ? setTimeout(() => void stop('timedOut'), options.timeoutMs) : undefined;
    options.signal?.addEventListener('abort', onAbort, {once: true});
    try {
      const result = await shell.run(
        command,
        (p) => {
          pid = p;
          pidKnown();
        },
        giveUp.signal,
      );
      return stopped ? {code: -1, stdout: result.stdout, stderr: result.stderr, [stopped]: true} : result;
    } catch (error) {
      pidKnown();
      if (stopped) return {code: -1, stdout: empty, stderr: empty, [stopped]: true};
      if (this.lost) throw new HostUnreachableError(this.name, `${this.name}: the SSH connection was lost (${this.lost.message})`);
      throw new HostCommandError(this.name, `${this.name}: ${(error as Error).message}`, {cause: error});
    } finally {
      finished = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      pool.release(shell);
    }
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      this.sftpSession = new Promise((resolve, reject) => {
        this.client.sftp((error, sftp) => {
          if (error) reject(new HostCommandError(this.name, `${this.name}: SFTP is not available: ${error.message}`, {cause: error}));
          else resolve(sftp);
        });
      });
      this.sftpSession.catch(() => (this.sftpSession = undefined));
    }
    return this.sftpSession;
  }

  private async sftpCall<T>(what: string, call: (sftp: SFTPWrapper, cb: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => {
      call(sftp, (error, value) => {
        if (error) reject(new HostCommandError(this.name, `${this.name}: ${what}: ${error.message}`, {cause: error}));
        else resolve(value as T);
      });
    });
  }

  private async mustRun(command: string, what: string, sudo = false): Promise<ExecResult> {
    const result = await this.exec(command, {sudo});
    if (result.code !== 0) {
      throw new HostCommandError(this.name, `${this.name}: ${what} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return result;
  }

  /** Write `content` to a new remote file of mode 0600: a local file streamed in parallel chunks (SFTP fastPut). */
  private async put(content: string | Buffer | LocalFile, remote: string): Promise<void> {
    if (isLocalFile(content)) {
      await this.sftpCall<void>(`sending ${content.localPath} to ${remote}`, (s, cb) => s.fastPut(content.localPath, remote, {mode: 0o600}, (error) => cb(error)));
      return;
    }
    const data = Buffer.from(content);
    await this.sftpCall<void>(`writing ${remote}`, (s, cb) => s.writeFile(remote, data, {mode: 0o600}, cb));
  }

  async upload(content: string | Buffer | LocalFile, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o644;
    const rootNeeded = options.sudo && (await this.detectPrivilege()) !== 'root';

    if (!rootNeeded) {
      const tmp = tempNameNextTo(remotePath);
      try {
        await this.put(content, tmp);
        await this.sftpCall<void>(`chmod ${tmp}`, (s, cb) => s.chmod(tmp, mode, cb));
        const owner = chownSpec(options.owner, options.group);
        if (owner) await this.mustRun(sh`chown -- ${owner} ${tmp}`, `chown ${owner} ${remotePath}`);
        await this.sftpCall<void>(`renaming to ${remotePath}`, (s, cb) => s.ext_openssh_rename(tmp, remotePath, cb));
      } catch (error) {
        await this.exec(sh`rm -f -- ${tmp}`).catch(() => undefined);
        throw error;
      }
      return;
    }

    // Not root: stage a private copy in /tmp, then let root install it next to the target and rename.
    const staged = `/tmp/.personium-setup-upload-${randomBytes(6).toString('hex')}`;
    try {
      await this.put(content, staged);
      await this.mustRun(installFileCommand(staged, remotePath, mode, options.owner, options.group), `installing ${remotePath}`, true);
    } finally {
      await this.sftpCall<void>(`removing ${staged}`, (s, cb) => s.unlink(staged, cb)).catch(() => undefined);
    }
  }

  async readFile(remotePath: string, options: {sudo?: boolean} = {}): Promise<Buffer> {
    if (options.sudo && (await this.detectPrivilege()) !== 'root') {
      const result = await this.execRaw(sh`cat -- ${remotePath}`, {sudo: true});
      if (result.code !== 0) {
        throw new HostCommandError(this.name, `${this.name}: cannot read ${remotePath}: ${result.stderr.toString('utf8').trim()}`);
      }
      return result.stdout;
    }
    return this.sftpCall<Buffer>(`reading ${remotePath}`, (s, cb) => s.readFile(remotePath, cb));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shells.root.closeAll();
    this.shells.user.closeAll();
    await new Promise<void>((resolve) => {
      if (this.lost) return resolve();
      this.client.once('close', () => resolve());
      this.client.end();
      setTimeout(resolve, 2000).unref();
    });
    this.onClose?.();
  }
}
