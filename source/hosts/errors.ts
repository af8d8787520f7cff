// Connection failures in three kinds the operator acts on differently: the host cannot be
// reached (network, retried), it refused us (credentials), or it is not who it claims (host key).
// Messages are meant to be read by a person; no stack trace is needed to understand them.

export class HostError extends Error {
  constructor(
    readonly host: string,
    message: string,
    options?: {cause?: unknown},
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** TCP connect refused or timed out, DNS failure, handshake timeout. Retried with backoff. */
export class HostUnreachableError extends HostError {}

/** Authentication failed, missing agent or key, wrong passphrase, sudo not allowed. Not retried. */
export class HostAuthError extends HostError {}

/** Host key unknown and not accepted, changed or revoked. Never retried. */
export class HostKeyError extends HostError {}

/** A command could not be run or a file could not be written/read. */
export class HostCommandError extends HostError {}
