// One POSIX sh script per host, run in ONE exec (as root when sudo works), gathers every fact
// the checks need. Output is a list of sections, each opened by a header line carrying a random
// marker chosen per run, so section contents stay raw (no escaping) and cannot fake a header.
// Slow parts (name resolution, the package-source probe) run in the background while the rest
// is gathered. Nothing on the host is changed: the vm.max_map_count test writes back the value it
// just read, and the package lock test only asks the kernel who holds the lock (F_GETLK).
import {randomBytes} from 'node:crypto';
import type {Host} from '../hosts/host.js';
import {shellQuote} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  prettyName: string;
}

export interface DiskFacts {
  /** Path the installer uses. */
  path: string;
  /** Nearest existing directory (what df measured). */
  measured: string;
  sizeKb: number;
  availKb: number;
  mount: string;
}

export interface ListenerProcess {
  name: string;
  pid: number;
  /** systemd unit of the process (from /proc/PID/cgroup), e.g. nginx.service. */
  unit?: string;
}

export interface Listener {
  /** Local address as ss prints it, brackets removed: 0.0.0.0, ::, 127.0.0.1, *, 10.0.0.5. */
  address: string;
  port: number;
  processes: ListenerProcess[];
}

export interface LimitFacts {
  /** Hard limits of the fact script's own session (login + sudo, with pam_limits applied). */
  sessionNofileHard?: number;
  sessionNprocHard?: number;
  /** Hard limits of PID 1 (systemd), which caps what services get unless it may raise them. */
  pid1NofileHard?: number;
  pid1NprocHard?: number;
  /** PID 1 holds CAP_SYS_RESOURCE, so it can give a service any limit up to fs.nr_open. */
  pid1CanRaise?: boolean;
  nrOpen?: number;
  threadsMax?: number;
}

export interface PackageLockFacts {
  /** Lock files held by a running process, with the holder. */
  held: Array<{file: string; pid: number; process?: string}>;
  /** How it was found out: F_GETLK through python3, /proc/locks, pid files, or not at all. */
  method: 'fcntl' | 'proc-locks' | 'pid-file' | 'none';
}

export interface PackageSourceFacts {
  url: string;
  reachable: boolean;
  /** HTTP status or the client's error text. */
  detail: string;
  via?: string;
}

export interface FirewallFacts {
  firewalld: boolean;
  ufw: boolean;
  nftables: boolean;
  /** Rules beyond an empty table set (nft) or default policies (iptables). */
  nftRules: number;
  iptablesRules: number;
  /** Ports and services firewalld (active zone) or ufw already allow, as they print them. */
  allowed: string[];
}

export interface ProxySetting {
  /** Where it was found: env, /etc/environment, apt, dnf. */
  source: string;
  name: string;
  value: string;
}

export interface HostFacts {
  os?: OsRelease;
  arch?: string;
  kernel?: string;
  uid?: number;
  sudoUser?: string;
  systemd: boolean;
  cpus?: number;
  memTotalMb?: number;
  memAvailableMb?: number;
  swapTotalMb?: number;
  swappiness?: number;
  disks: DiskFacts[];
  listeners: Listener[];
  /** ss was not available: listeners are unknown. */
  listenersUnknown: boolean;
  maxMapCount?: number;
  /** yes: root may write vm.max_map_count; no: read-only /proc/sys or refused; unknown: not root. */
  maxMapCountWritable: 'yes' | 'no' | 'unknown';
  limits: LimitFacts;
  /** Remote clock (s since epoch) when the script started, and how long it ran (s). */
  clockStart?: number;
  clockElapsed?: number;
  /** The remote clock has sub-second precision (date +%N worked). */
  clockPrecise: boolean;
  hostname?: string;
  hostnameAddresses: string[];
  /** Addresses configured on the host's interfaces. */
  addresses: string[];
  /** Name → addresses from `getent ahosts` (empty: does not resolve). */
  resolved: Record<string, string[]>;
  proxies: ProxySetting[];
  packageManager?: 'apt' | 'dnf' | 'yum';
  packageLock: PackageLockFacts;
  packageSource?: PackageSourceFacts;
  selinux?: string;
  apparmor?: boolean;
  firewall: FirewallFacts;
  /** Paths and units of an existing Personium installation. */
  existing: string[];
  /** Tools present: python3, curl, bash, timeout … */
  tools: string[];
}

