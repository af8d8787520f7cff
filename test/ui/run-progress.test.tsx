// The live view of a run: the progress model fed with events (no terminal), the Ink view it
// renders, the live controller on a fake terminal (finished steps printed once, even across a
// pause for a question), and the prompter that takes the view down while it asks.
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {inCi, liveProgress} from '../../source/cli/common.js';
import {formatElapsed, progressBar, RunProgress} from '../../source/executor/progress.js';
import {pausingPrompter, plainRunView, type RunView, type StepEndEvent} from '../../source/executor/render-run.js';
import type {RunEvent} from '../../source/executor/types.js';
import type {Prompter} from '../../source/profile/prompter.js';
import {RunProgressView, type RunLine} from '../../source/ui/components/RunProgressView.js';
import {liveRunView} from '../../source/ui/live-run.js';
import {fakeTerminal, screenOf, stripAnsi, tick, until} from './helpers.js';

afterEach(() => {
  cleanup();
});

const STEPS = [
  {key: 'web1:os', host: 'web1'},
  {key: 'web1:nginx', host: 'web1'},
  {key: 'ap1:os', host: 'ap1'},
  {key: 'ap1:jdk', host: 'ap1'},
  {key: 'ap1:tomcat', host: 'ap1'},
];

const start = (key: string, title: string, at: number): RunEvent => ({type: 'step-start', key, host: key.split(':')[0]!, title, at});
const end = (key: string, title: string, status: 'ok' | 'changed' | 'failed' | 'skipped', elapsedMs = 1200): StepEndEvent => ({type: 'step-end', key, host: key.split(':')[0]!, title, status, elapsedMs, changes: status === 'changed' ? ['/etc/hosts'] : []});

describe('RunProgress', () => {
  it('counts each host\'s steps and knows what runs now and since when', () => {
    const progress = new RunProgress(STEPS, 1_000);
    expect(progress.snapshot(1_000)).toMatchObject({phase: 'checking', total: 5, done: 0});
    progress.phase('running', 3_000);
    progress.event(start('web1:os', 'Prepare the OS', 3_000));
    progress.event(start('ap1:os', 'Prepare the OS', 3_100));
    progress.event(end('web1:os', 'Prepare the OS', 'changed'));
    progress.event({type: 'line', key: 'ap1:os', host: 'ap1', line: 'apt-get install unzip'});
    const s = progress.snapshot(5_000);
    expect(s).toMatchObject({phase: 'running', phaseSince: 3_000, startedAt: 1_000, now: 5_000, total: 5, done: 1});
    expect(s.hosts).toEqual([
      {host: 'web1', total: 2, done: 1, counts: {ok: 0, changed: 1, failed: 0, skipped: 0}},
      {host: 'ap1', total: 3, done: 0, counts: {ok: 0, changed: 0, failed: 0, skipped: 0}, current: {title: 'Prepare the OS', since: 3_100}, lastLine: 'apt-get install unzip'},
    ]);
    // A step ends once: a repeated end (the converged check's results) is not counted twice.
    progress.event(end('web1:os', 'Prepare the OS', 'changed'));
    progress.event(end('ap1:jdk', 'Install Java 17', 'skipped', 0));
    expect(progress.snapshot(6_000)).toMatchObject({done: 2});
    expect(progress.snapshot(6_000).hosts[1]).toMatchObject({done: 1, counts: {skipped: 1}, current: {title: 'Prepare the OS'}});
  });

  it('draws a bar and elapsed times', () => {
    expect(progressBar(0, 4, 8)).toBe('░░░░░░░░');
    expect(progressBar(1, 4, 8)).toBe('██░░░░░░');
    expect(progressBar(4, 4, 8)).toBe('████████');
    expect(progressBar(0, 0, 4)).toBe('░░░░');
    expect(formatElapsed(8_900)).toBe('8 s');
    expect(formatElapsed(65_000)).toBe('1 min 05 s');
  });
});

describe('RunProgressView', () => {
  it('shows per host the step running now with its elapsed time and done/total, and the overall bar', () => {
    const progress = new RunProgress(STEPS, 0);
    progress.phase('running', 0);
    progress.event(end('web1:os', 'Prepare the OS', 'changed'));
    progress.event(end('web1:nginx', 'nginx', 'ok'));
    progress.event(start('ap1:os', 'Prepare the OS: packages', 10_000));
    const {lastFrame} = render(<RunProgressView snapshot={progress.snapshot(75_000)} lines={[]} />);
    const frame = stripAnsi(lastFrame() ?? '');
    expect(frame).toMatch(/web1\s+2\/2 done \(1 changed\)/);
    expect(frame).toMatch(/ap1\s+0\/3 ▸ Prepare the OS: packages 1 min 05 s/);
    expect(frame).toMatch(/2\/5 steps · 1 min 15 s/);
  });

  it('says what happens while every step looks at once', () => {
    const progress = new RunProgress(STEPS, 0);
    const {lastFrame} = render(<RunProgressView snapshot={progress.snapshot(2_500)} lines={[]} />);
    expect(stripAnsi(lastFrame() ?? '')).toContain('Every step looks at once on every server (nothing is changed yet) 2 s');
  });

  it('prints finished steps with their changes, and a failure with its command and output', () => {
    const failed: StepEndEvent = {...end('ap1:tomcat', 'Tomcat', 'failed', 300), error: {message: 'tomcat did not answer', command: 'curl http://127.0.0.1:18888/', outputTail: ['connection refused']}};
    const lines: RunLine[] = [
      {kind: 'step', id: 0, event: end('web1:os', 'Prepare the OS', 'changed')},
      {kind: 'step', id: 1, event: failed},
    ];
    const {lastFrame} = render(<RunProgressView snapshot={new RunProgress(STEPS, 0).snapshot(0)} lines={lines} />);
    const frame = stripAnsi(lastFrame() ?? '');
    expect(frame).toContain('[web1] changed Prepare the OS (1.2 s): /etc/hosts');
    expect(frame).toContain('[ap1] failed  Tomcat (0.3 s)');
    expect(frame).toContain('tomcat did not answer');
    expect(frame).toContain('command: curl http://127.0.0.1:18888/');
    expect(frame).toContain('| connection refused');
  });
});

