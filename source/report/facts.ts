// One POSIX sh script per host, run in ONE exec as root, gathers every fact the report judges.
// It is role-aware: only what the host's roles install is looked at. Output is a list of
// sections opened by a header carrying a random marker (as preflight does). Slow parts (the
// package manager's view of updates, keytool, name resolution, network probes, the NFS write
// test) run in the background while the rest is read.
//
// Secrets never leave the server: the unit config is masked on the host (secret16, the salt,
// the master token and other passwords become "__SET__" or empty), and of the unit key only its
// first line is read. Nothing is changed on the host except a temporary file made and removed
// again by the NFS write test.
import {REMOTE_ARTIFACT_DIR} from '../artifacts/types.js';
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {newMarker, parseSsLine, splitSections, type DiskFacts, type Listener} from '../preflight/facts.js';
import type {Role} from '../profile/schema.js';
import {STATE_DIR} from '../steps/common.js';
import {parseOsRelease} from '../steps/os.js';
import {parseProperties} from '../steps/render/properties.js';
import {PRINT_SETENV_JAVA_HOME} from '../steps/render/tomcat.js';

/** A network check made from the host: TCP connect, memcached `stats`, the OpenWire greeting, or an HTTP GET. */
export interface Probe {
  /** Section name; letters, digits, dots and hyphens. */
  id: string;
  kind: 'tcp' | 'memcached' | 'activemq' | 'http';
  host: string;
  port: number;
  /** Full URL (http only). */
  url?: string;
}

export interface ProbeResult {
  id: string;
  kind: Probe['kind'];
  /** Connected (tcp, memcached, activemq) or answered with an HTTP status (http). */
  ok: boolean;
  /** Short description of what happened. */
  detail: string;
  /** HTTP status (http only). */
  status?: number;
  /** HTTP body (http only, first 16 kB). */
  body?: string;
  /** memcached version from `stats`, ActiveMQ greeting seen. */
  version?: string;
  greeting?: boolean;
}

export interface ReportScriptOptions {
  marker: string;
  roles: readonly Role[];
  /** systemd services this host runs (without .service). */
  services: readonly string[];
  /** Paths whose disk use is reported (the nearest existing parent is measured). */
  diskPaths: readonly string[];
  /** Names to resolve with getent ahosts. */
  names: readonly string[];
  probes: readonly Probe[];
  /** The NFS root must be an NFS mount here (an AP host beside an NFS host). */
  nfsMount: boolean;
  /** Directory on shared storage the personium user must be able to write (AP hosts). */
  writeTestDir?: string;
  /** Read the JVM trust store of Tomcat's Java (self-signed server certificate). */
  trustCheck: boolean;
}

export interface ServiceState {
  name: string;
  load: string;
  active: string;
  sub: string;
  enabled: string;
  after: string[];
  wants: string[];
  requiresMountsFor: string[];
}

export interface ExtensionJar {
  file: string;
  version?: string;
}

export interface ReportFacts {
  os?: {id: string; versionId: string; prettyName: string; release: Record<string, string>};
  updates?: {tool: 'apt' | 'dnf' | 'yum'; security?: number; total?: number; listsAgeDays?: number; error?: string};
  services: ServiceState[];
  listeners: Listener[];
  listenersUnknown: boolean;
  addresses: string[];
  disks: DiskFacts[];
  resolved: Record<string, string[]>;
  probes: Record<string, ProbeResult>;
  versions: {
    nginx?: string;
    java?: string;
    javaHome?: string;
    tomcat?: string;
    tomcatHome?: string;
    elasticsearch?: string;
    elasticsearchHome?: string;
    activemq?: string;
    activemqHome?: string;
    memcached?: string;
    core?: string;
    engine?: string;
  };
  wars: {core: boolean; engine: boolean};
  nfs?: {mount?: {source: string; fstype: string; options: string}; write?: 'ok' | 'failed' | 'timeout'; writeDetail?: string};
  /** The unit config read back, secrets masked on the host: "__SET__" stands for a value. */
  unitConfig?: {present: boolean; values: Record<string, string>; error?: string};
  serverCert?: string;
  serverKeyMatches?: boolean;
  unitCert?: string;
  /** First line of the unit key file only. */
  unitKeyHeader?: string;
  unitKeyMatches?: boolean;
  trust?: {store: string; fingerprints: string[]; error?: string};
  extensions?: {dir: boolean; jars: ExtensionJar[]; properties: string[]};
  plugins?: string[];
  tomcatUsers?: number;
  webapps?: string[];
  nginx?: {testOk: boolean; error?: string; sslProtocols: Array<{file: string; protocols: string[]}>};
}

/** Marks a masked secret in the unit config text. */
export const SECRET_SET = '__SET__';

