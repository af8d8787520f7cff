import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {command, raw, sh, shellQuote} from '../../source/hosts/quote.js';
import {HOSTILE_STRINGS} from '../harness/hostile-strings.js';


function roundTrip(value: string): string {
  return execFileSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], {encoding: 'utf8'});
}

describe('shellQuote', () => {
  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s), s]))('%s comes back byte for byte from sh -c', (_label, value) => {
    expect(roundTrip(value)).toBe(value);
  });

  it('leaves plain words readable and quotes everything else', () => {
    expect(shellQuote('/etc/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b')).toBe("'a b'");
  });

  it('refuses NUL, which no shell argument can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('sh and command', () => {
  it('quote every interpolated value, arrays as separate arguments', () => {
    const args = ['a b', "c'd", '$(x)'];
    const line = sh`printf '%s\\n' ${args} ${'e;f'}`;
    expect(execFileSync('sh', ['-c', line], {encoding: 'utf8'})).toBe("a b\nc'd\n$(x)\ne;f\n");
  });

  it('command() joins quoted arguments; raw() passes trusted operators', () => {
    const line = command(['printf', '%s', 'x y', raw('&&'), 'printf', '%s', '|z|']);
    expect(line).toBe("printf %s 'x y' && printf %s '|z|'");
    expect(execFileSync('sh', ['-c', line], {encoding: 'utf8'})).toBe('x y|z|');
  });

  it('numbers are inserted as numbers', () => {
    expect(sh`kill -KILL ${1234}`).toBe('kill -KILL 1234');
  });
});
