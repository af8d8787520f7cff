// The fact script's output parser, on captured outputs of several distributions, and the script
// itself run by a real POSIX sh on this machine.
import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {factsScript, parseFacts, parseSsLine, splitAddressPort} from '../../source/preflight/facts.js';

const M = 'pf-0123456789abcdef';
const section = (name: string, ...lines: string[]) => `\n--${M} ${name}\n${lines.join('\n')}`;

function output(parts: Record<string, string[]>): string {
  return Object.entries(parts).map(([name, lines]) => section(name, ...lines)).join('') + section('end') + '\n';
}

const ROCKY = output({
  os: ['NAME="Rocky Linux"', 'VERSION="9.4 (Blue Onyx)"', 'ID="rocky"', 'ID_LIKE="rhel centos fedora"', 'VERSION_ID="9.4"', 'PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"'],
  uname: ['x86_64', '5.14.0-427.13.1.el9_4.x86_64'],
  id: ['0', 'deploy'],
  systemd: ['yes'],
  cpu: ['4'],
  mem: ['MemTotal:        7869604 kB', 'MemAvailable:    7012345 kB', 'SwapTotal:       2097148 kB', 'Swappiness: 30'],
  df: ['/ / 41922560 30000000 /', '/opt /opt 41922560 30000000 /', '/personium / 41922560 30000000 /', '/personium_nfs / 41922560 30000000 /', '/var /var 20961280 15000000 /var'],
  listen: [
    'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=1021,fd=3))',
    'LISTEN 0      128             [::]:22           [::]:*    users:(("sshd",pid=1021,fd=4))',
    'LISTEN 0      5            0.0.0.0:9200      0.0.0.0:*    users:(("python3",pid=4242,fd=3))',
    'LISTEN 0      511                *:80              *:*    users:(("httpd",pid=900,fd=4),("httpd",pid=901,fd=4))',
    'LISTEN 0      64           0.0.0.0:2049      0.0.0.0:*',
    'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=600,fd=14))',
  ],
  pids: ['600 systemd-resolved.service systemd-resolve', '900 httpd.service httpd', '901 httpd.service httpd', '1021 sshd.service sshd', '4242 session-4.scope python3'],
  sysctl: ['max_map_count 65530', 'writable no', 'nr_open 1048576', 'threads_max 62892'],
  limits: [
    'session Max processes             31446                31446                processes ',
    'session Max open files            1024                 4096                 files     ',
    'pid1 Max processes             31446                31446                processes ',
    'pid1 Max open files            1073741816           1073741816           files     ',
    'CapEff:\t000001ffffffffff',
  ],
  addrs: ['127.0.0.1', '10.0.0.13', '::1'],
  proxy: ['env https_proxy=http://proxy.corp:3128', 'environment no_proxy="localhost,10.0.0.0/8"', 'dnf proxy=http://proxy.corp:3128'],
  pkg: ['dnf'],
  pkglock: ['method pid-file', 'held /var/cache/dnf/metadata_lock.pid 3131 dnf'],
  security: ['selinux Enforcing'],
  firewall: ['firewalld active', 'ufw unknown', 'nftables inactive', 'firewalld-allowed 9200/tcp cockpit dhcpv6-client ssh', 'nft-rules 57', 'iptables-rules 0'],
  existing: ['/personium', '/opt/tomcat/webapps/personium-core.war'],
  tools: ['python3', 'curl', 'bash', 'timeout'],
  resolve: ['unit.example.test 10.0.0.11 ', 'preflight-abc.unit.example.test', 'web.example.test 10.0.0.11 2001:db8::11 '],
  hostname: ['name es1', 'fqdn es1.example.test', 'addrs 10.0.0.13 '],
  pkgsource: ['url https://mirrors.rockylinux.org/', 'via http://proxy.corp:3128', 'http 000', 'error curl: (7) Failed to connect to proxy.corp port 3128'],
  time: ['1800000000.250000000 1800000000.750000000'],
});

