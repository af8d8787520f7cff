// Answers: reading an answers file, merging every source of answers, and turning schema issues
// into one clear line per problem that names the answers-file key (and the flag, if there is one).
import {readFile} from 'node:fs/promises';
import {parseDocument} from 'yaml';
import type * as z from 'zod';
import {patternPreset} from '../presets.js';
import {checkUnitConfigKey, shardBudgetWarning} from './unit-config-keys.js';
import {findVersionSet} from '../presets.js';
import {PATTERNS, Profile, type Pattern} from './schema.js';

export type Answers = Record<string, unknown>;

export interface Problem {
  /** Answers-file key, e.g. hosts[0].auth.method ('' for the whole file). */
  key: string;
  message: string;
}

/** A usage or validation error: exit code 2, printed as a list without a stack trace. */
export class AnswersError extends Error {
  constructor(
    readonly source: string,
    readonly problems: Problem[],
  ) {
    super(`${source}: ${problems.map(p => (p.key ? `${p.key}: ${p.message}` : p.message)).join('; ')}`);
    this.name = 'AnswersError';
  }
}

/** Flags that set a profile key, so a missing answer can name both. */
export const FLAG_FOR_KEY: Record<string, string> = {
  pattern: '--pattern',
  'unit.fqdn': '--fqdn',
  'unit.cellUrlMode': '--cell-url-mode',
  'unit.publicAddress': '--public-address',
  'https.mode': '--https',
  versionSet: '--version-set',
  'hosts[0].address': '--host',
};

export function parseAnswersText(text: string, source: string): Answers {
  const doc = parseDocument(text, {prettyErrors: true, uniqueKeys: true});
  if (doc.errors.length > 0) {
    throw new AnswersError(
      source,
      doc.errors.map(error => ({key: '', message: error.message.split('\n')[0] ?? 'not valid YAML or JSON'})),
    );
  }
  const value: unknown = doc.toJS();
  if (value == null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AnswersError(source, [{key: '', message: 'an answers file is a mapping of keys (YAML or JSON object)'}]);
  }
  return value as Answers;
}

export async function loadAnswersFile(path: string): Promise<Answers> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new AnswersError(path, [{key: '', message: `cannot read the answers file (${why})`}]);
  }
  return parseAnswersText(text, path);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Later sources win; objects merge key by key, arrays and scalars are replaced whole. */
export function mergeAnswers(...sources: Array<Answers | undefined>): Answers {
  const out: Answers = {};
  for (const source of sources) {
    if (!source) continue;
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      const current = out[key];
      out[key] = isPlainObject(current) && isPlainObject(value) ? mergeAnswers(current, value) : value;
    }
  }
  return out;
}

/** The pattern's preset: its starting hosts and defaults, under everything the operator said. */
export function presetAnswers(pattern: Pattern): Answers {
  const preset = patternPreset(pattern);
  // Empty addresses in the preset stay unset, so validation reports them as missing answers.
  const hosts = preset.hosts.map(({address, ...host}) => (address ? {...host, address} : {...host, roles: [...host.roles]}));
  return {pattern, hosts, ...structuredClone(preset.defaults)};
}

export function keyOf(path: readonly PropertyKey[]): string {
  let key = '';
  for (const part of path) {
    if (typeof part === 'number') key += `[${part}]`;
    else key += key === '' ? String(part) : `.${String(part)}`;
  }
  return key;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Keys a strict object at this path accepts, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = Profile;
  for (const part of path) {
    schema = unwrap(schema);
    const def = (schema as unknown as {def: {type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType}}).def;
    if (def.type === 'object' && def.shape && typeof part === 'string') schema = def.shape[part]!;
    else if (def.type === 'array' && def.element) schema = def.element;
    else return [];
    if (!schema) return [];
  }
  schema = unwrap(schema);
  const def = (schema as unknown as {def: {type: string; shape?: Record<string, unknown>; options?: z.ZodType[]}}).def;
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def.type === 'union' && def.options) {
    return def.options.flatMap(option => {
      const d = (unwrap(option) as unknown as {def: {shape?: Record<string, unknown>}}).def;
      return d.shape ? Object.keys(d.shape) : [];
    });
  }
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as unknown as {def: {type: string; innerType?: unknown; in?: unknown}};
  for (let i = 0; i < 10; i++) {
    const {type} = current.def;
    if ((type === 'default' || type === 'optional' || type === 'nullable' || type === 'prefault') && current.def.innerType) {
      current = current.def.innerType as typeof current;
    } else if (type === 'pipe' && current.def.in) {
      current = current.def.in as typeof current;
    } else break;
  }
  return current as unknown as z.ZodType;
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const key = keyOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const unknown of issue.keys) {
        const hint = closest(unknown, known);
        problems.push({
          key: keyOf([...issue.path, unknown]),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : known.length > 0 ? ` (expected one of: ${known.join(', ')})` : ''}`,
        });
      }
      continue;
    }
    if (issue.code !== 'custom' && 'input' in issue && issue.input === undefined) {
      // A whole missing section is reported as its first required key.
      const missing = key === 'unit' ? 'unit.fqdn' : key;
      const flag = FLAG_FOR_KEY[missing];
      problems.push({key: missing, message: `missing answer${flag ? ` (give ${flag} or set ${missing} in the answers file)` : ''}`});
      continue;
    }
    problems.push({key, message: issue.message});
  }
  return problems;
}

export interface Validated {
  profile: Profile;
  /** Notices (cleaned values) and warnings (unknown unit-config keys); never fatal. */
  warnings: string[];
}

/** Validate merged answers; throws AnswersError listing every problem. */
export function validateAnswers(answers: Answers, source: string): Validated {
  const result = Profile.safeParse(answers, {reportInput: true});
  if (!result.success) throw new AnswersError(source, issuesToProblems(result.error.issues));
  const profile = result.data;
  const warnings: string[] = [];
  const set = findVersionSet(profile.versionSet);
  if (!set) {
    throw new AnswersError(source, [
      {key: 'versionSet', message: `unknown version set "${profile.versionSet}" (see personium-setup versions)`},
    ]);
  }
  for (const key of Object.keys(profile.unitConfig)) {
    const check = checkUnitConfigKey(key, set.id);
    if (!check.known) warnings.push(`unitConfig.${key}: ${check.reason}`);
  }
  const shardWarning = shardBudgetWarning(profile.unitConfig['io.personium.core.es.index.numberOfShards'], set.elasticsearch.version);
  if (shardWarning) warnings.push(`unitConfig.io.personium.core.es.index.numberOfShards: ${shardWarning}`);
  const fqdnInput = (answers.unit as Record<string, unknown> | undefined)?.fqdn;
  if (typeof fqdnInput === 'string' && fqdnInput !== profile.unit.fqdn) {
    warnings.push(`unit.fqdn: cleaned "${fqdnInput}" to "${profile.unit.fqdn}"`);
  }
  return {profile, warnings};
}

export function isPattern(value: unknown): value is Pattern {
  return typeof value === 'string' && (PATTERNS as readonly string[]).includes(value);
}