/** Unit config keys masked on the host (never sent as they are). */
export const MASKED_KEYS = [
  'io.personium.core.masterToken',
  'io.personium.engine.masterToken',
  'io.personium.core.security.secret16',
  'io.personium.engine.security.secret16',
  'io.personium.core.security.auth.password.salt',
  'io.personium.core.introspect.password',
  'io.personium.core.stream.password',
] as const;

const maskedPattern = MASKED_KEYS.map(k => k.replace(/\./g, '\\.')).join('|');

/** awk program that prints a .properties file with the values of MASKED_KEYS replaced. */
export const MASK_AWK = `skip { if ($0 !~ /\\\\$/) skip = 0; next }
/^[ \\t]*(${maskedPattern})([ \\t=:]|$)/ {
  k = $0; sub(/^[ \\t]*/, "", k); key = k; sub(/[ \\t=:].*$/, "", key)
  v = substr(k, length(key) + 1); sub(/^[ \\t]*[=:]?[ \\t]*/, "", v)
  if (v ~ /\\\\$/) skip = 1
  print key "=" (v == "" ? "" : "${SECRET_SET}"); next
}
{ print }`;

// Counts <user> elements outside comments (perl, else python3, else a plain grep).
const COUNT_USERS = `if has perl; then perl -0777 -ne 's/<!--.*?-->//gs; my $n = () = /<user\\s/g; print "$n\\n"' "$1"
elif has python3; then python3 -c 'import re,sys; t=re.sub(r"<!--.*?-->","",open(sys.argv[1]).read(),flags=re.S); print(len(re.findall(r"<user\\s",t)))' "$1"
else grep -c '<user[[:space:]]' "$1"; fi`;

function probeCommand(p: Probe, i: number): string {
  const out = `"$d/probe.${i}"`;
  const hp = `${q(p.host)} ${p.port}`;
  switch (p.kind) {
    case 'http':
      return `( c=$(curl -sS --max-time 3 -o "$d/body.${i}" -w '%{http_code}' ${q(p.url ?? '')} 2>"$d/err.${i}"); printf 'rc %s\\nhttp %s\\nerror %s\\n' "$?" "$c" "$(head -1 "$d/err.${i}")" ) >${out} 2>/dev/null &`;
    case 'tcp':
      return `( $TO3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ ${hp} 2>"$d/err.${i}"; printf 'rc %s\\nerror %s\\n' "$?" "$(head -1 "$d/err.${i}")" ) >${out} 2>/dev/null &`;
    case 'memcached':
      return `( $TO3 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 7; printf "stats\\r\\nquit\\r\\n" >&3; cat <&3' _ ${hp} 2>"$d/err.${i}" | tr -d '\\r' | grep -E '^STAT (version|uptime|pid) '; printf 'rc %s\\nerror %s\\n' "$?" "$(head -1 "$d/err.${i}")" ) >${out} 2>/dev/null &`;
    case 'activemq':
      // The broker greets with a WireFormatInfo whose magic is "ActiveMQ" (after 5 bytes).
      return `( $TO2 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 7; echo connected; head -c 13 <&3 | tr -c "A-Za-z" "."; echo' _ ${hp} 2>"$d/err.${i}"; printf 'rc %s\\nerror %s\\n' "$?" "$(head -1 "$d/err.${i}")" ) >${out} 2>/dev/null &`;
  }
}

/**
 * Prints `<pid> <unit> <comm>` for each /proc/<pid>/cgroup file given: the unit from the first
 * line of the systemd hierarchy (cgroup v1 name=systemd, or v2's single line), comm beside it.
 */
const PIDS_AWK = `FNR == 1 { if (p != "") print p, u, c; split(FILENAME, a, "/"); p = a[3]; u = ""; got = 0; c = ""; f = "/proc/" p "/comm"; getline c < f; close(f) }
!got && ($2 == "name=systemd" || $2 == "") { u = $3; sub(/.*\\//, "", u); got = 1 }
END { if (p != "") print p, u, c }`;

/**
 * Whether a certificate and its key belong together (openssl, four processes), kept in the report
 * cache with both files' identity (inode, size, mtime, ctime), so it runs again only when either changed.
 */
function keyMatch(cert: string, key: string, cacheName: string): string {
  return `if has openssl && [ -r ${q(cert)} ] && [ -r ${q(key)} ]; then cached "$(stat -c '%d %i %s %Y %Z' -- ${q(cert)} ${q(key)} | tr '\\n' ' ')" ${cacheName} key_match ${q(cert)} ${q(key)}; fi`;
}

/** Where the report keeps slow facts on the host, each with the state it was computed from. */
export const REPORT_CACHE_DIR = `${STATE_DIR}/report-cache`;

