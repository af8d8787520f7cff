// The name-matching rules: which certificate names cover which host names.
import {describe, expect, it} from 'vitest';
import {generateServerCertificate} from '../../source/tls/generate.js';
import {describeCoveredNames, nameCovers, uncoveredNames} from '../../source/tls/names.js';

const FQDN = 'personium.example.com';

describe('name matching', () => {
  it.each([
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'A.Example.COM', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '*.example.com', true],
    ['a.example.com', '*.example.com', false],
    ['example.com', 'example.com', true],
    ['example.com.', 'example.com', true],
    ['f*.example.com', 'foo.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*.com', 'example.com', true],
  ])('%s covers %s: %s', (pattern, name, covered) => {
    expect(nameCovers(pattern, name)).toBe(covered);
  });

  it('lists what is not covered and describes a certificate', async () => {
    expect(uncoveredNames([FQDN], [FQDN, `*.${FQDN}`])).toEqual([`*.${FQDN}`]);
    expect(uncoveredNames([`*.${FQDN}`], [FQDN])).toEqual([FQDN]);
    const made = await generateServerCertificate({fqdn: FQDN, names: [FQDN, `*.${FQDN}`], key: {type: 'ecdsa'}});
    expect(describeCoveredNames(made.certPem)).toBe('personium.example.com, *.personium.example.com');
  });
});
