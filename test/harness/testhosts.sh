#!/usr/bin/env bash
# testhosts.sh - throw-away Debian 12 (or Ubuntu 22.04/24.04) "servers" for the installer's acceptance tests.
#
# Every host is a Debian bookworm (or Ubuntu jammy/noble) root file system booted by its own systemd (PID 1 of
# its own PID namespace) with private mount/UTS/IPC/network namespaces. Hosts reach each
# other and this machine over a bridge that exists only here; they have no default route,
# so nothing they send can leave 10.213.0.0/24.
#
# Kept off the machine-wide state: systemd runs with container= set (so it leaves the kernel,
# consoles, swap, loop devices and file system superblocks alone, also at poweroff), /proc/sys
# (except net) and /sys are read-only, /dev is a small private one, capabilities for clock,
# kernel modules and raw I/O are dropped, and every host lives in its own cgroup
# <hierarchy>/pds-testhosts/hostN. Everything `up` creates is recorded in the state file.
#
# Usage:
#   testhosts.sh up N [--apt-proxy]    create host1..hostN (10.213.0.11, .12, ...) and wait for SSH;
#                                      --apt-proxy: hosts may apt-get from the Debian mirrors via a
#                                      proxy on 10.213.0.1:3142 (testhosts-apt-proxy.py), nothing else
#   testhosts.sh down                  power the hosts off and remove everything `up` created
#   testhosts.sh status                hosts, PIDs, addresses and `systemctl is-system-running`
#   testhosts.sh ssh [SSH-OPTS] [USER@]hostN [CMD...]   ssh into a host (root unless USER@)
#   testhosts.sh base [--rebuild]      only build (or rebuild) the cached base root file system
#
# On every host: root and `deploy` (passwordless sudo) accept the harness key; sshd on port 22;
# python3, sudo, curl, procps, iproute2 and openssh-client are installed; /etc/hosts names all hosts.
#
# Files, all under $PDS_TESTHOSTS_DIR (default /var/cache/pds-testhosts):
#   base/          cached debootstrap root, the shared read-only lower layer of every host
#   id_ed25519     the harness key (made once)
#   ssh_config     `ssh -F .../ssh_config host2` and `ssh -F .../ssh_config deploy@host2` work
#   known_hosts    every host's (fresh, per-`up`) host keys, so StrictHostKeyChecking=yes works
#   inventory.ini  an Ansible inventory of the hosts that are up
#   state          one line per thing `up` created, in creation order; `down` undoes it in reverse
#   hosts/hostN/   upper/ work/ root/ (overlayfs; removed by `down`) and console.log (systemd's
#                  own output; kept until the next `up`)
#   apt-proxy.log  output of the optional apt proxy
#
# Knobs (environment): PDS_TESTHOSTS_DIR, PDS_TESTHOSTS_BASE, PDS_TESTHOSTS_BRIDGE, PDS_TESTHOSTS_NET
# (first three octets), PDS_TESTHOSTS_CGROUP (so separate runs can be up at once), PDS_TESTHOSTS_MIRROR (default: first URIs: line of
# /etc/apt/sources.list.d/debian.sources; for Ubuntu http://archive.ubuntu.com/ubuntu),
# PDS_TESTHOSTS_DISTRO (debian-12, the default, ubuntu-22.04 or ubuntu-24.04), PDS_TESTHOSTS_EXTRA_PACKAGES (comma list; a changed
# list rebuilds the base on the next `up`), PDS_TESTHOSTS_HOOK (a program run as
# `HOOK hostN ROOTDIR` for every host before it boots, to change its files before first boot),
# PDS_TESTHOSTS_BOOT_TIMEOUT (seconds to wait for SSH, default 120).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DIR=${PDS_TESTHOSTS_DIR:-/var/cache/pds-testhosts}
# the base is read-only once built, so several harness directories (parallel test runs) can share one
BASE=${PDS_TESTHOSTS_BASE:-$DIR/base}
KEY=$DIR/id_ed25519
STATE=$DIR/state
SSH_CONFIG=$DIR/ssh_config
KNOWN_HOSTS=$DIR/known_hosts
INVENTORY=$DIR/inventory.ini
HOSTS_DIR=$DIR/hosts