/** The fact script. Every value from the profile is quoted. */
export function reportScript(options: ReportScriptOptions): string {
  const {marker, roles} = options;
  if (!/^[A-Za-z0-9-]+$/.test(marker)) throw new Error('marker must be alphanumeric');
  for (const p of options.probes) if (!/^[A-Za-z0-9.-]+$/.test(p.id)) throw new Error(`probe id ${p.id} must be letters, digits, dots and hyphens`);
  const has = (role: Role) => roles.includes(role);
  const ap = has('ap');
  const units = options.services.map(s => q(`${s}.service`)).join(' ');
  const names = options.names.map(q).join(' ');
  const disks = options.diskPaths.map(q).join(' ');
  const lines: string[] = [];
  const add = (...l: string[]) => lines.push(...l);

  add(
    `M=${q(`--${marker}`)}`,
    `s() { printf '\\n%s %s\\n' "$M" "$1"; }`,
    'has() { command -v "$1" >/dev/null 2>&1; }',
    "d=$(mktemp -d 2>/dev/null || { mkdir -m 700 /tmp/.rp-$$ && echo /tmp/.rp-$$; })",
    `trap 'rm -rf "$d"' EXIT`,
    'TO3=; TO2=; TO5=; has timeout && { TO3="timeout 3"; TO2="timeout 2"; TO5="timeout 5"; }',
    // The two slow facts (apt's upgrade simulation, keytool's JVM) are kept on the host with the
    // state they come from, and computed again only when that state changed.
    `C=${q(REPORT_CACHE_DIR)}`,
    `cached() { k=$1; f="$C/$2"; shift 2; if [ "$(head -n 1 "$f" 2>/dev/null)" = "$k" ]; then tail -n +2 "$f"; else o=$("$@"); r=$?; if [ $r -eq 0 ] && mkdir -p "$C" 2>/dev/null; then printf '%s\n%s\n' "$k" "$o" >"$f.$$" 2>/dev/null && mv -f "$f.$$" "$f" 2>/dev/null; fi; printf '%s\n' "$o"; fi; }`,
    `key_match() { a=$(openssl x509 -noout -pubkey -in "$1" 2>/dev/null | openssl sha256 2>/dev/null); b=$(openssl pkey -pubout -in "$2" 2>/dev/null | openssl sha256 2>/dev/null); if [ -n "$a" ] && [ "$a" = "$b" ]; then echo 'match yes'; else echo 'match no'; fi; }`,
    '# --- slow parts, in the background',
  );
  if (names) add(`( for n in ${names}; do printf '%s' "$n"; $TO3 getent ahosts "$n" 2>/dev/null | awk '{print $1}' | sort -u | tr '\\n' ' ' | sed 's/^/ /'; echo; done ) >"$d/res" 2>/dev/null &`);
  add(
    `apt_counts() { apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null | awk '/^Inst /{t++; if (/[Ss]ecurity/) s++} END {printf "total %d\\nsecurity %d\\n", t, s}'; }`,
    `if has apt-get; then ( L=$(ls -t /var/lib/apt/lists/*Release 2>/dev/null | head -1); [ -n "$L" ] && printf 'lists %s\\n' "$(stat -c %Y "$L")"; cached "$(stat -c %Y /var/lib/dpkg/status /var/lib/apt/lists /etc/apt /etc/apt/preferences.d 2>/dev/null | tr '\\n' ' ')" apt-upgrades apt_counts; echo 'tool apt' ) >"$d/upd" 2>/dev/null &`,
    `elif has dnf || has yum; then ( P=dnf; has dnf || P=yum; o=$($P -q -C updateinfo list --security 2>/dev/null); r=$?; printf '%s\\n' "$o" | awk 'NF >= 3 {s++} END {printf "security %d\\n", s}'; printf 'rc %s\\ntool %s\\n' "$r" "$P" ) >"$d/upd" 2>/dev/null & fi`,
  );
  options.probes.forEach((p, i) => add(probeCommand(p, i)));
  if (options.writeTestDir) {
    add(
      `( W=${q(options.writeTestDir)}; f="$W/.personium-setup-report-$$"`,
      `  if has runuser; then $TO5 runuser -u personium -- sh -c ': > "$1" && rm -f "$1"' _ "$f" 2>"$d/werr"; else $TO5 su -s /bin/sh personium -c ": > '$f' && rm -f '$f'" 2>"$d/werr"; fi`,
      `  r=$?; rm -f "$f" 2>/dev/null; printf 'rc %s\\nerror %s\\n' "$r" "$(head -1 "$d/werr")" ) >"$d/write" 2>/dev/null &`,
    );
  }
  if (ap) {
    add(
      `JH=$(${PRINT_SETENV_JAVA_HOME})`,
      `[ -n "$JH" ] || JH=$(systemctl show -p Environment --value tomcat.service 2>/dev/null | tr ' ' '\\n' | sed -n 's/^JAVA_HOME=//p' | head -1)`,
    );
  }
  // Without Tomcat here, the JDK that ActiveMQ (or Elasticsearch 6) is given, before the one on PATH.
  if (!ap && (has('mq') || has('es'))) {
    add(`[ -n "$JH" ] || JH=$(systemctl show -p Environment --value activemq.service elasticsearch.service 2>/dev/null | tr ' ' '\\n' | sed -n 's/^JAVA_HOME=//p' | head -1)`);
  }
  add('[ -n "$JH" ] || { j=$(readlink -f "$(command -v java)" 2>/dev/null) && [ -n "$j" ] && JH=$(dirname "$(dirname "$j")"); }');
  if (ap && options.trustCheck) {
    add(
      `TS=$(grep -o -- '-Djavax\\.net\\.ssl\\.trustStore=[^ "]*' ${q(PATHS.tomcatSetenv)} 2>/dev/null | head -1 | cut -d= -f2-)`,
      `PDSKS=$(grep -o -- '-Djavax\\.net\\.ssl\\.trustStorePassword=[^ "]*' ${q(PATHS.tomcatSetenv)} 2>/dev/null | head -1 | cut -d= -f2-); export PDSKS="\${PDSKS:-changeit}"`,
      '[ -n "$TS" ] || TS="$JH/lib/security/cacerts"',
      `trust_list() { K="$JH/bin/keytool"; [ -x "$K" ] || K=keytool; $K -list -keystore "$TS" -storepass:env PDSKS 2>&1 | grep -iE 'SHA-?256\\)?:|keytool error|exception'; }`,
      `( printf 'store %s\\n' "$TS"; if [ -r "$TS" ]; then cached "$TS $(sha256sum <"$TS" | cut -d' ' -f1)" truststore trust_list; else trust_list; fi ) >"$d/trust" 2>/dev/null &`,
    );
  }

  add('# --- quick facts');
  add('s os; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null');
  if (units) {
    add(`s services; systemctl show -p Id -p LoadState -p ActiveState -p SubState -p UnitFileState -p After -p Wants -p RequiresMountsFor -- ${units} 2>/dev/null`);
  }
  add(
    "s listen; if has ss; then LS=$(ss -Htlnp 2>/dev/null); [ -n \"$LS\" ] && printf '%s\\n' \"$LS\"; else echo '#no-ss'; fi",
    // Each listener's systemd unit and command name, by one awk over all their /proc entries.
    `s pids; set --; for pid in $(printf '%s\\n' "$LS" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un); do [ -r "/proc/$pid/cgroup" ] && set -- "$@" "/proc/$pid/cgroup"; done`,
    `[ $# -gt 0 ] && awk -F: ${q(PIDS_AWK)} "$@" 2>/dev/null`,
    "s addrs; if has ip; then ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1; else hostname -I 2>/dev/null | tr ' ' '\\n'; fi",
    `s df; for p in ${disks}; do x=$p; while [ ! -e "$x" ]; do x=$(dirname "$x"); done; printf '%s %s ' "$p" "$x"; df -Pk "$x" 2>/dev/null | awk 'NR == 2 {print $(NF-4), $(NF-2), $NF}'; done`,
  );
  add(
    's versions',
    `[ -n "$JH" ] && { printf 'javahome %s\\n' "$JH"; v=$(sed -n 's/^JAVA_VERSION="\\(.*\\)"/\\1/p' "$JH/release" 2>/dev/null); [ -n "$v" ] || v=$("$JH/bin/java" -version 2>&1 | head -1 | sed -n 's/.*version "\\([^"]*\\)".*/\\1/p'); printf 'java %s\\n' "$v"; }`,
  );
  if (has('web')) add("has nginx && printf 'nginx %s\\n' \"$(nginx -v 2>&1 | head -1)\"");
  if (has('nfs')) add(`for m in /usr/bin/memcached memcached; do if has $m; then printf 'memcached %s\\n' "$($m -V 2>/dev/null | head -1)"; break; fi; done`);
  if (has('es')) add(`printf 'eshome %s\\n' "$(readlink -f ${q(PATHS.esHome)} 2>/dev/null)"`);
  if (has('mq')) add(`printf 'mqhome %s\\n' "$(readlink -f ${q(PATHS.activemqHome)} 2>/dev/null)"`);
  if (ap) {
    const T = PATHS.tomcatHome;
    add(
      `printf 'tomcathome %s\\n' "$(readlink -f ${q(T)} 2>/dev/null)"`,
      `has unzip && printf 'tomcatinfo %s\\n' "$(unzip -p ${q(`${T}/lib/catalina.jar`)} org/apache/catalina/util/ServerInfo.properties 2>/dev/null | sed -n 's/^server.number=//p' | head -1)"`,
      `printf 'tomcatnotes %s\\n' "$(grep -m1 -o 'Apache Tomcat Version [0-9.]*' ${q(`${T}/RELEASE-NOTES`)} 2>/dev/null)"`,
    );
    for (const [label, context] of [['core', 'personium-core'], ['engine', 'personium-engine']] as const) {
      const dir = `${PATHS.webapps}/${context}`;
      const pom = `META-INF/maven/io.personium/${context}/pom.properties`;
      add(
        `[ -e ${q(`${dir}.war`)} ] && printf 'war %s\\n' ${label}`,
        `if [ -r ${q(`${dir}/${pom}`)} ]; then v=$(sed -n 's/^version=//p' ${q(`${dir}/${pom}`)} | head -1); elif has unzip; then v=$(unzip -p ${q(`${dir}.war`)} ${q(pom)} 2>/dev/null | sed -n 's/^version=//p' | head -1); else v=; fi`,
        `[ -n "$v" ] || v=$( { cat ${q(`${dir}/META-INF/MANIFEST.MF`)} 2>/dev/null || unzip -p ${q(`${dir}.war`)} META-INF/MANIFEST.MF 2>/dev/null; } | tr -d '\\r' | sed -n 's/^Implementation-Version: *//p' | head -1)`,
        `if [ -z "$v" ] && [ -e ${q(`${dir}.war`)} ]; then w=$(sha256sum < ${q(`${dir}.war`)} | cut -d' ' -f1); for f in ${q(REMOTE_ARTIFACT_DIR)}/${context}-*.war; do [ -e "$f" ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$w" ] && v="file:\${f##*/}"; done; fi`,
        `printf '${label} %s\\n' "$v"`,
      );
    }
  }

  if (has('web')) {
    add(
      `s nginx; o=$(nginx -T 2>&1); printf 'rc %s\\n' "$?"; printf '%s\\n' "$o" | grep -m1 -E 'emerg|\\[error\\]' | sed 's/^/error /'`,
      `printf '%s\\n' "$o" | awk '/^# configuration file / {f = $4; sub(/:$/, "", f)} /^[ \\t]*ssl_protocols[ \\t]/ {l = $0; sub(/^[ \\t]*ssl_protocols[ \\t]+/, "", l); sub(/;.*$/, "", l); print "protocols " f " " l}'`,
      `s servercert; cat ${q(PATHS.serverCert)} 2>/dev/null`,
      `s serverkey; ${keyMatch(PATHS.serverCert, PATHS.serverKey, 'server-key-match')}`,
    );
  }
  if (ap) {
    add(
      `s unitconfig; if [ -r ${q(PATHS.unitConfig)} ]; then echo '#present'; awk ${q(MASK_AWK)} ${q(PATHS.unitConfig)}; fi`,
      `s unitcert; cat ${q(PATHS.unitCert)} 2>/dev/null`,
      `s unitkey; head -1 ${q(PATHS.unitKey)} 2>/dev/null | tr -d '\\r' | grep -E '^-----(BEGIN|END) [A-Z0-9 ]+-----$' | sed 's/^/header /'`,
      keyMatch(PATHS.unitCert, PATHS.unitKey, 'unit-key-match'),
      `s extensions; E=${q(PATHS.extensionsDir)}; [ -d "$E" ] && echo '#dir'`,
      `for f in "$E"/*.jar; do [ -e "$f" ] || continue; v=; has unzip && v=$(unzip -p "$f" 'META-INF/maven/io.personium/*/pom.properties' 2>/dev/null | sed -n 's/^version=//p' | head -1); [ -n "$v" ] || { has unzip && v=$(unzip -p "$f" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\\r' | sed -n 's/^Implementation-Version: *//p' | head -1); }; if [ -z "$v" ]; then w=$(sha256sum < "$f" | cut -d' ' -f1); for c in ${q(REMOTE_ARTIFACT_DIR)}/personium-ex-*.jar; do [ -e "$c" ] && [ "$(sha256sum < "$c" | cut -d' ' -f1)" = "$w" ] && v="file:\${c##*/}"; done; fi; printf 'jar %s %s\\n' "\${f##*/}" "$v"; done`,
      `for f in "$E"/Ext_*.properties; do [ -e "$f" ] && printf 'props %s\\n' "\${f##*/}"; done`,
      `s plugins; ls -1 ${q(PATHS.pluginsDir)} 2>/dev/null`,
      `s tomcat; f=${q(PATHS.tomcatUsers)}; [ -r "$f" ] && printf 'users %s\\n' "$(set -- "$f"; ${COUNT_USERS})"`,
      `for w in ${q(PATHS.webapps)}/*; do [ -e "$w" ] && printf 'webapp %s\\n' "\${w##*/}"; done`,
    );
  }
  if (options.nfsMount) add(`s nfsmount; findmnt -n -o SOURCE,FSTYPE,OPTIONS --target ${q(PATHS.nfsRoot)} 2>/dev/null | head -1`);

  add('# --- background results', 'wait');
  if (names) add('s resolve; cat "$d/res" 2>/dev/null');
  add('s updates; cat "$d/upd" 2>/dev/null');
  options.probes.forEach((p, i) => add(`s probe.${p.id}; printf 'kind %s\\n' ${p.kind}; cat "$d/probe.${i}" 2>/dev/null${p.kind === 'http' ? `; echo '#body'; head -c 16384 "$d/body.${i}" 2>/dev/null` : ''}`));
  if (options.writeTestDir) add('s write; cat "$d/write" 2>/dev/null');
  if (ap && options.trustCheck) add('s trust; cat "$d/trust" 2>/dev/null');
  add('s end');
  return `${lines.join('\n')}\n`;
}

