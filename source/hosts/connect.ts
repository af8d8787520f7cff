// Opening all hosts of a profile at once: in parallel (bounded), each failure kept per host so
// the caller can show "host2 unreachable" next to "host1 ok" instead of stopping at the first.
import pLimit from 'p-limit';
import type {Client as SshClient} from 'ssh2';
import {HostError} from './errors.js';
import {SecretStore} from './secrets.js';
import {openSsh, resolveTarget, type ConnectContext, type SshTarget} from './ssh-connect.js';
import {SshHost} from './ssh-host.js';
import type {ConnectOptions, HostSpec} from './spec.js';

export interface ConnectedHosts {
  hosts: Map<string, SshHost>;
  /** Hosts that could not be opened: HostUnreachableError, HostAuthError, HostKeyError or HostError. */
  errors: Map<string, HostError>;
  /** Close every connection (jump hosts included). */
  close(): Promise<void>;
}

/** Jump connections shared by all targets behind the same bastion; closed with the last of them. */
class JumpPool {
  private readonly open = new Map<string, {client: Promise<SshClient>; users: number}>();

  constructor(private readonly ctx: ConnectContext) {}

  async acquire(jump: SshTarget): Promise<{client: SshClient; release: () => void}> {
    const key = `${jump.user}@${jump.host}:${jump.port}`;
    let entry = this.open.get(key);
    if (!entry) {
      const client = openSsh(this.ctx, jump).then((opened) => {
        opened.client.on('error', () => {}); // reported through the targets' own channels
        opened.client.once('close', () => this.open.delete(key));
        return opened.client;
      });
      entry = {client, users: 0};
      this.open.set(key, entry);
      client.catch(() => this.open.delete(key));
    }
    entry.users++;
    const current = entry;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      current.users--;
      if (current.users === 0) {
        this.open.delete(key);
        current.client.then((c) => c.end(), () => undefined);
      }
    };
    try {
      return {client: await current.client, release};
    } catch (error) {
      release();
      throw error;
    }
  }
}

export interface Connector {
  connect(spec: HostSpec): Promise<SshHost>;
}

/** A connector shares secrets (one passphrase prompt per key file) and jump connections. */
export function createConnector(options: ConnectOptions = {}): Connector {
  const ctx: ConnectContext = {
    options,
    secrets: new SecretStore({askSecret: options.askSecret, passwordFromEnv: options.passwordFromEnv}),
  };
  const jumps = new JumpPool(ctx);
  return {
    async connect(spec) {
      const target = await resolveTarget(spec, options);
      const open = async () => {
        const jump = target.jump ? await jumps.acquire(target.jump) : undefined;
        try {
          return {opened: await openSsh(ctx, target, jump?.client), release: jump?.release};
        } catch (error) {
          jump?.release();
          throw error;
        }
      };
      const first = await open();
      return new SshHost({
        name: spec.name,
        address: spec.address,
        user: target.user,
        client: first.opened.client,
        secrets: ctx.secrets,
        sudo: spec.sudo,
        loginPassword: first.opened.password,
        onClose: first.release,
        // The host key is pinned by now: a new connection is checked against it, never asked about.
        reopen: async () => {
          const again = await open();
          return {client: again.opened.client, ...(again.release ? {onClose: again.release} : {})};
        },
      });
    },
  };
}

function asHostError(name: string, error: unknown): HostError {
  return error instanceof HostError ? error : new HostError(name, `${name}: ${(error as Error).message ?? String(error)}`, {cause: error});
}

/** Open every host in parallel; never throws because of one host. */
export async function connectHosts(specs: HostSpec[], options: ConnectOptions = {}): Promise<ConnectedHosts> {
  const connector = createConnector(options);
  const limit = pLimit(Math.max(1, options.concurrency ?? 8));
  const hosts = new Map<string, SshHost>();
  const errors = new Map<string, HostError>();
  await Promise.all(
    specs.map((spec) =>
      limit(async () => {
        try {
          hosts.set(spec.name, await connector.connect(spec));
        } catch (error) {
          errors.set(spec.name, asHostError(spec.name, error));
        }
      }),
    ),
  );
  return {
    hosts,
    errors,
    close: async () => {
      await Promise.all([...hosts.values()].map((h) => h.close()));
    },
  };
}

/** One host; throws its HostError. */
export async function connectHost(spec: HostSpec, options: ConnectOptions = {}): Promise<SshHost> {
  return createConnector(options).connect(spec);
}
