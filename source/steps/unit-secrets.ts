// Secrets the unit generates for itself: secret16 (token and data encryption key), the password
// salt and the master token. They are made once, kept on the first AP server (root, 0600), and
// read back on every later run: regenerating secret16 would invalidate every token and every
// encrypted value already issued.
import {randomInt} from 'node:crypto';
import {registerSecret} from '../run-log.js';
import {shellQuote} from '../hosts/quote.js';
import type {Host} from '../hosts/host.js';
import {PATHS} from '../plan/paths.js';

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

/**
 * The unit's secrets from the first AP server, made there now if it has none. Other AP servers
 * get the same values (the caller writes them with the unit config).
 */
export async function loadOrCreateUnitSecrets(host: Host, options: {checkOnly: boolean}): Promise<{secrets: UnitSecrets; created: boolean}> {
  const probe = await host.exec(`cat -- ${shellQuote(SECRETS_FILE)} 2>/dev/null`, {sudo: true});
  const existing = probe.code === 0 ? parseUnitSecrets(probe.stdout) : undefined;
  const secrets = existing ?? generateUnitSecrets();
  for (const value of Object.values(secrets)) registerSecret(value);
  if (!existing && !options.checkOnly) {
    await host.exec(`install -d -m 755 -- ${shellQuote(PATHS.secretsDir)}`, {sudo: true});
    await host.upload(`${JSON.stringify(secrets, null, 2)}\n`, SECRETS_FILE, {mode: 0o600, owner: 'root', group: 'root', sudo: true});
  }
  return {secrets, created: !existing};
}
