// /etc/hosts block, NFS exports and fstab, engine extension settings.
import {describe, expect, it} from 'vitest';
import {HOSTS_BEGIN, HOSTS_END, renderHostsBlock, replaceHostsBlock, unitHostsEntries} from '../../source/steps/render/hosts.js';
import {renderExports, renderFstabLine, replaceFstabLine} from '../../source/steps/render/nfs.js';
import {extensionPropertiesPath, extensionWarnings, renderExtensionProperties} from '../../source/steps/render/extensions.js';
import {parseProperties} from '../../source/steps/render/properties.js';
import {context, mediumProfile, smallProfile} from './render-fixtures.js';

const ETC_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# a comment the admin wrote\n10.9.9.9   other.example   other  \n';

describe('/etc/hosts block', () => {
  const block = renderHostsBlock([{address: '10.0.1.20', names: ['unit.example.test', 'unitadmin.unit.example.test']}]);

  it('renders a marked block', () => {
    expect(block).toBe(`${HOSTS_BEGIN}\n10.0.1.20\tunit.example.test unitadmin.unit.example.test\n${HOSTS_END}\n`);
  });

  it('appends to a file without a block and keeps every other byte', () => {
    const once = replaceHostsBlock(ETC_HOSTS, block);
    expect(once).toBe(ETC_HOSTS + block);
    // No trailing newline in the original: one is added before the block, nothing else changes.
    expect(replaceHostsBlock('127.0.0.1 localhost', block)).toBe(`127.0.0.1 localhost\n${block}`);
    // CRLF lines and odd spacing survive untouched.
    const crlf = '127.0.0.1 localhost\r\n10.1.1.1\t a  b \r\n';
    expect(replaceHostsBlock(crlf, block).startsWith(crlf)).toBe(true);
  });

  it('is idempotent and replaces only the block, wherever it is', () => {
    const once = replaceHostsBlock(ETC_HOSTS, block);
    expect(replaceHostsBlock(once, block)).toBe(once);
    const middle = `127.0.0.1 localhost\n${block}10.9.9.9 after\n`;
    const next = renderHostsBlock([{address: '10.0.1.21', names: ['unit.example.test']}]);
    expect(replaceHostsBlock(middle, next)).toBe(`127.0.0.1 localhost\n${next}10.9.9.9 after\n`);
    // An empty block removes ours and nothing else.
    expect(replaceHostsBlock(middle, renderHostsBlock([]))).toBe('127.0.0.1 localhost\n10.9.9.9 after\n');
    expect(replaceHostsBlock(ETC_HOSTS, '')).toBe(ETC_HOSTS);
  });

  it('refuses broken markers and hostile entries', () => {
    expect(() => replaceHostsBlock(`${HOSTS_BEGIN}\n1.2.3.4 x\n`, block)).toThrow(/without/);
    expect(() => replaceHostsBlock(`1.2.3.4 x\n${HOSTS_END}\n`, block)).toThrow(/without/);
    expect(() => replaceHostsBlock(block + block, block)).toThrow(/two/);
    expect(() => renderHostsBlock([{address: '1.2.3.4\n5.6.7.8', names: ['x']}])).toThrow();
    expect(() => renderHostsBlock([{address: '1.2.3.4', names: ['x y']}])).toThrow();
    expect(() => renderHostsBlock([{address: '1.2.3.4', names: []}])).toThrow();
  });

  it('unit entries: FQDN (and the admin cell per-cell) at the web server; loopback on one server', () => {
    expect(unitHostsEntries(context(smallProfile(), '1.8.3'), '10.0.0.10')).toEqual([
      {address: '127.0.0.1', names: ['personium.example.test', 'unitadmin.personium.example.test']},
    ]);
    expect(unitHostsEntries(context(mediumProfile(), '1.8.3', {host: 'ap1'}), '10.0.1.20')).toEqual([{address: '10.0.1.20', names: ['unit.example.test']}]);
  });
});

