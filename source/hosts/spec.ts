// What the profile says about a host and how the tool may connect to it. The profile's zod
// schema mirrors HostSpec; ConnectOptions come from flags, the environment and the UI.

export type HostAuth =
  | {method: 'agent'}
  | {method: 'key'; keyFile: string}
  /** The password comes from passwordFile, the environment or askSecret; it is never saved. */
  | {method: 'password'; passwordFile?: string};

export type SudoMode = 'auto' | 'root' | 'nopasswd' | 'password';

export interface HostSpec {
  name: string;
  /** Address, DNS name, or an alias from ~/.ssh/config. */
  address: string;
  /** Default: ssh config Port, else 22. */
  port?: number;
  /** Default: ssh config User, else root. */
  user?: string;
  auth: HostAuth;
  /** How to become root: 'auto' detects it on first use. Default 'auto'. */
  sudo?: SudoMode;
}

/** Progress the UI and the run log may show; never carries a secret. */
export type HostEvent =
  | {type: 'connecting'; host: string; attempt: number; of: number}
  | {type: 'retry'; host: string; attempt: number; of: number; delayMs: number; reason: string; message: string}
  | {type: 'connected'; host: string}
  | {type: 'host-key-pinned'; host: string; fingerprint: string; file: string};

export interface ConnectOptions {
  /** Read-only known_hosts files (default ~/.ssh/known_hosts, ~/.ssh/known_hosts2). */
  knownHostsFiles?: string[];
  /** The tool's own known_hosts, where accepted keys are pinned (default ~/.config/personium-setup/known_hosts). */
  toolKnownHostsFile?: string;
  /** Non-interactive trust-on-first-use (for throwaway labs). Changed keys are refused regardless. */
  acceptNewHostKeys?: boolean;
  /** Interactive: show the fingerprint of an unknown key and ask. */
  confirmHostKey?: (host: string, fingerprint: string, keyType: string) => Promise<boolean>;
  /** Ask for a passphrase or password (no echo). Without it, secrets come only from the environment. */
  askSecret?: (prompt: string) => Promise<string>;
  /**
   * Take passwords from the environment: PERSONIUM_SETUP_SSH_PASSWORD and PERSONIUM_SETUP_SUDO_PASSWORD.
   * Default true.
   */
  passwordFromEnv?: boolean;
  /** Connect (handshake) timeout per attempt. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Connection attempts for unreachable hosts (auth and host key failures are not retried). Default 3. */
  retries?: number;
  /** First retry delay, doubled each time. Default 1000 ms. */
  retryDelayMs?: number;
  onEvent?: (event: HostEvent) => void;
  /** A bastion every host is reached through (overrides ProxyJump from ssh config). */
  jump?: HostSpec;
  /** Default ~/.ssh/config; '' or 'none' to read none. */
  sshConfigFile?: string;
  /** Parallel connection attempts in connectHosts. Default 8. */
  concurrency?: number;
}

export const SSH_PASSWORD_ENV = 'PERSONIUM_SETUP_SSH_PASSWORD';
export const SUDO_PASSWORD_ENV = 'PERSONIUM_SETUP_SUDO_PASSWORD';
