// Secrets the unit generates for itself: secret16 (token and data encryption key), the password
// salt and the master token. They are made once, kept on the first AP server (root, 0600), and
// read back on every later run: regenerating secret16 would invalidate every token and every
// encrypted value already issued, and a new salt every password. So they are looked for on every
// AP server, in the tool's file and in the unit config, and made only where neither has them.
import {randomInt} from 'node:crypto';
import {registerSecret} from '../run-log.js';
import {shellQuote} from '../hosts/quote.js';
import type {Host} from '../hosts/host.js';
import {PATHS} from '../plan/paths.js';
import {parseProperties} from './render/properties.js';

export interface UnitSecrets {
  secret16: string;
  salt: string;
  masterToken: string;
}

export const SECRETS_FILE = `${PATHS.secretsDir}/setup-secrets.json`;

const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(length: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function generateUnitSecrets(): UnitSecrets {
  return {
    // 16 characters, as core's AES key; [a-z0-9] like the official tooling.
    secret16: randomString(16, LOWER_DIGITS),
    salt: randomString(16),
    masterToken: randomString(40),
  };
}

export function parseUnitSecrets(text: string): UnitSecrets | undefined {
  try {
    const value = JSON.parse(text) as Partial<UnitSecrets>;
    if (typeof value.secret16 === 'string' && value.secret16.length === 16 && typeof value.salt === 'string' && typeof value.masterToken === 'string') {
      return {secret16: value.secret16, salt: value.salt, masterToken: value.masterToken};
    }
  } catch {
    // fall through: unreadable means absent
  }
  return undefined;
}

/** What one AP server holds: the tool's secrets file and the secrets its unit config carries. */
export interface ServerSecrets {
  host: string;
  file?: UnitSecrets;
  /** security.secret16, the password salt and the master token, where the unit config has them. */
  config: Partial<UnitSecrets>;
}

/**
 * Refuses to go on: making new secrets here would lock every user out of a unit that exists
 * (secret16 encrypts tokens and values, the salt hashes every password).
 */
export class UnitSecretsError extends Error {
  override name = 'UnitSecretsError';
}

/** Read-only, as root: the secrets file (or '#absent') and the unit config. */
function readScript(): string {
  const file = shellQuote(SECRETS_FILE);
  const config = shellQuote(PATHS.unitConfig);
  return `if [ -e ${file} ]; then cat -- ${file} || exit 4; else echo '#absent'; fi; printf '\\n#config\\n'; if [ -e ${config} ]; then cat -- ${config} || exit 4; fi`;
}

async function readServerSecrets(host: Host): Promise<ServerSecrets> {
  const result = await host.exec(readScript(), {sudo: true});
  if (result.code !== 0) throw new UnitSecretsError(`${host.name}: cannot read ${SECRETS_FILE} or ${PATHS.unitConfig} (exit ${result.code}: ${result.stderr.trim().split('\n').at(-1) ?? ''}); new unit secrets are never made while the old ones may exist`);
  const [fileText = '', configText = ''] = result.stdout.split(/^#config$/m);
  const file = fileText.trim() === '#absent' ? undefined : parseUnitSecrets(fileText);
  if (fileText.trim() !== '#absent' && !file) throw new UnitSecretsError(`${host.name}: ${SECRETS_FILE} is damaged (not the JSON the tool writes); restore it from a backup (its values are also in ${PATHS.unitConfig}: security.secret16 and security.auth.password.salt)`);
  const props = parseProperties(configText);
  const config: Partial<UnitSecrets> = {};
  const secret16 = props.get('io.personium.core.security.secret16');
  const salt = props.get('io.personium.core.security.auth.password.salt');
  const masterToken = props.get('io.personium.core.masterToken');
  if (secret16) config.secret16 = secret16;
  if (salt) config.salt = salt;
  if (masterToken) config.masterToken = masterToken;
  return {host: host.name, ...(file ? {file} : {}), config};
}

/**
 * The unit's secrets, decided from what every AP server holds: the tool's secrets file where one
 * has it (all files must agree), else the secret16 and salt a unit config already carries (a unit
 * installed by hand, or a lost file), else new ones. Never new ones when an existing value could
 * not be read. Pure, so every case is tested without a server.
 */
export function decideUnitSecrets(found: ServerSecrets[], generate: () => UnitSecrets = generateUnitSecrets): {secrets: UnitSecrets; source: 'file' | 'unit-config' | 'new'; from?: string} {
  const files = found.filter(f => f.file);
  if (files.length > 0) {
    const first = files[0]!;
    const other = files.find(f => f.file!.secret16 !== first.file!.secret16 || f.file!.salt !== first.file!.salt);
    if (other) throw new UnitSecretsError(`${first.host} and ${other.host} hold different unit secrets in ${SECRETS_FILE}; they must be one unit's: copy the right file to every AP server`);
    return {secrets: first.file!, source: 'file', from: first.host};
  }
  const configured = found.filter(f => f.config.secret16 || f.config.salt);
  if (configured.length > 0) {
    const first = configured[0]!;
    if (!first.config.secret16 || !first.config.salt) {
      throw new UnitSecretsError(`${first.host}: ${PATHS.unitConfig} has ${first.config.secret16 ? 'security.secret16 but no security.auth.password.salt' : 'a password salt but no security.secret16'}; add the missing one by hand (it is not made anew: existing passwords and tokens depend on it)`);
    }
    const other = configured.find(f => f.config.secret16 !== first.config.secret16 || f.config.salt !== first.config.salt);
    if (other) throw new UnitSecretsError(`${first.host} and ${other.host} have different security.secret16 or password salts in ${PATHS.unitConfig}; they must be one unit's`);
    return {secrets: {secret16: first.config.secret16, salt: first.config.salt, masterToken: first.config.masterToken ?? generate().masterToken}, source: 'unit-config', from: first.host};
  }
  return {secrets: generate(), source: 'new'};
}

/**
 * The unit's secrets (see decideUnitSecrets), read from every AP server; when they did not come
 * from the first AP server's secrets file, that file is written now, so later runs read them there.
 */
export async function loadOrCreateUnitSecrets(apHosts: Host[], options: {checkOnly: boolean}): Promise<{secrets: UnitSecrets; source: 'file' | 'unit-config' | 'new'}> {
  const found = await Promise.all(apHosts.map(readServerSecrets));
  const {secrets, source, from} = decideUnitSecrets(found);
  for (const value of Object.values(secrets)) registerSecret(value);
  const first = apHosts[0]!;
  if (!(source === 'file' && from === first.name) && !options.checkOnly) {
    // Only where the directory is missing: the personium step owns its mode and owner.
    await first.exec(`[ -d ${shellQuote(PATHS.secretsDir)} ] || install -d -m 750 -- ${shellQuote(PATHS.secretsDir)}`, {sudo: true});
    await first.upload(`${JSON.stringify(secrets, null, 2)}\n`, SECRETS_FILE, {mode: 0o600, owner: 'root', group: 'root', sudo: true});
  }
  return {secrets, source};
}
