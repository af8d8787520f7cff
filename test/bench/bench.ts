// npm run bench: preflight against 1, 3 and 10 real test servers, beside the same facts gathered
// by plain OpenSSH (one ssh per host, in parallel) and by `ansible -m setup`, on the same servers
// in the same run. Prints medians and ratios. Needs root (the test servers); installs
// Debian's ansible-core if it is missing. BENCH_PARTS (default preflight,report,install) picks the
// sections; install (test/bench/install-bench.ts) times fresh installs and no-op re-runs against
// ansible-playbook on a harness of its own, and needs `npm run build` first (it runs dist/cli.js).
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {connectHosts} from '../../source/hosts/index.js';
import {buildPlan} from '../../source/plan/plan.js';
import {factsScript, runPreflight} from '../../source/preflight/index.js';
import {reportScript, runReport, scriptOptionsFor} from '../../source/report/index.js';
import {validateAnswers} from '../../source/profile/answers.js';
import {downTestHosts, testHostsAvailable, upTestHosts, type TestHostSet} from '../harness/testhosts.js';
import {benchInstall} from './install-bench.js';

const SIZES = (process.env.BENCH_SIZES ?? '1,3,10').split(',').map(Number);
const REPORT_SIZES = (process.env.BENCH_REPORT_SIZES ?? '1,3').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'preflight,report,install').split(',').map(p => p.trim()));

// A harness of its own, so the benchmark never meets a test run's servers.
process.env.PDS_TESTHOSTS_DIR ??= '/var/cache/pds-th-bench';
process.env.PDS_TESTHOSTS_BASE ??= '/var/cache/pds-testhosts/base';
process.env.PDS_TESTHOSTS_BRIDGE ??= 'pdsbr9';
process.env.PDS_TESTHOSTS_NET ??= '10.213.9';
process.env.PDS_TESTHOSTS_CGROUP ??= 'pds-th-bench';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function profileFor(set: TestHostSet, n: number) {
  const hosts = set.hosts.slice(0, n);
  const roles = (i: number) => (n === 1 ? ['web', 'ap', 'es', 'mq', 'nfs'] : i === 0 ? ['web'] : i === 1 ? ['ap', 'mq', 'nfs'] : i === 2 ? ['es'] : ['es']);
  return validateAnswers(
    {
      pattern: n === 1 ? 'small' : 'medium-large',
      hosts: hosts.map((h, i) => ({name: h.name, address: h.address, auth: {method: 'key', keyFile: set.keyFile}, roles: roles(i)})),
      unit: {fqdn: 'personium.example.test', cellUrlMode: 'path-based'},
    },
    'bench',
  ).profile;
}

/** The profile's hosts as root over the tool's own connections (keys pinned in a throwaway file). */
function connectAsRoot(set: TestHostSet, profile: ReturnType<typeof profileFor>) {
  return connectHosts(
    profile.hosts.map(h => ({name: h.name, address: h.address, user: 'root', auth: {method: 'key' as const, keyFile: set.keyFile}})),
    {knownHostsFiles: [set.knownHostsFile], toolKnownHostsFile: join(mkdtempSync(join(tmpdir(), 'bench-')), 'kh'), sshConfigFile: 'none'},
  );
}

async function timePreflight(set: TestHostSet, n: number): Promise<number> {
  const profile = profileFor(set, n);
  const started = performance.now();
  const connected = await connectAsRoot(set, profile);
  try {
    await runPreflight({profile, plan: buildPlan(profile), hosts: connected.hosts, connectErrors: connected.errors, skipPublicCheck: true, probeUrl: async () => ({ok: true, detail: 'not probed in the benchmark'})});
  } finally {
    await connected.close();
  }
  return performance.now() - started;
}

function sshFacts(set: TestHostSet, host: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', set.sshConfigFile, host, 'sh -s'], {stdio: ['pipe', 'ignore', 'ignore']});
    child.on('error', reject);
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`ssh ${host} exited ${code}`))));
    child.stdin.end(script);
  });
}

async function timeOpenSsh(set: TestHostSet, n: number): Promise<number> {
  const script = factsScript({marker: 'bench', names: ['personium.example.test']});
  const started = performance.now();
  await Promise.all(set.hosts.slice(0, n).map(h => sshFacts(set, h.name, script)));
  return performance.now() - started;
}