/** "file:personium-core-1.8.3.war" (matched by hash in the artifact cache) → "1.8.3 (= personium-core-1.8.3.war)". */
export function cachedVersion(value: string | undefined): string | undefined {
  if (!value?.startsWith('file:')) return value || undefined;
  const name = value.slice(5);
  const v = /-(\d+(?:\.\d+)+)(?:-libs)?\.(?:war|jar)$/.exec(name)?.[1];
  return v ? `${v} (= ${name} in the artifact cache)` : undefined;
}

function keyValues(lines: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(' ');
    if (i < 0) map.set(line.trim(), '');
    else if (!map.has(line.slice(0, i))) map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

const intOf = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

/** "nginx version: nginx/1.22.1" → 1.22.1; "/opt/tomcat-9.0.120" → 9.0.120; "Apache Tomcat Version 9.0.120" → 9.0.120. */
export function versionIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /(\d+\.\d+(?:\.\d+)*(?:[-+._][0-9A-Za-z.+-]*)?)\s*$/.exec(text.trim()) ?? /(\d+\.\d+(?:\.\d+)*)/.exec(text);
  return m ? m[1]!.replace(/[-.]+$/, '') : undefined;
}

function parseServices(lines: string[]): ServiceState[] {
  const services: ServiceState[] = [];
  let current: Record<string, string> = {};
  const flush = () => {
    if (current.Id) {
      const list = (key: string) => (current[key] ?? '').split(/\s+/).filter(Boolean);
      services.push({
        name: current.Id.replace(/\.service$/, ''),
        load: current.LoadState ?? '',
        active: current.ActiveState ?? '',
        sub: current.SubState ?? '',
        enabled: current.UnitFileState ?? '',
        after: list('After'),
        wants: list('Wants'),
        requiresMountsFor: list('RequiresMountsFor'),
      });
    }
    current = {};
  };
  for (const line of lines) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0) current[line.slice(0, i)] = line.slice(i + 1);
  }
  flush();
  return services;
}

