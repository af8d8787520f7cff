// NO_COLOR is honoured by the prompts themselves (chalk only looks at FORCE_COLOR and the
// terminal). Chalk decides its colour level once at load, so each case runs in a fresh node.
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {colorsEnabled} from '../../source/ui/colors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const script = `
import {createElement} from 'react';
import {renderToString} from 'ink';
import {renderNote} from './source/ui/ink-prompter.tsx';
import {SelectPrompt} from './source/ui/components/SelectPrompt.tsx';
const noop = () => {};
const select = createElement(SelectPrompt, {message: 'Pick', choices: [{value: 'a', label: 'A', hint: 'first'}], onSubmit: noop, onBack: noop, onCancel: noop});
process.stdout.write(renderNote('bad', 'error') + renderToString(select));
`;

function renderWith(env: Record<string, string>): string {
  const {NO_COLOR: _drop, ...rest} = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: {...rest, FORCE_COLOR: '1', ...env},
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  return run.stdout;
}

// Foreground/background colour codes (30–37, 39, 40–47, 49, 90–97, 256/true colour).
// eslint-disable-next-line no-control-regex
const COLOUR = /\u001B\[(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[\d;]*)?m/;

describe('NO_COLOR', () => {
  it('is read from the environment on each call', () => {
    expect(colorsEnabled({})).toBe(true);
    expect(colorsEnabled({NO_COLOR: ''})).toBe(true);
    expect(colorsEnabled({NO_COLOR: '1'})).toBe(false);
  });

  it('colours notes and prompts on a colour terminal, and not when NO_COLOR is set', () => {
    const coloured = renderWith({});
    expect(coloured).toMatch(COLOUR);

    const plain = renderWith({NO_COLOR: '1'});
    expect(plain).not.toMatch(COLOUR);
    expect(plain).toContain('✖ bad');
    expect(plain).toContain('Pick');
  });
});
