// Installed beside wanted, per AP host, for the terminal and the log.
import type {VersionMatrix} from '../presets.js';
import {providerFromKeys} from './oidc.js';
import type {AddonsDiff, Diff, InstalledAddons, WantedAddons} from './state.js';

function verdict<T>(diff: Diff<T>, name: string): string {
  const find = (list: Diff<T>['add']) => list.find(c => c.name === name);
  const add = find(diff.add);
  if (add) return `add: ${add.reason}`;
  const update = find(diff.update);
  if (update) return `update: ${update.reason}`;
  const remove = find(diff.remove);
  if (remove) return `remove: ${remove.reason}`;
  return diff.unchanged.includes(name) ? 'unchanged' : 'left as is';
}

/** "1.5.4", or the wanted version when the jar's hash is the verified one, or "installed". */
export function installedVersion(installed: InstalledAddons, name: string, wanted: WantedAddons): string | undefined {
  const have = installed.extensions.get(name);
  if (!have) return undefined;
  if (have.version) return have.version;
  const want = wanted.extensions.find(e => e.name === name);
  return want?.sha256 && want.sha256 === have.sha256 ? want.version : 'unknown version';
}

export function renderAddonsTable(installed: InstalledAddons, wanted: WantedAddons, diff: AddonsDiff, matrix: VersionMatrix): string[] {
  const rows: Array<[string, string, string, string]> = [];
  const extNames = [...new Set([...installed.extensions.keys(), ...wanted.extensions.map(e => e.name)])].sort();
  for (const name of extNames) {
    const want = wanted.extensions.find(e => e.name === name);
    const known = (matrix.extensions as Record<string, {version: string}>)[name];
    rows.push([`extension ${name}`, installedVersion(installed, name, wanted) ?? '-', want ? `${want.version}${want.properties ? ` + ${want.properties.file}` : ''}` : known ? '-' : '?', verdict(diff.extensions, name)]);
  }
  for (const file of diff.staleProperties) rows.push([`  ${file}`, 'present', '-', 'remove']);
  const providers = [...new Set([...installed.oidc.keys(), ...wanted.oidc.keys()])].sort();
  for (const name of providers) {
    const have = installed.oidc.get(name);
    const want = wanted.oidc.get(name);
    const describe = (keys: Map<string, string>) => providerFromKeys(name, keys).configURL ?? '(no configURL)';
    rows.push([`oidc ${name}`, have ? describe(have) : '-', want ? describe(want) : '-', verdict(diff.oidc, name)]);
  }
  const jars = [...new Set([...installed.pluginJars.map(j => j.file), ...wanted.pluginJars.map(j => j.file)])].sort();
  for (const file of jars) {
    const have = installed.pluginJars.find(j => j.file === file);
    const want = wanted.pluginJars.find(j => j.file === file);
    rows.push([`plugin ${file}`, have ? (have.manifest.get('Plugin-Class') ?? 'no Plugin-Class') : '-', want ? want.pluginClass : '-', verdict(diff.pluginJars, file)]);
  }
  for (const jar of installed.otherJars) rows.push([`jar ${jar.file}`, 'present', '-', 'left as is (not an official extension)']);
  const head: [string, string, string, string] = ['', 'installed', 'wanted', ''];
  if (rows.length === 0) return [`[${installed.host}] no engine extensions, OIDC providers or plugin jars installed or wanted`];
  const width = (i: number) => Math.max(head[i]!.length, ...rows.map(r => r[i]!.length));
  const line = (r: [string, string, string, string]) => `  ${r[0].padEnd(width(0))}  ${r[1].padEnd(width(1))}  ${r[2].padEnd(width(2))}  ${r[3]}`.trimEnd();
  return [`[${installed.host}] extensions and auth plugins:`, line(head), ...rows.map(line)];
}
