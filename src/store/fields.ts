import { optionsObject } from '../core/options.js';
import { booleanCodec, dateCodec, integerCodec, jsonCodec, numberCodec, stringCodec } from '../core/codecs.js';
import type { Codec, JsonValue } from '../core/codecs.js';
import { geoIndex, pointRule } from '../search/geo-field.js';
import type { GeoPoint } from '../search/geohash.js';
import { textIndexing } from '../search/text-field.js';
import type { TextFieldOptions, TextIndexing } from '../search/text-field.js';

/** The scalar kinds a field (or an array element) can have. */
export type ScalarKind = 'string' | 'number' | 'integer' | 'boolean' | 'date';

/** Every field kind. */
export type FieldKind = ScalarKind | 'json' | 'array';

/** How a field is indexed; set through the builder methods. */
export interface FieldIndexing {
  /** Equality index (exact match, IN); on arrays, one entry per member. */
  readonly equality: boolean;
  /** Fold case (Unicode lower case, NFC) before indexing and matching equality/unique. */
  readonly caseInsensitive: boolean;
  /** Ordered index: numeric for number/integer/date/boolean, lexical for string. */
  readonly sortable: boolean;
  /** Unique across the model. */
  readonly unique: boolean;
}

/** One entry of a plug-in index: the object's id is a member of sorted set `key` (under the field) with `score`. */
export interface PluginEntry {
  readonly key: string;
  readonly score: number;
}

/** A score range of one sorted set of a plug-in index (inclusive bounds; infinities allowed). */
export interface PluginRange {
  readonly key: string;
  readonly min: number;
  readonly max: number;
}

/**
 * An index kind defined outside the store (full-text, geo, ...). The store keeps its entries
 * atomically with every write: the entries of a new value are computed here in TypeScript, sent
 * with the write, and stored with the object (hidden field `$x:<field>`), so that the write script
 * removes exactly the old value's entries in the same call. A query `{ field: { match: q } }`
 * matches the objects found in any of `lookup(q)`'s ranges.
 */
export interface IndexPlugin<V, Q> {
  /** Short name of the kind, for error messages and docs. */
  readonly kind: string;
  /** The entries that index one value (an empty list indexes nothing). */
  entries(value: V): readonly PluginEntry[];
  /** The ranges whose members are exactly the objects matching `query`. */
  lookup(query: Q): readonly PluginRange[];
  /**
   * Set when the entries under `key` form a Redis geo set (scores are GEOADD's geohashes): a
   * `match` is then a radius or box query (`GeoArea`) that the planner answers with GEOSEARCH.
   */
  readonly geo?: { readonly key: string };
}

/** A geo query of a geo plug-in: a circle (`radius`) or a box (`width` x `height`), in meters, around a point. */
export type GeoArea = { readonly lon: number; readonly lat: number; readonly radius: number } | { readonly lon: number; readonly lat: number; readonly width: number; readonly height: number };

/** A validation rule: return true to accept, or false / a message to reject. */
export type Validator<T> = (value: T) => boolean | string;

/** The run-time description of a field, as the schema compiler reads it. */
export interface FieldDefinition {
  readonly kind: FieldKind;
  /** For arrays, the element kind. */
  readonly element?: ScalarKind;
  readonly required: boolean;
  readonly defaultValue?: unknown;
  readonly indexing: FieldIndexing;
  /** A plug-in index kind (see {@link IndexPlugin}), with its types erased. */
  readonly plugin?: IndexPlugin<never, never>;
  /** Full-text indexing of a string field (`t.text()`). */
  readonly text?: TextIndexing;
  readonly validators: readonly { readonly check: Validator<never>; readonly message?: string }[];
}

const NO_INDEXING: FieldIndexing = { equality: false, caseInsensitive: false, sortable: false, unique: false };

/**
 * A field builder. `T` is the value type, `R` whether a create must give it, `D` whether it has a
 * default, `Q` the query of its plug-in index (never without one). Builders are immutable: every
 * modifier returns a new builder.
 */
export class Field<T, R extends boolean = false, D extends boolean = false, Q = never> {
  /** Phantom members carrying the types for inference; undefined at run time. */
  declare readonly $type: T;
  declare readonly $required: R;
  declare readonly $hasDefault: D;
  /** Type-level only: the query type a plug-in index of this field takes (never set at run time). */
  declare readonly $query: (query: Q) => void;
  /** The run-time definition. */
  readonly definition: FieldDefinition;

  constructor(definition: FieldDefinition) {
    this.definition = Object.freeze(definition);
  }

