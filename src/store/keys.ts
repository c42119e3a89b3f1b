import { stableHash } from '../core/keys.js';
import type { KeyBuilder } from '../core/keys.js';
import type { ModelInternals } from './model-internals.js';

/**
 * The keys of one partition of a model, all in the slot `{prefix:obj:<keyName>:<p>}`. The Lua
 * scripts derive the same names from the partition tag (the prefix of `ids`), encoding parts the
 * same way, so the two must stay in step: see scripts/_object.lua.
 */
export interface PartitionKeys {
  /** The partition's hash tag, e.g. `{kr:obj:user:3}`. */
  readonly tag: string;
  /** Sorted set of every id (score 0, lexical order). */
  readonly ids: string;
  /** Sorted set of expiry times (ms) by id. */
  readonly expiry: string;
  /** An object's hash. */
  object(id: string): string;
  /** Equality set of one term of a field. */
  eq(field: string, term: string): string;
  /** Score index of a numeric field. */
  score(field: string): string;
  /** Lexical index of a string field. */
  lex(field: string): string;
  /** Unique hash of a constraint. */
  unique(name: string): string;
  /** Compound index entry set for the leading terms. */
  compound(name: string, leading: readonly string[]): string;
  /** Sorted set of a plug-in index of a field, for one entry key. */
  plugin(field: string, key: string): string;
  /** Postings of one term of a text field (ids scored length * 1024 + term frequency). */
  text(field: string, term: string): string;
  /** The bucket of a text field's term dictionary that holds `term` (lexical, score 0; see dictionaryBucket). */
  textDictionary(field: string, term: string): string;
  /** The buckets of a text field's term dictionary that hold terms (lexical, score 0). */
  textDictionaryBuckets(field: string): string;
  /** Per text field counts of objects with a value (`n:<field>`) and their total length (`l:<field>`). */
  readonly textStats: string;
}

/**
 * The key part of a term's dictionary bucket: the term's first two UTF-8 bytes, percent-encoded
 * byte by byte like enc() in scripts/_object.lua (the bytes may end inside a character).
 */
export function dictionaryBucket(term: string): string {
  let out = '';
  for (const byte of Buffer.from(term, 'utf8').subarray(0, 2)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Builds the keys of partition `p` of a model. */
export function partitionKeys(keys: KeyBuilder, keyName: string, p: number): PartitionKeys {
  const slot = keys.slot('obj', keyName, p);
  return {
    tag: slot.tag,
    ids: slot.key('ids'),
    expiry: slot.key('exp'),
    object: (id) => slot.key('h', id),
    eq: (field, term) => slot.key('eq', field, term),
    score: (field) => slot.key('num', field),
    lex: (field) => slot.key('lex', field),
    unique: (name) => slot.key('uq', name),
    compound: (name, leading) => slot.key('cx', name, ...leading),
    plugin: (field, key) => slot.key('x', field, key),
    text: (field, term) => slot.key('w', field, term),
    textDictionary: (field, term) => `${slot.key('wd', field)}:${dictionaryBucket(term)}`,
    textDictionaryBuckets: (field) => slot.key('wdb', field),
    textStats: slot.key('ws'),
  };
}

/** The counter of a model's incremental ids: `{prefix:obj:<keyName>}:seq`. */
export function idCounterKey(keys: KeyBuilder, keyName: string): string {
  return keys.slot('obj', keyName).key('seq');
}

/**
 * Owners and claims of one unique value of a model with several partitions: bucketed by value into
 * the slot `{prefix:obj:<keyName>:u<b>}` (see unique-claims.ts).
 */
export function uniqueValueKeys(internals: ModelInternals, unique: string, term: string): { owners: string; claims: string } {
  const bucket = stableHash(`${unique}\0${term}`) % internals.schema.partitions;
  const slot = internals.context.keys.slot('obj', internals.schema.keyName, `u${String(bucket)}`);
  return { owners: slot.key('owners', unique), claims: slot.key('claims', unique) };
}
