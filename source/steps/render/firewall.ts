// What a running host firewall must let in: public ports (80, 443) from anywhere, the unit's
// private ports (Elasticsearch, memcached, ActiveMQ, Tomcat, NFS) only from the unit's other
// servers. Pure: the rules and the commands that add them, for firewalld and ufw.
import {isIP} from 'node:net';
import {shellQuote as q} from '../../hosts/quote.js';

export interface FirewallOpening {
  port: number;
  /** Source addresses allowed; undefined: anyone (a public port). */
  from?: string[];
}

/** Openings for a host's ports: public ones for anyone, private ones for `peers` (IP addresses). */
export function firewallOpenings(ports: ReadonlyArray<{port: number; exposure?: string}>, peers: string[]): FirewallOpening[] {
  const openings = new Map<number, FirewallOpening>();
  for (const p of ports) {
    if (p.exposure === 'local' || openings.has(p.port)) continue;
    openings.set(p.port, p.exposure === 'public' ? {port: p.port} : {port: p.port, from: [...new Set(peers)]});
  }
  return [...openings.values()].filter(o => !o.from || o.from.length > 0);
}

/** firewalld: a plain port for anyone, a rich rule per allowed source otherwise. */
export function firewalldRules(opening: FirewallOpening): string[] {
  if (!opening.from) return [`--add-port=${opening.port}/tcp`];
  return opening.from.map(source => `--add-rich-rule=${q(`rule family="${isIP(source) === 6 ? 'ipv6' : 'ipv4'}" source address="${source}" port port="${opening.port}" protocol="tcp" accept`)}`);
}

/** The query that tells whether a firewalld rule is there (add → query). */
export function firewalldQuery(rule: string): string {
  return rule.replace(/^--add-/, '--query-');
}

/** ufw: `allow PORT/tcp` for anyone, `allow from SOURCE to any port PORT proto tcp` otherwise. */
export function ufwRules(opening: FirewallOpening): Array<{command: string; listed: RegExp}> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!opening.from) return [{command: `ufw allow ${opening.port}/tcp`, listed: new RegExp(`^${opening.port}/tcp\\s+ALLOW( IN)?\\s+Anywhere\\s*$`, 'm')}];
  return opening.from.map(source => ({
    command: `ufw allow from ${q(source)} to any port ${opening.port} proto tcp`,
    listed: new RegExp(`^${opening.port}/tcp\\s+ALLOW( IN)?\\s+${escape(source)}\\s*$`, 'm'),
  }));
}
