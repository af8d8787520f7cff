// Jar files (zip archives) read on this machine: the entries of the central directory, one
// entry's bytes (stored or deflated), and the manifest's main attributes, so a plugin jar is
// checked for its Plugin-Class before anything is copied to a server.
import {inflateRawSync} from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class JarError extends Error {
  override name = 'JarError';
}

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

function centralDirectory(zip: Buffer): CentralEntry[] {
  if (zip.length < 22 || zip.readUInt32LE(0) !== LOCAL) throw new JarError('not a jar (zip) file');
  // The end-of-central-directory record sits in the last 22 + 65535 bytes (after a comment).
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new JarError('not a jar (zip) file: no central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) throw new JarError('damaged jar (zip) file: bad central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      localOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The names of a jar's entries. */
export function jarEntries(zip: Buffer): string[] {
  return centralDirectory(zip).map(e => e.name);
}

/** One entry's content, or undefined when the jar has no such entry. */
export function jarEntry(zip: Buffer, name: string): Buffer | undefined {
  const entry = centralDirectory(zip).find(e => e.name === name);
  if (!entry) return undefined;
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) throw new JarError(`damaged jar (zip) file: bad local header of ${name}`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new JarError(`${name} uses zip compression method ${entry.method}, which is not supported`);
}

/**
 * The main attributes of a MANIFEST.MF: "Name: value" lines up to the first blank line, with
 * continuation lines (a leading space) joined, as java.util.jar.Manifest reads them.
 */
export function parseManifest(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last !== undefined) {
      attributes.set(last, attributes.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    attributes.set(last, line.slice(colon + 1).trim());
  }
  return attributes;
}

/** The manifest of a jar (empty when it has none). */
export function jarManifest(zip: Buffer): Map<string, string> {
  const manifest = jarEntry(zip, 'META-INF/MANIFEST.MF');
  return manifest ? parseManifest(manifest.toString('utf8')) : new Map();
}

/** Plugin-Class of a core auth plugin jar; throws a JarError saying what is wrong otherwise. */
export function pluginClassOf(zip: Buffer, what: string): string {
  let manifest: Map<string, string>;
  try {
    manifest = jarManifest(zip);
  } catch (error) {
    throw new JarError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const pluginClass = manifest.get('Plugin-Class');
  if (!pluginClass) throw new JarError(`${what}: its META-INF/MANIFEST.MF names no Plugin-Class, so Personium core would not load it as an auth plugin`);
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(pluginClass)) throw new JarError(`${what}: Plugin-Class "${pluginClass}" is not a Java class name`);
  return pluginClass;
}
