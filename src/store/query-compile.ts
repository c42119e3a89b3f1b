import type { CompiledText } from '../search/text-plan.js';
import { describeValue, InvalidArgumentError } from '../core/errors.js';
import { encodeKeyPart } from '../core/keys.js';
import { ValidationError } from './errors.js';
import { SCALAR_CODECS } from './fields.js';
import type { ScalarKind } from './fields.js';
import { checkId } from './input.js';
import { foldCase } from './schema.js';
import type { CompiledField, ModelSchema } from './schema.js';
import type { IndexPlugin } from './fields.js';
import { MAX_DISTANCE_M, checkPoint } from '../search/geohash.js';
import type { GeoPoint } from '../search/geohash.js';

/** A score range as query.lua reads it: bound texts (`-inf` / `+inf` when open) and exclusive flags. */
export interface NumRange {
  readonly a: string;
  readonly ae: 0 | 1;
  readonly b: string;
  readonly be: 0 | 1;
}

/** A byte-order range of terms (either bound may be absent), or a prefix. */
export type TermRange = { readonly a?: string; readonly ae?: 0 | 1; readonly b?: string; readonly be?: 0 | 1 } | { readonly p: string };

/**
 * A node of the where tree query.lua evaluates. Leaves name the index that answers them
 * (`f` the field in index key names, `h` the hash field a per-object check reads):
 * `set` equality set terms (arrays: any member), `num` score ranges, `lex` term ranges or a prefix,
 * `id` ids or id ranges, `uq` unique-hash terms, `uo` unique terms of a model with several
 * partitions, whose owners live outside the partitions (checked per object; queries look the
 * owners up first and add their ids), `px` plug-in index ranges (encoded key part `k`, inclusive
 * score bounds `a`..`b`), `geo` a circle (radius `r`) or box (`w` x `h`) in meters around lon/lat in
 * a geo plug-in's geo set (key part `k`), `cx` compound index entries (leading terms alternatives
 * `v`, ranges `r` on the last field in the index order `o`).
 */
export type WhereNode =
  | { readonly t: 'all' }
  | { readonly t: 'none' }
  | { readonly t: 'and' | 'or'; readonly c: readonly WhereNode[] }
  | { readonly t: 'not'; readonly c: WhereNode }
  | { readonly t: 'set'; readonly f: string; readonly h: string; readonly a: 0 | 1; readonly v: readonly string[] }
  | { readonly t: 'num'; readonly f: string; readonly h: string; readonly r: readonly NumRange[] }
  | { readonly t: 'lex'; readonly f: string; readonly h: string; readonly r: readonly TermRange[] }
  | { readonly t: 'id'; readonly v: readonly string[] }
  | { readonly t: 'id'; readonly r: readonly TermRange[] }
  | { readonly t: 'uq'; readonly n: string; readonly h: readonly string[]; readonly v: readonly string[] }
  | { readonly t: 'uo'; readonly n: string; readonly h: readonly string[]; readonly v: readonly string[] }
  | { readonly t: 'px'; readonly f: string; readonly r: readonly { readonly k: string; readonly a: string; readonly b: string }[] }
  | { readonly t: 'geo'; readonly f: string; readonly k: string; readonly lon: string; readonly lat: string; readonly r?: string; readonly w?: string; readonly h?: string }
  | {
      readonly t: 'cx';
      readonly n: string;
      readonly o: 'n' | 'l';
      readonly h: readonly string[];
      readonly lh: string;
      readonly v: readonly (readonly string[])[];
      readonly r: readonly (NumRange | TermRange)[];
    };

/** The result order as query.lua reads it: by id (`i`), a score index (`n`) or a lexical index (`l`). */
export interface SortSpec {
  readonly k: 'i' | 'n' | 'l';
  readonly d: 'a' | 'd';
  /** The sorted field (index key names). */
  readonly f?: string;
  /** The hash field holding its sort value (the folded term for case-insensitive strings). */
  readonly h?: string;
  /** A compound index the where fixes the leading fields of and whose last field is sorted. */
  readonly x?: { readonly n: string; readonly v: readonly (readonly string[])[] };
  /** Ordered by full-text relevance (the BM25 score) rather than a field. */
  readonly r?: 1;
  /** Ordered by distance from lon/lat, by the points of geo field `f` (geo set key part `k`). */
  readonly g?: { readonly f: string; readonly k: string; readonly lon: string; readonly lat: string };
}

