// The converged check: every step looks at once (check mode, readiness tried once); a unit that
// matches the profile ends there, anything else runs the steps for real, in order. Steps here
// are plain functions; the hosts are never contacted.
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {convergedResults} from '../../source/executor/converged.js';
import {Journal} from '../../source/executor/journal.js';
import {executeWithView, plainRunView} from '../../source/executor/render-run.js';
import type {StepContext, StepDefinition} from '../../source/executor/types.js';
import {hosts, os} from './executor-fixtures.js';


interface Seen {
  key: string;
  checkOnly: boolean;
  probe: boolean;
}

function step(hostName: string, id: string, seen: Seen[], body: (ctx: StepContext) => Promise<void> | void = () => {}): StepDefinition {
  const key = `${hostName}:${id}`;
  return {
    key,
    host: hostName,
    id,
    title: `Title ${id}`,
    needs: [],
    run: async ctx => {
      seen.push({key, checkOnly: ctx.checkOnly, probe: ctx.probe === true});
      await body(ctx);
    },
  };
}

/** Resolves once `n` callers have arrived: steps run one after another would never all arrive. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>(resolve => (open = resolve));
  return async () => {
    arrived += 1;
    if (arrived === n) open();
    await Promise.race([opened, new Promise((_, reject) => setTimeout(() => reject(new Error('steps did not run at the same time')), 2000))]);
  };
}

describe('convergedResults', () => {
  it('lets every step look at once, in check mode with readiness probed, and reports all ok in the given order', async () => {
    const seen: Seen[] = [];
    const together = barrier(4);
    const steps = ['a:os', 'a:es', 'b:os', 'b:nginx'].map(k => step(k.split(':')[0]!, k.split(':')[1]!, seen, async ctx => {
      ctx.log(`looked at ${k}`);
      await together();
    }));
    const events: string[] = [];
    const log: string[] = [];
    const journal = Journal.open(join(mkdtempSync(join(tmpdir(), 'converged-')), 'journal.json'), 'p', false).journal;
    const results = await convergedResults(steps, {hosts, os, journal, log: line => log.push(line), onEvent: e => events.push(`${e.type} ${e.key}`)});
    expect(results?.map(r => [r.key, r.status, r.changes])).toEqual([
      ['a:os', 'ok', []],
      ['a:es', 'ok', []],
      ['b:os', 'ok', []],
      ['b:nginx', 'ok', []],
    ]);
    expect(seen.every(s => s.checkOnly && s.probe)).toBe(true);
    expect(events).toEqual(['a:os', 'a:es', 'b:os', 'b:nginx'].flatMap(k => [`step-start ${k}`, `step-end ${k}`]));
    // The log reads like a run's: each step's title, its lines, and its verdict.
    expect(log[0]).toMatch(/^converged check \(\d+\.\d s\): every step looked and found nothing to change/);
    expect(log.slice(1, 4)).toEqual(['[a] Title os', '[a] looked at a:os', '[a] ok: Title os']);
    journal.finish();
    await journal.flush();
  });

  it('answers undefined when a step would change something or cannot look', async () => {
    const seen: Seen[] = [];
    const log: string[] = [];
    const changing = [step('a', 'os', seen), step('a', 'es', seen, ctx => ctx.changed('/etc/x (new)'))];
    expect(await convergedResults(changing, {hosts, os, log: line => log.push(line)})).toBeUndefined();
    expect(log.at(-1)).toMatch(/1 step\(s\) have work to do \(a:es: \/etc\/x \(new\)\); running the steps in order/);
    const failing = [step('b', 'nginx', seen, () => {
      throw new Error('nothing answered on 127.0.0.1:443 within 1 s');
    })];
    expect(await convergedResults(failing, {hosts, os, log: line => log.push(line)})).toBeUndefined();
    expect(log.at(-1)).toContain('b:nginx: nothing answered on 127.0.0.1:443');
  });
});

describe('executeWithView and the converged check', () => {
  it('stops at the check when nothing would change: no step runs for real', async () => {
    const seen: Seen[] = [];
    const out: string[] = [];
    const {results, ok} = await executeWithView([step('a', 'os', seen), step('b', 'nginx', seen)], {hosts, os, log: () => {}}, plainRunView(line => out.push(line)));
    expect(ok).toBe(true);
    expect(results.map(r => r.status)).toEqual(['ok', 'ok']);
    expect(seen.map(s => s.checkOnly)).toEqual([true, true]);
    expect(out.filter(l => /^\[[ab]\] ok /.test(l))).toHaveLength(2);
    expect(out.at(-1)).toContain('Nothing changed: the unit already matches the profile.');
  });

  it('runs the steps for real, in order, when the check finds work; a resume or a dry run skips the check', async () => {
    const seen: Seen[] = [];
    const order: string[] = [];
    const steps = [
      step('a', 'os', seen, ctx => void order.push(`os ${ctx.checkOnly ? 'look' : 'run'}`)),
      step('a', 'es', seen, ctx => {
        order.push(`es ${ctx.checkOnly ? 'look' : 'run'}`);
        ctx.changed('elasticsearch restarted');
      }),
    ];
    const {results} = await executeWithView(steps, {hosts, os, log: () => {}}, plainRunView(() => {}));
    expect(results.map(r => r.status)).toEqual(['ok', 'changed']);
    expect(order.filter(o => o.endsWith('run'))).toEqual(['os run', 'es run']);
    expect(seen.filter(s => s.probe)).toHaveLength(2);

    for (const extra of [{resume: true}, {checkOnly: true}]) {
      const more: Seen[] = [];
      await executeWithView([step('a', 'os', more)], {hosts, os, log: () => {}, ...extra}, plainRunView(() => {}));
      expect(more.map(s => s.probe)).toEqual([false]);
    }
  });

  it('records the converged run in the journal as finished', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converged-journal-'));
    const path = join(dir, 'journal.json');
    const {journal} = Journal.open(path, 'p', false);
    await executeWithView([step('a', 'os', [])], {hosts, os, log: () => {}, journal}, plainRunView(() => {}));
    await journal.flush();
    expect(JSON.parse(readFileSync(path, 'utf8')).finishedAt).toMatch(/^\d{4}-/);
  });
});
