import {describe, expect, it} from 'vitest';
import type {CheckResult, PreflightResult} from '../../source/preflight/types.js';
import {preflightLoop} from '../../source/wizard/preflight-loop.js';
import {FakePrompter} from '../helpers/fake-prompter.js';

const check = (id: string, status: CheckResult['status']): CheckResult => ({id, host: 'server1', kind: 'ports', severity: 'error', status, message: id});
const result = (...results: CheckResult[]): PreflightResult => ({results, hosts: [], elapsedMs: 10});

describe('preflight try-again loop', () => {
  it('tries again after a fix, then goes on', async () => {
    const runs: string[][] = [];
    const outcomes = [result(check('Port-443', 'fail')), result(check('Port-443', 'pass'))];
    const p = new FakePrompter([['preflight.next', 'retry']]);
    const shown: PreflightResult[] = [];
    const outcome = await preflightLoop(p, async ignore => (runs.push(ignore), outcomes.shift()!), r => shown.push(r));
    expect(outcome).toEqual({go: true, ignore: []});
    expect(shown).toHaveLength(2);
    expect(p.notes.at(-1)).toEqual({text: 'Preflight passed.', tone: 'success'});
  });

  it('ignoring passes the failing IDs to the next run', async () => {
    const runs: string[][] = [];
    const p = new FakePrompter([['preflight.next', 'ignore']]);
    const outcome = await preflightLoop(
      p,
      async ignore => {
        runs.push(ignore);
        return ignore.includes('MaxMapCount') ? result({...check('MaxMapCount', 'warn'), ignored: true}) : result(check('MaxMapCount', 'fail'));
      },
      () => {},
    );
    expect(runs).toEqual([[], ['MaxMapCount']]);
    expect(outcome).toEqual({go: true, ignore: ['MaxMapCount']});
  });

  it('stop ends without going on', async () => {
    const p = new FakePrompter([['preflight.next', 'stop']]);
    expect(await preflightLoop(p, async () => result(check('OS', 'fail')), () => {})).toEqual({go: false});
  });
});
