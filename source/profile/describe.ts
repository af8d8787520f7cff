// Every answers-file key with its type, default and description, walked from the JSON Schema
// that zod generates. docs/answers-file.md holds this table; a test keeps the two in sync.
import * as z from 'zod';
import {Profile} from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
}

export interface KeyDoc {
  key: string;
  type: string;
  required: boolean;
  default?: string;
  description: string;
}

export function answersJsonSchema(): JsonSchema {
  return z.toJSONSchema(Profile, {io: 'input', unrepresentable: 'any'}) as JsonSchema;
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map(v => JSON.stringify(v)).join(' \\| ');
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  if (schema.type === 'object') return 'object';
  if (schema.type === 'integer') {
    return schema.minimum !== undefined && schema.maximum !== undefined ? `integer ${schema.minimum}–${schema.maximum}` : 'integer';
  }
  return Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
}

export function describeKeys(): KeyDoc[] {
  const out: KeyDoc[] = [];
  const walk = (schema: JsonSchema, prefix: string, required: boolean) => {
    const variants = schema.anyOf ?? schema.oneOf;
    const objectVariants = variants?.filter(v => v.properties);
    if (prefix !== '') {
      out.push({
        key: prefix,
        type: typeOf(schema),
        required,
        default: schema.default === undefined ? undefined : JSON.stringify(schema.default),
        description: schema.description ?? '',
      });
    }
    if (schema.properties) {
      for (const [name, child] of Object.entries(schema.properties)) {
        walk(child, prefix ? `${prefix}.${name}` : name, schema.required?.includes(name) ?? false);
      }
    } else if (objectVariants && objectVariants.length > 0) {
      // Tagged unions (auth.method, https.mode): list each variant's keys once, noting the tag.
      const byName = new Map<string, JsonSchema[]>();
      for (const variant of objectVariants) {
        for (const [name, child] of Object.entries(variant.properties!)) byName.set(name, [...(byName.get(name) ?? []), child]);
      }
      for (const [name, children] of byName) {
        const tags = children.every(c => c.const !== undefined);
        const merged: JsonSchema = tags ? {enum: children.map(c => c.const), description: 'Which of the forms below'} : children[0]!;
        walk(merged, `${prefix}.${name}`, tags);
      }
    } else if (schema.type === 'array' && schema.items?.properties) {
      walk({...schema.items, description: undefined}, `${prefix}[]`, false);
      out.splice(out.findIndex(k => k.key === `${prefix}[]`), 1);
    }
  };
  walk(answersJsonSchema(), '', true);
  return out;
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function keysMarkdownTable(): string {
  const rows = describeKeys().map(
    k => `| \`${k.key}\` | ${k.type.replace(/(?<!\\)\|/g, '\\|')} | ${k.required ? 'yes' : ''} | ${k.default ? `\`${escapeCell(k.default)}\`` : ''} | ${escapeCell(k.description)} |`,
  );
  return ['| key | type | required | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

export const TABLE_BEGIN = '<!-- BEGIN generated keys: npm run docs -->';
export const TABLE_END = '<!-- END generated keys -->';

export function replaceKeysTable(markdown: string): string {
  const begin = markdown.indexOf(TABLE_BEGIN);
  const end = markdown.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error('docs/answers-file.md lacks the generated-keys markers');
  return `${markdown.slice(0, begin + TABLE_BEGIN.length)}\n${keysMarkdownTable()}\n${markdown.slice(end)}`;
}
