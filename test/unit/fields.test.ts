import {describe, expect, it} from 'vitest';
import {checkAddress, checkPath, cleanFqdn} from '../../source/profile/fields.js';

describe('cleanFqdn', () => {
  it.each([
    ['personium.example.com', 'personium.example.com'],
    ['Personium.Example.COM', 'personium.example.com'],
    ['https://personium.example.com/', 'personium.example.com'],
    ['http://unit.example.org', 'unit.example.org'],
    ['  a-b.c1.example.net.  ', 'a-b.c1.example.net'],
    ['personium.localhost', 'personium.localhost'],
  ])('accepts %j as %j', (input, expected) => {
    const result = cleanFqdn(input);
    expect(result).toMatchObject({ok: true, value: expected});
  });

  it('says what it cleaned', () => {
    const result = cleanFqdn('https://Unit.Example.com/');
    expect(result.ok && result.notice).toMatch(/removed "https:\/\/".*trailing slash.*lowercase/);
  });

  it.each([
    ['', /empty/],
    ['192.0.2.1', /IP address cannot be the unit FQDN/],
    ['https://10.0.0.1/', /IP address/],
    ['[2001:db8::1]', /IP address/],
    ['localhost', /single label/],
    ['bad_label.example.com', /not a valid DNS label/],
    ['-x.example.com', /not a valid DNS label/],
    ['a..b', /not a valid DNS label/],
    ['unit.example.com/path', /without a path/],
    ['unit.example.com:8443', /port/],
    ['example.123', /all digits/],
    [`${'a'.repeat(64)}.com`, /not a valid DNS label/],
  ])('refuses %j', (input, message) => {
    const result = cleanFqdn(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });
});

describe('checkAddress', () => {
  it.each(['10.0.0.1', '2001:db8::1', 'web1.internal', 'my-alias', 'host_1'])('accepts %j', input => {
    expect(checkAddress(input).ok).toBe(true);
  });
  it.each(['', 'a b', 'x;rm -rf /', '$(id)', 'a..b', '-oProxyCommand=x'])('refuses %j', input => {
    expect(checkAddress(input).ok).toBe(false);
  });
});

describe('checkPath', () => {
  it.each(['/etc/ssl/a.pem', '~/.ssh/id_ed25519'])('accepts %j', input => expect(checkPath(input).ok).toBe(true));
  it.each(['', 'relative/file', '/a\nb'])('refuses %j', input => expect(checkPath(input).ok).toBe(false));
});