/** Paths whose free space matters (the nearest existing parent is measured). */
export const DISK_PATHS = ['/', '/opt', PATHS.personiumRoot, PATHS.nfsRoot, '/var'] as const;

/** What marks an existing installation (official playbooks or this tool use the same layout). */
export const EXISTING_MARKERS = [
  PATHS.personiumRoot,
  PATHS.nfsRoot,
  `${PATHS.webapps}/personium-core.war`,
  `${PATHS.webapps}/personium-core`,
  `${PATHS.webapps}/personium-engine.war`,
  PATHS.esHome,
  PATHS.activemqHome,
  PATHS.unitFile('tomcat'),
  PATHS.unitFile('elasticsearch'),
  PATHS.unitFile('activemq'),
  PATHS.memcachedUnit('lock'),
  PATHS.nginxSite,
  '/var/cache/personium-setup',
];

export interface FactsScriptOptions {
  /** Random marker that opens every section header. */
  marker: string;
  /** Names to resolve with getent ahosts (the FQDN, a random label under it, …). */
  names: string[];
  /** Package mirror from the profile; otherwise the host's own apt/dnf sources are probed. */
  packageSourceUrl?: string;
  /** Seconds the package source probe may take. */
  probeSeconds?: number;
}

const q = shellQuote;

// python3 asks the kernel who holds each lock (F_GETLK); it takes no lock itself.
const PY_LOCKS = `import fcntl,os,struct,sys
for f in sys.argv[1:]:
    try: fd=os.open(f,os.O_RDONLY)
    except OSError: continue
    try: r=struct.unpack('hhqqi',fcntl.fcntl(fd,fcntl.F_GETLK,struct.pack('hhqqi',fcntl.F_RDLCK,0,0,0,0)))
    except OSError: continue
    if r[0]!=fcntl.F_UNLCK: print(f,r[4])`;

