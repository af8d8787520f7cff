// Passphrases and passwords: asked at most once, kept in memory only, never logged or saved.
// One store is shared by all hosts of a run, so three hosts using the same key file or the
// same sudo password cause one prompt, not three.
import {readFile} from 'node:fs/promises';
import ssh2 from 'ssh2';
import {HostAuthError} from './errors.js';
import {expandHome} from './ssh-config.js';
import {SSH_PASSWORD_ENV, SUDO_PASSWORD_ENV} from './spec.js';

const {utils} = ssh2;
const MAX_ASKS = 3;

export interface SecretSources {
  askSecret?: (prompt: string) => Promise<string>;
  passwordFromEnv?: boolean;
}

/** A private key as ssh2 wants it, plus the passphrase when it is encrypted. */
export interface LoadedKey {
  key: Buffer;
  passphrase?: string;
}

function isEncryptedKeyError(error: Error): boolean {
  return /encrypted|passphrase/i.test(error.message);
}

export class SecretStore {
  private readonly keys = new Map<string, Promise<LoadedKey>>();
  private readonly sshPasswords = new Map<string, Promise<string>>();
  /** Last sudo password that worked for a login user, tried first on the next host. */
  private readonly sudoPasswords = new Map<string, string>();
  private asking: Promise<unknown> = Promise.resolve();

  constructor(private readonly sources: SecretSources = {}) {}

  private env(name: string): string | undefined {
    if (this.sources.passwordFromEnv === false) return undefined;
    const value = process.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  /** Prompts one at a time: parallel connections must not interleave questions on the screen. */
  ask(prompt: string): Promise<string | undefined> {
    const askSecret = this.sources.askSecret;
    if (!askSecret) return Promise.resolve(undefined);
    const next = this.asking.then(
      () => askSecret(prompt),
      () => askSecret(prompt),
    );
    this.asking = next.catch(() => undefined);
    return next;
  }

  /** Read a key file once; if encrypted, ask the passphrase once for every host that uses this file. */
  loadKey(host: string, keyFile: string): Promise<LoadedKey> {
    const path = expandHome(keyFile);
    let loaded = this.keys.get(path);
    if (!loaded) {
      loaded = this.readKey(host, path);
      this.keys.set(path, loaded);
      loaded.catch(() => this.keys.delete(path)); // a failure may be retried later with a new answer
    }
    return loaded;
  }

  private async readKey(host: string, path: string): Promise<LoadedKey> {
    let key: Buffer;
    try {
      key = await readFile(path);
    } catch (error) {
      throw new HostAuthError(host, `cannot read the SSH key file ${path}: ${(error as Error).message}`, {cause: error});
    }
    const parsed = utils.parseKey(key);
    if (!(parsed instanceof Error)) return {key};
    if (!isEncryptedKeyError(parsed)) {
      throw new HostAuthError(host, `${path} is not a usable private key (${parsed.message})`);
    }
    if (!this.sources.askSecret) {
      throw new HostAuthError(
        host,
        `the SSH key ${path} is encrypted and no one can type its passphrase here; ` +
          'load it into an agent (ssh-add) and use agent authentication, or run interactively',
      );
    }
    for (let i = 1; i <= MAX_ASKS; i++) {
      const prompt = i === 1 ? `Passphrase for ${path}` : `Wrong passphrase. Passphrase for ${path}`;
      const passphrase = await this.ask(prompt);
      if (passphrase === undefined) break;
      if (!(utils.parseKey(key, passphrase) instanceof Error)) return {key, passphrase};
    }
    throw new HostAuthError(host, `wrong passphrase for the SSH key ${path}`);
  }

  /** SSH login password: a file, the environment, or one question per user@address. */
  sshPassword(host: string, login: string, passwordFile?: string): Promise<string> {
    const cacheKey = passwordFile ? `file:${passwordFile}` : `ask:${login}`;
    let password = this.sshPasswords.get(cacheKey);
    if (!password) {
      password = this.findSshPassword(host, login, passwordFile);
      this.sshPasswords.set(cacheKey, password);
      password.catch(() => this.sshPasswords.delete(cacheKey));
    }
    return password;
  }

  private async findSshPassword(host: string, login: string, passwordFile?: string): Promise<string> {
    if (passwordFile) {
      try {
        return (await readFile(expandHome(passwordFile), 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        throw new HostAuthError(host, `cannot read the password file ${passwordFile}: ${(error as Error).message}`);
      }
    }
    const fromEnv = this.env(SSH_PASSWORD_ENV);
    if (fromEnv !== undefined) return fromEnv;
    const answer = await this.ask(`SSH password for ${login}`);
    if (answer === undefined) {
      throw new HostAuthError(host, `no SSH password for ${login}: set ${SSH_PASSWORD_ENV} or run interactively`);
    }
    return answer;
  }

  /**
   * Candidates for a sudo password, best first: the environment, one that worked for the same user
   * on another host, the SSH login password, then questions. `accept` checks each on the host.
   */
  async sudoPassword(
    login: string,
    user: string,
    loginPassword: string | undefined,
    accept: (password: string) => Promise<boolean>,
  ): Promise<string | undefined> {
    const tried = new Set<string>();
    const tryOne = async (candidate: string | undefined): Promise<boolean> => {
      if (candidate === undefined || tried.has(candidate)) return false;
      tried.add(candidate);
      if (!(await accept(candidate))) return false;
      this.sudoPasswords.set(user, candidate);
      return true;
    };
    for (const candidate of [this.env(SUDO_PASSWORD_ENV), this.sudoPasswords.get(user), loginPassword]) {
      if (await tryOne(candidate)) return candidate;
    }
    for (let i = 1; i <= MAX_ASKS; i++) {
      const answer = await this.ask(i === 1 && tried.size === 0 ? `sudo password for ${login}` : `Wrong password. sudo password for ${login}`);
      if (answer === undefined) return undefined;
      if (await tryOne(answer)) return answer;
    }
    return undefined;
  }
}
