// A persistent root shell on one SSH channel. Every exec on its own channel makes sshd set up a
// session (PAM, logind) and sudo start again: about 50 ms per command, which is most of the time a
// converged re-run takes. Here one shell, started once through sudo, runs the commands one after
// another at about 1 ms each. Output comes back framed by byte counts, so any bytes are safe.
import type {ClientChannel} from 'ssh2';

/**
 * The remote side. It reads `<length>\n<script>` requests, runs each script with sh in the
 * background (stdin /dev/null, output to files in a private directory), says `P <pid>` so the
 * caller can kill the process tree on a timeout, then `R <status>`, the two output sizes on a
 * line each, and the two outputs. Python runs the loop where there is one (python3, or RHEL's
 * platform-python): it needs no process per command besides the command's own sh, where the
 * POSIX sh loop needs four (head, sh, stat, cat), and a process is what a command here mostly
 * costs. Both speak the same protocol; `head -c` never reads past the count.
 */
const PYTHON_LOOP = [
  'import os, subprocess, sys, tempfile',
  'i = sys.stdin.buffer',
  'o = sys.stdout.buffer',
  'd = tempfile.mkdtemp()',
  'c, fo, fe = (os.path.join(d, n) for n in ("c", "o", "e"))',
  'o.write(b"READY\\n"); o.flush()',
  'try:',
  '    while True:',
  '        line = i.readline()',
  '        if not line:',
  '            break',
  '        script = i.read(int(line))',
  '        with open(c, "wb") as f:',
  '            f.write(script)',
  '        with open(fo, "wb") as out, open(fe, "wb") as err:',
  '            p = subprocess.Popen(["sh", c], stdin=subprocess.DEVNULL, stdout=out, stderr=err)',
  '            o.write(("P %d\\n" % p.pid).encode()); o.flush()',
  '            r = p.wait()',
  '        r = r if r >= 0 else 128 - r',
  '        with open(fo, "rb") as f:',
  '            a = f.read()',
  '        with open(fe, "rb") as f:',
  '            b = f.read()',
  '        o.write(("R %d\\n%d\\n%d\\n" % (r, len(a), len(b))).encode() + a + b); o.flush()',
  'finally:',
  '    for n in (c, fo, fe):',
  '        if os.path.exists(n):',
  '            os.unlink(n)',
  '    os.rmdir(d)',
].join('\n');

/** The same loop in POSIX sh, for hosts without Python (and for its tests). */
export const SHELL_SESSION_SCRIPT_SH = `d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
echo READY
while IFS= read -r n; do
  head -c "$n" >"$d/c" || exit 1
  sh "$d/c" </dev/null >"$d/o" 2>"$d/e" &
  p=$!
  echo "P $p"
  wait "$p"; r=$?
  echo "R $r"
  stat -c %s "$d/o" "$d/e"
  cat "$d/o" "$d/e"
done`;

// The umask is left alone: commands must create files exactly as they would on their own channel
// (mktemp -d and Python's mkdtemp make the private directory 0700 anyway).
export const SHELL_SESSION_SCRIPT = `for py in python3 /usr/libexec/platform-python; do
  if command -v "$py" >/dev/null 2>&1; then exec "$py" -c '${PYTHON_LOOP}'; fi
done
${SHELL_SESSION_SCRIPT_SH}`;

export interface SessionResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

interface Pending {
  resolve: (result: SessionResult) => void;
  reject: (error: Error) => void;
  onPid: (pid: number) => void;
}

export class SessionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionClosedError';
  }
}

