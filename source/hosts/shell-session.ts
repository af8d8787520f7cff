// A persistent root shell on one SSH channel. Every exec on its own channel makes sshd set up a
// session (PAM, logind) and sudo start again: about 50 ms per command, which is most of the time a
// converged re-run takes. Here one shell, started once through sudo, runs the commands at about
// 1 ms each. Output comes back framed by byte counts, so any bytes are safe.
import type {ClientChannel} from 'ssh2';
import {HASH_CACHE_FILE} from './file-facts.js';

/**
 * The remote side. It reads requests `X <id> <length>\n<script>` and runs each script with sh
 * (stdin /dev/null, output to files in a private directory), says `P <id> <pid>` so the caller
 * can kill the process tree on a timeout, then `R <id> <status>`, the two output sizes on a line
 * each, and the two outputs. Python runs the loop where there is one (python3, or RHEL's
 * platform-python): it needs no process per command besides the command's own sh, where the
 * POSIX sh loop needs four (head, sh, stat, cat); and a process is what a command here mostly
 * costs. The Python loop also runs several scripts at once (a thread each), so one shell serves
 * a host's concurrent commands, and answers `F <id> <length>\n<JSON {paths, hash}>` itself, with
 * the same facts FILE_FACTS_SCRIPT prints (see file-facts.ts), without starting any process.
 * As root it keeps the SHA-256 of files of 1 MB and more in HASH_CACHE_FILE with the file's
 * identity (device, inode, size, mtime and ctime, which no write leaves unchanged), so a re-run
 * does not read hundreds of MB of archives and wars again to learn they are unchanged.
 * The first line says which loop runs: `READY py` or `READY sh`.
 */
const PYTHON_LOOP = [
  'import grp, hashlib, json, os, pwd, shutil, stat, subprocess, sys, tempfile, threading',
  'i = sys.stdin.buffer',
  'o = sys.stdout.buffer',
  'd = tempfile.mkdtemp()',
  'lock = threading.Lock()',
  'def send(b):',
  '    with lock:',
  '        o.write(b); o.flush()',
  'def reply(n, r, a, b):',
  '    send(("R %s %d\\n%d\\n%d\\n" % (n, r, len(a), len(b))).encode() + a + b)',
  'def name(db, n):',
  '    try:',
  '        return db(n)[0]',
  '    except KeyError:',
  '        return "UNKNOWN"',
  `HC = ${JSON.stringify(HASH_CACHE_FILE)}`,
  'hc = None',
  'hl = threading.Lock()',
  'def cache():',
  '    global hc',
  '    if hc is None:',
  '        try:',
  '            with open(HC) as f:',
  '                hc = json.load(f)',
  '        except Exception:',
  '            hc = {}',
  '    return hc',
  'def digest(p, st):',
  '    k = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]',
  '    big = st.st_size >= 1048576 and os.geteuid() == 0',
  '    if big:',
  '        with hl:',
  '            e = cache().get(p)',
  '        if e and e[:5] == k:',
  '            return e[5]',
  '    x = hashlib.sha256()',
  '    with open(p, "rb") as f:',
  '        for chunk in iter(lambda: f.read(1 << 20), b""):',
  '            x.update(chunk)',
  '    h = x.hexdigest()',
  '    if big:',
  '        with hl:',
  '            c = cache()',
  '            c[p] = k + [h]',
  '            for q in [q for q in c if not os.path.exists(q)]:',
  '                del c[q]',
  '            try:',
  '                os.makedirs(os.path.dirname(HC), 0o755, exist_ok=True)',
  '                t = "%s.%d" % (HC, os.getpid())',
  '                with os.fdopen(os.open(t, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:',
  '                    json.dump(c, f)',
  '                os.replace(t, HC)',
  '            except OSError:',
  '                pass',
  '    return h',
  'def fact(p, hash):',
  '    try:',
  '        st = os.lstat(p)',
  '    except OSError:',
  '        return "-"',
  '    m = st.st_mode',
  '    t = "file" if stat.S_ISREG(m) else "directory" if stat.S_ISDIR(m) else "symlink" if stat.S_ISLNK(m) else "other"',
  '    h = "-"',
  '    if t == "file" and hash:',
  '        try:',
  '            h = digest(p, st)',
  '        except OSError:',
  '            h = "?"',
  '    return "%s %o %s %s %d %s" % (t, m & 0o7777, name(pwd.getpwuid, st.st_uid), name(grp.getgrgid, st.st_gid), st.st_size, h)',
  'def facts(n, body):',
  '    try:',
  '        q = json.loads(body)',
  '        a = "".join(fact(p, q["hash"]) + "\\n" for p in q["paths"]).encode()',
  '        reply(n, 0, a, b"")',
  '    except Exception as e:',
  '        reply(n, 2, b"", str(e).encode())',
  'def run(n, script):',
  '    c, fo, fe = (os.path.join(d, x + n) for x in ("c", "o", "e"))',
  '    try:',
  '        with open(c, "wb") as f:',
  '            f.write(script)',
  '        with open(fo, "wb") as out, open(fe, "wb") as err:',
  '            p = subprocess.Popen(["sh", c], stdin=subprocess.DEVNULL, stdout=out, stderr=err)',
  '            send(("P %s %d\\n" % (n, p.pid)).encode())',
  '            r = p.wait()',
  '        r = r if r >= 0 else 128 - r',
  '        with open(fo, "rb") as f:',
  '            a = f.read()',
  '        with open(fe, "rb") as f:',
  '            b = f.read()',
  '        reply(n, r, a, b)',
  '    except Exception as e:',
  '        reply(n, 127, b"", str(e).encode())',
  '    finally:',
  '        for x in (c, fo, fe):',
  '            if os.path.exists(x):',
  '                os.unlink(x)',
  'send(b"READY py\\n")',
  'try:',
  '    while True:',
  '        line = i.readline()',
  '        if not line:',
  '            break',
  '        kind, n, size = line.decode().split()',
  '        body = i.read(int(size))',
  '        work = facts if kind == "F" else run',
  '        threading.Thread(target=work, args=(n, body), daemon=True).start()',
  'finally:',
  '    shutil.rmtree(d, ignore_errors=True)',
].join('\n');

