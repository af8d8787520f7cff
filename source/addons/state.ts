// What is installed on an AP host, read in one command: the jars and Ext_*.properties of the
// engine's extensions directory, the jars of core's plugin directory (with their manifests) and
// the OIDC keys of the unit config. And the pure difference between that and what is wanted.
import type {Host} from '../hosts/host.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import {EXTENSION_NAMES, type ExtensionName} from '../profile/schema.js';
import {parseProperties} from '../steps/render/properties.js';
import {parseManifest} from './jar.js';
import {installedOidc, sameKeys} from './oidc.js';

export interface InstalledJar {
  file: string;
  sha256: string;
  manifest: Map<string, string>;
}

export interface InstalledExtension {
  name: string;
  file: string;
  sha256: string;
  /** From the file name (personium-ex-NAME-VERSION[-libs].jar) or the manifest's Implementation-Version. */
  version?: string;
}

export interface InstalledAddons {
  host: string;
  extensions: Map<string, InstalledExtension>;
  /** Jars in the extensions directory that are not personium-ex-<known name> jars. */
  otherJars: InstalledJar[];
  /** Ext_<Class>.properties files by file name, with their text. */
  properties: Map<string, string>;
  pluginJars: InstalledJar[];
  /** The unit config's text (undefined when the file is missing). */
  unitConfig?: string;
  /** io.personium.plugin.oidc.<name>.* keys by provider name. */
  oidc: Map<string, Map<string, string>>;
  warnings: string[];
}

const SECTION = {ext: 'EXT', prop: 'PROP', plugin: 'PLUGIN', config: 'CONFIG', nounzip: 'NOUNZIP'} as const;

/** One shell script printing tab-separated records; file contents and manifests are base64. */
export function stateScript(paths: {extensionsDir: string; pluginsDir: string; unitConfig: string} = PATHS): string {
  const jars = (tag: string, dir: string) =>
    `for f in ${q(dir)}/*.jar; do [ -f "$f" ] || continue; s=$(sha256sum < "$f" | cut -d' ' -f1); m=$(unzip -p "$f" META-INF/MANIFEST.MF 2>/dev/null | base64 -w0); printf '${tag}\\t%s\\t%s\\t%s\\n' "\${f##*/}" "$s" "$m"; done`;
  return [
    `command -v unzip >/dev/null 2>&1 || printf '${SECTION.nounzip}\\n'`,
    jars(SECTION.ext, paths.extensionsDir),
    `for f in ${q(paths.extensionsDir)}/Ext_*.properties; do [ -f "$f" ] || continue; printf '${SECTION.prop}\\t%s\\t%s\\n' "\${f##*/}" "$(base64 -w0 < "$f")"; done`,
    jars(SECTION.plugin, paths.pluginsDir),
    `if [ -f ${q(paths.unitConfig)} ]; then printf '${SECTION.config}\\t%s\\n' "$(base64 -w0 < ${q(paths.unitConfig)})"; fi`,
    'exit 0',
  ].join('\n');
}

const b64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

/** "personium-ex-mailsender-1.5.4-libs.jar" → mailsender, 1.5.4; "personium-ex-mailsender.jar" → mailsender. */
export function extensionOfFile(file: string): {name: ExtensionName; version?: string} | undefined {
  // Longest names first, so "slack-messenger" is not read as "slack" with a version.
  for (const name of [...EXTENSION_NAMES].sort((a, b) => b.length - a.length)) {
    const match = new RegExp(`^personium-ex-${name.replace(/-/g, '\\-')}(?:-(\\d[\\w.]*?))?(?:-libs)?\\.jar$`).exec(file);
    if (match) return {name, ...(match[1] ? {version: match[1]} : {})};
  }
  return undefined;
}

