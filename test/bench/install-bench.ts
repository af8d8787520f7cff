// The installation part of `npm run bench`: a fresh install on 1 (small) and 3 (medium-large) test
// servers through the built CLI, its time split into waiting (package manager commands and archive
// uploads, read from the run log) and the tool's own overhead; then the no-op re-run (median of
// BENCH_RUNS) beside an `ansible-playbook` run of as many no-op tasks per host as the re-run has
// steps, on the same servers in the same run.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Answers} from '../../source/profile/answers.js';
import {REMOTE_ARTIFACT_DIR} from '../../source/artifacts/types.js';
import {buildFixtureBundle} from '../fixtures/fixture-bundle.js';
import {installBaseEnv, runHarness} from '../harness/testhosts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const FQDN = 'personium.test';

// A harness of its own (not the install test's set), on the install test's base so the big
// packages stay baked in and the base is not built again.
const HARNESS_ENV = {
  PDS_TESTHOSTS_DIR: '/var/cache/pds-th-benchinst',
  PDS_TESTHOSTS_BRIDGE: 'pdsbr8',
  PDS_TESTHOSTS_NET: '10.213.8',
  PDS_TESTHOSTS_CGROUP: 'pds-th-benchinst',
  ...installBaseEnv(),
};
const HOSTS = 4; // host1: small; host2..4: medium-large

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const harness = (...args: string[]) => runHarness(HARNESS_ENV, ...args);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', code => resolve({code, stdout, stderr, ms: performance.now() - started}));
  });
}

/** Step lines of the run's output: `[server1] ok      Title (0.1 s)`. */
const stepLines = (out: string) => out.split('\n').filter(l => /^\[[^\]]+\] (ok|changed|failed|skipped) /.test(l));

export interface Waiting {
  /** Wall-clock time in which some host ran a package manager command (parallel hosts counted once). */
  packagesMs: number;
  /** Wall-clock time in which some host received an archive. */
  uploadsMs: number;
  /** Wall-clock time in which some host waited on either: the part of the run that is not the tool's own. */
  totalMs: number;
}

const PACKAGE_COMMAND = /^\$ .*\b(apt-get\b.*\b(update|install)\b|dnf\b.*\binstall\b|yum install\b)/;

type Interval = [number, number];

/** Length of the union of intervals. */
function covered(intervals: Interval[]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/**
 * Time spent waiting in one run log. Every timestamped line is `<ISO> [host] text` (continuation
 * lines of a command's output carry no timestamp). A package manager command lasts from its
 * `$ …` line to the next timestamped line of the same host (its output, written when it ends,
 * or the next command). An archive upload is not logged as a command: it lies between the
 * `$ install -d … <artifact dir>` line and the next command (the check of the file's SHA-256).
 * Hosts work in parallel, so the sums are of wall-clock time (overlaps counted once).
 */
export function waitingInLog(text: string): Waiting {
  const byHost = new Map<string, Array<{at: number; text: string}>>();
  for (const line of text.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) \[([^\]]+)\] (.*)$/.exec(line);
    if (!m) continue;
    const entries = byHost.get(m[2]!) ?? [];
    entries.push({at: Date.parse(m[1]!), text: m[3]!});
    byHost.set(m[2]!, entries);
  }
  const packages: Interval[] = [];
  const uploads: Interval[] = [];
  for (const entries of byHost.values()) {
    for (let i = 0; i < entries.length - 1; i++) {
      const entry = entries[i]!;
      if (PACKAGE_COMMAND.test(entry.text)) packages.push([entry.at, entries[i + 1]!.at]);
      if (entry.text.startsWith('$ install -d -m 755 -- ') && entry.text.includes(REMOTE_ARTIFACT_DIR)) {
        // From the directory's mkdir (a round trip, counted in) to the check after the upload
        // (the next command: the upload itself is not logged as one).
        const check = entries.findIndex((e, j) => j > i && e.text.startsWith('$ '));
        if (check > i) uploads.push([entry.at, entries[check]!.at]);
      }
    }
  }
  return {packagesMs: covered(packages), uploadsMs: covered(uploads), totalMs: covered([...packages, ...uploads])};
}

/** `ansible-playbook` with `counts[host]` no-op tasks on each host (the rest skip without connecting). */
function timeAnsibleNoop(dir: string, counts: Map<string, number>): number {
  const max = Math.max(...counts.values());
  const work = mkdtempSync(join(tmpdir(), 'bench-ansible-'));
  const playbook = join(work, 'noop.yml');
  const tasks = Array.from({length: max}, (_, i) => `    - name: no-op ${i + 1}\n      ansible.builtin.command: "true"\n      changed_when: false\n      when: steps[inventory_hostname] > ${i}\n`).join('');
  const steps = [...counts].map(([h, n]) => `      ${h}: ${n}\n`).join('');
  writeFileSync(playbook, `- hosts: ${[...counts.keys()].join(',')}\n  gather_facts: false\n  become: true\n  vars:\n    steps:\n${steps}  tasks:\n${tasks}`);
  const started = performance.now();
  // As the tool: the deploy user with sudo. No ControlPersist: every run pays for its connections.
  const result = spawnSync('ansible-playbook', ['-i', join(dir, 'inventory.ini'), '-e', 'ansible_user=deploy', '-f', '10', playbook], {
    encoding: 'utf8',
    env: {...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: '-o ControlMaster=no -o ControlPath=none'},
  });
  const ms = performance.now() - started;
  rmSync(work, {recursive: true, force: true});
  if (result.status !== 0) throw new Error(`ansible-playbook failed:\n${result.stdout}${result.stderr}`);
  return ms;
}

