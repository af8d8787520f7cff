// OpenID Connect providers of the built-in OIDC plugin, as io.personium.plugin.oidc.<name>.*
// keys of the unit config: the keys a provider becomes, the providers a config holds, and a
// merge that changes only those keys and leaves every other line of the file as it was.
import type {Profile} from '../profile/schema.js';
import {parseProperties, renderProperties} from '../steps/render/properties.js';

export type OidcProvider = Profile['authPlugins']['oidc'][number];

export const OIDC_PREFIX = 'io.personium.plugin.oidc.';

/** The keys one provider becomes, in the order the installer writes them. */
export function oidcKeys(provider: OidcProvider): Map<string, string> {
  const prefix = `${OIDC_PREFIX}${provider.name}.`;
  const keys = new Map<string, string>([
    [`${prefix}enabled`, 'true'],
    [`${prefix}configURL`, provider.configURL],
    [`${prefix}trustedClientIds`, provider.trustedClientIds.join(' ')],
  ]);
  if (provider.pluginName !== undefined) keys.set(`${prefix}pluginName`, provider.pluginName);
  if (provider.accountType !== undefined) keys.set(`${prefix}accountType`, provider.accountType);
  if (provider.accountNameKey !== undefined) keys.set(`${prefix}accountNameKey`, provider.accountNameKey);
  if (provider.grantType !== undefined) keys.set(`${prefix}grantType`, provider.grantType);
  return keys;
}

/** The provider a key belongs to (`io.personium.plugin.oidc.<name>.<field>`), if any. */
export function oidcProviderOf(key: string): string | undefined {
  if (!key.startsWith(OIDC_PREFIX)) return undefined;
  const rest = key.slice(OIDC_PREFIX.length);
  const dot = rest.lastIndexOf('.');
  return dot > 0 ? rest.slice(0, dot) : undefined;
}

/** Every provider's keys found in a unit config, by provider name. */
export function installedOidc(config: Map<string, string>): Map<string, Map<string, string>> {
  const providers = new Map<string, Map<string, string>>();
  for (const [key, value] of config) {
    const name = oidcProviderOf(key);
    if (name === undefined) continue;
    if (!providers.has(name)) providers.set(name, new Map());
    providers.get(name)!.set(key, value);
  }
  return providers;
}

/** The provider as the profile describes it, read back from its keys (for showing what is installed). */
export function providerFromKeys(name: string, keys: Map<string, string>): {name: string; configURL?: string; trustedClientIds: string[]; enabled: boolean} {
  const get = (field: string) => keys.get(`${OIDC_PREFIX}${name}.${field}`);
  return {name, configURL: get('configURL'), trustedClientIds: (get('trustedClientIds') ?? '').split(/\s+/).filter(Boolean), enabled: get('enabled') === 'true'};
}

export function sameKeys(a: Map<string, string> | undefined, b: Map<string, string> | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** Physical lines grouped into logical ones (a trailing odd backslash continues a line). */
function logicalLines(text: string): string[][] {
  const physical = text.split('\n');
  const groups: string[][] = [];
  for (let i = 0; i < physical.length; i++) {
    const group = [physical[i]!];
    const continues = (line: string) => {
      const body = line.replace(/\r$/, '');
      const trimmed = body.trimStart();
      if (trimmed.startsWith('#') || trimmed.startsWith('!')) return false;
      let count = 0;
      for (let k = body.length - 1; k >= 0 && body[k] === '\\'; k--) count++;
      return count % 2 === 1;
    };
    while (continues(group.at(-1)!) && i + 1 < physical.length) group.push(physical[++i]!);
    groups.push(group);
  }
  return groups;
}

function keyOfLine(group: string[]): string | undefined {
  const text = group.join('\n');
  const trimmed = text.trimStart();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return undefined;
  const [key] = parseProperties(text).keys();
  return key;
}

/**
 * The unit config with the keys of the named providers replaced: `changes` maps a provider name
 * to its new keys, or to undefined to remove it. A changed provider's block takes the place of
 * its first old key; a new one is appended at the end. Every other line stays byte for byte,
 * and removing what was added gives back the original text.
 */
export function mergeOidcProperties(text: string, changes: Map<string, Map<string, string> | undefined>): string {
  const groups = logicalLines(text);
  // A final newline gives an empty last element; keep it out of the way of appends.
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) groups.pop();
  const out: string[][] = [];
  const placed = new Set<string>();
  for (const group of groups) {
    const key = keyOfLine(group);
    const provider = key === undefined ? undefined : oidcProviderOf(key);
    if (provider === undefined || !changes.has(provider)) {
      out.push(group);
      continue;
    }
    if (placed.has(provider)) continue;
    placed.add(provider);
    const keys = changes.get(provider);
    if (keys) out.push(renderKeys(keys));
  }
  const appended: string[][] = [];
  for (const [provider, keys] of changes) {
    if (placed.has(provider) || !keys) continue;
    appended.push(renderKeys(keys));
  }
  // Appended right after the last line (no blank line of its own), so adding and then removing
  // a provider gives back the file byte for byte.
  out.push(...appended);
  const body = out.map(group => group.join('\n')).join('\n');
  return endsWithNewline || appended.length > 0 ? `${body}\n` : body;
}

function renderKeys(keys: Map<string, string>): string[] {
  return renderProperties([...keys].map(([key, value]) => ({key, value}))).trimEnd().split('\n');
}
