import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Choice, Validation} from '../../source/profile/prompter.js';
import {ConfirmPrompt} from '../../source/ui/components/ConfirmPrompt.js';
import {MultiSelectPrompt} from '../../source/ui/components/MultiSelectPrompt.js';
import {SecretPrompt} from '../../source/ui/components/SecretPrompt.js';
import {SelectPrompt} from '../../source/ui/components/SelectPrompt.js';
import {TextPrompt} from '../../source/ui/components/TextPrompt.js';
import {KEY, press, pressBlind, tick, type, until} from './helpers.js';

afterEach(() => {
  cleanup();
});

const callbacks = () => ({onSubmit: vi.fn(), onBack: vi.fn(), onCancel: vi.fn()});

const choices: Choice<'alpha' | 'beta' | 'gamma'>[] = [
  {value: 'alpha', label: 'Alpha', hint: 'the first letter'},
  {value: 'beta', label: 'Beta', hint: 'the second letter'},
  {value: 'gamma', label: 'Gamma'},
];

/** The last frame that is not the bare newline Ink writes at unmount in CI. */
const last = (frames: string[]) => frames.filter(f => f !== '\n').at(-1) ?? '';

describe('SelectPrompt', () => {
  it('moves with the arrows, shows the hint of the highlighted choice, and selects with Enter', async () => {
    const cb = callbacks();
    const r = render(<SelectPrompt message="Pick a letter" choices={choices} {...cb} />);
    await tick();
    expect(r.lastFrame()).toContain('? Pick a letter');
    expect(r.lastFrame()).toContain('❯ Alpha');
    expect(r.lastFrame()).toContain('the first letter');
    expect(r.lastFrame()).not.toContain('the second letter');

    await press(r, KEY.down);
    expect(r.lastFrame()).toContain('❯ Beta');
    expect(r.lastFrame()).toContain('the second letter');
    expect(r.lastFrame()).not.toContain('the first letter');

    await press(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith('beta');
    expect(last(r.frames)).toContain('✔ Pick a letter · Beta');
    expect(last(r.frames)).not.toContain('Gamma');
  });

  it('takes Enter on the initial choice, and j/k and digits as the library does', async () => {
    const cb = callbacks();
    const r = render(<SelectPrompt message="Pick" choices={choices} initial="gamma" {...cb} />);
    await tick();
    expect(r.lastFrame()).toContain('❯ Gamma');
    await press(r, 'k');
    expect(r.lastFrame()).toContain('❯ Beta');
    await press(r, 'j');
    expect(r.lastFrame()).toContain('❯ Gamma');
    await press(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledWith('gamma');

    const cb2 = callbacks();
    const r2 = render(<SelectPrompt message="Pick" choices={choices} {...cb2} />);
    await tick();
    await press(r2, '2');
    await until(() => cb2.onSubmit.mock.calls.length > 0);
    expect(cb2.onSubmit).toHaveBeenCalledWith('beta');
  });

  it('Esc goes back and Ctrl-C cancels, without an answer', async () => {
    const back = callbacks();
    const r = render(<SelectPrompt message="Pick" choices={choices} {...back} />);
    await tick();
    r.stdin.write(KEY.escape);
    await until(() => back.onBack.mock.calls.length > 0);
    expect(back.onSubmit).not.toHaveBeenCalled();
    expect(last(r.frames)).toContain('↩ Pick · back');

    const cancel = callbacks();
    const r2 = render(<SelectPrompt message="Pick" choices={choices} {...cancel} />);
    await tick();
    r2.stdin.write(KEY.ctrlC);
    await until(() => cancel.onCancel.mock.calls.length > 0);
    expect(cancel.onSubmit).not.toHaveBeenCalled();
    expect(cancel.onBack).not.toHaveBeenCalled();
  });
});

describe('MultiSelectPrompt', () => {
  it('toggles with space, toggles all with a, and submits the ticked values in list order', async () => {
    const cb = callbacks();
    const r = render(<MultiSelectPrompt message="Which?" choices={choices} initial={['gamma']} {...cb} />);
    await tick();
    expect(r.lastFrame()).toContain('[ ] Alpha');
    expect(r.lastFrame()).toContain('[x] Gamma');
    expect(r.lastFrame()).toContain('the first letter');

    await press(r, KEY.space);
    expect(r.lastFrame()).toContain('[x] Alpha');
    await press(r, 'a');
    expect(r.lastFrame()).toMatch(/\[x\] Alpha[\s\S]*\[x\] Beta[\s\S]*\[x\] Gamma/);
    await press(r, 'a');
    expect(r.lastFrame()).toMatch(/\[ \] Alpha[\s\S]*\[ \] Beta[\s\S]*\[ \] Gamma/);
    await press(r, KEY.down);
    await press(r, KEY.down);
    await press(r, KEY.space);
    await press(r, KEY.up);
    await press(r, KEY.space);
    expect(r.lastFrame()).toMatch(/\[ \] Alpha[\s\S]*\[x\] Beta[\s\S]*\[x\] Gamma/);

    await press(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith(['beta', 'gamma']);
    expect(last(r.frames)).toContain('✔ Which? · Beta, Gamma');
  });

  it('Esc goes back', async () => {
    const cb = callbacks();
    const r = render(<MultiSelectPrompt message="Which?" choices={choices} {...cb} />);
    await tick();
    r.stdin.write(KEY.escape);
    await until(() => cb.onBack.mock.calls.length > 0);
    expect(cb.onSubmit).not.toHaveBeenCalled();
  });
});

describe('TextPrompt', () => {
  const port = (input: string): Validation<number> => {
    const n = Number(input);
    if (!/^\d+$/.test(input) || n < 1 || n > 65535) return {ok: false, error: `"${input}" is not a port (1-65535)`};
    return n === 22 ? {ok: true, value: n} : {ok: true, value: n, notice: 'not the usual SSH port'};
  };

  it('shows a failed validation inline, keeps the typed text, and accepts the corrected answer', async () => {
    const cb = callbacks();
    const validate = vi.fn(port);
    const r = render(<TextPrompt message="SSH port" placeholder="22" validate={validate} {...cb} />);
    await tick();
    expect(r.lastFrame()).toContain('? SSH port');
    expect(r.lastFrame()).toContain('22'); // the placeholder

    await type(r, '2x');
    await press(r, KEY.enter);
    expect(validate).toHaveBeenCalledWith('2x');
    expect(r.lastFrame()).toContain('✖ "2x" is not a port (1-65535)');
    expect(r.lastFrame()).toContain('› 2x');
    expect(cb.onSubmit).not.toHaveBeenCalled();

    await press(r, KEY.backspace);
    expect(r.lastFrame()).not.toContain('is not a port'); // the error goes once the text changes
    await type(r, '222');
    await press(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith(2222);
    expect(last(r.frames)).toContain('✔ SSH port · 2222 (not the usual SSH port)');
  });

  it('starts from the initial text and edits at the cursor', async () => {
    const cb = callbacks();
    const r = render(<TextPrompt message="Name" initial="ac" validate={s => ({ok: true, value: s})} {...cb} />);
    await tick();
    // Without colours the block cursor is not drawn, so moving it leaves the frame unchanged.
    await pressBlind(r, KEY.left);
    await press(r, 'b');
    expect(r.lastFrame()).toContain('› abc');
    await press(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledWith('abc');
  });

  it('text and Enter that arrive in one piece (a paste ending in a newline) are typed, then submitted; a bad one is asked again', async () => {
    const cb = callbacks();
    const r = render(<TextPrompt message="SSH port" validate={port} {...cb} />);
    await tick();
    await press(r, '2x\r');
    expect(r.lastFrame()).toContain('✖ "2x" is not a port (1-65535)');
    await press(r, KEY.backspace);
    // Only the first line of a paste is an answer.
    r.stdin.write('2\nrm -rf /\n');
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith(22);
  });

  it('Esc goes back and Ctrl-C cancels, even with text typed', async () => {
    const back = callbacks();
    const r = render(<TextPrompt message="Name" validate={s => ({ok: true, value: s})} {...back} />);
    await tick();
    await type(r, 'ab');
    r.stdin.write(KEY.escape);
    await until(() => back.onBack.mock.calls.length > 0);
    expect(back.onSubmit).not.toHaveBeenCalled();

    const cancel = callbacks();
    const r2 = render(<TextPrompt message="Name" validate={s => ({ok: true, value: s})} {...cancel} />);
    await tick();
    await type(r2, 'ab');
    r2.stdin.write(KEY.ctrlC);
    await until(() => cancel.onCancel.mock.calls.length > 0);
    expect(cancel.onSubmit).not.toHaveBeenCalled();
    expect(last(r2.frames)).toContain('✖ Name · cancelled');
  });
});

describe('SecretPrompt', () => {
  it('a pasted secret that ends in a newline is submitted whole, without the newline', async () => {
    const cb = callbacks();
    const r = render(<SecretPrompt message="sudo password" {...cb} />);
    await tick();
    await pressBlind(r, 'pa');
    await pressBlind(r, 'ss word\r\n');
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith('pass word');
  });

  it('never shows the typed characters or their number, in any frame', async () => {
    const secret = 'Qz9#Wv!';
    const cb = callbacks();
    const r = render(<SecretPrompt message="sudo password" {...cb} />);
    await tick();
    const first = r.lastFrame();
    expect(first).toContain('(hidden)');

    for (const ch of secret + 'x') await pressBlind(r, ch);
    await pressBlind(r, KEY.backspace); // the x
    await pressBlind(r, KEY.enter);
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledExactlyOnceWith(secret);

    const frames = r.frames.filter(f => f !== '\n');
    for (const frame of frames) {
      for (const ch of secret) expect(frame).not.toContain(ch);
      expect(frame).not.toMatch(/[*•●]/);
    }
    // Typing changed nothing on screen: every frame before the answer is the first one.
    const asking = frames.filter(f => !f.includes('✔'));
    expect(new Set(asking)).toEqual(new Set([first]));
    expect(last(r.frames)).toContain('✔ sudo password · (hidden)');
  });

  it('Esc goes back without an answer', async () => {
    const cb = callbacks();
    const r = render(<SecretPrompt message="Passphrase" {...cb} />);
    await tick();
    await pressBlind(r, 'a');
    r.stdin.write(KEY.escape);
    await until(() => cb.onBack.mock.calls.length > 0);
    expect(cb.onSubmit).not.toHaveBeenCalled();
  });
});

describe('ConfirmPrompt', () => {
  it('Enter takes the default', async () => {
    const yes = callbacks();
    const r = render(<ConfirmPrompt message="Save?" initial {...yes} />);
    await tick();
    expect(r.lastFrame()).toContain('(Y/n)');
    await press(r, KEY.enter);
    await until(() => yes.onSubmit.mock.calls.length > 0);
    expect(yes.onSubmit).toHaveBeenCalledWith(true);
    expect(last(r.frames)).toContain('✔ Save? · yes');

    const no = callbacks();
    const r2 = render(<ConfirmPrompt message="Add a provider?" {...no} />);
    await tick();
    expect(r2.lastFrame()).toContain('(y/N)');
    await press(r2, KEY.enter);
    await until(() => no.onSubmit.mock.calls.length > 0);
    expect(no.onSubmit).toHaveBeenCalledWith(false);
  });

  it('y and n answer at once; Esc goes back', async () => {
    const cb = callbacks();
    const r = render(<ConfirmPrompt message="Save?" initial {...cb} />);
    await tick();
    await press(r, 'n');
    await until(() => cb.onSubmit.mock.calls.length > 0);
    expect(cb.onSubmit).toHaveBeenCalledWith(false);
    expect(last(r.frames)).toContain('✔ Save? · no');

    const back = callbacks();
    const r2 = render(<ConfirmPrompt message="Save?" {...back} />);
    await tick();
    r2.stdin.write(KEY.escape);
    await until(() => back.onBack.mock.calls.length > 0);
    expect(back.onSubmit).not.toHaveBeenCalled();
  });
});
