// The prompter end to end on fake terminal streams: one Ink app per question, answers through
// waitUntilExit, GoBack/Cancelled rejections, notes between questions, nothing left mounted.
import {afterEach, describe, expect, it} from 'vitest';
import {Cancelled, GoBack} from '../../source/profile/prompter.js';
import {createInkPrompter} from '../../source/ui/ink-prompter.js';
import {fakeTerminal, KEY, screenOf, tick, until, type FakeStdin} from './helpers.js';

/** Waits until a prompt is listening (raw mode on and a reader attached), then lets effects settle. */
async function listening(stdin: FakeStdin): Promise<void> {
  await until(() => stdin.isRaw && stdin.listenerCount('readable') > 0);
  await tick();
}

async function keys(stdin: FakeStdin, ...sequence: string[]): Promise<void> {
  for (const key of sequence) {
    stdin.write(key);
    await tick();
  }
}

const letters = [
  {value: 'alpha', label: 'Alpha'},
  {value: 'beta', label: 'Beta', hint: 'the second'},
] as const;

let term = fakeTerminal();
afterEach(() => {
  // Every prompt has unmounted: raw mode is off and nobody reads the fake stdin any more.
  expect(term.stdin.isRaw).toBe(false);
  expect(term.stdin.listenerCount('readable')).toBe(0);
  term = fakeTerminal();
});

describe('createInkPrompter', () => {
  it('asks questions one after another and returns their answers, leaving transcript lines', async () => {
    const p = createInkPrompter(term.streams);

    const choice = p.select({id: 'letter', message: 'Pick a letter', choices: [...letters]});
    await listening(term.stdin);
    await keys(term.stdin, '2');
    expect(await choice).toBe('beta');
    expect(term.stdout.text()).toContain('✔ Pick a letter · Beta');

    p.note('Two servers need DNS records.', 'warning');
    expect(term.stdout.text()).toContain('⚠ Two servers need DNS records.');

    const port = p.text({
      id: 'port',
      message: 'SSH port',
      validate: input => (/^\d+$/.test(input) ? {ok: true, value: Number(input)} : {ok: false, error: 'digits only'}),
    });
    await listening(term.stdin);
    await keys(term.stdin, 'x', KEY.enter, KEY.backspace, '2', '2', KEY.enter);
    expect(await port).toBe(22);
    expect(term.stdout.text()).toContain('✔ SSH port · 22');

    const picked = p.multiSelect({id: 'many', message: 'Which?', choices: [...letters], initial: ['alpha']});
    await listening(term.stdin);
    await keys(term.stdin, KEY.down, KEY.space, KEY.enter);
    expect(await picked).toEqual(['alpha', 'beta']);

    const sure = p.confirm({id: 'sure', message: 'Save?', initial: true});
    await listening(term.stdin);
    await keys(term.stdin, KEY.enter);
    expect(await sure).toBe(true);

    // The output reads as a transcript, in order.
    const out = term.stdout.text();
    const order = ['✔ Pick a letter · Beta', '⚠ Two servers', '✔ SSH port · 22', '✔ Which? · Alpha, Beta', '✔ Save? · yes'].map(s => out.indexOf(s));
    expect(order.every(i => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('rejects with GoBack on Esc and with Cancelled on Ctrl-C', async () => {
    const p = createInkPrompter(term.streams);

    const back = p.text({id: 'name', message: 'Name', validate: s => ({ok: true, value: s})});
    await listening(term.stdin);
    await keys(term.stdin, 'a', KEY.escape);
    await expect(back).rejects.toBeInstanceOf(GoBack);

    const cancel = p.select({id: 'letter', message: 'Pick', choices: [...letters]});
    await listening(term.stdin);
    await keys(term.stdin, KEY.ctrlC);
    await expect(cancel).rejects.toBeInstanceOf(Cancelled);

    // The next question still works after a rejection.
    const again = p.confirm({id: 'again', message: 'Again?'});
    await listening(term.stdin);
    await keys(term.stdin, 'y');
    expect(await again).toBe(true);
  });

  it('never writes a secret or its length to the terminal', async () => {
    const p = createInkPrompter(term.streams);
    const secret = 'Qz9#Wv!';
    const answer = p.secret({id: 'sudo', message: 'sudo password'});
    await listening(term.stdin);
    await keys(term.stdin, ...secret, KEY.enter);
    expect(await answer).toBe(secret);
    const out = term.stdout.text() + term.stderr.text();
    expect(out).toContain('✔ sudo password · (hidden)');
    for (const ch of secret) expect(out).not.toContain(ch);
    expect(out).not.toMatch(/[*•●]/);
  });

  it('refuses to ask when stdin is not a terminal instead of hanging', async () => {
    term.stdin.isTTY = undefined; // what a pipe reports
    const p = createInkPrompter(term.streams);
    await expect(p.confirm({id: 'sure', message: 'Save?'})).rejects.toThrow(/Cannot ask "Save\?": input is not a terminal/);
  });
});

describe('what stays on a real terminal', () => {
  it('a wrapped hint never goes past the last column, so no stale line of the question stays behind', async () => {
    const p = createInkPrompter(term.streams);
    // Words of every length from 1 to 9: somewhere a line breaks exactly at the width, where Ink
    // keeps the space it broke at (one column too wide at the terminal's full width).
    const hint = Array.from({length: 60}, (_, i) => 'abcdefghi'.slice(0, (i % 9) + 1)).join(' ');
    const choices = Array.from({length: 9}, (_, i) => ({value: `v${i}`, label: `Choice ${i}`, hint: hint.slice(i)}));
    const picked = p.select({id: 'wide', message: 'Pick', choices});
    await listening(term.stdin);
    for (let i = 1; i < 9; i++) {
      await keys(term.stdin, KEY.down);
      await until(() => term.stdout.text().includes(`❯ Choice ${i}`));
      await tick();
    }
    await keys(term.stdin, KEY.enter);
    expect(await picked).toBe('v8');
    expect(await screenOf(term.stdout.chunks.join(''), term.stdout.columns)).toEqual(['✔ Pick · Choice 8']);
  });

  it('a secret shown once is on screen until Enter, then gone from the screen and the scrollback; the line left says where it is kept', async () => {
    const p = createInkPrompter(term.streams);
    const secret = 'Xq7pL2mN9vR4tK8wZ3sB6yH1';
    p.note('Unit ready.');
    const done = p.reveal({id: 'admin.password', message: 'Unit admin password (account unitadmin)', secret, keptIn: '/home/op/unitadmin-default.txt (mode 0600)'});
    await listening(term.stdin);
    expect((await screenOf(term.stdout.chunks.join(''), term.stdout.columns)).join('\n')).toContain(secret);
    await keys(term.stdin, KEY.enter);
    await done;
    const written = term.stdout.chunks.join('');
    const left = ['ℹ Unit ready.', '✔ Unit admin password (account unitadmin) · taken off the screen; kept in', '/home/op/unitadmin-default.txt (mode 0600)'];
    expect(await screenOf(written, term.stdout.columns)).toEqual(left);
    // On a terminal too short for the box, the question scrolls away first; the secret is still taken off.
    const short = await screenOf(written, term.stdout.columns, 5);
    expect(short.join('\n')).not.toContain(secret);
    expect(short.slice(-2)).toEqual(left.slice(1));
  });
});
