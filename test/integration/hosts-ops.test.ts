// Commands and files on real hosts: sudo (none needed, NOPASSWD, password on stdin), streaming,
// timeouts and cancels that really stop the remote processes, atomic uploads with mode and owner,
// and hostile strings that must arrive as plain data. Checks on the server side are made with
// the system ssh client as root, independent of the code under test.
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {execute} from '../../source/executor/execute.js';
import type {StepDefinition} from '../../source/executor/types.js';
import {createConnector} from '../../source/hosts/connect.js';
import {HostAuthError, HostCommandError} from '../../source/hosts/errors.js';
import {sh} from '../../source/hosts/quote.js';
import {HASH_CACHE_FILE, fileFactsCommand, parseFileFacts, readFileFacts} from '../../source/hosts/file-facts.js';
import type {SshHost} from '../../source/hosts/ssh-host.js';
import type {ConnectOptions, HostEvent} from '../../source/hosts/spec.js';
import {sudoersLine, wrapSudo} from '../../source/hosts/sudo.js';
import {HOSTILE_STRINGS, INJECTION_MARKER} from '../harness/hostile-strings.js';
import {
  downTestHosts,
  PASSWORD_USER,
  PASSWORD_USER_PASSWORD,
  preparePasswordUser,
  rootSsh,
  testHostsAvailable,
  upTestHosts,
  type TestHostSet,
} from '../harness/testhosts.js';

const available = await testHostsAvailable();
if (!available.ok) console.warn(`skipping host command tests: ${available.reason}`);

/** name -> [content, owner] of every file in a directory, read byte-exact (no newline translation). */
const LIST_FILES_PY = [
  'import json, os, pwd, sys',
  'd = sys.argv[1]',
  'def info(f):',
  '    p = os.path.join(d, f)',
  "    return [open(p, newline='').read(), pwd.getpwuid(os.stat(p).st_uid).pw_name]",
  'print(json.dumps({f: info(f) for f in os.listdir(d)}))',
].join('\n');

const NOSUDO_USER = 'nosudo';
const NOSUDO_PASSWORD = 'No-Sudo-Pw-55';