describe('liveRunView on a terminal', () => {
  it('draws while the run goes, prints each finished step once (also across a pause), and leaves plain lines after close', async () => {
    const term = fakeTerminal();
    const view = liveRunView(STEPS, {stdout: term.streams.stdout, stderr: term.streams.stderr, stdin: term.streams.stdin, tickMs: 20});
    view.line('before the run');
    expect(view.live).toBe(false);
    view.phase('running');
    expect(view.live).toBe(true);
    view.event(start('web1:os', 'Prepare the OS', Date.now()));
    await until(() => term.stdout.text().includes('▸ Prepare the OS'));
    view.event(end('web1:os', 'Prepare the OS', 'changed'));
    await until(() => term.stdout.text().includes('[web1] changed Prepare the OS'));
    // Elapsed times move without events.
    view.event(start('ap1:os', 'Prepare the OS on ap1', Date.now() - 3_000));
    await until(() => /Prepare the OS on ap1 [34] s/.test(term.stdout.text()));

    await view.pause();
    expect(view.live).toBe(false);
    const whilePaused = term.stdout.chunks.length;
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(term.stdout.chunks.length).toBe(whilePaused); // nothing drawn while a question is asked
    view.resume();
    view.event(end('ap1:os', 'Prepare the OS on ap1', 'ok'));
    view.line('a line of its own');
    await until(() => term.stdout.text().includes('[ap1] ok      Prepare the OS on ap1'));
    await view.close();
    view.line('after the run');
    await tick();

    const text = term.stdout.text();
    expect(text.startsWith('before the run\n')).toBe(true);
    expect(text.split('[web1] changed Prepare the OS').length - 1).toBe(1);
    expect(text.split('[ap1] ok      Prepare the OS on ap1').length - 1).toBe(1);
    expect(text).toContain('a line of its own');
    expect(text.endsWith('after the run\n')).toBe(true);
    // On a real terminal the live part is gone, and what was printed stays, once, in order.
    expect(await screenOf(term.stdout.chunks.join(''), term.stdout.columns)).toEqual([
      'before the run',
      '[web1] changed Prepare the OS (1.2 s): /etc/hosts',
      '[ap1] ok      Prepare the OS on ap1 (1.2 s)',
      'a line of its own',
      'after the run',
    ]);
  });
});

describe('live or plain', () => {
  const tty = {isTTY: true} as NodeJS.WriteStream;
  const pipe = {isTTY: false} as unknown as NodeJS.WriteStream;
  it('draws live only on a terminal, outside CI (Ink\'s own rule) and not on TERM=dumb', () => {
    expect(liveProgress(tty, {})).toBe(true);
    expect(liveProgress(pipe, {})).toBe(false);
    expect(liveProgress(tty, {TERM: 'dumb'})).toBe(false);
    expect(liveProgress(tty, {CI: 'true'})).toBe(false);
    expect(liveProgress(tty, {CI: ''})).toBe(false); // set at all counts, as for Ink
    expect(liveProgress(tty, {CONTINUOUS_INTEGRATION: '1'})).toBe(false);
    expect(liveProgress(tty, {CI: 'false'})).toBe(true);
    expect(inCi({CI: '0'})).toBe(false);
  });
});

describe('pausingPrompter', () => {
  function recordingView(live: boolean): RunView & {calls: string[]} {
    const calls: string[] = [];
    return {calls, live, phase: () => {}, event: () => {}, line: text => calls.push(`line ${text}`), pause: () => void calls.push('pause'), resume: () => calls.push('resume'), close: () => {}};
  }
  const prompter = (calls: string[]): Prompter => ({
    select: async () => 'a' as never,
    multiSelect: async () => [],
    text: async () => 'x' as never,
    secret: async () => 's',
    reveal: async () => {},
    confirm: async () => {
      calls.push('confirm');
      return true;
    },
    note: text => calls.push(`note ${text}`),
  });

  it('takes the view down around a question; a note goes above a live view, else to the prompter', async () => {
    const live = recordingView(true);
    const wrapped = pausingPrompter(prompter(live.calls), live);
    wrapped.note('Create these DNS records');
    expect(await wrapped.confirm({id: 'acme.txt', message: 'Are the TXT records in place?'})).toBe(true);
    expect(live.calls).toEqual(['line Create these DNS records', 'pause', 'confirm', 'resume']);
    const plain = recordingView(false);
    pausingPrompter(prompter(plain.calls), plain).note('shown by the prompter');
    expect(plain.calls).toEqual(['note shown by the prompter']);
    expect(plainRunView(() => {}).live).toBe(false);
  });
});