export class ShellSession {
  private buffer = Buffer.alloc(0);
  private pending?: Pending;
  private readyWaiter?: {resolve: () => void; reject: (error: Error) => void};
  private stderrText = '';
  private closedError?: Error;
  busy = false;

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-2000);
    });
    channel.on('close', () => this.fail(new SessionClosedError(`the remote shell ended${this.stderrText.trim() ? `: ${this.stderrText.trim()}` : ''}`)));
  }

  /** Start the shell on an opened channel; `stdinPrefix` is the sudo password line, if any. */
  static async start(channel: ClientChannel, stdinPrefix: string, timeoutMs = 15_000): Promise<ShellSession> {
    const session = new ShellSession(channel);
    const ready = new Promise<void>((resolve, reject) => (session.readyWaiter = {resolve, reject}));
    if (stdinPrefix) channel.write(stdinPrefix);
    session.parse();
    const timer = setTimeout(() => session.fail(new SessionClosedError('the remote shell did not start')), timeoutMs);
    try {
      await ready;
    } catch (error) {
      channel.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return session;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Run one script; `onPid` gets the remote PID as soon as it is known. One at a time. */
  run(script: string, onPid: (pid: number) => void = () => {}): Promise<SessionResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error('shell session is busy'));
    return new Promise((resolve, reject) => {
      this.pending = {resolve, reject, onPid};
      const body = Buffer.from(script);
      this.channel.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));
    });
  }

  close(): void {
    this.fail(new SessionClosedError('the remote shell was closed'));
    this.channel.end();
    this.channel.close();
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.readyWaiter?.reject(error);
    this.readyWaiter = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private takeLine(): string | undefined {
    const nl = this.buffer.indexOf(0x0a);
    if (nl < 0) return undefined;
    const line = this.buffer.subarray(0, nl).toString('latin1');
    this.buffer = this.buffer.subarray(nl + 1);
    return line;
  }

  private parse(): void {
    for (;;) {
      if (this.readyWaiter) {
        const line = this.takeLine();
        if (line === undefined) return;
        if (line === 'READY') {
          this.readyWaiter.resolve();
          this.readyWaiter = undefined;
        }
        continue;
      }
      if (!this.pending) return;
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0) return;
      const head = this.buffer.subarray(0, nl).toString('latin1');
      if (head.startsWith('P ')) {
        this.takeLine();
        this.pending.onPid(Number(head.slice(2)));
        continue;
      }
      const m = /^R (\d+)$/.exec(head.trim());
      if (!m) {
        this.fail(new SessionClosedError(`the remote shell sent something unexpected: ${head.slice(0, 80)}`));
        this.channel.close();
        return;
      }
      // Then the two sizes, a line each.
      const nl2 = this.buffer.indexOf(0x0a, nl + 1);
      const nl3 = nl2 < 0 ? -1 : this.buffer.indexOf(0x0a, nl2 + 1);
      if (nl3 < 0) return; // wait for the rest
      const outLength = Number(this.buffer.subarray(nl + 1, nl2).toString('latin1').trim());
      const errLength = Number(this.buffer.subarray(nl2 + 1, nl3).toString('latin1').trim());
      if (!Number.isInteger(outLength) || !Number.isInteger(errLength)) {
        this.fail(new SessionClosedError('the remote shell sent output sizes that are not numbers'));
        this.channel.close();
        return;
      }
      if (this.buffer.length < nl3 + 1 + outLength + errLength) return; // wait for the rest
      const start = nl3 + 1;
      const stdout = Buffer.from(this.buffer.subarray(start, start + outLength));
      const stderr = Buffer.from(this.buffer.subarray(start + outLength, start + outLength + errLength));
      this.buffer = this.buffer.subarray(start + outLength + errLength);
      const pending = this.pending;
      this.pending = undefined;
      pending.resolve({code: Number(m[1]), stdout, stderr});
    }
  }
}

/**
 * Up to `max` shells of one kind (root, or the login user), started on demand and reused. When
 * one cannot start for a reason other than `isFatal` (e.g. no mktemp on the host), the pool turns
 * itself off and acquire() answers undefined: the caller then uses a channel per command.
 */
export class ShellPool {
  private shells: ShellSession[] = [];
  private starting = 0;
  private waiters: (() => void)[] = [];
  private off = false;

  constructor(
    private readonly max: number,
    private readonly start: () => Promise<ShellSession>,
    private readonly isFatal: (error: unknown) => boolean,
  ) {}

  async acquire(): Promise<ShellSession | undefined> {
    for (;;) {
      if (this.off) return undefined;
      this.shells = this.shells.filter((s) => !s.closed);
      const idle = this.shells.find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.shells.length + this.starting < this.max) {
        this.starting++;
        try {
          const shell = await this.start();
          shell.busy = true;
          this.shells.push(shell);
          return shell;
        } catch (error) {
          if (this.isFatal(error)) throw error;
          this.off = true;
          this.waiters.splice(0).forEach((w) => w());
          return undefined;
        } finally {
          this.starting--;
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  release(shell: ShellSession): void {
    shell.busy = false;
    this.waiters.shift()?.();
  }

  closeAll(): void {
    this.off = true;
    this.shells.forEach((s) => s.close());
    this.waiters.splice(0).forEach((w) => w());
  }
}
