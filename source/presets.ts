// Presets are data (presets/*.json); this module validates and serves them.
import {readFileSync} from 'node:fs';
import * as z from 'zod';
import {EXTENSION_NAMES, PATTERNS, ROLES} from './profile/schema.js';
import {zHttpUrl} from './profile/fields.js';

const presetsDir = new URL('../presets/', import.meta.url);

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/).nullable();

const Artifact = z.strictObject({
  version: z.string().min(1),
  url: zHttpUrl,
  sha256: Sha256.optional(),
  sha512: z.string().regex(/^[0-9a-f]{128}$/).optional(),
  checksumUrl: zHttpUrl.optional(),
});

export const VersionSet = z.strictObject({
  id: z.string().min(1),
  label: z.string().min(1),
  core: Artifact.extend({reportedVersion: z.string()}),
  engine: Artifact,
  elasticsearch: Artifact.extend({protocol: z.enum(['rest', 'transport']), port: z.number().int()}),
  tomcat: Artifact,
  activemq: Artifact,
  jdk: z.strictObject({
    version: z.literal('17'),
    packages: z.strictObject({apt: z.string(), dnf: z.string()}),
    tarball: Artifact,
  }),
  memcached: z.strictObject({source: z.literal('distribution')}),
  nginx: z.strictObject({source: z.literal('distribution')}),
  unitConfig: z.strictObject({
    esHostsPort: z.number().int(),
    /** core <= 1.8.0 needs io.personium.core.es.cluster.name; 1.8.1 dropped it. */
    esClusterName: z.boolean(),
    /** core 1.8.2 made the logback MDC eventlog_path a full directory path. */
    eventLogPattern: z.enum(['relative', 'full-path']),
  }),
  extensions: z.literal('default'),
});
export type VersionSet = z.infer<typeof VersionSet>;

const ExtensionArtifact = Artifact.extend({jsClass: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/)});
export type ExtensionArtifact = z.infer<typeof ExtensionArtifact>;

export const VersionMatrix = z
  .strictObject({
    $comment: z.string().optional(),
    default: z.string(),
    sets: z.array(VersionSet).min(1),
    extensions: z.strictObject(Object.fromEntries(EXTENSION_NAMES.map(name => [name, ExtensionArtifact])) as Record<
      (typeof EXTENSION_NAMES)[number],
      typeof ExtensionArtifact
    >),
  })
  .refine(m => m.sets.some(s => s.id === m.default), {error: 'default names no version set'});
export type VersionMatrix = z.infer<typeof VersionMatrix>;

export const PatternPreset = z.strictObject({
  id: z.enum(PATTERNS),
  title: z.string(),
  summary: z.string(),
  needs: z.string(),
  hosts: z.array(z.strictObject({name: z.string(), address: z.string(), roles: z.array(z.enum(ROLES))})),
  /** Partial answers, validated against the profile schema when merged (see the presets test). */
  defaults: z.record(z.string(), z.unknown()),
});
export type PatternPreset = z.infer<typeof PatternPreset>;

const PatternFile = z.strictObject({$comment: z.string().optional(), patterns: z.array(PatternPreset)});

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, presetsDir), 'utf8'));
}

let matrix: VersionMatrix | undefined;
export function versionMatrix(): VersionMatrix {
  matrix ??= VersionMatrix.parse(readJson('versions.json'));
  return matrix;
}

let patterns: PatternPreset[] | undefined;
export function patternPresets(): PatternPreset[] {
  patterns ??= PatternFile.parse(readJson('patterns.json')).patterns;
  return patterns;
}

export function patternPreset(id: (typeof PATTERNS)[number]): PatternPreset {
  const preset = patternPresets().find(p => p.id === id);
  if (!preset) throw new Error(`presets/patterns.json has no pattern ${id}`);
  return preset;
}

/** Resolve "latest" (or an id) to a version set; undefined when unknown. */
export function findVersionSet(id: string): VersionSet | undefined {
  const m = versionMatrix();
  const wanted = id === 'latest' ? m.default : id;
  return m.sets.find(s => s.id === wanted);
}

export function presetsPath(): string {
  return presetsDir.pathname;
}
