// Profiles, contexts and real-tool runners for the renderer tests.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll} from 'vitest';
import {findVersionSet, type VersionSet} from '../../source/presets.js';
import {Profile, type ProfileInput} from '../../source/profile/schema.js';
import {unitContext, type RenderOptions, type UnitContext} from '../../source/steps/render/context.js';

export const SECRETS = {secret16: 'abcdefghij012345', salt: 'SaltSaltSalt1234'};
export const JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';

export function versionSet(id: '1.8.3' | '1.8.0'): VersionSet {
  const set = findVersionSet(id);
  if (!set) throw new Error(`no version set ${id}`);
  return set;
}

export function smallProfile(overrides: Partial<ProfileInput> = {}): Profile {
  return Profile.parse({
    pattern: 'small',
    hosts: [{name: 'unit1', address: '203.0.113.10', privateAddress: '10.0.0.10', roles: ['web', 'ap', 'es', 'mq', 'nfs']}],
    unit: {fqdn: 'personium.example.test'},
    memory: {tomcatHeapMb: 1024, esHeapMb: 1536, memcachedLockMb: 64, memcachedCacheMb: 128},
    ...overrides,
  });
}

/** Web, two AP servers (the first also NFS and MQ), and three ES nodes. */
export function mediumProfile(overrides: Partial<ProfileInput> = {}): Profile {
  return Profile.parse({
    pattern: 'medium-large',
    hosts: [
      {name: 'web1', address: '203.0.113.20', privateAddress: '10.0.1.20', roles: ['web']},
      {name: 'ap1', address: '10.0.1.31', roles: ['ap', 'mq', 'nfs']},
      {name: 'ap2', address: '10.0.1.32', roles: ['ap']},
      {name: 'es1', address: '10.0.1.41', roles: ['es']},
      {name: 'es2', address: '10.0.1.42', roles: ['es']},
      {name: 'es3', address: '10.0.1.43', roles: ['es']},
    ],
    unit: {fqdn: 'unit.example.test', cellUrlMode: 'path-based'},
    memory: {tomcatHeapMb: 2048, esHeapMb: 4096},
    ...overrides,
  });
}

export function context(profile: Profile, set: '1.8.3' | '1.8.0', options: Partial<RenderOptions> = {}): UnitContext {
  return unitContext(profile, versionSet(set), {
    host: profile.hosts[0]!.name,
    javaHome: JAVA_HOME,
    memcachedUser: 'memcache',
    secrets: SECRETS,
    ...options,
  });
}

// One root per test file (this module is loaded once per file), removed when the file is done;
// tempDir may then be called from anywhere, including inside a test.
const root = mkdtempSync(join(tmpdir(), 'render-test-'));
afterAll(() => rmSync(root, {recursive: true, force: true}));

/** A temporary directory, removed after the test file. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(root, `${prefix}-`));
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a real tool. A missing tool fails the test with the package to install: the CI installs
 * them (test/tools/system-deps.mjs), so a skip would hide a broken setup.
 */
export function tool(command: string, args: readonly string[], aptPackage: string, options: {input?: string; cwd?: string} = {}): ToolResult {
  const result = spawnSync(command, args, {encoding: 'utf8', input: options.input, cwd: options.cwd, timeout: 60_000});
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${command} is not installed: run  apt-get install -y ${aptPackage}`);
  }
  if (result.error) throw result.error;
  return {code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr};
}

export function which(command: string, aptPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${command} || { test -x /usr/sbin/${command} && echo /usr/sbin/${command}; }`], {encoding: 'utf8'});
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') throw new Error(`${command} is not installed: run  apt-get install -y ${aptPackage}`);
  return path;
}
