// SELinux and firewall state (reported, with the ports that must be open), and an existing
// Personium installation (warned about; the installer never deletes data).
import type {PortUse} from '../../plan/plan.js';
import {resultsFor, type CheckResult, type HostCheckContext} from '../types.js';

export function checkSelinux({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'security')('SELinux', 'warning');
  const mode = facts.selinux;
  if (mode && /^enforcing$/i.test(mode)) {
    return [
      r.warn(
        'SELinux is enforcing: the installer gives the files it writes their policy labels back (restorecon) and sets httpd_can_network_connect so nginx may reach Tomcat',
        'nothing to do unless you run custom policies; check `ausearch -m avc` if a service is denied',
      ),
    ];
  }
  const apparmor = facts.apparmor ? '; AppArmor enabled' : '';
  return [r.pass(`${mode ? `SELinux ${mode.toLowerCase()}` : 'no SELinux'}${apparmor}`)];
}

/** Ports other machines must reach: public ones from anywhere, private ones from the unit's servers. */
export function portsToOpen(ports: PortUse[]): PortUse[] {
  const seen = new Set<number>();
  return ports.filter(p => p.exposure !== 'local' && !seen.has(p.port) && seen.add(p.port));
}

export function checkFirewall({spec, hostPlan, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'security')('Firewall', 'warning');
  const needed = portsToOpen(hostPlan.ports);
  const list = (ports: PortUse[]) => ports.map(p => `${p.port}/tcp${p.exposure === 'public' ? ' (public)' : ' (unit servers)'}`).join(', ');
  const fw = facts.firewall;
  const active = [fw.firewalld ? 'firewalld' : '', fw.ufw ? 'ufw' : '', fw.nftRules > 0 ? `nftables (${fw.nftRules} rules)` : '', fw.iptablesRules > 0 ? `iptables (${fw.iptablesRules} rules)` : '']
    .filter(Boolean);
  if (active.length === 0) {
    return [r.pass(`no firewall active${needed.length ? `; keep ${list(needed)} open in any firewall in front of it` : ''}`)];
  }
  if (needed.length === 0) return [r.pass(`${active.join(', ')} active; this server needs no inbound port besides SSH`)];
  // firewalld and ufw tell what they allow; raw nftables/iptables rules are only reported.
  const allowed = new Set(fw.allowed.map(a => a.toLowerCase()));
  const known = fw.firewalld || fw.ufw;
  const missing = known
    ? needed.filter(p => !allowed.has(`${p.port}/tcp`) && !allowed.has(String(p.port)) && !(p.port === 443 && allowed.has('https')) && !(p.port === 80 && allowed.has('http')) && !(p.port === 2049 && allowed.has('nfs')))
    : needed;
  if (missing.length === 0) return [r.pass(`${active.join(', ')} active and allows ${list(needed)}`)];
  const fix = fw.firewalld
    ? `firewall-cmd --permanent ${missing.map(p => `--add-port=${p.port}/tcp`).join(' ')} && firewall-cmd --reload (limit private ports to the unit's servers with a zone or rich rules)`
    : fw.ufw
      ? missing.map(p => `ufw allow ${p.exposure === 'public' ? '' : 'from <unit server> to any port '}${p.port}${p.exposure === 'public' ? '/tcp' : ' proto tcp'}`).join('; ')
      : `allow ${list(missing)} in the rule set`;
  return [r.warn(`${active.join(', ')} active; these ports must be open: ${list(missing)}${known ? '' : ' (rules not analysed)'}`, fix)];
}

export function checkExistingInstall({spec, facts}: HostCheckContext): CheckResult[] {
  const r = resultsFor(spec.name, 'security')('ExistingInstall', 'warning');
  if (facts.existing.length === 0) return [r.pass('no Personium installation found')];
  const ours = facts.existing.includes('/var/cache/personium-setup');
  const found = facts.existing.filter(p => p !== '/var/cache/personium-setup');
  const shown = found.length > 4 ? `${found.slice(0, 3).join(', ')} and ${found.length - 3} more` : found.join(', ');
  return [
    r.warn(
      `an existing Personium installation was found (${shown || 'a previous run of this tool'})${ours ? ', made or touched by this tool' : ''}: the installer converges it and never deletes data`,
      'back up /personium (and the Elasticsearch data) before going on',
    ),
  ];
}