describe.skipIf(!available.ok)('commands and files on real hosts', () => {
  let set: TestHostSet;
  let work: string;
  let root: SshHost; // root@host1
  let deploy: SshHost; // deploy@host1, NOPASSWD sudo
  let pw1: SshHost; // pwuser@host1, sudo needs the password
  let pw2: SshHost; // pwuser@host2
  let nosudo: SshHost;
  const prompts: string[] = [];
  const events: HostEvent[] = [];

  beforeAll(async () => {
    set = await upTestHosts(2);
    work = mkdtempSync(join(tmpdir(), 'pds-hosts-ops-'));
    await Promise.all(['host1', 'host2'].map((h) => preparePasswordUser(set, h)));
    // pwuser and nosudo log in with the harness key; their sudo password is what we test.
    const pub = `$(cat /root/.ssh/authorized_keys)`;
    for (const h of ['host1', 'host2']) {
      const r = await rootSsh(
        set,
        h,
        `set -e; id ${NOSUDO_USER} >/dev/null 2>&1 || useradd -m -s /bin/bash ${NOSUDO_USER} 2>/dev/null || true; chpasswd
         for u in ${PASSWORD_USER} ${NOSUDO_USER}; do install -d -m 700 -o $u -g $u /home/$u/.ssh; echo "${pub}" >/home/$u/.ssh/authorized_keys; chown $u: /home/$u/.ssh/authorized_keys; done
         rm -f ${INJECTION_MARKER}`,
        `${NOSUDO_USER}:${NOSUDO_PASSWORD}\n`,
      );
      expect(r.stderr).toBe('');
    }
    const options: ConnectOptions = {
      knownHostsFiles: [set.knownHostsFile],
      toolKnownHostsFile: join(work, 'pinned'),
      sshConfigFile: 'none',
      passwordFromEnv: false,
      onEvent: (e) => events.push(e),
      askSecret: async (prompt) => {
        prompts.push(prompt);
        return prompt.includes(NOSUDO_USER) ? NOSUDO_PASSWORD : PASSWORD_USER_PASSWORD;
      },
    };
    const connector = createConnector(options);
    const [h1, h2] = set.hosts.map((h) => h.address) as [string, string];
    const key = {method: 'key' as const, keyFile: set.keyFile};
    [root, deploy, pw1, pw2, nosudo] = await Promise.all([
      connector.connect({name: 'root1', address: h1, auth: key}),
      connector.connect({name: 'deploy1', address: h1, user: 'deploy', auth: key}),
      connector.connect({name: 'pw1', address: h1, user: PASSWORD_USER, auth: key}),
      connector.connect({name: 'pw2', address: h2, user: PASSWORD_USER, auth: key}),
      connector.connect({name: 'nosudo1', address: h1, user: NOSUDO_USER, auth: key}),
    ]);
  });

  afterAll(async () => {
    await Promise.all([root, deploy, pw1, pw2, nosudo].map((h) => h?.close()));
    if (work) rmSync(work, {recursive: true, force: true});
    if (set) await downTestHosts();
  });

  const onHost1 = (command: string, input?: string) => rootSsh(set, 'host1', command, input);
  async function remoteProcesses(pattern: string): Promise<string> {
    // pgrep -f would match its own ssh session's command line; ps + grep -v excludes it
    return (await onHost1(`ps -eo pid,user,args | grep -F -- ${sh`${pattern}`} | grep -v grep || true`)).stdout.trim();
  }

  describe('exec and sudo', () => {
    it('streams output, keeps stdout and stderr apart, returns the exit code and feeds stdin', async () => {
      const chunks: {at: number; text: string}[] = [];
      const started = Date.now();
      const result = await deploy.exec('echo first; sleep 0.5; echo second; echo oops >&2; exit 7', {
        onStdout: (text) => chunks.push({at: Date.now() - started, text}),
      });
      expect(result).toEqual({code: 7, stdout: 'first\nsecond\n', stderr: 'oops\n'});
      expect(chunks[0]?.text).toBe('first\n');
      expect(chunks[0]!.at).toBeLessThan(400); // arrived before the command ended
      expect((await deploy.exec('cat', {stdin: 'line1\nline2'})).stdout).toBe('line1\nline2');
      expect((await deploy.exec('cat')).stdout).toBe(''); // stdin closed: no hang
    });

    it('many commands at once over each connection: every exit code and all output arrive', async () => {
      // More at once than sshd's MaxSessions (10); fast commands, where the exit status can come
      // in the same packet burst as the exec reply.
      const runs = [root, deploy, pw2].flatMap((host) =>
        Array.from({length: 25}, (_, i) => host.exec(`echo out${i}; echo err${i} >&2; exit ${i % 7}`).then((r) => [i, r] as const)),
      );
      for (const [i, result] of await Promise.all(runs)) {
        expect(result).toEqual({code: i % 7, stdout: `out${i}\n`, stderr: `err${i}\n`});
      }
    });

    it('detects how each login becomes root', async () => {
      expect(await root.detectPrivilege()).toBe('root');
      expect(await deploy.detectPrivilege()).toBe('nopasswd');
      expect(await pw1.detectPrivilege()).toBe('password');
      expect(sudoersLine('deploy')).toBe('deploy ALL=(ALL:ALL) NOPASSWD: ALL');
    });

    it('runs as root via sudo -n (deploy) and directly (root), stdin intact', async () => {
      expect((await root.exec('id -u', {sudo: true})).stdout).toBe('0\n');
      const r = await deploy.exec('id -u; cat', {sudo: true, stdin: 'to root\n'});
      expect(r).toEqual({code: 0, stdout: '0\nto root\n', stderr: ''});
    });

    it('sudo with a password: asked once for all hosts of that user, sent on stdin only, never visible on the server', async () => {
      const before = prompts.length;
      const sleeping = pw1.exec('sleep 2; id -u; cat', {sudo: true, stdin: 'after the password\n'});
      // While it runs, look at every process's command line and environment as root.
      let seen = '';
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 250));
        seen += (await onHost1('ps -eo args; for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr "\\0" " " <"$f"; echo; done 2>/dev/null')).stdout;
      }
      const result = await sleeping;
      expect(result).toEqual({code: 0, stdout: '0\nafter the password\n', stderr: ''});
      expect(seen).toContain('sleep 2'); // we did look while it ran
      expect(seen).not.toContain(PASSWORD_USER_PASSWORD);

      const r2 = await pw2.exec('id -u', {sudo: true});
      expect(r2.stdout).toBe('0\n');
      const sudoPrompts = prompts.slice(before);
      expect(sudoPrompts).toEqual([`sudo password for ${PASSWORD_USER}@${set.hosts[0]!.address}`]);

      // Not in the system's logs either (sudo logs commands; ours carry no password).
      const logs = await onHost1('journalctl --no-pager -o cat 2>/dev/null; cat /var/log/auth.log /var/log/sudo.log 2>/dev/null; true');
      expect(logs.stdout).toContain('sudo');
      expect(logs.stdout).not.toContain(PASSWORD_USER_PASSWORD);
      expect(JSON.stringify(events)).not.toContain(PASSWORD_USER_PASSWORD);
    });

    it('the password line never reaches the command, even when sudo has cached credentials', async () => {
      // Prime sudo's credential cache in the same shell, then run exactly what exec would run.
      const primed = `IFS= read -r p; printf '%s\\n' "$p" | sudo -S -p '' -v; ${wrapSudo('cat', 'password')}`;
      const pw = PASSWORD_USER_PASSWORD;
      const result = await pw1.exec(primed, {stdin: `${pw}\n${pw}\nDATA\n`});
      expect(result).toEqual({code: 0, stdout: 'DATA\n', stderr: ''});
    });

    it('a user who may not sudo gets the exact sudoers line to add', async () => {
      const error = await nosudo.exec('true', {sudo: true}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostAuthError);
      expect((error as Error).message).toContain(`${NOSUDO_USER} may not use sudo`);
      expect((error as Error).message).toContain(sudoersLine(NOSUDO_USER));
      expect((error as Error).message).toContain('/etc/sudoers.d/personium-setup');
    });
  });

  describe('timeouts and cancels stop the remote processes', () => {
    it.each([
      ['login user', () => deploy, false, 'sleep 1031'],
      ['sudo NOPASSWD', () => deploy, true, 'sleep 1032'],
      ['sudo with password', () => pw1, true, 'sleep 1033'],
    ])('timeout as %s', async (_label, host, sudo, command) => {
      const started = Date.now();
      // A child and a grandchild, so killing only the top process would not be enough.
      const result = await host().exec(`${command} & sh -c '${command}; true'; wait`, {sudo, timeoutMs: 700});
      expect(result).toMatchObject({code: -1, timedOut: true});
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await remoteProcesses(command)).toBe('');
    });

    it('root commands share a persistent shell, which survives a cancelled command and keeps output byte-exact', async () => {
      // One after another, every root command is a child of the same remote shell (no new session, no new sudo).
      const parents = new Set<string>();
      for (let i = 0; i < 8; i++) parents.add((await deploy.exec('echo $PPID', {sudo: true})).stdout);
      expect(parents.size).toBe(1);
      const controller = new AbortController();
      const running = deploy.exec('sleep 1036 & sleep 1037; wait', {sudo: true, signal: controller.signal});
      await new Promise((r) => setTimeout(r, 500));
      expect(await remoteProcesses('sleep 1037')).toContain('sleep 1037');
      controller.abort();
      expect(await running).toMatchObject({code: -1, cancelled: true});
      expect(await remoteProcesses('sleep 103')).toBe('');
      // Output without a final newline, binary bytes, and stderr apart, through the same shell.
      const r = await deploy.exec(`printf 'a\\0b\\377'; printf 'R 0 1 1\\n' >&2; exit 3`, {sudo: true});
      expect(r).toEqual({code: 3, stdout: 'a\0b\uFFFD', stderr: 'R 0 1 1\n'});
      expect(parents.has((await deploy.exec('echo $PPID', {sudo: true})).stdout)).toBe(true);
    });

    it('root commands run at once in that one shell (Python on the server): ten 0.5 s sleeps take about 0.5 s', async () => {
      const started = Date.now();
      const parents = await Promise.all(Array.from({length: 10}, () => deploy.exec('sleep 0.5; echo $PPID', {sudo: true})));
      expect(Date.now() - started).toBeLessThan(2500);
      expect(new Set(parents.map((r) => r.stdout)).size).toBe(1);
    });

    it('file facts as root through sudo come from the shell loop itself, the same as the portable command says', async () => {
      await onHost1(`install -d -m 700 /root/ff && printf 'secret' >/root/ff/key && chmod 600 /root/ff/key && ln -sfn key /root/ff/link && mkdir -p /root/ff/dir`);
      const paths = ['/root/ff', '/root/ff/key', '/root/ff/link', '/root/ff/dir', '/root/ff/missing'];
      const native = await deploy.fileFacts(paths, {sudo: true});
      expect(native).toBeDefined();
      const portable = await deploy.exec(fileFactsCommand(paths), {sudo: true});
      expect(native).toBe(portable.stdout);
      const facts = parseFileFacts(native!, paths.length);
      expect(facts[0]).toMatchObject({type: 'directory', mode: '700', user: 'root', group: 'root'});
      expect(facts[1]).toEqual({type: 'file', mode: '600', user: 'root', group: 'root', size: 6, sha256: createHash('sha256').update('secret').digest('hex')});
      expect(facts[2]).toMatchObject({type: 'symlink'});
      expect(facts[4]).toBeUndefined();
      // readFileFacts takes the same answer through either path; without sudo the key is not readable.
      expect((await readFileFacts(deploy, paths, {sudo: true})).facts).toEqual(facts);
      expect((await readFileFacts(deploy, ['/root/ff/key'])).facts).toEqual([undefined]);
    });

    it("large files' hashes are kept with their identity: a rewrite that keeps size and mtime is still seen", async () => {
      const big = '/root/ff/big.tar.gz';
      await onHost1(`rm -f ${HASH_CACHE_FILE}; head -c 2000000 /dev/zero >${big}; touch -d '2020-01-01 00:00' ${big}`);
      const zeros = createHash('sha256').update(Buffer.alloc(2_000_000)).digest('hex');
      const first = parseFileFacts((await deploy.fileFacts([big], {sudo: true}))!, 1);
      expect(first[0]?.sha256).toBe(zeros);
      expect((await onHost1(`stat -c '%a %U' ${HASH_CACHE_FILE}; grep -c ${big} ${HASH_CACHE_FILE}`)).stdout).toBe('600 root\n1\n');
      // Same size, same mtime, other bytes: only the ctime tells, and it does.
      await onHost1(`printf 'x' | dd of=${big} bs=1 seek=1000 conv=notrunc 2>/dev/null; touch -d '2020-01-01 00:00' ${big}`);
      const changed = Buffer.alloc(2_000_000);
      changed[1000] = 0x78;
      const second = parseFileFacts((await deploy.fileFacts([big], {sudo: true}))!, 1);
      expect(second[0]?.sha256).toBe(createHash('sha256').update(changed).digest('hex'));
      // Entries of files that are gone are dropped at the next write.
      await onHost1(`rm -f ${big}; head -c 1100000 /dev/zero >/root/ff/other`);
      await deploy.fileFacts(['/root/ff/other'], {sudo: true});
      expect((await onHost1(`grep -c big.tar.gz ${HASH_CACHE_FILE}`)).stdout.trim()).toBe('0');
    });

    it('AbortSignal cancels a running command and kills it on the server', async () => {
      const controller = new AbortController();
      const running = root.exec('sleep 1034 & sleep 1035; wait', {signal: controller.signal});
      await new Promise((r) => setTimeout(r, 500));
      expect(await remoteProcesses('sleep 1035')).toContain('sleep 1035');
      controller.abort();
      expect(await running).toMatchObject({code: -1, cancelled: true});
      expect(await remoteProcesses('sleep 103')).toBe('');
      // An already aborted signal runs nothing.
      const r = await root.exec(sh`touch ${INJECTION_MARKER}`, {signal: controller.signal});
      expect(r.cancelled).toBe(true);
      expect((await onHost1(`test -e ${INJECTION_MARKER}; echo $?`)).stdout.trim()).toBe('1');
      // The connection is still good for the next command.
      expect((await root.exec('echo ok')).stdout).toBe('ok\n');
    });
  });

  describe('a connection cut by the server', () => {
    const CUT_USER = 'pdscut';
    it('is opened again for the retry of an idempotent step, which then completes', async () => {
      // A user of this test alone on host2, so killing its sessions touches no other test.
      const pub = `$(cat /root/.ssh/authorized_keys)`;
      const made = await rootSsh(set, 'host2', `id ${CUT_USER} >/dev/null 2>&1 || useradd -m -s /bin/bash ${CUT_USER}; install -d -m 700 -o ${CUT_USER} -g ${CUT_USER} /home/${CUT_USER}/.ssh; echo "${pub}" >/home/${CUT_USER}/.ssh/authorized_keys; chown ${CUT_USER}: /home/${CUT_USER}/.ssh/authorized_keys; echo '${CUT_USER} ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/90-${CUT_USER}; chmod 440 /etc/sudoers.d/90-${CUT_USER}`);
      expect(made.code, made.stderr).toBe(0);
      const connector = createConnector({knownHostsFiles: [set.knownHostsFile], toolKnownHostsFile: join(work, 'pinned-cut'), sshConfigFile: 'none', passwordFromEnv: false});
      const host = await connector.connect({name: 'cut2', address: set.hosts[1]!.address, user: CUT_USER, auth: {method: 'key', keyFile: set.keyFile}});
      try {
        let cut = false;
        const lines: string[] = [];
        const step: StepDefinition = {
          key: 'cut2:step',
          host: 'cut2',
          id: 'step',
          title: 'a step whose connection is cut once',
          needs: [],
          retryable: true,
          run: async ctx => {
            expect((await ctx.host.exec('id -u', {sudo: true})).stdout).toBe('0\n');
            if (!cut) {
              cut = true;
              await rootSsh(set, 'host2', `pkill -KILL -f 'sshd: ${CUT_USER}'`);
              const deadline = Date.now() + 10_000;
              while (!host.connectionLost && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
              expect(host.connectionLost).toBe(true);
            }
            const again = await ctx.host.exec('echo done', {sudo: true});
            if (again.code !== 0) throw new Error(again.stderr);
          },
        };
        const {results} = await execute([step], {hosts: new Map([['cut2', host]]), os: new Map([['cut2', {family: 'debian', id: 'debian', versionId: '12'}]]), log: line => lines.push(line), retryDelaysMs: [100]});
        expect(results.map(r => r.status)).toEqual(['ok']);
        expect(lines.join('\n')).toMatch(/the SSH connection was lost.*retrying \(2\/3\)[\s\S]*connected again/);
        expect(host.connectionLost).toBe(false);
        expect((await host.exec('echo still')).stdout).toBe('still\n');
      } finally {
        await host.close();
      }
    });
  });

  describe('upload and readFile', () => {
    beforeAll(async () => {
      expect((await onHost1('rm -rf /etc/pds-upload && mkdir /etc/pds-upload')).code).toBe(0);
    });
    async function statOf(path: string): Promise<string> {
      return (await onHost1(sh`stat -c '%a %U %G %s' -- ${path}`)).stdout.trim();
    }
    async function leftovers(dir: string): Promise<string> {
      return (await onHost1(sh`ls -A -- ${dir} | grep personium-setup || true; ls -A /tmp | grep personium-setup || true`)).stdout.trim();
    }

    it('writes with mode and owner as root, atomically: a reader only ever sees the old or the new file', async () => {
      const path = '/etc/pds-upload/big.conf';
      const a = 'a'.repeat(4 << 20);
      const b = 'b'.repeat(4 << 20);
      await root.upload(a, path, {mode: 0o640, owner: 'deploy', group: 'root'});
      expect(await statOf(path)).toBe(`640 deploy root ${a.length}`);
      // A reader on the server hashes the file as fast as it can while we replace it ten times.
      const reader = onHost1(
        sh`end=$(($(date +%s) + 4)); while [ $(date +%s) -lt $end ]; do md5sum < ${path}; done | sort | uniq -c`,
      );
      for (let i = 0; i < 10; i++) await root.upload(i % 2 ? a : b, path, {mode: 0o640, owner: 'deploy', group: 'root'});
      const hashes = (await reader).stdout.trim().split('\n');
      expect(hashes.length).toBeLessThanOrEqual(2); // only whole old or whole new content
      expect(await leftovers('/etc/pds-upload')).toBe('');
    });

    it('as deploy with sudo: staged in /tmp (0600), installed with mode and owner, nothing left behind', async () => {
      const path = '/etc/pds-upload/secret.conf';
      await deploy.upload('s3cret\n', path, {sudo: true, mode: 0o600, owner: 'root', group: 'deploy'});
      expect(await statOf(path)).toBe('600 root deploy 7');
      expect((await deploy.readFile(path, {sudo: true})).toString()).toBe('s3cret\n');
      await expect(deploy.readFile(path)).rejects.toThrow(HostCommandError);
      expect(await leftovers('/etc/pds-upload')).toBe('');
    });

    it('as pwuser with sudo (password on stdin) and binary content', async () => {
      const bytes = Buffer.from(Array.from({length: 256}, (_, i) => i));
      const path = '/etc/pds-upload/binary.bin';
      await pw1.upload(bytes, path, {sudo: true, mode: 0o644});
      expect(await statOf(path)).toBe('644 root root 256');
      expect((await pw1.readFile(path, {sudo: true})).equals(bytes)).toBe(true);
      expect((await pw1.readFile(path)).equals(bytes)).toBe(true); // world-readable: SFTP
    });

    it('a local file is streamed, as root and through sudo, byte for byte (a 24 MB archive stand-in)', async () => {
      const local = join(work, 'archive.bin');
      const content = randomBytes(24 << 20);
      writeFileSync(local, content);
      const sha = createHash('sha256').update(content).digest('hex');
      for (const [who, host, path] of [['root', root, '/etc/pds-upload/archive-root.bin'], ['deploy with sudo', deploy, '/etc/pds-upload/archive-sudo.bin']] as const) {
        await host.upload({localPath: local}, path, {sudo: true, mode: 0o644, owner: 'root', group: 'root'});
        expect(await statOf(path), who).toBe(`644 root root ${content.length}`);
        expect((await onHost1(`sha256sum < ${path}`)).stdout.split(' ')[0], who).toBe(sha);
      }
      expect(await leftovers('/etc/pds-upload')).toBe(''); // nor in /tmp, where deploy stages it
    });

    it('without sudo, a root-owned directory is refused and nothing is left behind', async () => {
      await expect(deploy.upload('x', '/etc/pds-upload/nope.conf')).rejects.toThrow(/Permission denied|permission/i);
      expect((await onHost1('test -e /etc/pds-upload/nope.conf; echo $?')).stdout.trim()).toBe('1');
      expect(await leftovers('/etc/pds-upload')).toBe('');
    });
  });

  describe('hostile strings arrive as plain data', () => {
    const fileNames = HOSTILE_STRINGS.filter((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/'));

    it('as command arguments and stdin, byte for byte, with and without sudo', async () => {
      const all = await root.exec(sh`printf '%s\\0' ${HOSTILE_STRINGS}`);
      expect(all.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE_STRINGS);
      for (const [host, sudo] of [
        [deploy, false],
        [deploy, true],
        [pw1, true],
      ] as const) {
        const viaSudo = await host.exec(sh`printf '%s\\0' ${HOSTILE_STRINGS}`, {sudo});
        expect(viaSudo.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE_STRINGS);
      }
      for (const value of HOSTILE_STRINGS) {
        expect((await deploy.exec(sh`printf %s ${value}`, {sudo: true})).stdout).toBe(value);
        expect((await deploy.exec('cat', {stdin: value})).stdout).toBe(value);
      }
      expect((await onHost1(`test -e ${INJECTION_MARKER}; echo $?`)).stdout.trim()).toBe('1');
    });

    it('as upload file names and contents, through SFTP and through sudo install', async () => {
      const check = async (dir: string, owner: string) => {
        const listing = await onHost1(
          sh`python3 -c ${LIST_FILES_PY} ${dir}`,
        );
        expect(JSON.parse(listing.stdout)).toEqual(Object.fromEntries(fileNames.map((n) => [n, [n, owner]])));
      };
      await root.exec('rm -rf /tmp/pds-hostile-sftp /srv/pds-hostile-sudo; mkdir -p /tmp/pds-hostile-sftp /srv/pds-hostile-sudo');
      for (const name of fileNames) {
        await root.upload(name, `/tmp/pds-hostile-sftp/${name}`, {owner: 'deploy'});
        await deploy.upload(name, `/srv/pds-hostile-sudo/${name}`, {sudo: true, owner: 'root'});
        expect((await deploy.readFile(`/srv/pds-hostile-sudo/${name}`, {sudo: true})).toString()).toBe(name);
      }
      await check('/tmp/pds-hostile-sftp', 'deploy');
      await check('/srv/pds-hostile-sudo', 'root');
      expect((await onHost1(`test -e ${INJECTION_MARKER}; echo $?`)).stdout.trim()).toBe('1');
    });
  });
});