/** What every partition's query script receives (ARGV[1], as JSON). */
export interface CompiledQuery {
  /** rows, ids or count. */
  readonly m: 'rows' | 'ids' | 'count';
  readonly w: WhereNode;
  readonly s: SortSpec;
  /** Most items each partition returns, -1 for all. */
  readonly k: number;
  /** Keyset cursor: the last item seen (its id and sort value text; no value = sorted among the missing). */
  readonly c?: { readonly i: string; readonly v?: string };
  /** Fields to return (all visible fields when absent). */
  readonly sel?: readonly string[];
  /** A full-text query: only its matches are candidates (see scripts/_text.lua). */
  readonly x?: CompiledText;
  /** Count every text match even when only a top k is ranked (hits()). */
  readonly tt?: 1;
}

/** The most equality combinations a compound or unique lookup expands `in` lists into. */
export const MAX_COMBINATIONS = 64;
/** The deepest nesting of $and / $or / $not. */
const MAX_DEPTH = 32;
const OPERATORS = new Set(['eq', 'in', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'prefix', 'match']);

/** One end of a range condition: its encoded value and whether it is excluded. */
export interface Bound {
  readonly text: string;
  readonly excl: boolean;
}

/** A field of a condition: a schema field, or the object id. */
export type Target = CompiledField | 'id';

/** A validated condition on one target: equality (any of texts), range, or prefix. */
export type Cond =
  | { readonly kind: 'eq'; readonly target: Target; readonly texts: readonly string[] }
  | { readonly kind: 'range'; readonly target: Target; readonly lo?: Bound; readonly hi?: Bound }
  | { readonly kind: 'prefix'; readonly target: Target; readonly p: string };

/** A where tree after validation and value encoding, before index selection. */
export type CondTree =
  | { readonly t: 'all' }
  | { readonly t: 'none' }
  | { readonly t: 'and' | 'or'; readonly c: readonly CondTree[] }
  | { readonly t: 'not'; readonly c: CondTree }
  | { readonly t: 'cond'; readonly cond: Cond }
  | { readonly t: 'leaf'; readonly leaf: WhereNode };

/** Compares strings in UTF-8 byte order (which is code point order), as Redis orders them. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // UTF-16 order differs from code point order only between surrogates and U+E000..U+FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

/** The name a condition's target is reported under. */
export const nameOf = (target: Target): string => (target === 'id' ? 'id' : target.name);
/** The object hash field a field's indexed text is read from (its folded copy when case-insensitive). */
export const hashField = (field: CompiledField): string => (field.folded ? `$t:${field.name}` : field.name);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws the ValidationError of a condition on `target`. */
export function fail(target: CompiledField | string, reason: string): never {
  throw new ValidationError(`where.${typeof target === 'string' ? target : target.name}`, reason);
}

/** The stored text of a query value (the codec of writes), folded for case-insensitive fields. */
function encodeValue(target: Target, value: unknown, op: string): string {
  try {
    if (target === 'id') return op === 'eq' || op === 'in' || op === 'ne' ? checkId(value, 'id') : SCALAR_CODECS.string.encode(value, 'id');
    const text = SCALAR_CODECS[target.scalar as ScalarKind].encode(value, target.name);
    return target.folded ? foldCase(text) : text;
  } catch (error) {
    if (error instanceof InvalidArgumentError) fail(target, `${op}: ${error.reason}`);
    throw error;
  }
}

function compileOperators(target: Target, ops: Record<string, unknown>): CondTree[] {
  const out: CondTree[] = [];
  const range: { lo?: Bound; hi?: Bound } = {};
  const cmp = rangeCompare(target);
  const lower = (b: Bound): void => {
    const lo = tighter(range.lo, b, cmp, 1);
    if (lo) range.lo = lo;
  };
  const upper = (b: Bound): void => {
    const hi = tighter(range.hi, b, cmp, -1);
    if (hi) range.hi = hi;
  };
  for (const [op, value] of Object.entries(ops)) {
    if (!OPERATORS.has(op)) fail(target, `unknown operator "${op}"; use eq, in, ne, gt, gte, lt, lte, between, prefix or match`);
    if (value === undefined) continue;
    switch (op) {
      case 'match':
        out.push({ t: 'leaf', leaf: pluginLeaf(target, value) });
        break;
      case 'eq':
        out.push({ t: 'cond', cond: { kind: 'eq', target, texts: [encodeValue(target, value, op)] } });
        break;
      case 'ne':
        out.push({ t: 'not', c: { t: 'cond', cond: { kind: 'eq', target, texts: [encodeValue(target, value, op)] } } });
        break;
      case 'in': {
        if (!Array.isArray(value)) fail(target, 'in: expected an array of values');
        const texts = [...new Set((value as unknown[]).map((v) => encodeValue(target, v, op)))];
        out.push(texts.length === 0 ? { t: 'none' } : { t: 'cond', cond: { kind: 'eq', target, texts } });
        break;
      }
      case 'gt':
      case 'gte':
        lower({ text: encodeValue(target, value, op), excl: op === 'gt' });
        break;
      case 'lt':
      case 'lte':
        upper({ text: encodeValue(target, value, op), excl: op === 'lt' });
        break;
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2) fail(target, 'between: expected [low, high]');
        const [a, b] = value as [unknown, unknown];
        lower({ text: encodeValue(target, a, op), excl: false });
        upper({ text: encodeValue(target, b, op), excl: false });
        break;
      }
      default: {
        if (target !== 'id' && target.scalar !== 'string') fail(target, 'prefix: applies to string fields only');
        out.push({ t: 'cond', cond: { kind: 'prefix', target, p: encodeValue(target, value, op) } });
      }
    }
  }
  if (range.lo !== undefined || range.hi !== undefined) out.push({ t: 'cond', cond: { kind: 'range', target, ...range } });
  return out;
}

