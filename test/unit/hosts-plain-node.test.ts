// ssh2 is CommonJS; named ESM imports of it break under plain node but work under vitest's
// interop. Compile the hosts layer with tsc and load it with node itself to catch that.
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {expect, it} from 'vitest';

it('the hosts layer loads under plain node', {timeout: 120_000}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pds-hosts-node-'));
  try {
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    const tsc = resolve('node_modules/typescript/bin/tsc');
    const flags = ['--outDir', dir, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    execFileSync(process.execPath, [tsc, ...flags, '--skipLibCheck', '--esModuleInterop', '--types', 'node', 'source/hosts/index.ts'], {stdio: 'pipe'});
    const probe = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(dir, 'index.js'))}); console.log(typeof m.connectHosts, typeof m.LocalHost)`],
      {encoding: 'utf8'},
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('function function');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
