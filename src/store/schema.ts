import { InvalidArgumentError } from '../core/errors.js';
import { parseDuration } from '../core/durations.js';
import type { Duration } from '../core/durations.js';
import { JSON_CODEC, SCALAR_CODECS } from './fields.js';
import type { FieldDefinition, FieldKind, IndexPlugin, ScalarKind } from './fields.js';
import type { TextIndexing } from '../search/text-field.js';
import { tokenStream } from '../search/text-stream.js';
import type { FieldMap } from './types.js';

/** A compound ordered index: equality on the leading fields, order/range on the last. */
export interface CompoundIndexOptions<K extends string> {
  readonly fields: readonly K[];
}

/** Options of `kr.model(name, fields, options)`. */
export interface ModelOptions<M extends FieldMap> {
  /** Partitions; each is one cluster slot. Queries scatter to all of them. @defaultValue 1 */
  partitions?: number;
  /** Name used in keys instead of the model name (shorter keys, or renames). @defaultValue the model name */
  keyName?: string;
  /** Default time to live of every object; `expire()` sets one per object. @defaultValue none */
  ttl?: Duration;
  /** Where ids come from when a create gives none. @defaultValue 'incremental' */
  id?: 'incremental' | 'time-ordered' | (() => string);
  /** Compound ordered indexes by name. */
  indexes?: Readonly<Record<string, CompoundIndexOptions<keyof M & string>>>;
  /** Unique constraints over several fields together, by name. */
  unique?: Readonly<Record<string, readonly (keyof M & string)[]>>;
  /** What to do with fields not in the schema: reject the write, or drop them. @defaultValue 'error' */
  unknownFields?: 'error' | 'strip';
}

/** How a field is indexed in Redis. */
export type IndexKind = 'set' | 'score' | 'lex';

/** A compiled field. */
export interface CompiledField {
  readonly name: string;
  readonly definition: FieldDefinition;
  readonly kind: FieldKind;
  /** The scalar kind of the value or of each array element. */
  readonly scalar: ScalarKind | undefined;
  /** Equality set index (strings, booleans, arrays). */
  readonly setIndex: boolean;
  /** Score index (numbers, integers, dates with index() or sortable()). */
  readonly scoreIndex: boolean;
  /** Lexical index (sortable strings). */
  readonly lexIndex: boolean;
  /** Fold case for set/lex/unique terms (stored as a hidden `$t:` field). */
  readonly folded: boolean;
  /** Single-field unique constraint. */
  readonly unique: boolean;
  /** A plug-in index kind, whose entries are stored with the object as `$x:<field>`. */
  readonly plugin: IndexPlugin<never, never> | undefined;
  /** Full-text indexing; the token stream is stored with the object as `$w:<field>`. */
  readonly text: TextIndexing | undefined;
}

/** A compiled unique constraint. */
export interface CompiledUnique {
  readonly name: string;
  readonly fields: readonly string[];
}

/** A compiled compound index. */
export interface CompiledCompound {
  readonly name: string;
  readonly fields: readonly string[];
  /** How the last field orders entries. */
  readonly order: 'score' | 'lex';
}