export function parseState(host: string, stdout: string): InstalledAddons {
  const state: InstalledAddons = {host, extensions: new Map(), otherJars: [], properties: new Map(), pluginJars: [], oidc: new Map(), warnings: []};
  for (const line of stdout.split('\n')) {
    const [tag, ...fields] = line.split('\t');
    switch (tag) {
      case SECTION.nounzip:
        state.warnings.push(`${host}: unzip is not installed, so jar manifests (versions, Plugin-Class) cannot be read there`);
        break;
      case SECTION.ext: {
        const [file = '', sha256 = '', manifest] = fields;
        const known = extensionOfFile(file);
        const parsed = parseManifest(b64(manifest));
        if (!known) {
          state.otherJars.push({file, sha256, manifest: parsed});
          break;
        }
        const version = known.version ?? parsed.get('Implementation-Version') ?? parsed.get('Bundle-Version');
        state.extensions.set(known.name, {name: known.name, file, sha256, ...(version ? {version} : {})});
        break;
      }
      case SECTION.prop:
        state.properties.set(fields[0] ?? '', b64(fields[1]));
        break;
      case SECTION.plugin: {
        const [file = '', sha256 = '', manifest] = fields;
        state.pluginJars.push({file, sha256, manifest: parseManifest(b64(manifest))});
        break;
      }
      case SECTION.config:
        state.unitConfig = b64(fields[0]);
        break;
    }
  }
  if (state.unitConfig !== undefined) {
    try {
      state.oidc = installedOidc(parseProperties(state.unitConfig));
    } catch (error) {
      state.warnings.push(`${host}: the unit config cannot be read as properties: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    state.warnings.push(`${host}: ${PATHS.unitConfig} is missing (is Personium installed here?)`);
  }
  return state;
}

/** Read everything in one exec. */
export async function readInstalled(host: Host): Promise<InstalledAddons> {
  const result = await host.exec(`sh -c ${q(stateScript())}`, {sudo: true, timeoutMs: 120_000});
  if (result.code !== 0) throw new Error(`${host.name}: cannot read the installed extensions and plugins: ${(result.stderr || result.stdout).trim()}`);
  return parseState(host.name, result.stdout);
}

// ---------------------------------------------------------------------------------------------

export interface WantedExtension {
  name: string;
  version: string;
  /** SHA-256 of the verified jar, when resolved (decides "update" over the version). */
  sha256?: string;
  /** Ext_<Class>.properties file name and text, for extensions with settings. */
  properties?: {file: string; content: string};
}

export interface WantedPluginJar {
  file: string;
  sha256: string;
  pluginClass: string;
}

export interface WantedAddons {
  extensions: WantedExtension[];
  oidc: Map<string, Map<string, string>>;
  pluginJars: WantedPluginJar[];
  /** Plugin jar file names to remove (only jars named here are ever removed from core's plugin directory). */
  removePluginJars: string[];
}

export interface Change<T> {
  name: string;
  /** Why: new, another version or hash, other settings, no longer wanted. */
  reason: string;
  item?: T;
}

export interface Diff<T> {
  add: Array<Change<T>>;
  update: Array<Change<T>>;
  remove: Array<Change<T>>;
  unchanged: string[];
}

export interface AddonsDiff {
  extensions: Diff<WantedExtension>;
  /** Ext_*.properties files that no wanted extension writes (removed). */
  staleProperties: string[];
  oidc: Diff<Map<string, string>>;
  pluginJars: Diff<WantedPluginJar>;
}

const emptyDiff = <T>(): Diff<T> => ({add: [], update: [], remove: [], unchanged: []});

export function diffAddons(installed: InstalledAddons, wanted: WantedAddons): AddonsDiff {
  const extensions = emptyDiff<WantedExtension>();
  const wantedProps = new Set<string>();
  for (const ext of wanted.extensions) {
    if (ext.properties) wantedProps.add(ext.properties.file);
    const have = installed.extensions.get(ext.name);
    if (!have) {
      extensions.add.push({name: ext.name, reason: `new (${ext.version})`, item: ext});
      continue;
    }
    const jarDiffers = ext.sha256 !== undefined ? have.sha256 !== ext.sha256 : have.version !== ext.version;
    const propsDiffer = ext.properties !== undefined && installed.properties.get(ext.properties.file) !== ext.properties.content;
    if (jarDiffers) extensions.update.push({name: ext.name, reason: have.version && have.version !== ext.version ? `${have.version} → ${ext.version}` : `jar differs (→ ${ext.version})`, item: ext});
    else if (propsDiffer) extensions.update.push({name: ext.name, reason: `settings (${ext.properties!.file})`, item: ext});
    else extensions.unchanged.push(ext.name);
  }
  const wantedNames = new Set(wanted.extensions.map(e => e.name));
  for (const [name, have] of installed.extensions) {
    if (!wantedNames.has(name)) extensions.remove.push({name, reason: `not wanted (${have.file})`});
  }
  const staleProperties = [...installed.properties.keys()].filter(file => !wantedProps.has(file)).sort();

  const oidc = emptyDiff<Map<string, string>>();
  for (const [name, keys] of wanted.oidc) {
    const have = installed.oidc.get(name);
    if (!have) oidc.add.push({name, reason: 'new', item: keys});
    else if (!sameKeys(have, keys)) oidc.update.push({name, reason: 'other settings', item: keys});
    else oidc.unchanged.push(name);
  }
  for (const name of installed.oidc.keys()) if (!wanted.oidc.has(name)) oidc.remove.push({name, reason: 'not wanted'});

  const pluginJars = emptyDiff<WantedPluginJar>();
  for (const jar of wanted.pluginJars) {
    const have = installed.pluginJars.find(p => p.file === jar.file);
    if (!have) pluginJars.add.push({name: jar.file, reason: `new (${jar.pluginClass})`, item: jar});
    else if (have.sha256 !== jar.sha256) pluginJars.update.push({name: jar.file, reason: 'content differs', item: jar});
    else pluginJars.unchanged.push(jar.file);
  }
  const keep = new Set(wanted.pluginJars.map(j => j.file));
  for (const file of wanted.removePluginJars) {
    if (!keep.has(file) && installed.pluginJars.some(p => p.file === file)) pluginJars.remove.push({name: file, reason: 'removed'});
  }
  return {extensions, staleProperties, oidc, pluginJars};
}

/** How many things the difference changes. */
export function diffSize(diff: AddonsDiff): number {
  const size = (d: Diff<unknown>) => d.add.length + d.update.length + d.remove.length;
  return size(diff.extensions) + size(diff.oidc) + size(diff.pluginJars) + diff.staleProperties.length;
}
