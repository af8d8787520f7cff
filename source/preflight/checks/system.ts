// Operating system, architecture and init system.
import {resultsFor, type CheckResult, type HostCheckContext} from '../types.js';
import type {HostFacts} from '../facts.js';

export interface SupportedOs {
  ids: string[];
  versions: string[];
  /** Compare only the major version (RHEL 9.4 → 9). */
  major?: boolean;
  label: string;
}

export const SUPPORTED_OS: SupportedOs[] = [
  {ids: ['debian'], versions: ['12'], label: 'Debian 12'},
  {ids: ['ubuntu'], versions: ['22.04', '24.04'], label: 'Ubuntu 22.04/24.04'},
  {ids: ['rhel', 'rocky', 'almalinux'], versions: ['9'], major: true, label: 'RHEL/Rocky/Alma 9'},
];
/** What the official Ansible playbooks target: still accepted, with a warning. */
export const LEGACY_OS: SupportedOs[] = [{ids: ['centos'], versions: ['7'], major: true, label: 'CentOS 7'}];

export const SUPPORTED_OS_TEXT = SUPPORTED_OS.map(o => o.label).join(', ');

function matches(list: SupportedOs[], id: string, versionId: string): boolean {
  return list.some(o => o.ids.includes(id) && o.versions.includes(o.major ? versionId.split('.')[0]! : versionId));
}

/** The package family the executor uses, or undefined for an unsupported OS. */
export function osFamily(facts: HostFacts): 'debian' | 'rhel' | undefined {
  const os = facts.os;
  if (!os) return undefined;
  if (os.id === 'debian' || os.id === 'ubuntu' || os.idLike.includes('debian')) return 'debian';
  if (['rhel', 'rocky', 'almalinux', 'centos', 'fedora'].includes(os.id) || os.idLike.includes('rhel')) return 'rhel';
  return undefined;
}

export function checkOs({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'system')('OS', 'error');
  const os = facts.os;
  if (!os) return [r.fail('cannot tell the operating system: /etc/os-release is missing', `use one of: ${SUPPORTED_OS_TEXT}`)];
  if (matches(SUPPORTED_OS, os.id, os.versionId)) return [r.pass(os.prettyName)];
  if (matches(LEGACY_OS, os.id, os.versionId)) {
    return [
      r.warn(
        `${os.prettyName} is legacy: end of life since June 2024, supported only as the platform of the official playbooks`,
        `move to ${SUPPORTED_OS_TEXT} when you can`,
      ),
    ];
  }
  return [
    r.fail(
      `${os.prettyName} (${os.id} ${os.versionId}) is not supported`,
      `use ${SUPPORTED_OS_TEXT}, or try anyway with --ignore-preflight-errors=OS`,
    ),
  ];
}

export function checkArch({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'system')('Arch', 'error');
  const arch = facts.arch;
  if (!arch) return [r.fail('cannot tell the CPU architecture (uname -m gave nothing)')];
  if (arch === 'x86_64') return [r.pass(arch)];
  if ((arch === 'aarch64' || arch === 'arm64') && !spec.roles.includes('es')) {
    return [r.pass(`${arch} (Java, nginx and memcached come from the distribution)`)];
  }
  return [
    r.fail(
      `${arch}: the version set's Elasticsearch and JDK archives are built for x86_64`,
      spec.roles.includes('es') ? 'put the es role on an x86_64 server' : 'use an x86_64 or aarch64 server',
    ),
  ];
}

export function checkSystemd({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'system')('Systemd', 'error');
  if (facts.systemd) return [r.pass('systemd is the init system')];
  return [
    r.fail(
      'systemd is not running (/run/systemd/system is missing): services are installed as systemd units',
      'use a server (or container) booted with systemd',
    ),
  ];
}