describe('NFS', () => {
  it('exports the NFS root to each AP client', () => {
    const ctx = context(mediumProfile(), '1.8.3', {host: 'ap1'});
    expect(ctx.nfs.clients.map(c => c.address)).toEqual(['10.0.1.32']);
    expect(renderExports(ctx.nfs.clients.map(c => c.address))).toMatch(/^\/personium_nfs 10\.0\.1\.32\(rw,sync,no_subtree_check,root_squash\)$/m);
    expect(() => renderExports([])).toThrow();
    expect(() => renderExports(['10.0.0.1(rw,no_root_squash)'])).toThrow();
  });

  it('mounts it on the other AP hosts with one fstab line, replaced in place', () => {
    const line = renderFstabLine('10.0.1.31');
    expect(line).toBe('10.0.1.31:/personium_nfs /personium_nfs nfs vers=4.2,hard,noac,lookupcache=none,_netdev 0 0\n');
    expect(renderFstabLine('fd00::31')).toMatch(/^\[fd00::31\]:\/personium_nfs /);
    const fstab = 'UUID=abc / ext4 defaults 0 1\n# old:/personium_nfs /personium_nfs nfs defaults 0 0\n';
    const added = replaceFstabLine(fstab, line);
    expect(added).toBe(fstab + line);
    expect(replaceFstabLine(added, line)).toBe(added);
    const moved = replaceFstabLine(added, renderFstabLine('10.0.1.99'));
    expect(moved).toBe(`${fstab}10.0.1.99:/personium_nfs /personium_nfs nfs vers=4.2,hard,noac,lookupcache=none,_netdev 0 0\n`);
    expect(context(mediumProfile(), '1.8.3', {host: 'ap2'}).nfs.mountHere).toBe(true);
    expect(context(mediumProfile(), '1.8.3', {host: 'ap1'}).nfs.mountHere).toBe(false);
  });
});

describe('engine extension settings', () => {
  it('Ext_MailSender.properties: host and port, ISO-8859-1 safe', () => {
    const text = renderExtensionProperties('mailsender', {smtpHost: 'smtp.example.test', smtpPort: 587});
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'io.personium.engine.extension.MailSender.smtp.host': 'smtp.example.test',
      'io.personium.engine.extension.MailSender.smtp.port': '587',
    });
    expect(extensionPropertiesPath('mailsender')).toBe('/personium/personium-engine/extensions/Ext_MailSender.properties');
  });

  it('says which mail settings the extension cannot use, and never writes the password', () => {
    const settings = {smtpHost: 'smtp.example.test', smtpPort: 465, smtpUser: 'me', smtpPassword: 's3cret=pw', tls: 'tls' as const};
    const text = renderExtensionProperties('mailsender', settings);
    expect(text).not.toContain('s3cret');
    expect([...parseProperties(text).keys()]).toHaveLength(2);
    expect(extensionWarnings('mailsender', settings)).toHaveLength(2);
    expect(extensionWarnings('mailsender', {smtpHost: 'x', smtpPort: 25, tls: 'none'})).toEqual([]);
  });

  it('Ext_Slack.properties: the documented keys, escaped', () => {
    const text = renderExtensionProperties('slack-messenger', {token: 'xoxb-1:2=3', channel: '#général', proxyHost: 'proxy.example.test', proxyPort: 3128});
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'io.personium.engine.extension.Slack.apitoken': 'xoxb-1:2=3',
      'io.personium.engine.extension.Slack.channel': '#général',
      'io.personium.engine.extension.Slack.proxy.host': 'proxy.example.test',
      'io.personium.engine.extension.Slack.proxy.port': '3128',
    });
    expect(extensionPropertiesPath('slack-messenger')).toBe('/personium/personium-engine/extensions/Ext_Slack.properties');
    expect(extensionWarnings('slack-messenger', {channel: 'x'})[0]).toMatch(/setConfig/);
  });
});