BRIDGE=${PDS_TESTHOSTS_BRIDGE:-pdsbr0}
NET=${PDS_TESTHOSTS_NET:-10.213.0}                 # bridge is .1, hostN is .(10+N)
DISTRO=${PDS_TESTHOSTS_DISTRO:-debian-12}
case $DISTRO in
    debian-12) SUITE=bookworm; COMPONENTS=main ;;
    # universe: where Ubuntu keeps OpenJDK 17 (enabled on every stock Ubuntu server)
    ubuntu-22.04) SUITE=jammy; COMPONENTS="main universe" ;;
    ubuntu-24.04) SUITE=noble; COMPONENTS="main universe" ;;
    *) echo "testhosts: PDS_TESTHOSTS_DISTRO must be debian-12, ubuntu-22.04 or ubuntu-24.04, not $DISTRO" >&2; exit 1 ;;
esac
# Debian 12's debootstrap predates noble; every Ubuntu suite uses the same script (gutsy's).
SUITE_SCRIPT=/usr/share/debootstrap/scripts/$SUITE
[[ -e $SUITE_SCRIPT || $DISTRO != ubuntu-* ]] || SUITE_SCRIPT=/usr/share/debootstrap/scripts/gutsy
# This machine (Debian) has no Ubuntu archive key: debootstrap gets it from Ubuntu's own
# ubuntu-keyring package, taken only when its SHA-256 is this one (jammy's, 2021.03.26).
UBUNTU_KEYRING_DEB=pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb
UBUNTU_KEYRING_SHA256=0d0e7ed6b112f5d03eabf3c7eb01ebdacf9c57714b279e90495cfc58c8c4520f
PACKAGES=systemd,systemd-sysv,dbus,openssh-server,openssh-client,iproute2,iputils-ping,sudo,python3,procps,ca-certificates,curl,less
MAX_HOSTS=50
CGROUP_NAME=${PDS_TESTHOSTS_CGROUP:-pds-testhosts}    # every host gets <hierarchy>/pds-testhosts/hostN in each cgroup hierarchy
# Capabilities that act on the whole machine rather than on a namespace (clock, kernel modules,
# raw I/O, ...). The hosts' systemd never gets them.
DROP_CAPS=-sys_module,-sys_time,-sys_rawio,-sys_pacct,-wake_alarm,-syslog,-mac_admin,-mac_override,-block_suspend
APT_PROXY_PORT=3142
BOOT_TIMEOUT=${PDS_TESTHOSTS_BOOT_TIMEOUT:-120}   # seconds to wait for SSH on all hosts
POWEROFF_TIMEOUT=45           # seconds to wait for a clean poweroff before SIGKILL

die() { echo "testhosts: $*" >&2; exit 1; }
log() { echo "testhosts: $*" >&2; }

SSH_OPTS=(-F "$SSH_CONFIG")

# ---------------------------------------------------------------------------------------------
# Small helpers

# /proc/PID/stat field, counted from the state field (0) after "(comm)". We record each PID with
# its start time (clock ticks since boot), so we never signal a recycled PID.
proc_field() { local s f; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; read -ra f <<<"${s##*) }"; echo "${f[$2]}"; }
proc_start() { proc_field "$1" 19; }
proc_state() { proc_field "$1" 0; }
# alive PID START: the very process we started is still running (zombies count as gone)
alive() { [[ "$(proc_start "$1" || true)" == "$2" && "$(proc_state "$1" || true)" != Z ]]; }

record() { echo "$*" >>"$STATE"; }

# rm -rf, but never through a mount point (a failed debootstrap can leave /proc, /sys, /dev mounted)
safe_rm() {
    local d
    for d in "$@"; do
        [[ -e $d ]] || continue
        if awk -v d="$(realpath "$d")" '$2 == d || index($2, d "/") == 1 {found = 1} END {exit !found}' /proc/self/mounts; then
            die "refusing to delete $d: something is mounted in it"
        fi
        rm -rf --one-file-system "$d"
    done
}

