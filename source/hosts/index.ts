// The hosts layer: everything else imports from here.
export type {ExecOptions, ExecResult, Host, UploadOptions} from './host.js';
export type {ConnectOptions, HostAuth, HostEvent, HostSpec, SudoMode} from './spec.js';
export {SSH_PASSWORD_ENV, SUDO_PASSWORD_ENV} from './spec.js';
export {HostAuthError, HostCommandError, HostError, HostKeyError, HostUnreachableError} from './errors.js';
export {command, raw, sh, shellQuote} from './quote.js';
export {connectHost, connectHosts, createConnector, type ConnectedHosts} from './connect.js';
export {SshHost} from './ssh-host.js';
export {LocalHost, type LocalHostOptions} from './local-host.js';
export {SUDOERS_FILE, sudoersHint, sudoersLine, type Privilege} from './sudo.js';
export {
  defaultToolKnownHostsFile,
  fingerprintSha256,
  parseKnownHosts,
  pinHostKey,
  verifyHostKey,
  type HostKeyCheck,
} from './known-hosts.js';
export {readSshConfig, type SshConfigHost} from './ssh-config.js';
export {FILE_FACTS_SCRIPT, fileFactsCommand, parseFileFacts, readFileFacts, type FileFact, type FileFactsAnswer, type FileFactsOptions} from './file-facts.js';