/** The report without --smoke: one fact script per host over the tool's own connections, the judges, the unit from here. */
async function timeReport(set: TestHostSet, n: number): Promise<number> {
  const profile = profileFor(set, n);
  const started = performance.now();
  const connected = await connectAsRoot(set, profile);
  try {
    await runReport({profile, plan: buildPlan(profile), hosts: connected.hosts, connectErrors: connected.errors, skipPublicCheck: true});
  } finally {
    await connected.close();
  }
  return performance.now() - started;
}

/** The same report fact scripts, one plain ssh per host in parallel. */
async function timeOpenSshReport(set: TestHostSet, n: number): Promise<number> {
  const profile = profileFor(set, n);
  const plan = buildPlan(profile);
  const scripts = plan.hosts.map(h => reportScript({...scriptOptionsFor(profile, plan, h.name, [profile.unit.fqdn]), marker: 'bench'}));
  const started = performance.now();
  await Promise.all(set.hosts.slice(0, n).map((h, i) => sshFacts(set, h.name, scripts[i]!)));
  return performance.now() - started;
}

function timeAnsible(set: TestHostSet, n: number): number {
  const limit = set.hosts.slice(0, n).map(h => h.name).join(',');
  const started = performance.now();
  const result = spawnSync('ansible', ['-i', join(set.dir, 'inventory.ini'), 'testhosts', '--limit', limit, '-m', 'setup', '-f', '10'], {
    stdio: 'ignore',
    // No ControlPersist: every tool pays for its connections in every run, as preflight does.
    env: {...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: '-o ControlMaster=no -o ControlPath=none'},
  });
  if (result.status !== 0) throw new Error('ansible -m setup failed');
  return performance.now() - started;
}

async function main(): Promise<void> {
  const available = await testHostsAvailable();
  if (!available.ok) {
    console.error(`bench: ${available.reason}`);
    process.exit(2);
  }
  if (spawnSync('sh', ['-c', 'command -v ansible']).status !== 0) {
    spawnSync('apt-get', ['install', '-y', '-q', 'ansible-core'], {stdio: 'inherit', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}});
  }
  if (PARTS.has('preflight') || PARTS.has('report')) await benchQueries();
  if (PARTS.has('install')) {
    if (PARTS.has('preflight') || PARTS.has('report')) console.log('');
    await benchInstall(RUNS);
  }
}

async function benchQueries(): Promise<void> {
  const set = await upTestHosts(Math.max(...SIZES, ...(PARTS.has('report') ? REPORT_SIZES : [])));
  try {
    if (PARTS.has('preflight')) console.log(`servers  preflight  openssh  ansible   preflight/openssh  ansible/preflight   (medians of ${RUNS} runs, seconds)`);
    for (const n of PARTS.has('preflight') ? SIZES : []) {
      const rows = {pre: [] as number[], ssh: [] as number[], ans: [] as number[]};
      for (let i = 0; i < RUNS; i++) {
        rows.pre.push(await timePreflight(set, n));
        rows.ssh.push(await timeOpenSsh(set, n));
        rows.ans.push(timeAnsible(set, n));
      }
      const [p, s, a] = [median(rows.pre), median(rows.ssh), median(rows.ans)].map(ms => ms / 1000) as [number, number, number];
      console.log(`${String(n).padStart(7)}  ${p.toFixed(2).padStart(9)}  ${s.toFixed(2).padStart(7)}  ${a.toFixed(2).padStart(7)}   ${(p / s).toFixed(2).padStart(17)}  ${(a / p).toFixed(1).padStart(17)}`);
    }
    if (PARTS.has('preflight') && PARTS.has('report')) console.log('');
    if (PARTS.has('report')) console.log(`servers  report  openssh   report/openssh   (report without --smoke; medians of ${RUNS} runs, seconds)`);
    for (const n of (PARTS.has('report') ? REPORT_SIZES : []).filter(size => size <= set.hosts.length)) {
      const rows = {rep: [] as number[], ssh: [] as number[]};
      for (let i = 0; i < RUNS; i++) {
        rows.rep.push(await timeReport(set, n));
        rows.ssh.push(await timeOpenSshReport(set, n));
      }
      const [r, s] = [median(rows.rep), median(rows.ssh)].map(ms => ms / 1000) as [number, number];
      console.log(`${String(n).padStart(7)}  ${r.toFixed(2).padStart(6)}  ${s.toFixed(2).padStart(7)}   ${(r / s).toFixed(2).padStart(14)}`);
    }
  } finally {
    await downTestHosts();
  }
}

await main();