export async function benchInstall(runs: number): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v ansible-playbook']).status !== 0) {
    spawnSync('apt-get', ['install', '-y', '-q', 'ansible-core'], {stdio: 'inherit', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}});
  }
  const dir = HARNESS_ENV.PDS_TESTHOSTS_DIR;
  const keyFile = join(dir, 'id_ed25519');
  const address = (n: number) => `${HARNESS_ENV.PDS_TESTHOSTS_NET}.${10 + n}`;
  const server = (n: number, roles: string[], name: string) => ({name, address: address(n), user: 'deploy', auth: {method: 'key', keyFile}, roles});
  const memory = {tomcatHeapMb: 512, esHeapMb: 512, memcachedLockMb: 64, memcachedCacheMb: 64};
  const cases: Array<{label: string; answers: Answers; harnessHosts: Record<string, string>}> = [
    {
      label: 'small',
      answers: {pattern: 'small', hosts: [server(1, ['web', 'ap', 'es', 'mq', 'nfs'], 'server1')], unit: {fqdn: FQDN, cellUrlMode: 'per-cell'}, extensions: {httpclient: {}}, memory},
      harnessHosts: {server1: 'host1'},
    },
    {
      label: 'medium-large',
      answers: {
        pattern: 'medium-large',
        hosts: [server(2, ['web'], 'web1'), server(3, ['ap', 'mq', 'nfs'], 'ap1'), server(4, ['es'], 'es1')],
        unit: {fqdn: FQDN, cellUrlMode: 'path-based', publicAddress: address(2)},
        memory,
      },
      harnessHosts: {web1: 'host2', ap1: 'host3', es1: 'host4'},
    },
  ];

  await harness('down');
  const work = mkdtempSync(join(tmpdir(), 'bench-install-'));
  try {
    const up = await harness('up', String(HOSTS), '--apt-proxy');
    if (up.code !== 0) throw new Error(`test hosts did not come up:\n${up.out}`);
    const bundle = join(work, 'fixture-bundle.tar.gz');
    await buildFixtureBundle(bundle, '1.8.3');
    const env = {PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: join(work, 'config'), XDG_STATE_HOME: join(work, 'state'), PERSONIUM_SETUP_ALLOW_FIXTURE_BUNDLE: '1'};
    const install = (answers: string, profile: string) =>
      cli(env, ['install', '--answers', answers, '--yes', '--bundle', bundle, '--accept-new-host-keys', '--ignore-preflight-errors=all', '--profile', profile]);

    const rows: string[] = [];
    for (const c of cases) {
      const answers = join(work, `${c.label}.json`);
      writeFileSync(answers, JSON.stringify(c.answers, null, 2));
      const fresh = await install(answers, c.label);
      if (fresh.code !== 0) throw new Error(`fresh ${c.label} install failed (exit ${fresh.code}):\n${fresh.stdout}${fresh.stderr}`);
      const log = /Log: (\S+)/.exec(fresh.stderr)?.[1];
      if (!log) throw new Error(`no Log: line in the ${c.label} install's stderr`);
      const waiting = waitingInLog(readFileSync(log, 'utf8'));

      const reruns: number[] = [];
      let counts = new Map<string, number>();
      for (let i = 0; i < runs; i++) {
        const again = await install(answers, c.label);
        const lines = stepLines(again.stdout);
        if (again.code !== 0 || lines.some(l => !/^\[[^\]]+\] ok /.test(l))) throw new Error(`the ${c.label} re-run was not a no-op:\n${again.stdout}${again.stderr}`);
        reruns.push(again.ms);
        counts = new Map();
        for (const l of lines) {
          const host = c.harnessHosts[/^\[([^\]]+)\]/.exec(l)![1]!]!;
          counts.set(host, (counts.get(host) ?? 0) + 1);
        }
      }
      const ansible: number[] = [];
      for (let i = 0; i < runs; i++) ansible.push(timeAnsibleNoop(dir, counts));

      const s = (ms: number) => ms / 1000;
      const total = s(fresh.ms);
      const wait = s(waiting.totalMs);
      const rerun = s(median(reruns));
      const ans = s(median(ansible));
      const steps = [...counts.values()];
      rows.push(
        [
          c.label.padEnd(12),
          String(Object.keys(c.harnessHosts).length).padStart(7),
          total.toFixed(1).padStart(7),
          s(waiting.packagesMs).toFixed(1).padStart(8),
          s(waiting.uploadsMs).toFixed(1).padStart(7),
          (total - wait).toFixed(1).padStart(8),
          `${steps.reduce((a, b) => a + b, 0)} (${steps.join('+')})`.padStart(12),
          rerun.toFixed(2).padStart(6),
          ans.toFixed(2).padStart(7),
          (ans / rerun).toFixed(1).padStart(14),
          `${rerun < 10 && ans / rerun >= 10 ? 'met' : 'MISSED'}`.padStart(5),
        ].join('  '),
      );
    }
    console.log(`pattern       servers  install  packages  uploads  overhead  no-op steps  re-run  ansible  ansible/re-run   goal`);
    for (const row of rows) console.log(row);
    console.log(`(seconds; install: one fresh run; packages, uploads: wall-clock time some server spent on them; overhead = install - that waiting; re-run and ansible-playbook: medians of ${runs} runs;`);
    console.log(` goal: re-run under 10 s and at least 10x faster than ansible-playbook with the same no-op tasks per host)`);
  } finally {
    rmSync(work, {recursive: true, force: true});
    const down = await harness('down');
    if (down.code !== 0) console.warn(down.out);
  }
}
