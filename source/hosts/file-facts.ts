// What idempotent steps ask most: does this path exist, what is it, its mode and owner, and (a
// regular file) its SHA-256. The Python shell loop answers this itself (no process per path); on
// any other host one shell command answers for all the paths at once. Both print the same lines.
import type {Host} from './host.js';
import {shellQuote} from './quote.js';

/** Where the Python loop keeps the SHA-256 of large files with each file's identity (root only, 0600). */
export const HASH_CACHE_FILE = '/var/lib/personium-setup/file-hashes.json';

export interface FileFact {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits as `stat -c %a` prints them: "644", "4755". */
  mode: string;
  user: string;
  group: string;
  size: number;
  /** Lower-case hex, for a regular file that could be read (when asked for); undefined otherwise. */
  sha256?: string;
}

/**
 * The portable answer: one line per path, `-` when it does not exist, else
 * `<type> <mode> <user> <group> <size> <sha256|-|?>` (the link itself for a symlink, never its
 * target). $1 is `hash` or `nohash` (only existence and metadata: no file is read).
 */
export const FILE_FACTS_SCRIPT = `hash=$1; shift
for p do
  if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo -; continue; fi
  case $(stat -c %F -- "$p") in
    'regular file'|'regular empty file') t=file ;;
    directory) t=directory ;;
    'symbolic link') t=symlink ;;
    *) t=other ;;
  esac
  h=-
  if [ "$t" = file ] && [ "$hash" = hash ]; then h=$(sha256sum <"$p" 2>/dev/null | cut -d' ' -f1); [ -n "$h" ] || h='?'; fi
  printf '%s %s %s\\n' "$t" "$(stat -c '%a %U %G %s' -- "$p")" "$h"
done`;

export function fileFactsCommand(paths: string[], hash = true): string {
  return `sh -c ${shellQuote(FILE_FACTS_SCRIPT)} file-facts ${hash ? 'hash' : 'nohash'} ${paths.map(shellQuote).join(' ')}`;
}

const TYPES = new Set(['file', 'directory', 'symlink', 'other']);

/** Lines of FILE_FACTS_SCRIPT (or the Python loop) back to facts, one per path asked. */
export function parseFileFacts(text: string, count: number): Array<FileFact | undefined> {
  const lines = text.split('\n').filter(line => line !== '');
  if (lines.length !== count) throw new Error(`file facts: ${count} paths asked, ${lines.length} lines came back`);
  return lines.map(line => {
    if (line === '-') return undefined;
    const [type = '', mode = '', user = '', group = '', size = '', sha = ''] = line.split(' ');
    if (!TYPES.has(type) || !/^[0-7]+$/.test(mode) || !/^\d+$/.test(size)) throw new Error(`file facts: cannot read "${line}"`);
    return {type: type as FileFact['type'], mode, user, group, size: Number(size), ...(/^[0-9a-f]{64}$/.test(sha) ? {sha256: sha} : {})};
  });
}

export interface FileFactsOptions {
  sudo?: boolean;
  /** Read regular files for their SHA-256 (default true). */
  hash?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FileFactsAnswer {
  facts: Array<FileFact | undefined>;
  /** What ran, for the run log: the shell command, or a note that the Python loop answered. */
  how: string;
  /** The raw lines, for the run log. */
  text: string;
}

/** Facts about `paths` in one round trip. */
export async function readFileFacts(host: Host, paths: string[], options: FileFactsOptions = {}): Promise<FileFactsAnswer> {
  if (paths.length === 0) return {facts: [], how: 'nothing asked', text: ''};
  const native = await host.fileFacts?.(paths, options);
  if (native !== undefined) return {facts: parseFileFacts(native, paths.length), how: `file facts (in the shell loop): ${paths.join(' ')}`, text: native};
  const command = fileFactsCommand(paths, options.hash !== false);
  const result = await host.exec(command, options);
  if (result.code !== 0) throw new Error(`file facts failed (exit ${result.code}): ${result.stderr.trim()}`);
  return {facts: parseFileFacts(result.stdout, paths.length), how: command, text: result.stdout};
}
