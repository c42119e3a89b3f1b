import { encodeKeyPart } from '../core/keys.js';
import type { PartitionKeys } from './keys.js';
import type { CompiledField, ModelSchema } from './schema.js';

/**
 * The index entries of a brand-new object, computed in TypeScript so that a batch create only
 * has to write them (scripts/insert-many.lua). This mirrors update_indexes() in
 * scripts/_object.lua for an object without a previous state; the store tests compare what both
 * paths write against an independent model of the indexes, so the two cannot drift apart.
 */
export interface NewEntries {
  /** Set key -> members. */
  readonly sets: Map<string, string[]>;
  /** Sorted set key -> flat (score, member) list. */
  readonly zsets: Map<string, string[]>;
  /** Lexical sorted set key -> flat (term, id) list; the script makes the members (lexm in _object.lua). */
  readonly lexes: Map<string, string[]>;
  /** Unique hash key -> flat (term, id) list. */
  readonly uniques: Map<string, string[]>;
}

/** An empty entry collection. */
export function newEntries(): NewEntries {
  return { sets: new Map(), zsets: new Map(), lexes: new Map(), uniques: new Map() };
}

function push<T>(map: Map<string, T[]>, key: string, ...values: T[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, values);
}

/** The lexical index member: the term with NUL escaped as NUL 0xFF, a NUL, then the id (bytes; lexm in _object.lua). */
export function lexMember(term: string, id: string): Buffer {
  const raw = Buffer.from(term, 'utf8');
  let zeros = 0;
  for (const byte of raw) if (byte === 0) zeros++;
  const escaped = Buffer.alloc(raw.length + zeros);
  let at = 0;
  for (const byte of raw) {
    escaped[at++] = byte;
    if (byte === 0) escaped[at++] = 255;
  }
  return Buffer.concat([escaped, Buffer.from([0]), Buffer.from(id, 'utf8')]);
}

function termOf(raw: ReadonlyMap<string, string>, field: CompiledField): string | undefined {
  return field.folded ? raw.get(`$t:${field.name}`) : raw.get(field.name);
}

/** Adds the entries of new object `id` (raw stored texts, folded terms under `$t:<field>`). */
export function addNewEntries(schema: ModelSchema, keys: PartitionKeys, id: string, raw: ReadonlyMap<string, string>, into: NewEntries): void {
  for (const field of schema.fields.values()) {
    const term = termOf(raw, field);
    if (term === undefined) continue;
    if (field.setIndex) {
      const terms = field.kind === 'array' ? new Set(JSON.parse(term) as string[]) : [term];
      for (const t of terms) push(into.sets, keys.eq(field.name, t), id);
    }
    if (field.scoreIndex) push(into.zsets, keys.score(field.name), raw.get(field.name) as string, id);
    if (field.lexIndex) push(into.lexes, keys.lex(field.name), term, id);
  }
  for (const field of schema.fields.values()) {
    const stored = field.plugin === undefined ? undefined : raw.get(`$x:${field.name}`);
    if (stored === undefined) continue;
    for (const [key, score] of JSON.parse(stored) as [string, number][]) push(into.zsets, keys.plugin(field.name, key), String(score), id);
  }
  for (const compound of schema.compounds) {
    const terms = compound.fields.map((name) => termOf(raw, schema.fields.get(name) as CompiledField));
    if (terms.some((t) => t === undefined)) continue;
    const last = terms.pop() as string;
    const key = keys.compound(compound.name, terms as string[]);
    if (compound.order === 'lex') push(into.lexes, key, last, id);
    else push(into.zsets, key, last, id);
  }
  if (schema.partitions > 1) return; // unique values then live in their own slots (unique-claims.ts)
  for (const unique of schema.uniques) {
    const terms = unique.fields.map((name) => termOf(raw, schema.fields.get(name) as CompiledField));
    if (terms.some((t) => t === undefined)) continue;
    const term = terms.length === 1 ? (terms[0] as string) : terms.map((t) => encodeKeyPart(t as string)).join(':');
    push(into.uniques, keys.unique(unique.name), term, id);
  }
}