describe('parseFacts', () => {
  it('reads a Rocky 9 server with every kind of fact', () => {
    const f = parseFacts(ROCKY, M);
    expect(f.os).toEqual({id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4', prettyName: 'Rocky Linux 9.4 (Blue Onyx)'});
    expect(f).toMatchObject({arch: 'x86_64', uid: 0, sudoUser: 'deploy', systemd: true, cpus: 4, memTotalMb: 7685, swapTotalMb: 2047, swappiness: 30});
    expect(f.disks[2]).toEqual({path: '/personium', measured: '/', sizeKb: 41922560, availKb: 30000000, mount: '/'});
    expect(f.listeners.find(l => l.port === 9200)).toEqual({address: '0.0.0.0', port: 9200, processes: [{name: 'python3', pid: 4242, unit: 'session-4.scope'}]});
    expect(f.listeners.find(l => l.port === 80)!.processes.map(p => p.pid)).toEqual([900, 901]);
    expect(f.listeners.find(l => l.port === 2049)).toEqual({address: '0.0.0.0', port: 2049, processes: []});
    expect(f.listeners.find(l => l.port === 53)!.address).toBe('127.0.0.53');
    expect(f.listeners.find(l => l.address === '::')).toBeDefined();
    expect(f).toMatchObject({maxMapCount: 65530, maxMapCountWritable: 'no'});
    expect(f.limits).toEqual({sessionNprocHard: 31446, sessionNofileHard: 4096, pid1NprocHard: 31446, pid1NofileHard: 1073741816, pid1CanRaise: true, nrOpen: 1048576, threadsMax: 62892});
    expect(f.proxies).toEqual([
      {source: 'environment of the login', name: 'https_proxy', value: 'http://proxy.corp:3128'},
      {source: '/etc/environment', name: 'no_proxy', value: 'localhost,10.0.0.0/8'},
      {source: 'dnf', name: 'proxy', value: 'http://proxy.corp:3128'},
    ]);
    expect(f.packageManager).toBe('dnf');
    expect(f.packageLock).toEqual({method: 'pid-file', held: [{file: '/var/cache/dnf/metadata_lock.pid', pid: 3131, process: 'dnf'}]});
    expect(f.packageSource).toEqual({url: 'https://mirrors.rockylinux.org/', reachable: false, detail: 'curl: (7) Failed to connect to proxy.corp port 3128', via: 'http://proxy.corp:3128'});
    expect(f.selinux).toBe('Enforcing');
    expect(f.firewall).toEqual({firewalld: true, ufw: false, nftables: false, nftRules: 57, iptablesRules: 0, allowed: ['9200/tcp', 'cockpit', 'dhcpv6-client', 'ssh']});
    expect(f.existing).toEqual(['/personium', '/opt/tomcat/webapps/personium-core.war']);
    expect(f.resolved).toEqual({'unit.example.test': ['10.0.0.11'], 'preflight-abc.unit.example.test': [], 'web.example.test': ['10.0.0.11', '2001:db8::11']});
    expect(f).toMatchObject({hostname: 'es1', hostnameAddresses: ['10.0.0.13'], clockStart: 1800000000.25, clockElapsed: 0.5, clockPrecise: true});
  });

  it('Ubuntu, CentOS 7 and Alpine os-release files, unquoted and single-quoted values', () => {
    const os = (...lines: string[]) => parseFacts(output({os: lines}), M).os;
    expect(os('NAME="Ubuntu"', 'VERSION_ID="24.04"', 'ID=ubuntu', 'ID_LIKE=debian', 'PRETTY_NAME="Ubuntu 24.04.1 LTS"')).toEqual({id: 'ubuntu', idLike: ['debian'], versionId: '24.04', prettyName: 'Ubuntu 24.04.1 LTS'});
    expect(os('NAME="CentOS Linux"', 'ID="centos"', 'ID_LIKE="rhel fedora"', 'VERSION_ID="7"', 'PRETTY_NAME="CentOS Linux 7 (Core)"')?.versionId).toBe('7');
    expect(os("NAME='Alpine Linux'", 'ID=alpine', 'VERSION_ID=3.19.1', 'PRETTY_NAME="Alpine Linux v3.19"')).toMatchObject({id: 'alpine', versionId: '3.19.1'});
    expect(os('PRETTY_NAME="has \\"quotes\\" and \\$dollar"', 'ID=x')?.prettyName).toBe('has "quotes" and $dollar');
  });

  it('a missing section gives unknown facts, not a crash; dpkg lock holders are read', () => {
    const f = parseFacts(output({pkglock: ['method fcntl', 'held /var/lib/dpkg/lock-frontend 812 unattended-upgr']}), M);
    expect(f.os).toBeUndefined();
    expect(f.systemd).toBe(false);
    expect(f.listenersUnknown).toBe(true);
    expect(f.maxMapCountWritable).toBe('unknown');
    expect(f.packageLock.held).toEqual([{file: '/var/lib/dpkg/lock-frontend', pid: 812, process: 'unattended-upgr'}]);
  });

  it('only headers with this run\'s marker open sections: host text cannot fake one', () => {
    const text = output({os: ['ID=debian', 'VERSION_ID="12"', '--pf-ffffffffffffffff uname', 'sparc'], uname: ['x86_64']});
    const f = parseFacts(text, M);
    expect(f.arch).toBe('x86_64');
    expect(f.os?.versionId).toBe('12');
  });

  it('date without %N (busybox) is read as whole seconds', () => {
    const f = parseFacts(output({time: ['1800000000.N 1800000001.N']}), M);
    expect(f).toMatchObject({clockStart: 1800000000, clockElapsed: 1, clockPrecise: false});
  });
});

describe('ss lines', () => {
  it('splits addresses and ports of both families', () => {
    expect(splitAddressPort('[::ffff:127.0.0.1]:8005')).toEqual({address: '::ffff:127.0.0.1', port: 8005});
    expect(splitAddressPort('*:443')).toEqual({address: '*', port: 443});
    expect(splitAddressPort('[fe80::1%eth0]:22')).toEqual({address: 'fe80::1', port: 22});
    expect(splitAddressPort('0.0.0.0:*')).toBeUndefined();
  });
  it('reads process names with quotes and several owners', () => {
    const l = parseSsLine('LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=11,fd=6),("nginx",pid=10,fd=6))', new Map([[10, {unit: 'nginx.service'}]]));
    expect(l).toEqual({address: '0.0.0.0', port: 443, processes: [{name: 'nginx', pid: 11}, {name: 'nginx', pid: 10, unit: 'nginx.service'}]});
  });
});

describe('the fact script', () => {
  it('quotes every operator value: a name with shell syntax stays one argument', () => {
    const script = factsScript({marker: 'pf-x', names: ["a'b$(touch /tmp/pwned).example"], packageSourceUrl: 'http://m/`id`'});
    expect(script).toContain(`'a'\\''b$(touch /tmp/pwned).example'`);
    expect(script).toContain("PS_URL='http://m/`id`'");
    expect(() => factsScript({marker: 'bad marker;', names: []})).toThrow();
  });

  it('runs under a POSIX sh here and gives facts the parser reads', () => {
    const marker = 'pf-localtest';
    // Only names that need no network, and a package source that refuses at once on this machine.
    const script = factsScript({marker, names: ['localhost'], packageSourceUrl: 'http://127.0.0.1:9/'});
    const before = Date.now();
    const out = execFileSync('sh', ['-c', script], {encoding: 'utf8', timeout: 30_000});
    const after = Date.now();
    const f = parseFacts(out, marker);
    expect(out).toContain(`--${marker} end`);
    expect(f.os?.id).toBeTruthy();
    expect(f.cpus).toBeGreaterThan(0);
    expect(f.memTotalMb).toBeGreaterThan(0);
    expect(f.disks.map(d => d.path)).toEqual(['/', '/opt', '/personium', '/personium_nfs', '/var']);
    expect(f.resolved.localhost!.length).toBeGreaterThan(0);
    expect(f.clockStart! * 1000).toBeGreaterThanOrEqual(before - 1000);
    expect(f.clockStart! * 1000).toBeLessThanOrEqual(after + 1000);
    expect(f.packageSource).toMatchObject({url: 'http://127.0.0.1:9/', reachable: false});
  });
});
