// The executor's ordering, failure, retry and resume rules. Steps here are plain functions that
// record what ran; the hosts are never contacted (the primitives are tested on real hosts).
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {execute, recap} from '../../source/executor/execute.js';
import {Journal, journalFingerprint} from '../../source/executor/journal.js';
import {StepError, type StepDefinition} from '../../source/executor/types.js';
import {hosts, os} from './executor-fixtures.js';


function step(hostName: string, id: string, needs: string[], body: (log: string[]) => Promise<void> | void, log: string[], extra: Partial<StepDefinition> = {}): StepDefinition {
  return {
    key: `${hostName}:${id}`,
    host: hostName,
    id,
    title: id,
    needs,
    run: async ctx => {
      log.push(`start ${hostName}:${id}`);
      await body(log);
      if (id.startsWith('change')) ctx.changed(id);
      log.push(`end ${hostName}:${id}`);
    },
    ...extra,
  };
}

const tick = () => new Promise<void>(resolve => setTimeout(resolve, 5));

describe('execute', () => {
  it('runs hosts in parallel, waits for needs across hosts, and reports ok/changed', async () => {
    const log: string[] = [];
    const steps = [
      step('a', 'es', [], tick, log),
      step('b', 'change-packages', [], tick, log),
      step('b', 'tomcat', ['a:es'], () => {}, log),
      step('a', 'nginx', ['b:tomcat'], () => {}, log),
    ];
    const {results, failed} = await execute(steps, {hosts, os, log: () => {}});
    expect(failed).toBe(false);
    // a:es and b:change-packages overlap (parallel hosts); tomcat starts after es ends; nginx after tomcat.
    expect(log.indexOf('start b:change-packages')).toBeLessThan(log.indexOf('end a:es'));
    expect(log.indexOf('start b:tomcat')).toBeGreaterThan(log.indexOf('end a:es'));
    expect(log.indexOf('start a:nginx')).toBeGreaterThan(log.indexOf('end b:tomcat'));
    expect(results.map(r => [r.key, r.status])).toEqual([
      ['a:es', 'ok'],
      ['b:change-packages', 'changed'],
      ['b:tomcat', 'ok'],
      ['a:nginx', 'ok'],
    ]);
    expect(recap(results)).toEqual([
      {host: 'a', ok: 2, changed: 0, failed: 0, skipped: 0},
      {host: 'b', ok: 1, changed: 1, failed: 0, skipped: 0},
    ]);
  });

  it('runs at most `parallel` hosts at once, and a step waiting for its needs holds no slot', async () => {
    const log: string[] = [];
    const steps = [
      step('a', 'es', [], tick, log),
      step('b', 'packages', [], tick, log),
      step('b', 'tomcat', ['a:es'], tick, log),
      step('a', 'nginx', ['b:tomcat'], tick, log),
    ];
    const {results, failed} = await execute(steps, {hosts, os, log: () => {}, parallel: 1});
    expect(failed).toBe(false);
    expect(results.every(r => r.status === 'ok')).toBe(true);
    // One step at a time: every start follows the previous end.
    for (let i = 0; i < log.length; i += 2) {
      expect(log[i]).toMatch(/^start /);
      expect(log[i + 1]).toBe(log[i]!.replace('start', 'end'));
    }
  });

  it('retries a package install that could not reach its mirror, but not a command that failed for another reason', async () => {
    let calls = 0;
    const apt = step('a', 'packages', [], () => {
      calls++;
      if (calls === 1) throw new StepError('command exited with 100', 'apt-get install -y unzip', ['E: Failed to fetch http://deb.debian.org/debian/pool/main/u/unzip.deb  Temporary failure resolving deb.debian.org']);
    }, [], {retryable: true});
    expect((await execute([apt], {hosts, os, log: () => {}, retryDelaysMs: [1, 1]})).results[0]!.status).toBe('ok');
    expect(calls).toBe(2);
    let other = 0;
    const broken = step('a', 'config', [], () => {
      other++;
      throw new StepError('command exited with 1', 'nginx -t', ['nginx: [emerg] unknown directive "ssl_foo"']);
    }, [], {retryable: true});
    expect((await execute([broken], {hosts, os, log: () => {}, retryDelaysMs: [1, 1]})).results[0]!.status).toBe('failed');
    expect(other).toBe(1);
  });

  it('stops at the first failure with the command and output tail; dependants are skipped', async () => {
    const log: string[] = [];
    const steps = [
      step('a', 'es', [], () => {
        throw new StepError('command exited with 1', 'systemctl start elasticsearch', ['line 1', 'boom']);
      }, log),
      step('b', 'tomcat', ['a:es'], () => {}, log),
      step('a', 'after', [], () => {}, log),
    ];
    const {results, failed} = await execute(steps, {hosts, os, log: () => {}});
    expect(failed).toBe(true);
    expect(results[0]).toMatchObject({status: 'failed', error: {command: 'systemctl start elasticsearch', outputTail: ['line 1', 'boom']}});
    expect(results.slice(1).map(r => r.status)).toEqual(['skipped', 'skipped']);
    expect(log).not.toContain('start b:tomcat');
  });

  it('retries a retryable step on a transient connection error, saying so', async () => {
    let calls = 0;
    const lines: string[] = [];
    const flaky = step('a', 'download', [], () => {
      calls++;
      if (calls < 3) throw new Error('read ECONNRESET');
    }, [], {retryable: true});
    const {results} = await execute([flaky], {hosts, os, log: line => lines.push(line), retries: 3, retryDelaysMs: [1, 1]});
    expect(results[0]!.status).toBe('ok');
    expect(lines.filter(l => l.includes('retrying'))).toEqual([expect.stringContaining('retrying (2/3)'), expect.stringContaining('retrying (3/3)')]);
  });

  it('refuses steps that would wait on each other', async () => {
    const steps = [step('a', 'x', ['b:y'], () => {}, []), step('b', 'z', [], () => {}, []), step('b', 'y', ['a:x'], () => {}, [])];
    await expect(execute(steps, {hosts, os, log: () => {}})).rejects.toThrow(/wait on each other/);
  });

  it('resumes an interrupted run from its journal, skipping what was done', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'journal.json');
    const first = Journal.open(path, 'p', false).journal;
    const log: string[] = [];
    const steps = (failAt?: string) => ['one', 'two', 'three'].map(id => step('a', id, [], () => {
      if (id === failAt) throw new Error('connection lost');
    }, log));
    const interrupted = await execute(steps('two'), {hosts, os, log: () => {}, journal: first});
    expect(interrupted.results.map(r => r.status)).toEqual(['ok', 'failed', 'skipped']);
    expect(JSON.parse(readFileSync(path, 'utf8')).steps).toEqual({'a:one': 'ok', 'a:two': 'failed', 'a:three': 'skipped'});

    log.length = 0;
    const {journal, resumed} = Journal.open(path, 'p', true);
    expect(resumed).toBe(true);
    const again = await execute(steps(), {hosts, os, log: () => {}, journal, resume: true});
    expect(again.results.map(r => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(log).toEqual(['start a:two', 'end a:two', 'start a:three', 'end a:three']);
    journal.finish();
    expect(Journal.open(path, 'p', true).resumed).toBe(false);
  });

  it('does not resume an interrupted run whose profile has changed since', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'journal.json');
    const before = journalFingerprint({unit: {fqdn: 'a.example'}}, '1.8.3');
    Journal.open(path, 'p', false, before).journal.record('a:one', 'changed');
    expect(Journal.open(path, 'p', true, before)).toMatchObject({resumed: true});
    const after = journalFingerprint({unit: {fqdn: 'b.example'}}, '1.8.3');
    expect(after).not.toBe(before);
    const opened = Journal.open(path, 'p', true, after);
    expect(opened).toMatchObject({resumed: false, changed: true});
    expect(opened.journal.isDone('a:one')).toBe(false);
  });
});