  #with<R2 extends boolean, D2 extends boolean, Q2 = Q>(patch: Partial<FieldDefinition>): Field<T, R2, D2, Q2> {
    return new Field<T, R2, D2, Q2>({ ...this.definition, ...patch });
  }

  #indexing(patch: Partial<FieldIndexing>): Field<T, R, D, Q> {
    return this.#with({ indexing: { ...this.definition.indexing, ...patch } });
  }

  /** A create must give this field, and it can never be unset. */
  required(): Field<T, true, D, Q> {
    return this.#with({ required: true });
  }

  /** The value used when a create does not give one (a function is called per create). */
  default(value: T | (() => T)): Field<T, R, true, Q> {
    return this.#with({ defaultValue: value });
  }

  /** Equality index: find by exact value or IN; `caseInsensitive` folds case first. */
  index(givenOptions?: { caseInsensitive?: boolean }): Field<T, R, D, Q> {
    const options = optionsObject(givenOptions, 'options');
    return this.#indexing({ equality: true, caseInsensitive: options.caseInsensitive ?? this.definition.indexing.caseInsensitive });
  }

  /** Ordered index: ranges, sorting and counting (numbers and dates numerically, strings lexically). */
  sortable(): Field<T, R, D, Q> {
    return this.#indexing({ sortable: true });
  }

  /** No two objects may share this value (case-folded with `caseInsensitive`). */
  unique(givenOptions?: { caseInsensitive?: boolean }): Field<T, R, D, Q> {
    const options = optionsObject(givenOptions, 'options');
    return this.#indexing({ unique: true, caseInsensitive: options.caseInsensitive ?? this.definition.indexing.caseInsensitive });
  }

  /** Indexes the field with a plug-in index kind; query it with `{ field: { match: query } }`. */
  indexWith<Q2>(plugin: IndexPlugin<T, Q2>): Field<T, R, D, Q2> {
    return this.#with({ plugin });
  }

  /** Adds a rule checked on every write; a failing rule rejects the write naming this field. */
  validate(check: Validator<T>, message?: string): Field<T, R, D, Q> {
    return this.#with({ validators: [...this.definition.validators, { check: check, ...(message === undefined ? {} : { message }) }] });
  }
}

/** Any field, whatever its types. */
export interface AnyField {
  readonly definition: FieldDefinition;
}

function scalar<T>(kind: ScalarKind): Field<T> {
  return new Field<T>({ kind, required: false, indexing: NO_INDEXING, validators: [] });
}

/** Field builders: `t.string().index()`, `t.number().sortable()`, `t.array(t.string()).index()`... */
export const t = Object.freeze({
  /** A string (any well-formed Unicode). */
  string: (): Field<string> => scalar<string>('string'),
  /** A finite double. */
  number: (): Field<number> => scalar<number>('number'),
  /** A safe integer. */
  integer: (): Field<number> => scalar<number>('integer'),
  /** true or false. */
  boolean: (): Field<boolean> => scalar<boolean>('boolean'),
  /** A Date, stored as epoch milliseconds (sortable numerically). */
  date: (): Field<Date> => scalar<Date>('date'),
  /** Any JSON value (not indexable). */
  json: <T extends JsonValue = JsonValue>(): Field<T> =>
    new Field<T>({ kind: 'json', required: false, indexing: NO_INDEXING, validators: [] }),
  /** A point `{ lon, lat }` (degrees), indexed for radius and box queries: `{ field: { match: { lon, lat, radius } } }`. */
  geo: (): Field<GeoPoint, false, false, GeoArea> =>
    new Field<GeoPoint>({ kind: 'json', required: false, indexing: NO_INDEXING, validators: [] }).validate(pointRule).indexWith(geoIndex),
  /** A string indexed for full-text search (`Query.search`): analyzed words, BM25 ranking, phrases, prefix and fuzzy words. */
  text: (options?: TextFieldOptions): Field<string> =>
    new Field<string>({ kind: 'string', required: false, indexing: NO_INDEXING, validators: [], text: textIndexing(optionsObject(options)) }),
  /** An array of scalars; `.index()` indexes every member (tags). */
  array: <T>(element: Field<T>): Field<T[]> => {
    const kind = element.definition.kind;
    if (kind === 'json' || kind === 'array') throw new TypeError('t.array() takes a scalar field: string, number, integer, boolean or date');
    return new Field<T[]>({ kind: 'array', element: kind, required: false, indexing: NO_INDEXING, validators: [] });
  },
});

/** The codec of each scalar kind. */
export const SCALAR_CODECS: Readonly<Record<ScalarKind, Codec<unknown>>> = Object.freeze({
  string: stringCodec,
  number: numberCodec,
  integer: integerCodec,
  boolean: booleanCodec,
  date: dateCodec,
});

/** The codec for JSON fields. */
export const JSON_CODEC = jsonCodec as Codec<unknown>;