/** The fact script. Every value that comes from the operator is quoted. */
export function factsScript(options: FactsScriptOptions): string {
  const marker = options.marker;
  if (!/^[A-Za-z0-9-]+$/.test(marker)) throw new Error('marker must be alphanumeric');
  const probeSeconds = options.probeSeconds ?? 5;
  const names = options.names.map(q).join(' ');
  const disks = DISK_PATHS.map(q).join(' ');
  const existing = EXISTING_MARKERS.map(q).join(' ');
  return `M=${q(`--${marker}`)}
s() { printf '\\n%s %s\\n' "$M" "$1"; }
t0=$(date +%s.%N 2>/dev/null)
has() { command -v "$1" >/dev/null 2>&1; }
d=$(mktemp -d 2>/dev/null || { mkdir -m 700 /tmp/.pf-$$ && echo /tmp/.pf-$$; })
trap 'rm -rf "$d"' EXIT
TO=; has timeout && TO="timeout 8"
# --- slow parts first, in the background
( for n in ${names}; do printf '%s' "$n"; $TO getent ahosts "$n" 2>/dev/null | awk '{print $1}' | sort -u | tr '\\n' ' ' | sed 's/^/ /'; echo; done ) >"$d/res" 2>/dev/null &
h=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)
( printf 'name %s\\n' "$h"; printf 'fqdn %s\\n' "$(hostname -f 2>/dev/null)"; printf 'addrs '; $TO getent hosts "$h" 2>/dev/null | awk '{print $1}' | tr '\\n' ' '; echo ) >"$d/hn" 2>/dev/null &
PS_URL=${q(options.packageSourceUrl ?? '')}
PS_PROXY=
if [ -z "$PS_URL" ]; then
  PS_URL=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+' | head -1)
  [ -n "$PS_URL" ] || PS_URL=$(cat /etc/yum.repos.d/*.repo 2>/dev/null | grep -E '^(baseurl|mirrorlist|metalink)[[:space:]]*=' | grep -oE 'https?://[^ ]+' | head -1)
  PS_URL=$(printf '%s' "$PS_URL" | sed -E 's#^(https?://[^/]+).*#\\1/#')
fi
if has apt-config; then PS_PROXY=$(apt-config dump 2>/dev/null | awk -v u="$PS_URL" 'tolower($1) == (index(u, "https") == 1 ? "acquire::https::proxy" : "acquire::http::proxy") {gsub(/[";]/, "", $2); print $2; exit}'); fi
[ -n "$PS_PROXY" ] || PS_PROXY=$(grep -hiE '^proxy[[:space:]]*=' /etc/dnf/dnf.conf /etc/yum.conf 2>/dev/null | head -1 | sed 's/^[^=]*=[[:space:]]*//')
if [ -n "$PS_URL" ]; then
  ( printf 'url %s\\nvia %s\\n' "$PS_URL" "$PS_PROXY"
    if has curl; then
      c=$(curl -sS -o /dev/null -w '%{http_code}' --max-time ${probeSeconds} \${PS_PROXY:+-x "$PS_PROXY"} "$PS_URL" 2>"$d/ps.err"); printf 'http %s\\nerror %s\\n' "$c" "$(head -1 "$d/ps.err")"
    elif has wget; then
      if \${PS_PROXY:+env http_proxy="$PS_PROXY" https_proxy="$PS_PROXY"} wget -q -S -O /dev/null -T ${probeSeconds} -t 1 "$PS_URL" 2>"$d/ps.err" || grep -q 'HTTP/' "$d/ps.err"; then
        printf 'http %s\\n' "$(grep -o 'HTTP/[0-9.]* [0-9]*' "$d/ps.err" | tail -1 | awk '{print $2}')"
      else printf 'http 000\\nerror %s\\n' "$(tail -1 "$d/ps.err")"; fi
    else printf 'tool none\\n'; fi ) >"$d/ps" 2>/dev/null &
fi
# --- quick facts
s os; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s uname; uname -m; uname -r
s id; id -u; printf '%s\\n' "\${SUDO_USER:-}"
s systemd; [ -d /run/systemd/system ] && echo yes || echo no
s cpu; nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo
s mem; grep -E '^(MemTotal|MemAvailable|SwapTotal):' /proc/meminfo; printf 'Swappiness: %s\\n' "$(cat /proc/sys/vm/swappiness 2>/dev/null)"
s df; for p in ${disks}; do x=$p; while [ ! -e "$x" ]; do x=$(dirname "$x"); done; printf '%s %s ' "$p" "$x"; df -Pk "$x" 2>/dev/null | awk 'NR == 2 {print $(NF-4), $(NF-2), $NF}'; done
s listen; if has ss; then ss -tlnp 2>/dev/null | tail -n +2; else echo '#no-ss'; fi
s pids; for pid in $(ss -tlnp 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un); do printf '%s %s %s\\n' "$pid" "$(awk -F: '$2 == "name=systemd" || $2 == "" {print $3}' /proc/$pid/cgroup 2>/dev/null | head -1 | sed 's#.*/##')" "$(cat /proc/$pid/comm 2>/dev/null)"; done
s sysctl; f=/proc/sys/vm/max_map_count; v=$(cat $f 2>/dev/null); printf 'max_map_count %s\\n' "$v"
if [ "$(id -u)" != 0 ]; then echo 'writable unknown'; elif [ -w $f ] && (printf '%s\\n' "$v" >$f) 2>/dev/null; then echo 'writable yes'; else echo 'writable no'; fi
printf 'nr_open %s\\nthreads_max %s\\n' "$(cat /proc/sys/fs/nr_open 2>/dev/null)" "$(cat /proc/sys/kernel/threads-max 2>/dev/null)"
s limits; grep -E '^Max (open files|processes)' /proc/$$/limits | sed 's/^/session /'; grep -E '^Max (open files|processes)' /proc/1/limits 2>/dev/null | sed 's/^/pid1 /'; grep '^CapEff' /proc/1/status 2>/dev/null
s addrs; if has ip; then ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1; else hostname -I 2>/dev/null | tr ' ' '\\n'; fi
s proxy; env | grep -iE '^(https?|ftp|no|all)_proxy=' | sed 's/^/env /'; grep -iE '^(https?|ftp|no|all)_proxy=' /etc/environment 2>/dev/null | sed 's/^/environment /'
has apt-config && apt-config dump 2>/dev/null | grep -iE '^Acquire::(https?|ftp)::Proxy ' | sed 's/^/apt /'
grep -hiE '^proxy[[:space:]]*=' /etc/dnf/dnf.conf /etc/yum.conf 2>/dev/null | sed 's/^/dnf /'
s pkg; for m in apt-get dnf yum; do has $m && { echo "$m"; break; }; done
s pkglock; L=; for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do [ -e "$f" ] && L="$L $f"; done
if [ -n "$L" ]; then
  py=; for c in python3 /usr/libexec/platform-python; do has $c && { py=$c; break; }; done
  if [ -n "$py" ]; then echo 'method fcntl'; $py -c ${q(PY_LOCKS)} $L 2>/dev/null | while read -r f p; do printf 'held %s %s %s\\n' "$f" "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done
  else echo 'method proc-locks'; for f in $L; do i=$(stat -c %i "$f" 2>/dev/null); awk -v i=":$i" 'substr($6, length($6) - length(i) + 1) == i {print $5}' /proc/locks 2>/dev/null | head -1 | while read -r p; do printf 'held %s %s %s\\n' "$f" "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done; done; fi
else
  echo 'method pid-file'; for f in /var/run/yum.pid /run/yum.pid /var/cache/dnf/download_lock.pid /var/cache/dnf/metadata_lock.pid /var/lib/dnf/rpmdb_lock.pid; do
    [ -r "$f" ] || continue; p=$(head -1 "$f" | tr -cd 0-9); [ -n "$p" ] && [ -d /proc/$p ] && printf 'held %s %s %s\\n' "$f" "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done
fi
s security; has getenforce && printf 'selinux %s\\n' "$(getenforce 2>/dev/null)"; [ -r /sys/module/apparmor/parameters/enabled ] && printf 'apparmor %s\\n' "$(cat /sys/module/apparmor/parameters/enabled)"
s firewall; for u in firewalld ufw nftables; do printf '%s %s\\n' "$u" "$(systemctl is-active $u 2>/dev/null)"; done
has ufw && ufw status 2>/dev/null | sed 's/^/ufw-status /'
has firewall-cmd && systemctl is-active -q firewalld 2>/dev/null && printf 'firewalld-allowed %s %s\\n' "$(firewall-cmd --list-ports 2>/dev/null)" "$(firewall-cmd --list-services 2>/dev/null)"
has nft && printf 'nft-rules %s\\n' "$(nft list ruleset 2>/dev/null | grep -cE '^[[:space:]]+(tcp|udp|ip6?|meta|ct|iif|oif|iifname|oifname|counter|drop|reject|accept|jump)')"
has iptables && printf 'iptables-rules %s\\n' "$(iptables -S 2>/dev/null | grep -c '^-A')"
s existing; for p in ${existing}; do [ -e "$p" ] && echo "$p"; done
s tools; for t in python3 /usr/libexec/platform-python curl wget bash timeout nc socat ncat; do has $t && echo "$t"; done
# --- background results
wait
s resolve; cat "$d/res" 2>/dev/null
s hostname; cat "$d/hn" 2>/dev/null
s pkgsource; cat "$d/ps" 2>/dev/null
s time; printf '%s %s\\n' "$t0" "$(date +%s.%N 2>/dev/null)"
s end
`;
}