/** The same loop in POSIX sh (one command at a time, scripts only), for hosts without Python and for its tests. */
export const SHELL_SESSION_SCRIPT_SH = `d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
echo READY sh
while read -r k id n; do
  head -c "$n" >"$d/c" || exit 1
  sh "$d/c" </dev/null >"$d/o" 2>"$d/e" &
  p=$!
  echo "P $id $p"
  wait "$p"; r=$?
  echo "R $id $r"
  stat -c %s "$d/o" "$d/e"
  cat "$d/o" "$d/e"
done`;

// The umask is left alone: commands must create files exactly as they would on their own channel
// (mktemp -d and Python's mkdtemp make the private directory 0700 anyway).
export const SHELL_SESSION_SCRIPT = `for py in python3 /usr/libexec/platform-python; do
  if command -v "$py" >/dev/null 2>&1; then exec "$py" -c '${PYTHON_LOOP}'; fi
done
${SHELL_SESSION_SCRIPT_SH}`;

/** Scripts one Python loop runs at once; the sh loop runs one. */
export const PYTHON_LOOP_CAPACITY = 12;

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
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, Pending>();
  /** Requests no longer waited for: their late lines are read and dropped. */
  private readonly abandoned = new Set<string>();
  private nextId = 1;
  private readyWaiter?: {resolve: () => void; reject: (error: Error) => void};
  private stderrText = '';
  private closedError?: Error;
  /** Which loop answered: 'py' runs scripts concurrently and answers file facts itself. */
  loop: 'py' | 'sh' = 'sh';
  /** Requests a caller holds (ShellPool's bookkeeping). */
  inUse = 0;

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
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

  /** Requests this shell runs at once (less those given up on that still run). */
  get capacity(): number {
    return (this.loop === 'py' ? PYTHON_LOOP_CAPACITY : 1) - this.abandoned.size;
  }

  /**
   * Run one script; `onPid` gets the remote PID as soon as it is known. When `giveUp` fires
   * before the answer, the caller stops waiting: the Python loop's other commands go on (its
   * late answer is dropped), while the sh loop, which runs one command at a time, is closed.
   */
  run(script: string, onPid: (pid: number) => void = () => {}, giveUp?: AbortSignal): Promise<SessionResult> {
    return this.request('X', Buffer.from(script), onPid, giveUp);
  }

  /** The Python loop's file facts for `paths`: FILE_FACTS_SCRIPT's output, from no process at all. */
  fileFacts(paths: string[], hash = true, giveUp?: AbortSignal): Promise<SessionResult> {
    if (this.loop !== 'py') return Promise.reject(new Error('file facts need the Python loop'));
    return this.request('F', Buffer.from(JSON.stringify({paths, hash})), () => {}, giveUp);
  }

  private request(kind: 'X' | 'F', body: Buffer, onPid: (pid: number) => void, giveUp?: AbortSignal): Promise<SessionResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending.size >= this.capacity) return Promise.reject(new Error('shell session is busy'));
    const id = String(this.nextId++);
    giveUp?.addEventListener('abort', () => this.giveUp(id), {once: true});
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, onPid});
      this.channel.write(Buffer.concat([Buffer.from(`${kind} ${id} ${body.length}\n`), body]));
    });
  }

  /**
   * Stop waiting for one request: the Python loop's other requests go on (the late answer is
   * read and dropped), while the sh loop, which runs one command at a time, is closed.
   */
  private giveUp(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    if (this.loop !== 'py') return this.close();
    this.pending.delete(id);
    this.abandoned.add(id);
    pending.reject(new SessionClosedError('no answer in time; no longer waited for'));
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
    const pending = [...this.pending.values()];
    this.pending.clear();
    pending.forEach((p) => p.reject(error));
  }

  private takeLine(): string | undefined {
    const nl = this.buffer.indexOf(0x0a);
    if (nl < 0) return undefined;
    const line = this.buffer.subarray(0, nl).toString('latin1');
    this.buffer = this.buffer.subarray(nl + 1);
    return line;
  }

  private protocolError(what: string): void {
    this.fail(new SessionClosedError(`the remote shell sent ${what}`));
    this.channel.close();
  }

  private parse(): void {
    for (;;) {
      if (this.readyWaiter) {
        const line = this.takeLine();
        if (line === undefined) return;
        const m = /^READY(?: (py|sh))?$/.exec(line.trim());
        if (m) {
          this.loop = m[1] === 'py' ? 'py' : 'sh';
          this.readyWaiter.resolve();
          this.readyWaiter = undefined;
        }
        continue;
      }
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0) return;
      const head = this.buffer.subarray(0, nl).toString('latin1').trim();
      const pid = /^P (\S+) (\d+)$/.exec(head);
      if (pid) {
        this.takeLine();
        this.pending.get(pid[1]!)?.onPid(Number(pid[2]));
        continue;
      }
      const m = /^R (\S+) (\d+)$/.exec(head);
      if (!m) return this.protocolError(`something unexpected: ${head.slice(0, 80)}`);
      // Then the two sizes, a line each.
      const nl2 = this.buffer.indexOf(0x0a, nl + 1);
      const nl3 = nl2 < 0 ? -1 : this.buffer.indexOf(0x0a, nl2 + 1);
      if (nl3 < 0) return; // wait for the rest
      const outLength = Number(this.buffer.subarray(nl + 1, nl2).toString('latin1').trim());
      const errLength = Number(this.buffer.subarray(nl2 + 1, nl3).toString('latin1').trim());
      if (!Number.isInteger(outLength) || !Number.isInteger(errLength)) return this.protocolError('output sizes that are not numbers');
      if (this.buffer.length < nl3 + 1 + outLength + errLength) return; // wait for the rest
      const start = nl3 + 1;
      const stdout = Buffer.from(this.buffer.subarray(start, start + outLength));
      const stderr = Buffer.from(this.buffer.subarray(start + outLength, start + outLength + errLength));
      this.buffer = this.buffer.subarray(start + outLength + errLength);
      if (this.abandoned.delete(m[1]!)) continue;
      const pending = this.pending.get(m[1]!);
      if (!pending) return this.protocolError(`a result for a request it was not given (${m[1]})`);
      this.pending.delete(m[1]!);
      pending.resolve({code: Number(m[2]), stdout, stderr});
    }
  }
}

