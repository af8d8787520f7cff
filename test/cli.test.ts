// The built CLI under plain node (not vitest's module loader, which hides ESM/CJS interop bugs),
// with stdin from /dev/null and no terminal: it must never hang, never print ANSI codes, and
// exit with the documented codes.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const examples = new URL('../presets/examples/', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'cli-home-'));

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
    env: {PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), ...env},
  });
  expect(result.error, 'the CLI must not hang').toBeUndefined();
  expect(result.stdout + result.stderr).not.toContain("\u001b[");
  return result;
}

describe('built CLI (plain node, no terminal)', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does)');
  });

  it('--help and --version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: personium-setup/);
    for (const command of ['install', 'plan', 'schema', 'versions', 'preflight', 'report', 'add']) expect(help.stdout).toContain(command);
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  it('without answers it does not prompt: it names the missing keys and flags, exit 2', () => {
    const result = run([]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('pattern: missing answer (give --pattern or set pattern in the answers file)');
    expect(result.stderr).toContain('unit.fqdn: missing answer (give --fqdn or set unit.fqdn in the answers file)');
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it.each(['try-it', 'small', 'medium-large'])('plan --answers %s.yaml --json', name => {
    const result = run(['plan', '--answers', join(examples, `${name}.yaml`), '--json']);
    expect(result.status).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.pattern).toBe(name);
    expect(plan.hosts.length).toBeGreaterThan(0);
    expect(plan.bootOrder[0].services.length).toBeGreaterThan(0);
  });

  it('a bad answers file: one line per problem, exit 2', () => {
    const file = join(home, 'bad.yaml');
    writeFileSync(file, 'pattern: small\nhosts:\n  - name: s1\n    adress: 10.0.0.1\n    roles: [web]\nunit:\n  fqdn: 10.0.0.1\nhttps:\n  mode: lets\n');
    const result = run(['plan', '--answers', file]);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/bad\.yaml has 4 problems/);
    expect(lines.slice(1)).toEqual([
      '  - hosts[0].address: missing answer (give --host or set hosts[0].address in the answers file)',
      '  - hosts[0].adress: unknown key (did you mean "address"?)',
      '  - unit.fqdn: an IP address cannot be the unit FQDN: the unit certificate CN, the server certificate and cell URLs need a DNS name (for a local trial, use a name such as personium.test and an /etc/hosts entry)',
      '  - https.mode: https.mode is one of: self-signed, provided, letsencrypt',
    ]);
  });

  it('--yes --save-only with flags saves the profile 0600 and writes a log; --dry-run saves nothing', () => {
    const dry = run(['--pattern', 'small', '--host', 'deploy@192.0.2.10:2222', '--fqdn', 'https://Unit.Example.com/', '--yes', '--save-only', '--dry-run', '--profile', 'dry']);
    expect(dry.status).toBe(0);
    expect(dry.stderr).toContain('cleaned "https://Unit.Example.com/" to "unit.example.com"');
    expect(dry.stderr).toContain('Dry run');
    expect(existsSync(join(home, 'config', 'personium-setup', 'profile-dry.json'))).toBe(false);

    const saved = run(['--pattern', 'small', '--host', 'deploy@192.0.2.10:2222', '--fqdn', 'unit.example.com', '--yes', '--save-only', '--profile', 'unit1']);
    expect(saved.status).toBe(0);
    expect(saved.stdout).toContain('server1 (192.0.2.10): web, ap, es, mq, nfs');
    const path = join(home, 'config', 'personium-setup', 'profile-unit1.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8')).profile.hosts[0]).toMatchObject({address: '192.0.2.10', port: 2222, user: 'deploy'});
    const log = /Log: (.*)/.exec(saved.stderr)?.[1];
    expect(log && statSync(log).mode & 0o777).toBe(0o600);

    // The saved profile is the default next time.
    const again = run(['plan', '--profile', 'unit1', '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).unitUrl).toBe('https://unit.example.com/');
  });

  it('every command listed in --help has its own --help (exit 0) and none says "not available"', () => {
    const help = run(['--help']).stdout;
    const section = help.slice(help.indexOf('Commands:'), help.indexOf('Without a command'));
    const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map(m => m[1]!).filter(name => name !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['install', 'plan', 'add', 'report']));
    for (const command of commands) {
      const result = run([command, '--help']);
      expect(result.status, command).toBe(0);
      expect(result.stdout, command).toMatch(new RegExp(`Usage: personium-setup ${command}`));
      expect(result.stdout, command).not.toMatch(/not available/);
    }
  });

  it('--help says what runs without a command, gives examples and the exit codes', () => {
    const help = run(['--help']).stdout;
    expect(help).toContain('Without a command, install runs');
    expect(help).toMatch(/^ {2}personium-setup install --answers unit\.yaml --yes /m);
    expect(help).toContain('Exit codes: 0 done, 1 a check or step failed, 2 usage or answers error, 130 cancelled.');
  });

  it('an unknown option is a usage error', () => {
    expect(run(['plan', '--bogus']).status).toBe(2);
  });

  it('schema prints a JSON Schema with every top-level key', () => {
    const schema = JSON.parse(run(['schema']).stdout);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['pattern', 'hosts', 'bastion', 'unit', 'https', 'unitCertificate', 'versionSet', 'extensions', 'authPlugins', 'memory', 'security', 'artifacts', 'unitConfig']),
    );
  });
});