host_ip() { echo "$NET.$((10 + $1))"; }

mirror() {
    if [[ -n ${PDS_TESTHOSTS_MIRROR:-} ]]; then echo "$PDS_TESTHOSTS_MIRROR"; return; fi
    if [[ $DISTRO == ubuntu-* ]]; then echo http://archive.ubuntu.com/ubuntu; return; fi
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n $uri ]] || die "no Debian mirror in /etc/apt/sources.list.d/debian.sources; set PDS_TESTHOSTS_MIRROR"
    echo "$uri"
}
security_mirror() {
    if [[ $DISTRO == ubuntu-* ]]; then echo http://security.ubuntu.com/ubuntu; return; fi
    local uri
    uri=$(awk '/^URIs:/ && /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n $uri ]] || uri="$(mirror)-security"
    echo "$uri"
}
# host names of the http mirrors this machine's apt uses: all that the apt proxy lets through
mirror_hosts() {
    {
        mirror
        security_mirror
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
            grep -v '^[[:space:]]*#' | grep -o 'http://[^ /]*' || true
    } | sed -E 's#^[a-z]+://##; s#[:/].*##' | sort -u
}

# cgroup hierarchies mounted under /sys/fs/cgroup (v1 controllers, name=systemd, and cgroup2)
cgroup_mounts() { awk '$3 ~ /^cgroup2?$/ && $2 ~ "^/sys/fs/cgroup(/|$)" {print $2}' /proc/self/mounts; }

# ---------------------------------------------------------------------------------------------
# Base root file system (built once, cached)

build_base() {
    local rebuild=${1:-} pkgs=$PACKAGES new=$BASE.new
    [[ -n ${PDS_TESTHOSTS_EXTRA_PACKAGES:-} ]] && pkgs+=",$PDS_TESTHOSTS_EXTRA_PACKAGES"
    # the marker holds the package list the base was built with (and the distribution, if not Debian's)
    local marker=$pkgs
    [[ $DISTRO == debian-12 ]] || marker="$DISTRO:$pkgs"
    if [[ -z $rebuild && "$(cat "$BASE/.pds-base-complete" 2>/dev/null)" == "$marker" ]]; then return 0; fi
    [[ ! -s $STATE ]] || die "hosts are up; run 'down' before rebuilding the base"
    command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null; }
    safe_rm "$new"
    local keyring=()
    if [[ $DISTRO == ubuntu-* ]]; then
        local deb=$DIR/ubuntu-keyring.deb
        curl -fsS --max-time 120 -o "$deb" "$(mirror)/$UBUNTU_KEYRING_DEB" || die "cannot download $(mirror)/$UBUNTU_KEYRING_DEB"
        [[ "$(sha256sum <"$deb" | cut -d' ' -f1)" == "$UBUNTU_KEYRING_SHA256" ]] || die "$deb: not the pinned ubuntu-keyring (SHA-256 differs)"
        safe_rm "$DIR/ubuntu-keyring"
        dpkg-deb -x "$deb" "$DIR/ubuntu-keyring"
        keyring=(--keyring="$DIR/ubuntu-keyring/usr/share/keyrings/ubuntu-archive-keyring.gpg")
    fi
    log "building base root file system with debootstrap ($SUITE, $(mirror)); this takes a minute or two"
    debootstrap --variant=minbase --components="${COMPONENTS// /,}" "${keyring[@]}" --include="$pkgs" "$SUITE" "$new" "$(mirror)" "$SUITE_SCRIPT" >"$DIR/debootstrap.log" 2>&1 ||
        die "debootstrap failed, see $DIR/debootstrap.log"

    # a non-root admin user; the key is installed per host at 'up' time
    chroot "$new" useradd --create-home --shell /bin/bash --groups sudo deploy
    chroot "$new" usermod --password '*' deploy          # no password, but not "locked" for sshd
    echo 'deploy ALL=(ALL:ALL) NOPASSWD: ALL' >"$new/etc/sudoers.d/90-deploy"
    chmod 0440 "$new/etc/sudoers.d/90-deploy"

    # identity is per host: host keys, machine-id, hostname are written at 'up' time
    rm -f "$new"/etc/ssh/ssh_host_*
    : >"$new/etc/machine-id"
    ln -sf /etc/machine-id "$new/var/lib/dbus/machine-id"
    echo "# no DNS: test hosts resolve each other through /etc/hosts" >"$new/etc/resolv.conf"
    echo "LANG=C.UTF-8" >"$new/etc/default/locale"
    printf "deb %s %s $COMPONENTS\\n" "$(mirror)" "$SUITE" "$(mirror)" "$SUITE-updates" \
        "$(security_mirror)" "$SUITE-security" >"$new/etc/apt/sources.list"

    # units that make no sense here: gettys on consoles we don't give them, apt's network timers
    local unit
    for unit in getty.target console-getty.service apt-daily.timer apt-daily-upgrade.timer; do
        ln -sf /dev/null "$new/etc/systemd/system/$unit"
    done
    rm -f "$new"/var/cache/apt/archives/*.deb "$new"/var/cache/apt/*.bin
    echo "$marker" >"$new/.pds-base-complete"
    safe_rm "$BASE"
    mv "$new" "$BASE"
    log "base ready: $BASE ($(du -sh "$BASE" | cut -f1))"
}

ensure_key() {
    [[ -f $KEY ]] || ssh-keygen -q -t ed25519 -N '' -C pds-testhosts -f "$KEY"
}

# ---------------------------------------------------------------------------------------------
# The script that runs inside the new namespaces as their PID 1 before it becomes systemd.
# $1 = the host's root directory. Mounts made here live in the host's private mount namespace
# and vanish with it.
# shellcheck disable=SC2016
NS_INIT='set -eu
R=$1
mountpoint -q "$R" || mount --bind "$R" "$R"            # systemd wants / to be a mount point
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"                # /proc/sys read-only (it is mostly global),
mount --bind "$R/proc/sys/net" "$R/proc/sys/net"        # except the per-namespace network part
mount -o remount,bind,ro "$R/proc/sys"
if [ -e "$R/proc/sysrq-trigger" ]; then
    mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"
    mount -o remount,bind,ro "$R/proc/sysrq-trigger"
fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"         # a small /dev, not the machine'"'"'s
for n in null zero full random urandom tty; do
    touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"
done
touch "$R/dev/console"; mount --bind /dev/null "$R/dev/console"
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
exec setpriv --bounding-set "$2" chroot "$R" /lib/systemd/systemd --system
'

# ---------------------------------------------------------------------------------------------
# up

make_cgroup() {   # make_cgroup DIR: mkdir one cgroup level; cpuset needs cpus/mems before use
    [[ ! -d $1 ]] || return 0     # same hierarchy mounted twice, or left over: use it as it is
    mkdir "$1"
    if [[ -f $1/cpuset.cpus ]]; then
        cat "$(dirname "$1")/cpuset.cpus" >"$1/cpuset.cpus"
        cat "$(dirname "$1")/cpuset.mems" >"$1/cpuset.mems"
    fi
    record cgroup "$1"
}

prepare_host() {   # prepare_host I N APT_PROXY: root file system and identity of host I (of N)
    local i=$1 n=$2 apt_proxy=$3 name=host$1 hd=$HOSTS_DIR/host$1
    local root=$hd/root uid j
    safe_rm "$hd"
    mkdir -p "$hd/upper" "$hd/work" "$root"
    if mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$hd/upper,workdir=$hd/work" "$root" 2>"$hd/overlay.err"; then
        record mount "$root"
    else
        log "$name: overlayfs failed ($(cat "$hd/overlay.err")); copying the base instead"
        cp -a "$BASE/." "$root/"
    fi

    echo "$name" >"$root/etc/hostname"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"; echo >>"$root/etc/machine-id"
    {
        echo "127.0.0.1	localhost"
        echo "::1	localhost ip6-localhost ip6-loopback"
        for ((j = 1; j <= n; j++)); do echo "$(host_ip "$j")	host$j"; done
    } >"$root/etc/hosts"

    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"
    ssh-keygen -q -t ecdsa -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ecdsa_key"
    ssh-keygen -q -t rsa -b 3072 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_rsa_key"

    install -d -m 700 "$root/root/.ssh"
    install -m 600 "$KEY.pub" "$root/root/.ssh/authorized_keys"
    uid=$(awk -F: '$1 == "deploy" {print $3 ":" $4}' "$root/etc/passwd")
    install -d -m 700 -o "${uid%:*}" -g "${uid#*:}" "$root/home/deploy/.ssh"
    install -m 600 -o "${uid%:*}" -g "${uid#*:}" "$KEY.pub" "$root/home/deploy/.ssh/authorized_keys"
    # Tests log in with passwords too; set it before sshd starts, because a reload later makes sshd
    # refuse connections for a moment while it re-executes (other test files use the host then).
    echo "PasswordAuthentication yes" >"$root/etc/ssh/sshd_config.d/50-pds-password.conf"

    if [[ -n $apt_proxy ]]; then
        echo "Acquire::http::Proxy \"http://$NET.1:$APT_PROXY_PORT/\";" >"$root/etc/apt/apt.conf.d/01pds-testhosts-proxy"
    fi
    [[ -z ${PDS_TESTHOSTS_HOOK:-} ]] || "$PDS_TESTHOSTS_HOOK" "$name" "$root"
}

start_apt_proxy() {   # an HTTP proxy on the bridge address that only forwards to the Debian mirrors
    local pid t
    # shellcheck disable=SC2046
    setsid /usr/bin/python3 "$HERE/testhosts-apt-proxy.py" "$NET.1" "$APT_PROXY_PORT" $(mirror_hosts) \
        </dev/null >"$DIR/apt-proxy.log" 2>&1 9>&- &
    pid=$!
    record proxy "$pid" "$(proc_start "$pid" || echo 0)"
    for ((t = 0; t < 50; t++)); do
        grep -qs '^apt proxy on' "$DIR/apt-proxy.log" && return 0
        sleep 0.1
    done
    die "apt proxy did not start, see $DIR/apt-proxy.log"
}

start_host() {   # start_host I: boot host I, wire up its network, record what was created
    local i=$1 name=host$1 hd=$HOSTS_DIR/host$1 ip veth=${BRIDGE}v$1
    ip=$(host_ip "$i")
    local cg cgdirs=()
    for cg in $(cgroup_mounts); do
        make_cgroup "$cg/$CGROUP_NAME"
        make_cgroup "$cg/$CGROUP_NAME/$name"
        cgdirs+=("$cg/$CGROUP_NAME/$name")
    done

    # setsid: own session, so the hosts outlive this shell; --kill-child: if the unshare process
    # dies, the whole host dies with it. container= tells systemd it is in a container, so it
    # leaves the kernel, consoles, swap, loop devices and file system superblocks alone.
    # shellcheck disable=SC2016
    setsid bash -c '
        set -e
        hd=$1 root=$2 caps=$3 init=$4; shift 4
        for d in "$@"; do echo $$ >"$d/cgroup.procs"; done
        echo $$ >"$hd/unshare.pid"
        exec unshare --pid --fork --kill-child --mount --uts --net --ipc --propagation private \
            env -i container=pds-testhosts PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            sh -c "$init" ns-init "$root" "$caps"
    ' launcher "$hd" "$hd/root" "$DROP_CAPS" "$NS_INIT" "${cgdirs[@]}" \
        </dev/null >"$hd/console.log" 2>&1 9>&- &

    local upid="" nspid="" t
    for ((t = 0; t < 100; t++)); do      # up to 10 s for unshare and its forked child to appear
        [[ -z $upid && -s $hd/unshare.pid ]] && upid=$(cat "$hd/unshare.pid")
        [[ -n $upid ]] && nspid=$(ps -o pid= --ppid "$upid" | awk 'NR == 1 {print $1}' || true)
        [[ -n $nspid ]] && break
        sleep 0.1
    done
    [[ -n $nspid ]] || die "$name: namespace init did not start (see $hd/console.log)"
    record host "$name" "$ip" "$nspid" "$(proc_start "$nspid" || echo 0)" "$upid" "$(proc_start "$upid" || echo 0)"

    ip link add "$veth" type veth peer name eth0 netns "$nspid"
    record veth "$veth"
    ip link set "$veth" master "$BRIDGE" up
    nsenter -t "$nspid" -n ip link set lo up
    nsenter -t "$nspid" -n ip addr add "$ip/24" dev eth0
    nsenter -t "$nspid" -n ip link set eth0 up
}

write_client_files() {   # ssh_config, known_hosts, Ansible inventory for hosts 1..N
    local n=$1 i f
    {
        echo "# written by testhosts.sh up $n"
        for ((i = 1; i <= n; i++)); do printf 'Host host%d\n  HostName %s\n' "$i" "$(host_ip "$i")"; done
        cat <<EOF
Host host* $NET.*
  User root
  IdentityFile $KEY
  IdentitiesOnly yes
  UserKnownHostsFile $KNOWN_HOSTS
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ControlMaster no
  ControlPath none
  LogLevel ERROR
EOF
    } >"$SSH_CONFIG"
    : >"$KNOWN_HOSTS"
    for ((i = 1; i <= n; i++)); do
        for f in "$HOSTS_DIR/host$i"/root/etc/ssh/ssh_host_*_key.pub; do
            echo "host$i,$(host_ip "$i") $(cut -d' ' -f1,2 "$f")" >>"$KNOWN_HOSTS"
        done
    done
    for ((i = 1; i <= n; i++)); do   # hosts know each other's keys too
        cp "$KNOWN_HOSTS" "$HOSTS_DIR/host$i/root/etc/ssh/ssh_known_hosts"
    done
    {
        echo "[testhosts]"
        for ((i = 1; i <= n; i++)); do echo "host$i ansible_host=$(host_ip "$i")"; done
        echo
        echo "[testhosts:vars]"
        echo "ansible_user=root"
        echo "ansible_ssh_private_key_file=$KEY"
        echo "ansible_ssh_common_args='-o UserKnownHostsFile=$KNOWN_HOSTS -o StrictHostKeyChecking=yes'"
        echo "ansible_python_interpreter=/usr/bin/python3"
    } >"$INVENTORY"
}

wait_for_ssh() {   # wait_for_ssh N: probe all hosts that have not answered yet, in parallel
    local n=$1 i t0=$SECONDS pending pids
    while :; do
        pending=() pids=()
        for ((i = 1; i <= n; i++)); do
            [[ -e $HOSTS_DIR/host$i/.ssh-ok ]] && continue
            pending+=("host$i")
            { ssh "${SSH_OPTS[@]}" -o ConnectTimeout=2 "host$i" true 2>/dev/null && touch "$HOSTS_DIR/host$i/.ssh-ok"; } &
            pids+=($!)
        done
        ((${#pending[@]} == 0)) && return 0
        for i in "${pids[@]}"; do wait "$i" || true; done
        pending=()
        for ((i = 1; i <= n; i++)); do [[ -e $HOSTS_DIR/host$i/.ssh-ok ]] || pending+=("host$i"); done
        ((${#pending[@]} == 0)) && return 0
        ((SECONDS - t0 < BOOT_TIMEOUT)) || die "no SSH after ${BOOT_TIMEOUT}s on: ${pending[*]} (see $HOSTS_DIR/<host>/console.log)"
        sleep 0.5
    done
}

cmd_up() {
    local n=${1:-} apt_proxy=""
    case ${2:-} in
        --apt-proxy) apt_proxy=1 ;;
        "") ;;
        *) die "usage: up N [--apt-proxy]" ;;
    esac
    if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > MAX_HOSTS)); then die "usage: up N [--apt-proxy]   (1 <= N <= $MAX_HOSTS)"; fi
    [[ ! -s $STATE ]] || die "hosts are already up (see '$0 status'); run '$0 down' first"
    [[ -z "$(ip -4 -o addr show to "$NET.0/24")" ]] || die "$NET.0/24 is already in use on this machine"
    ! ip link show "$BRIDGE" >/dev/null 2>&1 || die "bridge $BRIDGE already exists but is not in $STATE"

    local t0=$SECONDS i
    build_base
    ensure_key
    : >"$STATE"
    UP_DONE=0
    trap '[[ $UP_DONE == 1 ]] || { log "up failed; cleaning up"; cmd_down; }' EXIT
    trap 'exit 130' INT TERM

    ip link add "$BRIDGE" type bridge
    record bridge "$BRIDGE"
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    [[ -z $apt_proxy ]] || start_apt_proxy

    local pids=() t1=$SECONDS
    for ((i = 1; i <= n; i++)); do prepare_host "$i" "$n" "$apt_proxy" & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i"; done
    write_client_files "$n"
    log "root file systems and keys ready ($((SECONDS - t1)) s)"
    t1=$SECONDS
    for ((i = 1; i <= n; i++)); do start_host "$i"; done
    wait_for_ssh "$n"
    log "booted, SSH answers on all hosts ($((SECONDS - t1)) s)"
    UP_DONE=1

    echo "testhosts: $n host(s) up in $((SECONDS - t0)) s"
    cmd_status
    cat <<EOF

  ssh:       $0 ssh host1 [cmd]   or   ssh -F $SSH_CONFIG [deploy@]host1
  key:       $KEY   (root and deploy; deploy has passwordless sudo)
  ansible:   -i $INVENTORY
  down:      $0 down
EOF
    [[ -z $apt_proxy ]] || echo "  apt:       hosts use the proxy http://$NET.1:$APT_PROXY_PORT/ (the distribution's mirrors only)"
}

# ---------------------------------------------------------------------------------------------
# down: power off, then undo the state file in reverse

cmd_down() {
    set +e    # best effort from here on: undo as much as possible
    [[ -f $STATE ]] || { echo "testhosts: nothing is up"; return 0; }
    local kind a b c d e f i

    # 1. ask every host's systemd to power off, all at once
    while read -r kind a b c d e f; do
        [[ $kind == host ]] || continue
        if alive "$c" "$d"; then
            nsenter -t "$c" -m -u -i -n -p -r -w systemctl poweroff --no-block >/dev/null 2>&1 ||
                kill -s SIGRTMIN+4 "$c"   # systemd's "poweroff" signal
        fi
    done <"$STATE"

    # 2. wait for them to finish; SIGKILL a host's PID 1 (and with it its namespace) only if needed
    local t0=$SECONDS left
    while :; do
        left=0
        while read -r kind a b c d e f; do
            [[ $kind == host ]] || continue
            alive "$c" "$d" && left=$((left + 1))
        done <"$STATE"
        ((left == 0)) && break
        if ((SECONDS - t0 >= POWEROFF_TIMEOUT)); then
            while read -r kind a b c d e f; do
                [[ $kind == host ]] || continue
                alive "$c" "$d" && { log "$a: no clean poweroff after ${POWEROFF_TIMEOUT}s; SIGKILL $c"; kill -KILL "$c"; }
            done <"$STATE"
            sleep 1
            break
        fi
        sleep 0.3
    done
    # the unshare parents exit once their child is gone; give them a moment, then make sure
    for ((i = 0; i < 50; i++)); do
        left=0
        while read -r kind a b c d e f; do
            [[ $kind == host ]] && alive "$e" "$f" && left=1
        done <"$STATE"
        ((left == 0)) && break
        sleep 0.1
    done
    while read -r kind a b c d e f; do
        [[ $kind == host ]] && alive "$e" "$f" && kill -KILL "$e" 2>/dev/null && log "$a: killed leftover unshare $e"
    done <"$STATE"

    # 3. everything else, newest first
    tac "$STATE" | while read -r kind a b c d e f; do
        case $kind in
            proxy)
                alive "$a" "$b" && kill -TERM "$a"
                for ((i = 0; i < 20; i++)); do alive "$a" "$b" || break; sleep 0.1; done
                ! alive "$a" "$b" || kill -KILL "$a" ;;
            veth) ! ip link show "$a" >/dev/null 2>&1 || ip link del "$a" ;;
            cgroup)
                [[ -d $a ]] || continue
                for ((i = 0; i < 50; i++)); do   # emptied cgroups can take a moment to release
                    find "$a" -depth -type d -exec rmdir {} + 2>/dev/null
                    [[ -d $a ]] || break
                    sleep 0.1
                done
                [[ ! -d $a ]] || log "could not remove cgroup $a (still has processes?)" ;;
            mount)
                for ((i = 0; i < 20; i++)); do
                    mountpoint -q "$a" || break
                    umount "$a" 2>/dev/null && break
                    sleep 0.2
                done
                ! mountpoint -q "$a" || log "could not unmount $a" ;;
            bridge) ! ip link show "$a" >/dev/null 2>&1 || ip link del "$a" ;;
        esac
    done
    # 4. the hosts' files, except console.log (kept for post-mortems); never through a live mount
    while read -r kind a b c d e f; do
        [[ $kind == host ]] || continue
        if alive "$c" "$d" || mountpoint -q "$HOSTS_DIR/$a/root"; then
            log "$a: still running or mounted; keeping $HOSTS_DIR/$a"
        else
            (safe_rm "$HOSTS_DIR/$a/upper" "$HOSTS_DIR/$a/work" "$HOSTS_DIR/$a/root")
        fi
    done <"$STATE"
    mv "$STATE" "$STATE.last"
    echo "testhosts: down"
}

# ---------------------------------------------------------------------------------------------
# status, ssh

cmd_status() {
    [[ -s $STATE ]] || { echo "testhosts: nothing is up"; return 0; }
    local kind a b c d e f st
    printf '  %-9s %-15s %-8s %s\n' HOST IP PID STATE
    while read -r kind a b c d e f; do
        [[ $kind == host ]] || continue
        if alive "$c" "$d"; then
            st=$(nsenter -t "$c" -m -u -i -n -p -r -w systemctl is-system-running 2>/dev/null || true)
        else
            st="NOT RUNNING"
        fi
        printf '  %-9s %-15s %-8s %s\n' "$a" "$b" "$c" "${st:-?}"
    done <"$STATE"
    while read -r kind a b c d e f; do
        [[ $kind == proxy ]] || continue
        if alive "$a" "$b"; then st=running; else st="NOT RUNNING"; fi
        printf '  %-9s %-15s %-8s %s\n' apt-proxy "$NET.1:$APT_PROXY_PORT" "$a" "$st"
    done <"$STATE"
}

cmd_ssh() {
    [[ $# -ge 1 ]] || die "usage: ssh [SSH-OPTS] [USER@]hostN [CMD...]"
    [[ -s $STATE ]] || die "nothing is up"
    exec ssh "${SSH_OPTS[@]}" "$@"
}

main() {
    [[ $(id -u) == 0 ]] || die "must run as root"
    mkdir -p "$DIR" "$HOSTS_DIR"
    local cmd=${1:-}
    shift || true
    case $cmd in
        up | down | base) exec 9>"$DIR/lock"; flock -n 9 || die "another testhosts.sh is running" ;;
    esac
    case $cmd in
        up) cmd_up "$@" ;;
        down) cmd_down ;;
        status) cmd_status ;;
        ssh) cmd_ssh "$@" ;;
        base) build_base "${1:+rebuild}" ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
