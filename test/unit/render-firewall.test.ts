// The host firewall rules the OS step adds: public ports for anyone, the unit's private ports
// only for its other servers, for firewalld (rich rules) and ufw (from ... to any port).
import {describe, expect, it} from 'vitest';
import {firewalldQuery, firewalldRules, firewallOpenings, ufwRules} from '../../source/steps/render/firewall.js';

const PORTS = [
  {port: 443, exposure: 'public'},
  {port: 80, exposure: 'public'},
  {port: 9200, exposure: 'private'},
  {port: 9300, exposure: 'private'},
  {port: 8005, exposure: 'local'},
];

describe('firewall openings', () => {
  it('public ports for anyone, private ones for the other servers, local ones never', () => {
    expect(firewallOpenings(PORTS, ['10.0.0.12', '10.0.0.12', 'fd00::5'])).toEqual([
      {port: 443},
      {port: 80},
      {port: 9200, from: ['10.0.0.12', 'fd00::5']},
      {port: 9300, from: ['10.0.0.12', 'fd00::5']},
    ]);
    // No peer to allow: a private port stays closed rather than open to everyone.
    expect(firewallOpenings(PORTS, [])).toEqual([{port: 443}, {port: 80}]);
  });

  it('firewalld: a port for anyone, a rich rule per source (IPv4 and IPv6), and its query', () => {
    expect(firewalldRules({port: 443})).toEqual(['--add-port=443/tcp']);
    const rules = firewalldRules({port: 9200, from: ['10.0.0.12', 'fd00::5']});
    expect(rules).toEqual([
      `--add-rich-rule='rule family="ipv4" source address="10.0.0.12" port port="9200" protocol="tcp" accept'`,
      `--add-rich-rule='rule family="ipv6" source address="fd00::5" port port="9200" protocol="tcp" accept'`,
    ]);
    expect(firewalldQuery(rules[0]!)).toBe(`--query-rich-rule='rule family="ipv4" source address="10.0.0.12" port port="9200" protocol="tcp" accept'`);
  });

  it('ufw: the commands, and how `ufw status` lists what they added', () => {
    const [open] = ufwRules({port: 443});
    expect(open!.command).toBe('ufw allow 443/tcp');
    expect(open!.listed.test('443/tcp                    ALLOW       Anywhere\n')).toBe(true);
    const [fromAp] = ufwRules({port: 9200, from: ['10.0.0.12']});
    expect(fromAp!.command).toBe('ufw allow from 10.0.0.12 to any port 9200 proto tcp');
    const status = 'Status: active\n\nTo                         Action      From\n--                         ------      ----\n9200/tcp                   ALLOW       10.0.0.12\n';
    expect(fromAp!.listed.test(status)).toBe(true);
    expect(ufwRules({port: 9200, from: ['10.0.0.1']})[0]!.listed.test(status)).toBe(false);
    expect(ufwRules({port: 9200})[0]!.listed.test(status)).toBe(false);
  });
});
