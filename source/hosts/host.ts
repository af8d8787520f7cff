// One interface for every machine the tool talks to: an SSH server (ssh2) or this machine (zx).
// Everything above this layer (preflight, steps, report) sees only Host.

export interface ExecOptions {
  /** Run as root: through sudo when the login user is not root (password, if any, goes on stdin). */
  sudo?: boolean;
  /** Bytes written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  /** Kill the command (and report a timeout) after this many milliseconds. */
  timeoutMs?: number;
  /** Aborting stops the remote command. */
  signal?: AbortSignal;
  /** Streamed output, as it arrives. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ExecResult {
  /** Exit status; -1 when the command was killed by a signal, a timeout or a cancel. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  cancelled?: boolean;
}

export interface UploadOptions {
  /** File mode, e.g. 0o600. */
  mode?: number;
  /** Owner and group names; needs sudo when not the login user. */
  owner?: string;
  group?: string;
  /** Write as root (through sudo). */
  sudo?: boolean;
}

/** A file on this machine, for Host.upload. */
export interface LocalFile {
  localPath: string;
}

export function isLocalFile(content: string | Buffer | LocalFile): content is LocalFile {
  return typeof content === 'object' && !Buffer.isBuffer(content) && typeof (content as LocalFile).localPath === 'string';
}

export interface Host {
  /** Name used in messages, tables and logs (profile host name). */
  readonly name: string;
  /** Address the tool connects to. */
  readonly address: string;
  /** Run a shell command. Build it with the quoting helpers in ./quote.ts, never by pasting. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Write a file atomically (temporary name, then rename) with mode and owner. A LocalFile is
   * streamed from this machine's disk, never read into memory whole (archives of hundreds of MB).
   */
  upload(content: string | Buffer | LocalFile, remotePath: string, options?: UploadOptions): Promise<void>;
  /** Read a remote file (as root when sudo is set). */
  readFile(remotePath: string, options?: {sudo?: boolean}): Promise<Buffer>;
  /**
   * FILE_FACTS_SCRIPT's lines for `paths` (see file-facts.ts), answered without starting a process
   * where the host can (an SSH host whose shell loop is Python); undefined where it cannot.
   */
  fileFacts?(paths: string[], options?: {sudo?: boolean; hash?: boolean; timeoutMs?: number; signal?: AbortSignal}): Promise<string | undefined>;
  /** Get ready for many root commands at once (SSH: start the persistent root shells now). */
  warmUp?(): Promise<void>;
  /** After a lost connection, a new one to the same server (retries of idempotent steps use it); true when one was opened. */
  reconnect?(): Promise<boolean>;
  /**
   * How the login becomes root: 'root', 'nopasswd' (sudo -n works), 'password' (sudo needs the
   * login password) or 'none'. Detected once and cached (or as the profile's sudo setting says).
   */
  detectPrivilege?(): Promise<'root' | 'nopasswd' | 'password' | 'none'>;
  /** Close the connection. Safe to call twice. */
  close(): Promise<void>;
}