function parseProbe(id: string, lines: string[]): ProbeResult {
  const bodyAt = lines.indexOf('#body');
  const head = keyValues(bodyAt >= 0 ? lines.slice(0, bodyAt) : lines);
  const kind = (head.get('kind') ?? 'tcp') as Probe['kind'];
  const rc = intOf(head.get('rc'));
  const error = head.get('error') || undefined;
  const timedOut = rc === 124;
  switch (kind) {
    case 'http': {
      const status = intOf(head.get('http')) ?? 0;
      const body = bodyAt >= 0 ? lines.slice(bodyAt + 1).join('\n') : '';
      const ok = status > 0;
      return {id, kind, ok, detail: ok ? `HTTP ${status}` : error ?? (timedOut ? 'no answer within 3 s' : 'no answer'), status, body};
    }
    case 'memcached': {
      const stats = new Map<string, string>();
      for (const l of lines) {
        const m = /^STAT (\S+) (.*)$/.exec(l);
        if (m) stats.set(m[1]!, m[2]!.trim());
      }
      const version = stats.get('version');
      const ok = version !== undefined;
      return {id, kind, ok, detail: ok ? `stats answered (memcached ${version}, up ${stats.get('uptime') ?? '?'} s)` : error ?? (timedOut ? 'no answer within 3 s' : 'no answer to stats'), ...(version ? {version} : {})};
    }
    case 'activemq': {
      const connected = lines.includes('connected');
      const greeting = lines.some(l => l.includes('ActiveMQ'));
      return {id, kind, ok: connected, greeting, detail: connected ? (greeting ? 'connected; the broker greeted with OpenWire' : 'connected (no OpenWire greeting seen)') : error ?? 'connection refused or timed out'};
    }
    default: {
      const ok = rc === 0;
      return {id, kind, ok, detail: ok ? 'connected' : error ?? (timedOut ? 'timed out' : 'connection failed')};
    }
  }
}

