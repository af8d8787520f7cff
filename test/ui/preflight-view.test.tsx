// The preflight table as the wizard prints it: a row per host, a column per kind, then each
// problem with its fix hint, the hint's wrapped lines kept under it.
import {describe, expect, it} from 'vitest';
import type {PreflightResult} from '../../source/preflight/types.js';
import {renderPreflightView} from '../../source/ui/show-preflight.js';
import {stripAnsi} from './helpers.js';

const result: PreflightResult = {
  elapsedMs: 412,
  hosts: [{name: 'server1', address: '192.0.2.10', roles: ['web', 'ap', 'es', 'mq', 'nfs'], connected: true}],
  results: [
    {id: 'OS', host: 'server1', kind: 'system', severity: 'error', status: 'pass', message: 'Debian GNU/Linux 12'},
    {
      id: 'MaxMapCount',
      host: 'server1',
      kind: 'elasticsearch',
      severity: 'error',
      status: 'fail',
      message: 'vm.max_map_count=65530 (needs 262144) and cannot be changed here (/proc/sys is read-only: a container?)',
      fix: 'set vm.max_map_count=262144 where it can be set (the container\'s host: sysctl -w vm.max_map_count=262144), or ignore with --ignore-preflight-errors=MaxMapCount',
    },
  ],
};

describe('the preflight view', () => {
  it('draws the table, the problem and its fix hint, wrapped lines of the hint indented like it', () => {
    const lines = stripAnsi(renderPreflightView(result, 80)).split('\n');
    expect(lines[0]).toMatch(/^HOST\s+OS\s+ES limits$/); // a column per kind of check made
    expect(lines[1]).toMatch(/^server1\s+/);
    const fix = lines.findIndex(line => line.startsWith('    fix: set vm.max_map_count=262144'));
    expect(fix).toBeGreaterThan(2);
    expect(lines[fix - 2]).toMatch(/^\[ERROR MaxMapCount\] server1: vm\.max_map_count=65530/);
    // The hint is longer than 80 columns: its next line starts under it, not at the margin.
    expect(lines[fix + 1]).toMatch(/^ {4}\S/);
    expect(lines.every(line => line.length <= 80)).toBe(true);
    expect(lines.at(-2)).toBe('Preflight: 1 passed, 1 error, 0 warnings in 0.4 s');
  });
});
