// Fact fixtures for the preflight checks: a clean server, and profiles of each pattern.
import {mergeAnswers, presetAnswers, validateAnswers, type Answers} from '../../source/profile/answers.js';
import type {Pattern, Profile} from '../../source/profile/schema.js';
import {buildPlan, type Plan} from '../../source/plan/plan.js';
import type {HostFacts} from '../../source/preflight/facts.js';
import type {HostCheckContext} from '../../source/preflight/types.js';

export const OPERATOR_NOW = 1_800_000_000_000;

/** A freshly installed Debian 12 server with 8 GB, 4 CPUs, nothing listening but sshd. */
export function cleanFacts(overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    os: {id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)'},
    arch: 'x86_64',
    kernel: '6.1.0-18-amd64',
    uid: 0,
    sudoUser: 'deploy',
    systemd: true,
    cpus: 4,
    memTotalMb: 8192,
    memAvailableMb: 7600,
    swapTotalMb: 0,
    swappiness: 60,
    disks: ['/', '/opt', '/personium', '/personium_nfs', '/var'].map(path => ({
      path,
      measured: path === '/personium' || path === '/personium_nfs' ? '/' : path,
      sizeKb: 80 * 1024 * 1024,
      availKb: 60 * 1024 * 1024,
      mount: '/',
    })),
    listeners: [{address: '0.0.0.0', port: 22, processes: [{name: 'sshd', pid: 401, unit: 'ssh.service'}]}],
    listenersUnknown: false,
    maxMapCount: 65530,
    maxMapCountWritable: 'yes',
    limits: {sessionNofileHard: 1048576, sessionNprocHard: 31446, pid1NofileHard: 524288, pid1NprocHard: 31446, pid1CanRaise: true, nrOpen: 1048576, threadsMax: 62892},
    clockStart: OPERATOR_NOW / 1000 + 0.01,
    clockElapsed: 0.05,
    clockPrecise: true,
    hostname: 'server1',
    hostnameAddresses: ['127.0.1.1'],
    addresses: ['127.0.0.1', '192.0.2.10', '::1'],
    resolved: {},
    proxies: [],
    packageManager: 'apt',
    packageLock: {held: [], method: 'fcntl'},
    packageSource: {url: 'http://deb.debian.org/', reachable: true, detail: 'HTTP 200'},
    apparmor: true,
    firewall: {firewalld: false, ufw: false, nftables: false, nftRules: 0, iptablesRules: 0, allowed: []},
    existing: [],
    tools: ['python3', 'curl', 'bash', 'timeout'],
    ...overrides,
  };
}

export function profileFor(pattern: Pattern, answers: Answers): Profile {
  return validateAnswers(mergeAnswers(presetAnswers(pattern), answers), 'test').profile;
}

export const SMALL: Answers = {
  hosts: [{name: 'server1', address: '192.0.2.10', user: 'deploy', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
  unit: {fqdn: 'unit.example.test', cellUrlMode: 'per-cell', publicAddress: '192.0.2.10'},
};

export const MEDIUM: Answers = {
  hosts: [
    {name: 'web1', address: '198.51.100.10', privateAddress: '10.0.0.11', user: 'deploy', roles: ['web']},
    {name: 'ap1', address: '10.0.0.12', user: 'deploy', roles: ['ap', 'mq', 'nfs']},
    {name: 'es1', address: '10.0.0.13', user: 'deploy', roles: ['es']},
  ],
  unit: {fqdn: 'unit.example.test', cellUrlMode: 'per-cell', publicAddress: '198.51.100.10'},
};

/** A check context for one host of a profile; facts default to a clean server resolving the unit names right. */
export function contextFor(profile: Profile, hostName: string, facts: HostFacts, extra: Partial<HostCheckContext> = {}): HostCheckContext {
  const plan: Plan = buildPlan(profile);
  return {
    profile,
    plan,
    spec: profile.hosts.find(h => h.name === hostName)!,
    hostPlan: plan.hosts.find(h => h.name === hostName)!,
    facts,
    operatorBefore: OPERATOR_NOW - 20,
    operatorAfter: OPERATOR_NOW + 80,
    wildcardName: `preflight-abc.${profile.unit.fqdn}`,
    ...extra,
  };
}

/** Facts of a clean server whose resolver answers the unit FQDN and its wildcard with `address`. */
export function resolving(address: string, fqdn = 'unit.example.test', overrides: Partial<HostFacts> = {}): HostFacts {
  return cleanFacts({resolved: {[fqdn]: [address], [`preflight-abc.${fqdn}`]: [address]}, ...overrides});
}
