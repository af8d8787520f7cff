// Connecting to real sshd servers: key, agent, password, passphrases, host keys, jump hosts,
// unreachable versus failed. No mocks: every case talks to a test host.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectHost, connectHosts} from '../../source/hosts/connect.js';
import {HostAuthError, HostKeyError, HostUnreachableError} from '../../source/hosts/errors.js';
import type {ConnectOptions, HostEvent, HostSpec} from '../../source/hosts/spec.js';
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
if (!available.ok) console.warn(`skipping host connection tests: ${available.reason}`);

describe.skipIf(!available.ok)('connecting to real hosts', () => {
  let set: TestHostSet;
  let work: string;
  let h1: string; // addresses
  let h2: string;

  beforeAll(async () => {
    set = await upTestHosts(2);
    h1 = set.hosts[0]!.address;
    h2 = set.hosts[1]!.address;
    work = mkdtempSync(join(tmpdir(), 'pds-hosts-connect-'));
    await Promise.all(['host1', 'host2'].map((h) => preparePasswordUser(set, h)));
  });
  afterAll(async () => {
    if (work) rmSync(work, {recursive: true, force: true});
    if (set) await downTestHosts();
  });

  /** Options that trust the harness known_hosts and pin into a private file of this test. */
  function trusted(extra: Partial<ConnectOptions> = {}): ConnectOptions {
    return {
      knownHostsFiles: [set.knownHostsFile],
      toolKnownHostsFile: join(work, `pinned-${Math.random().toString(36).slice(2)}`),
      sshConfigFile: 'none',
      connectTimeoutMs: 5000,
      retries: 1,
      ...extra,
    };
  }
  const keySpec = (address: string, extra: Partial<HostSpec> = {}): HostSpec => ({
    name: extra.name ?? address,
    address,
    auth: {method: 'key', keyFile: set.keyFile},
    ...extra,
  });

  async function whoami(spec: HostSpec, options: ConnectOptions): Promise<string> {
    const host = await connectHost(spec, options);
    try {
      return (await host.exec('id -un')).stdout.trim();
    } finally {
      await host.close();
    }
  }

  it('connects with a key file, as root and as deploy, one connection reused for many commands', async () => {
    expect(await whoami(keySpec(h1), trusted())).toBe('root');
    const host = await connectHost(keySpec(h2, {user: 'deploy'}), trusted());
    try {
      // Ten commands over one connection: sshd logs one session for all of them.
      const ports = new Set<string>();
      for (let i = 0; i < 10; i++) ports.add((await host.exec('echo "$SSH_CLIENT"')).stdout.split(' ')[1] ?? '');
      expect(ports.size).toBe(1);
      expect((await host.exec('id -un')).stdout.trim()).toBe('deploy');
    } finally {
      await host.close();
      await host.close(); // safe twice
    }
  });

  it('connects through a real ssh-agent', async () => {
    const agentOut = execFileSync('ssh-agent', ['-s'], {encoding: 'utf8'});
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agentOut)?.[1];
    const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(agentOut)?.[1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      expect(sock).toBeTruthy();
      execFileSync('ssh-add', ['-q', set.keyFile], {env: {...process.env, SSH_AUTH_SOCK: sock}, stdio: 'pipe'});
      process.env.SSH_AUTH_SOCK = sock;
      expect(await whoami({name: 'agent', address: h1, user: 'deploy', auth: {method: 'agent'}}, trusted())).toBe('deploy');

      delete process.env.SSH_AUTH_SOCK;
      await expect(connectHost({name: 'agent', address: h1, auth: {method: 'agent'}}, trusted())).rejects.toThrow(
        /no SSH agent is running \(SSH_AUTH_SOCK is not set\)/,
      );
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      if (pid) process.kill(pid);
    }
  });

  it('connects with a password from the environment or asked once, and refuses a wrong one without retrying', async () => {
    const spec: HostSpec = {name: 'pw', address: h1, user: PASSWORD_USER, auth: {method: 'password'}};
    process.env.PERSONIUM_SETUP_SSH_PASSWORD = PASSWORD_USER_PASSWORD;
    try {
      expect(await whoami(spec, trusted())).toBe(PASSWORD_USER);
    } finally {
      delete process.env.PERSONIUM_SETUP_SSH_PASSWORD;
    }

    const prompts: string[] = [];
    const askSecret = async (prompt: string) => {
      prompts.push(prompt);
      return PASSWORD_USER_PASSWORD;
    };
    expect(await whoami(spec, trusted({askSecret, passwordFromEnv: false}))).toBe(PASSWORD_USER);
    expect(prompts).toEqual([`SSH password for ${PASSWORD_USER}@${h1}`]);

    const passwordFile = join(work, 'password');
    writeFileSync(passwordFile, `${PASSWORD_USER_PASSWORD}\n`, {mode: 0o600});
    expect(await whoami({...spec, auth: {method: 'password', passwordFile}}, trusted())).toBe(PASSWORD_USER);

    const events: HostEvent[] = [];
    const error = await connectHost(spec, trusted({askSecret: async () => 'wrong', retries: 3, onEvent: (e) => events.push(e)})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostAuthError);
    expect((error as Error).message).toMatch(new RegExp(`${PASSWORD_USER}@${h1}.*refused the login \\(tried: password\\)`));
    expect((error as Error).message).not.toContain('wrong');
    expect(events.filter((e) => e.type === 'connecting')).toHaveLength(1);
  });

  it.each([
    ['OpenSSH', ['-t', 'ed25519']],
    ['PEM', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']],
  ])('asks the passphrase of an encrypted %s key once for all hosts using it', async (format, args) => {
    const keyFile = join(work, `enc-${format}`);
    execFileSync('ssh-keygen', ['-q', ...args, '-N', 'correct horse', '-C', 'pds-enc', '-f', keyFile]);
    if (format === 'PEM') expect(readFileSync(keyFile, 'utf8')).toMatch(/Proc-Type: 4,ENCRYPTED/);
    const pub = readFileSync(`${keyFile}.pub`, 'utf8');
    for (const h of ['host1', 'host2']) {
      const r = await rootSsh(set, h, 'cat >>/home/deploy/.ssh/authorized_keys', pub);
      expect(r.code).toBe(0);
    }
    const prompts: string[] = [];
    const askSecret = async (prompt: string) => {
      prompts.push(prompt);
      return prompts.length === 1 ? 'not it' : 'correct horse';
    };
    const specs = [h1, h2].map((address, i) => ({name: `enc${i}`, address, user: 'deploy', auth: {method: 'key' as const, keyFile}}));
    const opened = await connectHosts(specs, trusted({askSecret}));
    try {
      expect([...opened.errors.values()]).toEqual([]);
      expect(opened.hosts.size).toBe(2);
      expect(prompts).toEqual([`Passphrase for ${keyFile}`, `Wrong passphrase. Passphrase for ${keyFile}`]);
    } finally {
      await opened.close();
    }
    // No one to ask: a clear hint instead of a hang.
    await expect(connectHost(specs[0]!, trusted())).rejects.toThrow(/is encrypted.*ssh-add/);
  });

  describe('host keys', () => {
    async function hostFingerprint(host: string): Promise<string> {
      const pub = (await rootSsh(set, host, 'cat /etc/ssh/ssh_host_ed25519_key.pub')).stdout;
      const file = join(work, `${host}-hostkey.pub`);
      writeFileSync(file, pub);
      return execFileSync('ssh-keygen', ['-lf', file], {encoding: 'utf8'}).split(' ')[1] ?? '';
    }
    const fresh = (extra: Partial<ConnectOptions> = {}): ConnectOptions =>
      trusted({knownHostsFiles: [join(work, 'empty-known-hosts')], ...extra});

    it('refuses an unknown key when nobody can confirm it, and when the operator says no', async () => {
      const fingerprint = await hostFingerprint('host1');
      const error = await connectHost(keySpec(h1, {name: 'host1'}), fresh({retries: 3})).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostKeyError);
      expect((error as Error).message).toContain(`can't be established`);
      expect((error as Error).message).toContain(fingerprint);

      const asked: unknown[] = [];
      const no = await connectHost(
        keySpec(h1, {name: 'host1'}),
        fresh({confirmHostKey: async (...args) => (asked.push(args), false)}),
      ).catch((e: unknown) => e);
      expect(no).toBeInstanceOf(HostKeyError);
      expect(asked).toEqual([['host1', fingerprint, 'ssh-ed25519']]);
    });

    it('accepts a new key with acceptNewHostKeys or a yes, pins it, and knows it next time', async () => {
      const fingerprint = await hostFingerprint('host1');
      const toolKnownHostsFile = join(work, 'pinned-tofu');
      const events: HostEvent[] = [];
      const options = fresh({toolKnownHostsFile, acceptNewHostKeys: true, onEvent: (e) => events.push(e)});
      expect(await whoami(keySpec(h1), options)).toBe('root');
      expect(events).toContainEqual({type: 'host-key-pinned', host: h1, fingerprint, file: toolKnownHostsFile});
      expect(readFileSync(toolKnownHostsFile, 'utf8')).toMatch(new RegExp(`^${h1.replace(/\./g, '\\.')} ssh-ed25519 \\S+\\n$`));

      // Second time: known, nothing asked, nothing appended.
      const asked: string[] = [];
      const again = fresh({toolKnownHostsFile, confirmHostKey: async (h) => (asked.push(h), false)});
      expect(await whoami(keySpec(h1), again)).toBe('root');
      expect(asked).toEqual([]);
      expect(readFileSync(toolKnownHostsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);

      // An interactive yes pins as well (host2).
      const yes = fresh({toolKnownHostsFile, confirmHostKey: async () => true});
      expect(await whoami(keySpec(h2), yes)).toBe('root');
      expect(readFileSync(toolKnownHostsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    });

    it('always refuses a changed key, naming the file and line to remove', async () => {
      const impostor = join(work, 'impostor');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', impostor]);
      const [type, b64] = readFileSync(`${impostor}.pub`, 'utf8').split(' ');
      const toolKnownHostsFile = join(work, 'pinned-changed');
      writeFileSync(toolKnownHostsFile, `# pinned\nsomewhere.else ${type} ${b64}\n${h1} ${type} ${b64}\n`);
      for (const extra of [{acceptNewHostKeys: true}, {confirmHostKey: async () => true}]) {
        const error = await connectHost(keySpec(h1, {name: 'host1'}), fresh({toolKnownHostsFile, retries: 3, ...extra})).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(HostKeyError);
        const message = (error as Error).message;
        expect(message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED for host1');
        expect(message).toContain(`${toolKnownHostsFile} line 3`);
        expect(message).toContain(`ssh-keygen -f "${toolKnownHostsFile}" -R "${h1}"`);
      }
    });
  });

  describe('jump hosts', () => {
    it('reaches host2 through host1 with the jump option (host2 sees host1 as the client)', async () => {
      const options = trusted({jump: keySpec(h1, {name: 'bastion'})});
      const opened = await connectHosts([keySpec(h2, {name: 'behind'}), keySpec(h2, {name: 'behind-as-deploy', user: 'deploy'})], options);
      try {
        expect([...opened.errors.values()]).toEqual([]);
        for (const host of opened.hosts.values()) {
          expect((await host.exec('echo "$SSH_CONNECTION"')).stdout.split(' ')[0]).toBe(h1);
        }
      } finally {
        await opened.close();
      }
    });

    it('follows ProxyJump from an ssh config file, and verifies the jump host key too', async () => {
      const config = join(work, 'ssh_config');
      writeFileSync(
        config,
        `Host target2\n  HostName ${h2}\n  User deploy\n  ProxyJump jumpbox\n\nHost jumpbox\n  HostName ${h1}\n  User root\n  IdentityFile ${set.keyFile}\n`,
      );
      const spec: HostSpec = {name: 'target2', address: 'target2', auth: {method: 'key', keyFile: set.keyFile}};
      const host = await connectHost(spec, trusted({sshConfigFile: config}));
      try {
        expect((await host.exec('id -un; echo "$SSH_CONNECTION"')).stdout).toMatch(new RegExp(`^deploy\\n${h1.replace(/\./g, '\\.')} `));
      } finally {
        await host.close();
      }
      // Only host2 is known: the jump host's unknown key stops the connection.
      const onlyH2 = join(work, 'only-h2');
      writeFileSync(onlyH2, readFileSync(set.knownHostsFile, 'utf8').split('\n').filter((l) => l.startsWith('host2,')).join('\n'));
      await expect(connectHost(spec, trusted({sshConfigFile: config, knownHostsFiles: [onlyH2]}))).rejects.toThrow(HostKeyError);
    });
  });

  describe('unreachable versus failed', () => {
    it('retries an unreachable host with backoff and says so, then reports it as unreachable', async () => {
      const events: HostEvent[] = [];
      const started = Date.now();
      const error = await connectHost(keySpec(h1, {name: 'closed-port', port: 2222}), trusted({retries: 3, retryDelayMs: 100, onEvent: (e) => events.push(e)})).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HostUnreachableError);
      expect((error as Error).message).toMatch(/closed-port .*unreachable: connection refused/);
      const retries = events.filter((e) => e.type === 'retry');
      expect(retries.map((e) => e.message.match(/retrying \(\d\/\d\)/)?.[0])).toEqual(['retrying (2/3)', 'retrying (3/3)']);
      expect(retries.map((e) => (e.type === 'retry' ? e.delayMs : 0))).toEqual([100, 200]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('does not retry an authentication failure', async () => {
      const otherKey = join(work, 'not-authorized');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const events: HostEvent[] = [];
      const error = await connectHost(keySpec(h1, {auth: {method: 'key', keyFile: otherKey}}), trusted({retries: 3, onEvent: (e) => events.push(e)})).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HostAuthError);
      expect((error as Error).message).toContain(`refused the login (tried: key ${otherKey})`);
      expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    });

    it('connectHosts opens the good hosts and reports each failure by host, without throwing', async () => {
      const opened = await connectHosts(
        [keySpec(h1, {name: 'good'}), keySpec(h1, {name: 'refused', port: 2222}), keySpec(h2, {name: 'nokey', auth: {method: 'key', keyFile: join(work, 'missing')}})],
        trusted(),
      );
      try {
        expect([...opened.hosts.keys()]).toEqual(['good']);
        expect(opened.errors.get('refused')).toBeInstanceOf(HostUnreachableError);
        expect(opened.errors.get('nokey')).toBeInstanceOf(HostAuthError);
        expect(opened.errors.get('nokey')?.message).toMatch(/cannot read the SSH key file/);
      } finally {
        await opened.close();
      }
    });
  });
});
