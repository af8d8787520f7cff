// Trusting a self-signed server certificate in the JDK: core ≥ 1.8.0 calls the unit's own
// HTTPS URLs (message API) and checks TLS, so Java must trust the certificate nginx serves.
// These builders return shell text only; the install step runs it as root on the AP hosts.
import {shellQuote} from '../hosts/quote.js';

export const DEFAULT_TRUSTSTORE_ALIAS = 'personium-unit-server';
/** The JDK's default truststore password (never changed by distribution packages). */
export const DEFAULT_STOREPASS = 'changeit';

export interface TruststoreOptions {
  /** Path, on the remote host, of the PEM certificate to trust (already copied there). */
  certPath: string;
  alias?: string;
  /**
   * JDK home on the remote host. Default: $JAVA_HOME, else the JDK of the `java` on PATH
   * (symlinks resolved). The store is <home>/lib/security/cacerts (JDK 9+ layout; JDK 8 had jre/).
   */
  javaHome?: string;
  storepass?: string;
  /**
   * A file on the host that records the SHA-256 of the store and the certificate after a
   * successful check or import: while both are unchanged, keytool (two JVM starts, half a second)
   * is not run again. A distribution update that rewrites cacerts changes the hash.
   */
  stampFile?: string;
}

export interface TruststoreCommands {
  alias: string;
  /** Changes nothing; prints `have=<SHA-256 of the alias or empty>` and `want=<SHA-256 of the file>`. */
  check: string;
  /**
   * Idempotent: skips when the alias already holds this certificate, deletes the alias when it
   * holds another one, then imports. Prints one line: unchanged, imported or replaced.
   */
  apply: string;
}

export type TruststoreState = 'absent' | 'same' | 'different';

// A SHA-256 fingerprint as keytool prints it, whatever the locale of the surrounding text.
const FINGERPRINT = `'([0-9A-F]{2}:){31}[0-9A-F]{2}'`;

function preamble(options: TruststoreOptions): string[] {
  const home = options.javaHome
    ? [`java_home=${shellQuote(options.javaHome)}`]
    : [
        'java_home=${JAVA_HOME:-}',
        'if [ -z "$java_home" ]; then',
        "  java_bin=$(command -v java) || { echo 'java is not installed (no JAVA_HOME and no java on PATH)' >&2; exit 1; }",
        '  java_home=$(dirname "$(dirname "$(readlink -f "$java_bin")")")',
        'fi',
      ];
  return [
    'set -eu',
    ...home,
    'keytool="$java_home/bin/keytool"',
    'store="$java_home/lib/security/cacerts"',
    `cert=${shellQuote(options.certPath)}`,
    `alias=${shellQuote(options.alias ?? DEFAULT_TRUSTSTORE_ALIAS)}`,
    `pass=${shellQuote(options.storepass ?? DEFAULT_STOREPASS)}`,
    '[ -x "$keytool" ] || { echo "no keytool at $keytool" >&2; exit 1; }',
    '[ -f "$store" ] || { echo "no JDK truststore at $store" >&2; exit 1; }',
    '[ -f "$cert" ] || { echo "no certificate at $cert" >&2; exit 1; }',
  ];
}

function stampLines(options: TruststoreOptions, onMatch: string): string[] {
  if (!options.stampFile) return [];
  return [
    `stamp_file=${shellQuote(options.stampFile)}`,
    `stamp=$( (printf '%s\\n' "$alias"; cat "$store" "$cert") | sha256sum | cut -d' ' -f1)`,
    `if [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then ${onMatch}; fi`,
  ];
}

function writeStamp(options: TruststoreOptions): string[] {
  if (!options.stampFile) return [];
  return ['mkdir -p "$(dirname "$stamp_file")"', `(printf '%s\\n' "$alias"; cat "$store" "$cert") | sha256sum | cut -d' ' -f1 >"$stamp_file"`];
}

function fingerprints(): string[] {
  return [
    `want=$("$keytool" -printcert -file "$cert" | grep -oE ${FINGERPRINT} | head -n 1)`,
    // -list -v prints SHA1 and SHA-256 lines on JDK 8 and 17 alike; a missing alias exits 1.
    `have=$("$keytool" -list -v -keystore "$store" -storepass "$pass" -alias "$alias" 2>/dev/null | grep -oE ${FINGERPRINT} | head -n 1) || have=''`,
  ];
}

/** Shell text (for `sh -c`) that imports a certificate into the JDK truststore, idempotently. */
export function jdkTruststoreCommands(options: TruststoreOptions): TruststoreCommands {
  const alias = options.alias ?? DEFAULT_TRUSTSTORE_ALIAS;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(alias)) throw new Error(`a truststore alias is letters, digits, ".", "_" or "-" (not "${alias}")`);
  const head = preamble(options);
  const check = [
    ...head,
    ...stampLines(options, "echo 'stamp=match'; exit 0"),
    ...fingerprints(),
    'printf "have=%s\\nwant=%s\\n" "$have" "$want"',
  ].join('\n');
  const apply = [
    ...head,
    ...stampLines(options, 'echo unchanged; exit 0'),
    ...fingerprints(),
    '[ -n "$want" ] || { echo "keytool cannot read the certificate $cert" >&2; exit 1; }',
    'if [ "$have" = "$want" ]; then',
    ...writeStamp(options).map((l) => `  ${l}`),
    '  echo unchanged; exit 0',
    'fi',
    'if [ -n "$have" ]; then',
    '  out=$("$keytool" -delete -keystore "$store" -storepass "$pass" -alias "$alias" 2>&1) || { echo "$out" >&2; exit 1; }',
    '  result=replaced',
    'else',
    '  result=imported',
    'fi',
    // keytool reports success on stderr: its output is shown only when it fails.
    'out=$("$keytool" -importcert -noprompt -keystore "$store" -storepass "$pass" -alias "$alias" -file "$cert" 2>&1) || { echo "$out" >&2; exit 1; }',
    ...writeStamp(options),
    'echo "$result"',
  ].join('\n');
  return {alias, check, apply};
}

/** Reads the output of `check`. */
export function parseTruststoreCheck(stdout: string): TruststoreState {
  if (isStampMatch(stdout)) return 'same';
  const have = /^have=(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const want = /^want=(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  if (want === '') throw new Error('the truststore check printed no fingerprint for the certificate');
  if (have === '') return 'absent';
  return have === want ? 'same' : 'different';
}

/** Whether `check` answered from the stamp (keytool not run) rather than from the fingerprints. */
export function isStampMatch(stdout: string): boolean {
  return /^stamp=match$/m.test(stdout);
}