/** Score bound text for ZRANGEBYSCORE and query.lua's znum. */
function scoreText(n: number): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** The leaf of a `match` on a field with a plug-in index: the ranges its lookup returns. */
function pluginLeaf(target: Target, query: unknown): WhereNode {
  const plugin = target === 'id' ? undefined : target.plugin;
  if (target === 'id' || plugin === undefined) fail(target, 'match: needs a field with a plug-in index (indexWith())');
  if (plugin.geo !== undefined) return geoLeaf(target, plugin.geo.key, query);
  let ranges: unknown;
  try {
    ranges = (plugin as IndexPlugin<unknown, unknown>).lookup(query);
  } catch (error) {
    if (error instanceof InvalidArgumentError) fail(target, `match: ${error.reason}`);
    throw error;
  }
  if (!Array.isArray(ranges)) fail(target, `match: the ${plugin.kind} index returned no range list`);
  const r = (ranges as unknown[]).map((range) => {
    const { key, min, max } = (isPlainObject(range) ? range : {}) as { key?: unknown; min?: unknown; max?: unknown };
    if (typeof key !== 'string' || key === '' || !key.isWellFormed() || typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) {
      fail(target, `match: the ${plugin.kind} index returned a bad range (key: a non-empty string, min and max: numbers)`);
    }
    return { k: encodeKeyPart(key), a: scoreText(min), b: scoreText(max) };
  });
  return r.length === 0 ? { t: 'none' } : { t: 'px', f: target.name, r };
}

/** The leaf of a geo area query: `{ lon, lat, radius }` or `{ lon, lat, width, height }`, meters. */
function geoLeaf(target: CompiledField, key: string, area: unknown): WhereNode {
  const a = (isPlainObject(area) ? area : {});
  let point: GeoPoint;
  try {
    point = checkPoint(a, 'match');
  } catch (error) {
    if (error instanceof InvalidArgumentError) fail(target, `${error.field}: ${error.reason}`);
    throw error;
  }
  const meters = (name: string): string => {
    const n = a[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_DISTANCE_M) fail(target, `match.${name}: must be meters, more than 0 and at most ${String(MAX_DISTANCE_M)}`);
    return String(n);
  };
  // lon 180 is the meridian of -180, where the geo set's cells start (see geohashScore)
  const base = { t: 'geo' as const, f: target.name, k: encodeKeyPart(key), lon: String(point.lon === 180 ? -180 : point.lon), lat: String(point.lat) };
  if ('radius' in a) return { ...base, r: meters('radius') };
  if ('width' in a || 'height' in a) return { ...base, w: meters('width'), h: meters('height') };
  return fail(target, 'match: a geo area needs radius, or width and height (meters)');
}

/** How a target's encoded range values compare (numbers as numbers, strings byte-wise). */
export function rangeCompare(target: Target): (a: string, b: string) => number {
  if (target !== 'id' && target.scalar !== 'string') return (a, b) => Math.sign(Number(a) - Number(b));
  return compareBytes;
}

/** The tighter of two bounds: the larger lower bound (`side` 1) or the smaller upper bound (-1). */
export function tighter(a: Bound | undefined, b: Bound | undefined, cmp: (x: string, y: string) => number, side: 1 | -1): Bound | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const c = cmp(a.text, b.text) * side;
  if (c !== 0) return c > 0 ? a : b;
  return a.excl ? a : b;
}