/** A model's schema, validated and ready for the write scripts and the planner. */
export interface ModelSchema {
  readonly name: string;
  readonly keyName: string;
  readonly partitions: number;
  readonly ttlMs: number | undefined;
  readonly fields: ReadonlyMap<string, CompiledField>;
  readonly uniques: readonly CompiledUnique[];
  readonly compounds: readonly CompiledCompound[];
  readonly unknownFields: 'error' | 'strip';
  /** The index description the Lua scripts read (JSON, see scripts/write.lua). */
  readonly spec: string;
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MODEL_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const NUMERIC: ReadonlySet<FieldKind> = new Set(['number', 'integer', 'date']);

function compileField(name: string, definition: FieldDefinition): CompiledField {
  const where = `fields.${name}`;
  if (!FIELD_NAME.test(name) || name === 'id') {
    throw new InvalidArgumentError(where, 'field names are 1-64 characters of A-Z, a-z, 0-9, "_", starting with a letter, and not "id"');
  }
  const { kind, indexing } = definition;
  const scalar = kind === 'array' ? definition.element : kind === 'json' ? undefined : kind;
  if (kind === 'json' && (indexing.equality || indexing.sortable || indexing.unique)) {
    throw new InvalidArgumentError(where, 'json fields cannot be indexed; index a scalar field instead');
  }
  if (kind === 'array' && (indexing.sortable || indexing.unique)) {
    throw new InvalidArgumentError(where, 'array fields support index() (one entry per member), not sortable() or unique()');
  }
  if (kind === 'boolean' && indexing.sortable) throw new InvalidArgumentError(where, 'booleans are not sortable; use index()');
  if (indexing.caseInsensitive && scalar !== 'string') {
    throw new InvalidArgumentError(where, 'caseInsensitive applies to string fields only');
  }
  const numeric = NUMERIC.has(kind);
  return Object.freeze({
    name,
    definition,
    kind,
    scalar,
    setIndex: indexing.equality && !numeric,
    scoreIndex: numeric && (indexing.equality || indexing.sortable),
    lexIndex: kind === 'string' && indexing.sortable,
    folded: indexing.caseInsensitive,
    unique: indexing.unique,
    plugin: definition.plugin,
    text: definition.text,
  });
}

function checkFieldList(where: string, names: readonly string[], fields: ReadonlyMap<string, CompiledField>, min: number): CompiledField[] {
  const list: unknown = names;
  if (!Array.isArray(list) || names.length < min || new Set(names).size !== names.length) {
    throw new InvalidArgumentError(where, `needs at least ${String(min)} distinct field names`);
  }
  return names.map((name) => {
    const field = fields.get(name);
    if (!field) throw new InvalidArgumentError(where, `unknown field "${name}"`);
    if (field.kind === 'json' || field.kind === 'array') throw new InvalidArgumentError(where, `field "${name}" is not a scalar`);
    return field;
  });
}

/** Validates a model definition and compiles it. */
export function compileSchema<M extends FieldMap>(name: string, fieldMap: M, options: ModelOptions<M> = {}): ModelSchema {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new InvalidArgumentError('model name', 'must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "-", starting with a letter');
  }
  const keyName = options.keyName ?? name;
  if (!MODEL_NAME.test(keyName)) throw new InvalidArgumentError('keyName', 'must be 1-64 characters like a model name');
  const partitions = options.partitions ?? 1;
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new InvalidArgumentError('partitions', 'must be an integer from 1 to 1024');
  }
  const fields = new Map<string, CompiledField>();
  for (const [fieldName, builder] of Object.entries(fieldMap)) fields.set(fieldName, compileField(fieldName, builder.definition));
  if (fields.size === 0) throw new InvalidArgumentError('fields', 'a model needs at least one field');

  const uniques: CompiledUnique[] = [];
  for (const field of fields.values()) if (field.unique) uniques.push({ name: field.name, fields: [field.name] });
  for (const [uniqueName, names] of Object.entries(options.unique ?? {})) {
    if (!FIELD_NAME.test(uniqueName) || fields.has(uniqueName)) {
      throw new InvalidArgumentError(`unique.${uniqueName}`, 'needs an identifier name that is not also a field name');
    }
    checkFieldList(`unique.${uniqueName}`, names, fields, 2);
    uniques.push({ name: uniqueName, fields: [...names] });
  }

  const compounds: CompiledCompound[] = [];
  for (const [indexName, index] of Object.entries(options.indexes ?? {})) {
    if (!FIELD_NAME.test(indexName)) throw new InvalidArgumentError(`indexes.${indexName}`, 'index names are identifiers');
    const list = checkFieldList(`indexes.${indexName}.fields`, index.fields, fields, 2);
    const last = list[list.length - 1] as CompiledField;
    compounds.push({ name: indexName, fields: list.map((f) => f.name), order: last.kind === 'string' ? 'lex' : 'score' });
  }

  const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl');
  if (ttlMs === 0) throw new InvalidArgumentError('ttl', 'must be more than 0');
  const unknownFields = options.unknownFields ?? 'error';
  if (!['error', 'strip'].includes(unknownFields)) throw new InvalidArgumentError('unknownFields', "must be 'error' or 'strip'");

  const spec = JSON.stringify({
    f: [...fields.values()]
      .filter((f) => f.setIndex || f.scoreIndex || f.lexIndex || f.folded)
      .map((f) => [f.name, `${f.setIndex ? 's' : ''}${f.scoreIndex ? 'n' : ''}${f.lexIndex ? 'l' : ''}${f.folded ? 'c' : ''}${f.kind === 'array' ? 'a' : ''}`]),
    // With several partitions the unique values live in their own slots (see unique-claims.ts).
    u: partitions > 1 ? [] : uniques.map((u) => [u.name, u.fields.map((n) => [n, fields.get(n)?.folded === true ? 'c' : ''])]),
    x: compounds.map((c) => [c.name, c.fields.map((n) => [n, fields.get(n)?.folded === true ? 'c' : '']), c.order === 'lex' ? 'l' : 'n']),
    // plug-in indexes: their entries are stored with the object as `$x:<field>` (see pluginEntries)
    p: [...fields.values()].filter((f) => f.plugin !== undefined).map((f) => f.name),
    // text fields: their token streams are stored with the object as `$w:<field>` (see text_update)
    t: [...fields.values()].filter((f) => f.text !== undefined).map((f) => f.name),
  });
  return Object.freeze({ name, keyName, partitions, ttlMs, fields, uniques, compounds, unknownFields, spec });
}

