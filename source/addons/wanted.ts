// What the profile wants on the AP hosts, made concrete: each extension's version and verified
// jar hash with its Ext_<Class>.properties text, each OIDC provider's keys, each plugin jar's
// bytes and Plugin-Class. Plugin jars and OIDC discovery documents are checked here, on this
// machine, before anything on a server is touched.
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {basename} from 'node:path';
import type {LocalArtifact} from '../artifacts/types.js';
import {readSecretRef} from '../cli/connect-profile.js';
import {expandHome} from '../hosts/ssh-config.js';
import type {VersionMatrix} from '../presets.js';
import type {ExtensionName, Profile} from '../profile/schema.js';
import {extensionPropertiesPath, renderExtensionProperties} from '../steps/render/extensions.js';
import {fetchPluginJar, JarDownloadError} from './jar-cache.js';
import {JarError, pluginClassOf} from './jar.js';
import {oidcKeys} from './oidc.js';
import type {WantedAddons, WantedExtension, WantedPluginJar} from './state.js';

/** A problem with what was asked for: nothing was changed (exit 2). */
export class AddonsError extends Error {
  override name = 'AddonsError';
}

export interface CheckedJar extends WantedPluginJar {
  source: string;
  bytes: Buffer;
}

const JAR_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/;

/**
 * Read a plugin jar (a path on this machine, or an http(s) URL) and check its Plugin-Class. A URL
 * is kept in the plugin jar cache and asked for again conditionally (see jar-cache.ts).
 */
export async function checkPluginJar(source: string, fetchImpl: typeof fetch = fetch, options: {cacheDir?: string} = {}): Promise<CheckedJar> {
  let bytes: Buffer;
  let file: string;
  if (/^https?:\/\//.test(source)) {
    file = decodeURIComponent(new URL(source).pathname.split('/').at(-1) ?? '');
    // The name is checked before the download, so nothing is fetched or cached for a refused URL.
    if (!JAR_NAME.test(file)) throw new AddonsError(`plugin jar ${source}: the file name must end in .jar (letters, digits, . _ + -)`);
    try {
      ({bytes} = await fetchPluginJar(source, {fetch: fetchImpl, ...(options.cacheDir === undefined ? {} : {cacheDir: options.cacheDir})}));
    } catch (error) {
      if (!(error instanceof JarDownloadError)) throw error;
      const what = error.status === undefined ? `cannot download it: ${error.message}` : error.message;
      // Never a silent fallback to a copy the server did not confirm: say it exists, and how to use it.
      const unreachable = error.status === undefined || error.status >= 500;
      const cached =
        unreachable && error.cached
          ? `; a cached copy downloaded ${error.cached.fetchedAt} exists (${error.cached.path}), but it is not used without the server confirming it is unchanged: to install it anyway, copy it to a file named ${file} and give that local path with --plugin-jar`
          : '';
      throw new AddonsError(`plugin jar ${source}: ${what}${cached}`);
    }
  } else {
    try {
      bytes = readFileSync(expandHome(source));
    } catch (error) {
      throw new AddonsError(`plugin jar ${source}: cannot read it: ${error instanceof Error ? error.message : String(error)}`);
    }
    file = basename(source);
  }
  if (!JAR_NAME.test(file)) throw new AddonsError(`plugin jar ${source}: the file name must end in .jar (letters, digits, . _ + -)`);
  let pluginClass: string;
  try {
    pluginClass = pluginClassOf(bytes, `plugin jar ${source}`);
  } catch (error) {
    if (error instanceof JarError) throw new AddonsError(error.message);
    throw error;
  }
  return {source, file, bytes, pluginClass, sha256: createHash('sha256').update(bytes).digest('hex')};
}

export type DiscoveryResult = {reachable: true; issuer: string} | {reachable: false; message: string};

/**
 * Fetch an OIDC discovery document. Unreachable from here: a warning for the caller (the servers
 * may see it where this machine does not). Reachable but not an OpenID configuration with an
 * issuer: an AddonsError.
 */
export async function checkDiscovery(name: string, url: string, fetchImpl: typeof fetch = fetch, timeoutMs = 10_000): Promise<DiscoveryResult> {
  let response: Response;
  try {
    response = await fetchImpl(url, {signal: AbortSignal.timeout(timeoutMs), headers: {accept: 'application/json'}});
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    return {reachable: false, message: `OIDC provider ${name}: ${url} cannot be reached from this machine (${cause}); the AP servers may still reach it`};
  }
  const text = await response.text();
  if (!response.ok) throw new AddonsError(`OIDC provider ${name}: ${url} answered HTTP ${response.status}, not an OpenID configuration`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new AddonsError(`OIDC provider ${name}: ${url} did not answer JSON, so it is not an OpenID configuration (…/.well-known/openid-configuration)`);
  }
  const issuer = typeof document === 'object' && document !== null ? (document as Record<string, unknown>).issuer : undefined;
  if (typeof issuer !== 'string' || issuer === '') throw new AddonsError(`OIDC provider ${name}: ${url} answered JSON without an "issuer", so it is not an OpenID configuration`);
  return {reachable: true, issuer};
}

/** The Ext_<Class>.properties an extension gets (only mailsender and slack-messenger take settings). */
export function extensionProperties(profile: Profile, name: ExtensionName): WantedExtension['properties'] {
  const file = (n: 'mailsender' | 'slack-messenger') => extensionPropertiesPath(n).split('/').at(-1)!;
  if (name === 'mailsender' && profile.extensions.mailsender) {
    const m = profile.extensions.mailsender;
    return {
      file: file('mailsender'),
      content: renderExtensionProperties('mailsender', {smtpHost: m.smtpHost, smtpPort: m.smtpPort, smtpUser: m.smtpUser, smtpPassword: m.smtpPassword ? readSecretRef(m.smtpPassword) : undefined, tls: m.tls}),
    };
  }
  const slack = profile.extensions['slack-messenger'];
  if (name === 'slack-messenger' && slack) {
    return {
      file: file('slack-messenger'),
      content: renderExtensionProperties('slack-messenger', {token: slack.token ? readSecretRef(slack.token) : undefined, channel: slack.channel, proxyHost: slack.proxyHost, proxyPort: slack.proxyPort}),
    };
  }
  return undefined;
}

export function wantedAddons(profile: Profile, matrix: VersionMatrix, artifacts: Map<string, LocalArtifact>, jars: CheckedJar[], removePluginJars: string[] = []): WantedAddons {
  const extensions: WantedExtension[] = [];
  for (const [name, settings] of Object.entries(profile.extensions) as Array<[ExtensionName, unknown]>) {
    if (settings === undefined) continue;
    const entry = matrix.extensions[name];
    const properties = extensionProperties(profile, name);
    const sha256 = artifacts.get(name)?.sha256;
    extensions.push({name, version: entry.version, ...(sha256 ? {sha256} : {}), ...(properties ? {properties} : {})});
  }
  return {
    extensions,
    oidc: new Map(profile.authPlugins.oidc.map(p => [p.name, oidcKeys(p)])),
    pluginJars: jars.map(({file, sha256, pluginClass}) => ({file, sha256, pluginClass})),
    removePluginJars,
  };
}