/**
 * Up to `max` shells of one kind (root, or the login user), started on demand and reused; a shell
 * takes as many requests at once as its loop runs (ShellSession.capacity), and another starts only
 * when every shell is full, so a host with Python needs one. When one cannot start for a reason
 * other than `isFatal` (e.g. no mktemp on the host), the pool turns itself off and acquire()
 * answers undefined: the caller then uses a channel per command.
 */
export class ShellPool {
  private shells: ShellSession[] = [];
  private starting = false;
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
      const free = this.shells.find((s) => s.inUse < s.capacity);
      if (free) {
        free.inUse++;
        return free;
      }
      // One start at a time: until a shell answers, its capacity (and so the need for another) is unknown.
      if (!this.starting && this.shells.length < this.max) {
        this.starting = true;
        try {
          const shell = await this.start();
          shell.inUse++;
          this.shells.push(shell);
          return shell;
        } catch (error) {
          if (this.isFatal(error)) throw error;
          this.off = true;
          return undefined;
        } finally {
          this.starting = false;
          this.waiters.splice(0).forEach((w) => w());
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  release(shell: ShellSession): void {
    shell.inUse--;
    this.waiters.shift()?.();
  }

  closeAll(): void {
    this.off = true;
    this.shells.forEach((s) => s.close());
    this.waiters.splice(0).forEach((w) => w());
  }
}