/** The stored text of one field value, or of each member for arrays (JSON array of member texts). */
export function encodeFieldValue(field: CompiledField, value: unknown): string {
  const where = field.name;
  if (field.kind === 'json') return JSON_CODEC.encode(value, where);
  if (field.kind === 'array') {
    if (!Array.isArray(value)) throw new InvalidArgumentError(where, 'expected an array');
    const codec = SCALAR_CODECS[field.scalar as ScalarKind];
    return JSON.stringify(value.map((member: unknown, i) => codec.encode(member, `${where}[${String(i)}]`)));
  }
  return SCALAR_CODECS[field.kind].encode(value, where);
}

/** Decodes stored text back to the field's value. */
export function decodeFieldValue(field: CompiledField, raw: string): unknown {
  if (field.kind === 'json') return JSON_CODEC.decode(raw, field.name);
  if (field.kind === 'array') {
    const codec = SCALAR_CODECS[field.scalar as ScalarKind];
    const members = JSON.parse(raw) as string[];
    return members.map((member) => codec.decode(member, field.name));
  }
  return SCALAR_CODECS[field.kind].decode(raw, field.name);
}

/** Case folding for case-insensitive terms: Unicode NFC, then lower case. */
export function foldCase(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** The folded term text stored in `$t:<field>` (a JSON array for arrays). */
export function foldedTerm(field: CompiledField, value: unknown): string {
  if (field.kind === 'array') return JSON.stringify((value as string[]).map(foldCase));
  return foldCase(value as string);
}

/** Longest key part a plug-in index entry may use (characters). */
const MAX_PLUGIN_KEY = 512;

/**
 * The plug-in index entries of a value, as stored in `$x:<field>`: a JSON list of [key, score].
 * Entries the plug-in returns are checked here: distinct non-empty keys, finite scores.
 */
export function pluginEntries(field: CompiledField, value: unknown): string {
  const plugin = field.plugin as IndexPlugin<unknown, unknown>;
  const entries: unknown = plugin.entries(value);
  if (!Array.isArray(entries)) throw new InvalidArgumentError(field.name, `the ${plugin.kind} index returned no entry list`);
  const seen = new Set<string>();
  return JSON.stringify(
    entries.map((entry: unknown, i) => {
      const { key, score } = (typeof entry === 'object' && entry !== null ? entry : {}) as { key?: unknown; score?: unknown };
      const valid = typeof key === 'string' && key.length > 0 && key.length <= MAX_PLUGIN_KEY && key.isWellFormed() && !seen.has(key);
      if (!valid || typeof score !== 'number' || !Number.isFinite(score)) {
        throw new InvalidArgumentError(`${field.name}[${String(i)}]`, `the ${plugin.kind} index returned a bad entry: keys must be distinct well-formed strings of 1-${String(MAX_PLUGIN_KEY)} characters, scores finite numbers`);
      }
      seen.add(key);
      return [key, score];
    }),
  );
}

/** The token stream of a text field's value, as stored in `$w:<field>` (see tokenStream). */
export function textStream(field: CompiledField, value: unknown): string {
  return tokenStream((field.text as TextIndexing).analyzer.analyze(value as string), field.name);
}