/** Splits the script's output into sections. */
export function splitSections(output: string, marker: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  const head = `--${marker} `;
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(head)) {
      current = [];
      sections.set(line.slice(head.length).trim(), current);
    } else if (current) {
      current.push(line);
    }
  }
  for (const [name, lines] of sections) {
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    sections.set(name, lines);
  }
  return sections;
}

const num = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'unlimited' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
};

function parseOsRelease(lines: string[]): OsRelease | undefined {
  const values: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    values[m[1]!] = value;
  }
  if (!values.ID) return undefined;
  return {
    id: values.ID.toLowerCase(),
    idLike: (values.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: values.VERSION_ID ?? '',
    prettyName: values.PRETTY_NAME ?? `${values.ID} ${values.VERSION_ID ?? ''}`.trim(),
  };
}

/** "0.0.0.0:80", "[::]:443", "*:22", "127.0.0.1%lo:53", "[::ffff:127.0.0.1]:8005" → address and port. */
export function splitAddressPort(text: string): {address: string; port: number} | undefined {
  const m = /^(.*):(\d+|\*)$/.exec(text);
  if (!m || m[2] === '*') return undefined;
  let address = m[1]!.replace(/^\[|\]$/g, '');
  address = address.replace(/%.*$/, '');
  return {address, port: Number(m[2])};
}