/** Parses the script's output. Missing sections give undefined fields, never a throw. */
export function parseReportFacts(output: string, marker: string): ReportFacts {
  const sec = splitSections(output, marker);
  const get = (name: string) => sec.get(name) ?? [];

  const release = parseOsRelease(get('os').join('\n'));
  const os = release.ID ? {id: release.ID.toLowerCase(), versionId: release.VERSION_ID ?? '', prettyName: release.PRETTY_NAME ?? `${release.ID} ${release.VERSION_ID ?? ''}`.trim(), release} : undefined;

  const upd = keyValues(get('updates'));
  const tool = upd.get('tool') as 'apt' | 'dnf' | 'yum' | undefined;
  let updates: ReportFacts['updates'];
  if (tool) {
    const rc = intOf(upd.get('rc'));
    const lists = intOf(upd.get('lists'));
    updates = {
      tool,
      ...(rc !== undefined && rc !== 0 ? {error: `${tool} updateinfo failed (exit ${rc}); its metadata cache may be empty`} : {security: intOf(upd.get('security'))}),
      ...(intOf(upd.get('total')) !== undefined ? {total: intOf(upd.get('total'))} : {}),
      ...(lists !== undefined ? {listsAgeDays: Math.max(0, Math.floor((Date.now() / 1000 - lists) / 86400))} : {}),
    };
  }

  const units = new Map<number, {unit?: string; name?: string}>();
  for (const line of get('pids')) {
    const [pid, unit, name] = line.trim().split(/\s+/);
    if (!pid || !/^\d+$/.test(pid)) continue;
    const clean = unit && /\.(service|scope|socket)$/.test(unit) ? unit : undefined;
    units.set(Number(pid), {...(clean ? {unit: clean} : {}), ...(name ? {name} : {})});
  }
  const listenLines = get('listen');
  const listenersUnknown = !sec.has('listen') || listenLines.some(l => l.trim() === '#no-ss');
  const listeners = listenLines.map(l => parseSsLine(l, units)).filter((l): l is Listener => l !== undefined);

  const disks: DiskFacts[] = [];
  for (const line of get('df')) {
    const f = line.trim().split(/\s+/);
    const sizeKb = intOf(f[2]);
    const availKb = intOf(f[3]);
    if (f.length < 5 || sizeKb === undefined || availKb === undefined) continue;
    disks.push({path: f[0]!, measured: f[1]!, sizeKb, availKb, mount: f.slice(4).join(' ')});
  }

  const resolved: Record<string, string[]> = {};
  for (const line of get('resolve')) {
    const [name, ...addresses] = line.trim().split(/\s+/);
    if (name) resolved[name] = addresses.filter(Boolean);
  }

  const probes: Record<string, ProbeResult> = {};
  for (const [name, lines] of sec) if (name.startsWith('probe.')) probes[name.slice(6)] = parseProbe(name.slice(6), lines);

  const v = keyValues(get('versions'));
  const memcachedVersion = /memcached\s+(\S+)/.exec(v.get('memcached') ?? '')?.[1];
  const tomcatInfo = v.get('tomcatinfo') ? v.get('tomcatinfo')!.replace(/^(\d+\.\d+\.\d+)\.0$/, '$1') : undefined;
  const versions: ReportFacts['versions'] = {};
  const setV = (key: keyof ReportFacts['versions'], value: string | undefined) => {
    if (value) versions[key] = value;
  };
  setV('nginx', /nginx\/(\S+)/.exec(v.get('nginx') ?? '')?.[1]);
  setV('java', v.get('java'));
  setV('javaHome', v.get('javahome'));
  setV('tomcatHome', v.get('tomcathome'));
  setV('tomcat', tomcatInfo || versionIn(v.get('tomcatnotes')) || (v.get('tomcathome') && /tomcat-(\d[\w.-]*)$/.exec(v.get('tomcathome')!)?.[1]));
  setV('elasticsearchHome', v.get('eshome'));
  setV('elasticsearch', /elasticsearch-(\d[\w.-]*)$/.exec(v.get('eshome') ?? '')?.[1]);
  setV('activemqHome', v.get('mqhome'));
  setV('activemq', /activemq-(\d[\w.-]*)$/.exec(v.get('mqhome') ?? '')?.[1]);
  setV('memcached', memcachedVersion);
  setV('core', cachedVersion(v.get('core')));
  setV('engine', cachedVersion(v.get('engine')));
  const warLines = get('versions').filter(l => l.startsWith('war '));
  const wars = {core: warLines.includes('war core'), engine: warLines.includes('war engine')};

  const facts: ReportFacts = {
    ...(os ? {os} : {}),
    ...(updates ? {updates} : {}),
    services: parseServices(get('services')),
    listeners,
    listenersUnknown,
    addresses: get('addrs').map(a => a.trim()).filter(Boolean),
    disks,
    resolved,
    probes,
    versions,
    wars,
  };

  if (sec.has('nfsmount') || sec.has('write')) {
    const [mountLine] = get('nfsmount');
    const m = mountLine?.trim().split(/\s+/);
    const w = keyValues(get('write'));
    const rc = intOf(w.get('rc'));
    facts.nfs = {
      ...(m && m.length >= 2 ? {mount: {source: m[0]!, fstype: m[1]!, options: m[2] ?? ''}} : {}),
      ...(sec.has('write') ? {write: rc === 0 ? 'ok' : rc === 124 ? 'timeout' : 'failed', ...(w.get('error') ? {writeDetail: w.get('error')!} : {})} : {}),
    };
  }

  if (sec.has('unitconfig')) {
    const lines = get('unitconfig');
    if (lines[0] !== '#present') facts.unitConfig = {present: false, values: {}};
    else {
      facts.unitConfig = {present: true, values: {}};
      try {
        facts.unitConfig.values = Object.fromEntries(parseProperties(lines.slice(1).join('\n')));
      } catch (error) {
        facts.unitConfig.error = (error as Error).message;
      }
    }
  }

  const pem = (name: string) => {
    const text = get(name).join('\n').trim();
    return text.includes('-----BEGIN') ? `${text}\n` : undefined;
  };
  if (sec.has('servercert')) {
    const cert = pem('servercert');
    if (cert) facts.serverCert = cert;
    const match = keyValues(get('serverkey')).get('match');
    if (match) facts.serverKeyMatches = match === 'yes';
  }
  if (sec.has('unitcert') || sec.has('unitkey')) {
    const cert = pem('unitcert');
    if (cert) facts.unitCert = cert;
    const k = keyValues(get('unitkey'));
    if (k.get('header')) facts.unitKeyHeader = k.get('header');
    if (k.get('match')) facts.unitKeyMatches = k.get('match') === 'yes';
  }
  if (sec.has('trust')) {
    const lines = get('trust');
    const store = keyValues(lines).get('store') ?? '';
    const fingerprints = lines.map(l => /SHA-?256\)?:\s*([0-9A-Fa-f:]+)/i.exec(l)?.[1]?.toUpperCase()).filter((f): f is string => Boolean(f));
    const error = lines.find(l => /keytool error|exception/i.test(l));
    facts.trust = {store, fingerprints, ...(error ? {error: error.trim()} : {})};
  }
  if (sec.has('extensions')) {
    const lines = get('extensions');
    facts.extensions = {
      dir: lines.includes('#dir'),
      jars: lines.filter(l => l.startsWith('jar ')).map(l => {
        const [, file, raw] = l.split(' ');
        const version = cachedVersion(raw);
        return {file: file!, ...(version ? {version} : {})};
      }),
      properties: lines.filter(l => l.startsWith('props ')).map(l => l.slice(6).trim()),
    };
  }
  if (sec.has('plugins')) facts.plugins = get('plugins').map(l => l.trim()).filter(Boolean);
  if (sec.has('tomcat')) {
    const t = get('tomcat');
    const users = intOf(keyValues(t).get('users'));
    if (users !== undefined) facts.tomcatUsers = users;
    facts.webapps = t.filter(l => l.startsWith('webapp ')).map(l => l.slice(7).trim());
  }
  if (sec.has('nginx')) {
    const n = get('nginx');
    const kv = keyValues(n);
    facts.nginx = {
      testOk: kv.get('rc') === '0',
      ...(kv.get('error') ? {error: kv.get('error')!} : {}),
      sslProtocols: n
        .filter(l => l.startsWith('protocols '))
        .map(l => {
          const [, file, ...protocols] = l.split(/\s+/);
          return {file: file ?? '', protocols};
        }),
    };
  }
  return facts;
}

export interface GatheredReportFacts {
  facts?: ReportFacts;
  asRoot: boolean;
  error?: Error;
  elapsedMs: number;
}

export function reportMarker(): string {
  return newMarker().replace(/^pf-/, 'rp-');
}

/** Runs the report script on one host as root (one exec). */
export async function gatherReportFacts(host: Host, options: Omit<ReportScriptOptions, 'marker'> & {timeoutMs?: number}): Promise<GatheredReportFacts> {
  const marker = reportMarker();
  const script = reportScript({...options, marker});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  try {
    const result = await host.exec(script, {sudo: true, timeoutMs});
    const elapsedMs = Date.now() - started;
    if (!result.stdout.includes(`--${marker} end`)) {
      const why = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`;
      return {asRoot: false, error: new Error(`the report script did not finish on ${host.name} (${why})`), elapsedMs};
    }
    return {facts: parseReportFacts(result.stdout, marker), asRoot: true, elapsedMs};
  } catch (error) {
    return {asRoot: false, error: error as Error, elapsedMs: Date.now() - started};
  }
}
