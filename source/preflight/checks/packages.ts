// Package manager present and not locked, the package source reachable from the server, proxy
// settings, and (from the operator machine) the artifact source or the offline bundle.
import {isIP} from 'node:net';
import type {Plan} from '../../plan/plan.js';
import {OPERATOR, resultsFor, type CheckResult, type HostCheckContext} from '../types.js';
import {osFamily} from './system.js';

export function checkPackageManager({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'packages')('PackageManager', 'error');
  const family = osFamily(facts);
  const pm = facts.packageManager;
  if (!pm) return [r.fail('no apt-get, dnf or yum found', 'use a supported distribution with its package manager')];
  if ((family === 'debian' && pm !== 'apt') || (family === 'rhel' && pm === 'apt')) {
    return [r.fail(`${pm} found, but the OS is ${facts.os?.prettyName ?? 'unknown'}`, 'repair the package manager installation')];
  }
  return [r.pass(pm)];
}

export function checkPackageLock({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'packages')('PackageLock', 'error');
  if (facts.packageLock.held.length > 0) {
    const h = facts.packageLock.held[0]!;
    return [
      r.fail(
        `the package manager is busy: ${h.file} is held by ${h.process ?? 'a process'} (pid ${h.pid})`,
        `wait for it to finish (often unattended-upgrades or cloud-init right after boot), then try again; do not delete the lock file`,
      ),
    ];
  }
  if (facts.packageLock.method === 'none') return [r.pass('no lock files found')];
  return [r.pass(`not locked (${facts.packageLock.method === 'fcntl' ? 'asked the kernel' : facts.packageLock.method === 'proc-locks' ? '/proc/locks' : 'pid files'})`)];
}

export function checkPackageSource({spec, facts, profile}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'packages')('PackageSource', 'error');
  const ps = facts.packageSource;
  if (!ps) return [r.warn('no package source found in apt/dnf configuration', 'set artifacts.packageMirror in the profile')];
  const via = ps.via ? ` through proxy ${ps.via}` : '';
  if (ps.detail === 'no curl or wget to test it') return [r.warn(`${ps.url}${via}: not tested (no curl or wget on the server)`)];
  if (ps.reachable) return [r.pass(`${ps.url}${via} answers (${ps.detail})`)];
  return [
    r.fail(
      `the server cannot reach its package source ${ps.url}${via}: ${ps.detail}`,
      profile.artifacts.packageMirror
        ? 'check artifacts.packageMirror and the network path to it'
        : 'allow it outbound, set a proxy (apt: Acquire::http::Proxy; dnf: proxy=), or set artifacts.packageMirror in the profile',
    ),
  ];
}

function coversHost(noProxy: string[], host: string): boolean {
  const h = host.toLowerCase();
  return noProxy.some(entry => {
    const e = entry.trim().toLowerCase();
    if (!e) return false;
    if (e === '*') return true;
    if (e.includes('/') && isIP(h) === 4) {
      const [net, bitsText] = e.split('/');
      const bits = Number(bitsText);
      const toInt = (ip: string) => ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
      if (isIP(net ?? '') !== 4 || !(bits >= 0 && bits <= 32)) return false;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return (toInt(h) & mask) === (toInt(net!) & mask);
    }
    const bare = e.replace(/^\*?\./, '');
    return h === bare || h.endsWith(`.${bare}`);
  });
}

export function checkProxy(ctx: HostCheckContext): CheckResult[] {
  const {spec, facts, plan, profile} = ctx;
  const r = resultsFor(spec.name, 'packages')('Proxy', 'warning');
  const proxies = facts.proxies.filter(p => !/^no_proxy$/i.test(p.name));
  if (proxies.length === 0) return [r.pass('no proxy configured')];
  const listed = proxies.map(p => `${p.value} (${p.source})`).filter((v, i, a) => a.indexOf(v) === i);
  // Proxies in the environment also catch the unit's own traffic (Java, curl): no_proxy must cover it.
  const envProxies = proxies.filter(p => p.source !== 'apt' && p.source !== 'dnf');
  if (envProxies.length === 0) return [r.pass(`proxy ${listed.join(', ')}; used for packages only`)];
  const noProxy = facts.proxies.filter(p => /^no_proxy$/i.test(p.name)).flatMap(p => p.value.split(','));
  const mustBypass = unitNames(plan, spec.name, profile.unit.fqdn);
  const missing = mustBypass.filter(h => !coversHost(noProxy, h));
  if (missing.length === 0) return [r.pass(`proxy ${listed.join(', ')}; no_proxy covers the unit's servers`)];
  return [
    r.warn(
      `proxy ${listed.join(', ')} is set, and no_proxy does not cover ${missing.join(', ')}: traffic between the unit's servers would go through the proxy`,
      `add them to no_proxy (e.g. in /etc/environment): no_proxy=${[...new Set([...noProxy.filter(Boolean), ...missing])].join(',')}`,
    ),
  ];
}

function unitNames(plan: Plan, self: string, fqdn: string): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', fqdn]);
  for (const h of plan.hosts) if (h.name !== self) names.add(h.privateAddress);
  return [...names];
}

export interface ArtifactProbe {
  url: string;
  ok: boolean;
  detail: string;
}

export function artifactResults(source: 'upstream' | 'mirror' | 'bundle', probes: ArtifactProbe[], bundle?: {path: string; exists: boolean; detail?: string}): CheckResult[] {
  const r = resultsFor(OPERATOR, 'packages')('Artifacts', 'error');
  if (source === 'bundle') {
    if (bundle?.exists) return [r.pass(`offline bundle ${bundle.path}`)];
    return [r.fail(`offline bundle ${bundle?.path ?? '(none)'} is missing${bundle?.detail ? `: ${bundle.detail}` : ''}`, 'make it with `personium-setup bundle` on a machine with internet access, or fix artifacts.bundleFile')];
  }
  const bad = probes.filter(p => !p.ok);
  if (probes.length === 0) return [r.warn('no artifact URL to test')];
  if (bad.length === 0) return [r.pass(`${source === 'mirror' ? 'mirror' : 'download sites'} reachable: ${probes.map(p => new URL(p.url).host).join(', ')}`)];
  return [
    r.fail(
      `cannot reach ${bad.map(p => `${p.url} (${p.detail})`).join('; ')} from this machine`,
      source === 'mirror'
        ? 'check artifacts.mirrorUrl and the network path to it'
        : 'allow outbound HTTPS (or set HTTPS_PROXY), use artifacts.source mirror, or an offline bundle (artifacts.source bundle)',
    ),
  ];
}