/** One `ss -tlnp` line (header removed). */
export function parseSsLine(line: string, units: Map<number, {unit?: string; name?: string}>): Listener | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 5) return undefined;
  // State Recv-Q Send-Q Local Peer [Process]; some versions omit State with -l.
  const localIndex = /^\d+$/.test(fields[0]!) ? 2 : 3;
  const local = splitAddressPort(fields[localIndex]!);
  if (!local) return undefined;
  const processes: ListenerProcess[] = [];
  const usersText = fields.slice(localIndex + 2).join(' ');
  for (const m of usersText.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+)/g)) {
    const pid = Number(m[2]);
    const unit = units.get(pid)?.unit;
    processes.push({name: m[1]!, pid, ...(unit ? {unit} : {})});
  }
  return {...local, processes};
}

function keyValues(lines: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(' ');
    if (i < 0) map.set(line.trim(), '');
    else map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

/** Parses the fact script's output. Missing sections give undefined fields, never a throw. */
export function parseFacts(output: string, marker: string): HostFacts {
  const sec = splitSections(output, marker);
  const get = (name: string) => sec.get(name) ?? [];

  const os = parseOsRelease(get('os'));
  const [arch, kernel] = get('uname');
  const [uidText, sudoUser] = get('id');

  const mem = new Map<string, number>();
  for (const line of get('mem')) {
    const m = /^(\w+):\s*(\d+)/.exec(line);
    if (m) mem.set(m[1]!, Number(m[2]));
  }
  const mb = (key: string) => (mem.has(key) ? Math.floor(mem.get(key)! / 1024) : undefined);

  const disks: DiskFacts[] = [];
  for (const line of get('df')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const sizeKb = num(f[2]);
    const availKb = num(f[3]);
    if (sizeKb === undefined || availKb === undefined) continue;
    disks.push({path: f[0]!, measured: f[1]!, sizeKb, availKb, mount: f.slice(4).join(' ')});
  }

  const units = new Map<number, {unit?: string; name?: string}>();
  for (const line of get('pids')) {
    const [pid, unit, name] = line.trim().split(/\s+/);
    if (!pid || !/^\d+$/.test(pid)) continue;
    const cleanUnit = unit && /\.(service|scope|socket)$/.test(unit) ? unit : undefined;
    units.set(Number(pid), {...(cleanUnit ? {unit: cleanUnit} : {}), ...(name ? {name} : {})});
  }
  const listenLines = get('listen');
  const listenersUnknown = listenLines.some(l => l.trim() === '#no-ss') || !sec.has('listen');
  const listeners = listenLines.map(l => parseSsLine(l, units)).filter((l): l is Listener => l !== undefined);

  const sysctl = keyValues(get('sysctl'));
  const writable = sysctl.get('writable');

  const limits: LimitFacts = {};
  for (const line of get('limits')) {
    const m = /^(session|pid1) Max (open files|processes)\s+(\S+)\s+(\S+)/.exec(line);
    if (m) {
      const hard = num(m[4]);
      if (hard === undefined) continue;
      const key = `${m[1]}${m[2] === 'open files' ? 'Nofile' : 'Nproc'}Hard` as keyof LimitFacts;
      (limits as Record<string, number>)[key] = hard;
    }
    const cap = /^CapEff:\s*([0-9a-f]+)/i.exec(line);
    // CAP_SYS_RESOURCE is bit 24.
    if (cap) limits.pid1CanRaise = (BigInt(`0x${cap[1]}`) & (1n << 24n)) !== 0n;
  }
  const nrOpen = num(sysctl.get('nr_open'));
  const threadsMax = num(sysctl.get('threads_max'));
  if (nrOpen !== undefined) limits.nrOpen = nrOpen;
  if (threadsMax !== undefined) limits.threadsMax = threadsMax;

  const [timeLine] = get('time');
  const [start, end] = (timeLine ?? '').trim().split(/\s+/);
  const clockPrecise = /^\d+\.\d+$/.test(start ?? '') && /^\d+\.\d+$/.test(end ?? '');
  const clockStart = num((start ?? '').replace(/\.N$/, '').replace(/N$/, ''));
  const clockEnd = num((end ?? '').replace(/\.N$/, '').replace(/N$/, ''));

  const hn = keyValues(get('hostname'));
  const resolved: Record<string, string[]> = {};
  for (const line of get('resolve')) {
    const [name, ...addresses] = line.trim().split(/\s+/);
    if (name) resolved[name] = addresses.filter(Boolean);
  }

  const proxies: ProxySetting[] = [];
  for (const line of get('proxy')) {
    const env = /^(env|environment) ([A-Za-z_]+)=(.*)$/.exec(line);
    if (env) {
      proxies.push({source: env[1] === 'env' ? 'environment of the login' : '/etc/environment', name: env[2]!, value: env[3]!.replace(/^["']|["']$/g, '')});
      continue;
    }
    const apt = /^apt (\S+) "?([^";]*)"?;?$/.exec(line);
    if (apt) {
      if (apt[2]) proxies.push({source: 'apt', name: apt[1]!, value: apt[2]});
      continue;
    }
    const dnf = /^dnf proxy\s*=\s*(.*)$/i.exec(line);
    if (dnf) proxies.push({source: 'dnf', name: 'proxy', value: dnf[1]!.trim()});
  }

  const pm = get('pkg')[0]?.trim();
  const packageManager = pm === 'apt-get' ? 'apt' : pm === 'dnf' ? 'dnf' : pm === 'yum' ? 'yum' : undefined;

  const lock: PackageLockFacts = {held: [], method: 'none'};
  for (const line of get('pkglock')) {
    const m = /^method (\S+)/.exec(line);
    if (m) lock.method = m[1] as PackageLockFacts['method'];
    const h = /^held (\S+) (\d+)\s*(.*)$/.exec(line);
    if (h) lock.held.push({file: h[1]!, pid: Number(h[2]), ...(h[3] ? {process: h[3].trim()} : {})});
  }

  const ps = keyValues(get('pkgsource'));
  let packageSource: PackageSourceFacts | undefined;
  if (ps.get('url')) {
    const status = ps.get('http') ?? '';
    const reachable = /^[1-5]\d\d$/.test(status);
    const tool = ps.get('tool');
    packageSource = {
      url: ps.get('url')!,
      reachable,
      detail: tool === 'none' ? 'no curl or wget to test it' : reachable ? `HTTP ${status}` : ps.get('error') || 'no answer',
      ...(ps.get('via') ? {via: ps.get('via')!} : {}),
    };
  }

  const security = keyValues(get('security'));
  const fw = get('firewall');
  const fwState = keyValues(fw);
  const allowed: string[] = [];
  for (const line of fw) {
    const fa = /^firewalld-allowed (.*)$/.exec(line);
    if (fa) allowed.push(...fa[1]!.trim().split(/\s+/).filter(Boolean));
    const ua = /^ufw-status (\S+)\s+ALLOW/i.exec(line);
    if (ua) allowed.push(ua[1]!);
  }
  const ufwActive = fw.some(l => /^ufw-status Status: active/i.test(l));

  return {
    ...(os ? {os} : {}),
    ...(arch ? {arch: arch.trim()} : {}),
    ...(kernel ? {kernel: kernel.trim()} : {}),
    ...(num(uidText) !== undefined ? {uid: num(uidText)!} : {}),
    ...(sudoUser?.trim() ? {sudoUser: sudoUser.trim()} : {}),
    systemd: get('systemd')[0]?.trim() === 'yes',
    ...(num(get('cpu')[0]) !== undefined ? {cpus: num(get('cpu')[0])!} : {}),
    ...(mb('MemTotal') !== undefined ? {memTotalMb: mb('MemTotal')!} : {}),
    ...(mb('MemAvailable') !== undefined ? {memAvailableMb: mb('MemAvailable')!} : {}),
    ...(mb('SwapTotal') !== undefined ? {swapTotalMb: mb('SwapTotal')!} : {}),
    ...(mem.has('Swappiness') ? {swappiness: mem.get('Swappiness')!} : {}),
    disks,
    listeners,
    listenersUnknown,
    ...(num(sysctl.get('max_map_count')) !== undefined ? {maxMapCount: num(sysctl.get('max_map_count'))!} : {}),
    maxMapCountWritable: writable === 'yes' ? 'yes' : writable === 'no' ? 'no' : 'unknown',
    limits,
    ...(clockStart !== undefined ? {clockStart} : {}),
    ...(clockStart !== undefined && clockEnd !== undefined ? {clockElapsed: Math.max(0, clockEnd - clockStart)} : {}),
    clockPrecise,
    ...(hn.get('name') ? {hostname: hn.get('name')!} : {}),
    hostnameAddresses: (hn.get('addrs') ?? '').split(/\s+/).filter(Boolean),
    addresses: get('addrs').map(a => a.trim()).filter(Boolean),
    resolved,
    proxies,
    ...(packageManager ? {packageManager} : {}),
    packageLock: lock,
    ...(packageSource ? {packageSource} : {}),
    ...(security.get('selinux') ? {selinux: security.get('selinux')!} : {}),
    ...(security.has('apparmor') ? {apparmor: security.get('apparmor') === 'Y'} : {}),
    firewall: {
      firewalld: fwState.get('firewalld') === 'active',
      ufw: ufwActive,
      nftables: fwState.get('nftables') === 'active',
      nftRules: num(fwState.get('nft-rules')) ?? 0,
      iptablesRules: num(fwState.get('iptables-rules')) ?? 0,
      allowed,
    },
    existing: get('existing').map(l => l.trim()).filter(Boolean),
    tools: get('tools').map(l => l.trim()).filter(Boolean),
  };
}

export function newMarker(): string {
  return `pf-${randomBytes(8).toString('hex')}`;
}

export interface GatheredFacts {
  facts?: HostFacts;
  /** The script ran as root (directly or through sudo). */
  asRoot: boolean;
  /** Why sudo could not be used (the script then ran as the login user). */
  sudoError?: Error;
  /** Why no facts could be gathered at all. */
  error?: Error;
  operatorBefore: number;
  operatorAfter: number;
  elapsedMs: number;
}

/**
 * Runs the fact script on one host: as root through sudo; if sudo is refused, once more as the
 * login user (fewer facts, and the Sudo check fails).
 */
export async function gatherFacts(host: Host, options: Omit<FactsScriptOptions, 'marker'> & {timeoutMs?: number; now?: () => number}): Promise<GatheredFacts> {
  const now = options.now ?? Date.now;
  const marker = newMarker();
  const script = factsScript({...options, marker});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = now();
  let sudoError: Error | undefined;
  for (const sudo of [true, false]) {
    const before = now();
    try {
      const result = await host.exec(script, {sudo, timeoutMs});
      const after = now();
      if (!result.stdout.includes(`--${marker} end`)) {
        const why = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`;
        return {asRoot: false, error: new Error(`the fact script did not finish on ${host.name} (${why})`), operatorBefore: before, operatorAfter: after, elapsedMs: after - started, ...(sudoError ? {sudoError} : {})};
      }
      const facts = parseFacts(result.stdout, marker);
      return {facts, asRoot: facts.uid === 0, operatorBefore: before, operatorAfter: after, elapsedMs: after - started, ...(sudoError ? {sudoError} : {})};
    } catch (error) {
      // Refused sudo (HostAuthError): try as the login user, for what it can see. Anything else ends it.
      if (sudo && (error as Error).name === 'HostAuthError') {
        sudoError = error as Error;
        continue;
      }
      const after = now();
      return {asRoot: false, error: error as Error, sudoError, operatorBefore: before, operatorAfter: after, elapsedMs: after - started};
    }
  }
  /* c8 ignore next */
  throw new Error('unreachable');
}