function compileField(schema: ModelSchema, name: string, condition: unknown): CondTree[] {
  let target: Target;
  if (name === 'id') {
    target = 'id';
  } else {
    const field = schema.fields.get(name);
    if (field === undefined) fail(name, `is not a field of model ${schema.name}`);
    target = field;
    if (field.kind === 'json') {
      const matchOnly = field.plugin !== undefined && isPlainObject(condition) && Object.keys(condition).every((op) => op === 'match');
      if (!matchOnly) fail(name, field.plugin ? 'json fields answer only match (their plug-in index)' : 'json fields cannot be queried; index a scalar field instead');
    }
  }
  if (condition === null) fail(target, 'cannot be null; use ne or $not to find objects without a value');
  if (isPlainObject(condition)) return compileOperators(target, condition);
  if (Array.isArray(condition)) fail(target, 'an array is not a value to match; use { in: [...] }');
  return [{ t: 'cond', cond: { kind: 'eq', target, texts: [encodeValue(target, condition, 'eq')] } }];
}

/** Validates a where object and encodes its values; index selection happens in {@link finalizeWhere}. */
export function compileWhere(schema: ModelSchema, where: unknown, depth = 0): CondTree {
  if (depth > MAX_DEPTH) throw new ValidationError('where', `nests $and / $or / $not deeper than ${String(MAX_DEPTH)} levels`);
  if (!isPlainObject(where)) throw new ValidationError('where', 'must be a plain object of field conditions');
  const children: CondTree[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) throw new ValidationError(`where.${key}`, 'must be an array of where objects');
      const list = (value as unknown[]).map((w) => compileWhere(schema, w, depth + 1));
      children.push(key === '$and' ? { t: 'and', c: list } : list.length === 0 ? { t: 'none' } : { t: 'or', c: list });
    } else if (key === '$not') {
      children.push({ t: 'not', c: compileWhere(schema, value, depth + 1) });
    } else {
      children.push(...compileField(schema, key, value));
    }
  }
  return { t: 'and', c: children };
}

/** A validated sort order. */
export interface SortOrder {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
  readonly kind: 'id' | 'score' | 'lex';
  /** For the distance order: the geo field and the point. */
  readonly near?: { readonly field: string; readonly point: GeoPoint };
}

/** The order by distance from a point, by a geo field (`t.geo()`), nearest first. */
export function nearOrder(schema: ModelSchema, field: unknown, point: unknown): SortOrder {
  const compiled = typeof field === 'string' ? schema.fields.get(field) : undefined;
  if (compiled?.plugin?.geo === undefined) throw new ValidationError('near', `${describeValue(field)} is not a geo field of model ${schema.name}`);
  let checked: GeoPoint;
  try {
    checked = checkPoint(point, 'near');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new ValidationError(error.field, error.reason, { cause: error });
    throw error;
  }
  return { field: '$distance', direction: 'asc', kind: 'score', near: { field: compiled.name, point: { lon: checked.lon === 180 ? -180 : checked.lon, lat: checked.lat } } };
}

/** Validates a sortBy: 'id', or a field with a score or lexical index. */
export function compileSort(schema: ModelSchema, field: unknown, direction: unknown): SortOrder {
  if (direction !== 'asc' && direction !== 'desc') throw new ValidationError('sortBy', "direction must be 'asc' or 'desc'");
  if (field === 'id') return { field, direction, kind: 'id' };
  const compiled = typeof field === 'string' ? schema.fields.get(field) : undefined;
  if (compiled === undefined) throw new ValidationError('sortBy', `${describeValue(field)} is not a field of model ${schema.name}`);
  if (compiled.scoreIndex) return { field: compiled.name, direction, kind: 'score' };
  if (compiled.lexIndex) return { field: compiled.name, direction, kind: 'lex' };
  throw new ValidationError('sortBy', `field "${compiled.name}" has no score or lexical index; add sortable()`);
}

/** The SortSpec query.lua reads for an order. */
export function sortSpec(schema: ModelSchema, order: SortOrder, x?: SortSpec['x']): SortSpec {
  const d = order.direction === 'asc' ? 'a' : 'd';
  if (order.kind === 'id') return { k: 'i', d };
  if (order.field === '$relevance') return { k: 'n', d, r: 1 };
  if (order.near !== undefined) {
    const { field, point } = order.near;
    const key = (schema.fields.get(field) as CompiledField).plugin?.geo?.key ?? '';
    return { k: 'n', d, g: { f: field, k: encodeKeyPart(key), lon: String(point.lon), lat: String(point.lat) } };
  }
  const field = schema.fields.get(order.field) as CompiledField;
  return { k: order.kind === 'score' ? 'n' : 'l', d, f: field.name, h: hashField(field), ...(x ? { x } : {}) };
}
