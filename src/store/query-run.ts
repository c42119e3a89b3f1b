import type { ScriptPlan } from '../core/script.js';
import { ValidationError, storeScriptErrors } from './errors.js';
import type { PartitionKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import { compareBytes as compareUtf8 } from './query-compile.js';
import type { CompiledQuery, SortOrder, WhereNode } from './query-compile.js';
import { queryDirectScript, queryScript } from './scripts/index.generated.js';
import { areaWraps } from '../search/geohash.js';

/** One result item of a partition: its id, its sort value text (null when missing or ordered by id), its fields. */
export interface QueryItem {
  readonly id: string;
  readonly value: string | null;
  /** The sort value as a number, for score orders. */
  readonly num: number;
  /** Flat field/value list (rows), or null (ids). */
  readonly fields: readonly string[] | null;
}

/** What one partition answered. */
export interface PartitionAnswer {
  readonly partition: number;
  /** The partition's count (count mode), else 0. */
  readonly count: number;
  /** How the partition's planner found the result (e.g. `walk:num:score`, `filter`, `count:index`). */
  readonly strategy: string;
  /** Objects read and checked. */
  readonly examined: number;
  /** Time the script ran on the server, in microseconds. */
  readonly micros: number;
  /** Items in result order (unordered when every match was asked for). */
  readonly items: readonly QueryItem[];
}

/** One read-only query script call per partition, in partition order. */
export function partitionPlans(internals: ModelInternals, query: CompiledQuery): ScriptPlan[] {
  const json = JSON.stringify(query);
  return internals.partitions.map((keys: PartitionKeys) =>
    internals.context.scripts.plan(queryScript, { ids: keys.ids, expiry: keys.expiry }, { query: json }),
  );
}

type GeoLeaf = Extract<WhereNode, { t: 'geo' }>;
type SetLeaf = Extract<WhereNode, { t: 'set' }>;

/**
 * A filter that is one index listing exactly its matches, which query-direct.lua reads without the
 * planner; or a geo area AND equality terms (`geoand`): the area's points kept when in every term's set.
 */
export type DirectLeaf = Extract<WhereNode, { t: 'set' | 'num' | 'uq' | 'geo' }> | { readonly t: 'geoand'; readonly geo: GeoLeaf; readonly sets: readonly SetLeaf[] };

/** The filter as a {@link DirectLeaf}, or null when it needs the planner. */
export function directLeaf(where: WhereNode): DirectLeaf | null {
  if (where.t === 'set' || where.t === 'num' || where.t === 'uq' || where.t === 'geo') return where;
  if (where.t !== 'and') return null;
  const geos = where.c.filter((c): c is GeoLeaf => c.t === 'geo');
  const sets = where.c.filter((c): c is SetLeaf => c.t === 'set' && c.v.length === 1);
  const [geo] = geos;
  return geo !== undefined && geos.length === 1 && sets.length === where.c.length - 1 ? { t: 'geoand', geo, sets } : null;
}

function directArgs(leaf: DirectLeaf): string {
  if (leaf.t === 'geoand') return directArgs(leaf.geo);
  if (leaf.t === 'num') return JSON.stringify(leaf.r.flatMap((r) => [zBound(r.a, r.ae, '-inf'), zBound(r.b, r.be, '+inf')]));
  if (leaf.t === 'uq') return JSON.stringify(leaf.v);
  if (leaf.t === 'geo') return JSON.stringify(leaf.r === undefined ? [leaf.lon, leaf.lat, leaf.w, leaf.h] : [leaf.lon, leaf.lat, leaf.r]);
  return '[]';
}

/** One query-direct.lua call per partition (ids or count of a {@link DirectLeaf}), in partition order. */
export function directPlans(internals: ModelInternals, leaf: DirectLeaf, mode: 'ids' | 'count'): ScriptPlan[] {
  const args = directArgs(leaf);
  return internals.partitions.map((keys: PartitionKeys) => {
    let indexes: string[];
    if (leaf.t === 'set') indexes = leaf.v.map((term) => keys.eq(leaf.f, term));
    else if (leaf.t === 'geoand') indexes = [directKey(keys, leaf.geo), ...leaf.sets.map((set) => keys.eq(set.f, set.v[0] as string))];
    else indexes = [directKey(keys, leaf)];
    const plan = internals.context.scripts.plan(queryDirectScript, { expiry: keys.expiry }, { kind: leaf.t === 'geoand' ? 'geo' : leaf.t, mode, args });
    return Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...indexes]) });
  });
}

function directKey(keys: PartitionKeys, leaf: Exclude<DirectLeaf, { t: 'set' | 'geoand' }>): string {
  if (leaf.t === 'num') return keys.score(leaf.f);
  if (leaf.t === 'uq') return keys.unique(leaf.n);
  return `${keys.tag}:x:${leaf.f}:${leaf.k}`; // k is already an encoded key part
}

/** A ZRANGEBYSCORE bound: `(` marks an exclusive one; infinities stay as they are. */
function zBound(text: string, exclusive: 0 | 1, infinity: string): string {
  return text === infinity || exclusive === 0 ? text : `(${text}`;
}

/** The ids of a query-direct.lua reply: NUL-joined text, or an array when an id holds a NUL. */
function idList(reply: unknown): string[] {
  if (typeof reply !== 'string') return reply as string[];
  return reply === '' ? [] : reply.split('\0');
}

/** The answers of query-direct.lua calls: ids (unordered) or counts. */
export async function scatterDirect(internals: ModelInternals, plans: readonly ScriptPlan[], leaf: DirectLeaf): Promise<PartitionAnswer[]> {
  const results = await internals.context.scripts.execMany(plans, storeScriptErrors);
  return results.map((result, partition): PartitionAnswer => {
    if (!result.ok) throw result.error;
    const strategy = `direct:${leaf.t}`;
    if (typeof result.value === 'number') return { partition, count: result.value, strategy, examined: 0, micros: 0, items: [] };
    const items = idList(result.value).map((id): QueryItem => ({ id, value: null, num: 0, fields: null }));
    return { partition, count: 0, strategy, examined: 0, micros: 0, items };
  });
}

/**
 * The ids of a lone geo area straight from GEOSEARCH, one command per partition sent together with
 * a ZCARD of its expiry set: exact when no object has an expiry (an expiry added meanwhile lies in
 * the future). null when some partition has expiries or the area needs the script (see areaWraps).
 */
async function geoIdsWithoutScript(internals: ModelInternals, leaf: DirectLeaf): Promise<string[][] | null> {
  if (leaf.t !== 'geo') return null;
  const [lon, lat] = [Number(leaf.lon), Number(leaf.lat)];
  const circle = leaf.r !== undefined;
  const [halfW, halfH] = circle ? [Number(leaf.r), Number(leaf.r)] : [Number(leaf.w) / 2, Number(leaf.h) / 2];
  if (areaWraps(lon, lat, halfW, halfH)) return null;
  const { client } = internals.context;
  const shape = circle ? ['BYRADIUS', leaf.r, 'm'] : ['BYBOX', leaf.w as string, leaf.h as string, 'm'];
  // one pipeline (one socket write) per partition: both keys share its slot
  const replies = await Promise.all(
    internals.partitions.map((keys) =>
      client
        .pipeline()
        .zcard(keys.expiry)
        .call('GEOSEARCH', `${keys.tag}:x:${leaf.f}:${leaf.k}`, 'FROMLONLAT', leaf.lon, leaf.lat, ...shape)
        .exec(),
    ),
  );
  const lists: string[][] = [];
  for (const reply of replies) {
    const [[countError, expiring] = [null, 0], [searchError, ids] = [null, []]] = reply ?? [];
    if (countError !== null) throw countError;
    if (searchError !== null) throw searchError;
    if (Number(expiring) > 0) return null;
    lists.push(ids as string[]);
  }
  return lists;
}

/** Every id the query-direct.lua calls of an ids query return, in id order (byte-wise), descending when asked. */
export async function directIds(internals: ModelInternals, plans: readonly ScriptPlan[], leaf: DirectLeaf, direction: 'asc' | 'desc'): Promise<string[]> {
  const ids: string[] = [];
  const fast = await geoIdsWithoutScript(internals, leaf);
  if (fast !== null) {
    for (const list of fast) for (const id of list) ids.push(id);
  } else {
    for (const result of await internals.context.scripts.execMany(plans, storeScriptErrors)) {
      if (!result.ok) throw result.error;
      for (const id of idList(result.value)) ids.push(id);
    }
  }
  // the default sort is UTF-16 order, which is byte order unless surrogates or U+E000..U+FFFF occur
  const sorted = ids.some((id) => OUT_OF_ORDER.test(id)) ? ids.sort(compareUtf8) : ids.sort();
  return direction === 'desc' ? sorted.reverse() : sorted;
}

function parseAnswer(partition: number, reply: unknown): PartitionAnswer {
  const [count, strategy, examined, micros, json] = reply as [unknown, unknown, unknown, unknown, unknown];
  const parsed: unknown = JSON.parse(typeof json === 'string' ? json : '[]');
  // An empty Lua table encodes as {}, not [].
  const list = (Array.isArray(parsed) ? parsed : []) as [string, string | false, unknown][];
  const items = list.map(([id, value, fields]): QueryItem => {
    const text = typeof value === 'string' ? value : null;
    return { id, value: text, num: text === null ? 0 : Number(text), fields: Array.isArray(fields) ? (fields as string[]) : null };
  });
  return { partition, count: Number(count), strategy: String(strategy), examined: Number(examined), micros: Number(micros), items };
}

/** Sends every plan (one pipeline per slot) and parses the answers; throws the first failure. */
export async function scatter(internals: ModelInternals, plans: readonly ScriptPlan[]): Promise<PartitionAnswer[]> {
  const results = await internals.context.scripts.execMany(plans, storeScriptErrors);
  return results.map((result, partition) => {
    if (!result.ok) throw result.error;
    return parseAnswer(partition, result.value);
  });
}

/** Code units whose UTF-16 order differs from code point (UTF-8 byte) order: surrogates and U+E000..U+FFFF. */
const OUT_OF_ORDER = /[\ud800-\uffff]/;

/** Native string order, which is byte order for strings without {@link OUT_OF_ORDER} code units. */
function compareNative(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Whether native string order is byte order for every id and text value of these items. */
function nativeOrderHolds(items: Iterable<QueryItem>): boolean {
  for (const item of items) {
    if (OUT_OF_ORDER.test(item.id) || (item.value !== null && OUT_OF_ORDER.test(item.value))) return false;
  }
  return true;
}

/**
 * The result order: sort value (missing last) in the order's direction, ties by id ascending (byte
 * order). `native` (every string free of surrogates and U+E000..U+FFFF) compares with `<`, 5x faster.
 */
export function itemComparator(order: SortOrder, native = false): (a: QueryItem, b: QueryItem) => number {
  const sign = order.direction === 'asc' ? 1 : -1;
  const byBytes = native ? compareNative : compareUtf8;
  if (order.kind === 'id') return (a, b) => sign * byBytes(a.id, b.id);
  const score = order.kind === 'score';
  return (a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value !== null) return -1;
      if (b.value !== null) return 1;
      return byBytes(a.id, b.id);
    }
    const c = score ? Math.sign(a.num - b.num) : byBytes(a.value, b.value);
    return c !== 0 ? sign * c : byBytes(a.id, b.id);
  };
}

/**
 * Gathers the partitions' items into one ordered list of at most `want` items (all when null):
 * a k-way merge of the per-partition ordered lists, or a full sort when every match was returned.
 */
export function gatherItems(answers: readonly PartitionAnswer[], order: SortOrder, want: number | null): QueryItem[] {
  const compare = itemComparator(order, answers.every((a) => nativeOrderHolds(a.items)));
  if (want === null) return answers.flatMap((a) => a.items).sort(compare);
  const lists = answers.filter((a) => a.items.length > 0).map((a) => a.items);
  // Binary heap of list heads: [list index, position].
  const heap: [number, number][] = lists.map((_, i) => [i, 0]);
  const head = (h: [number, number]): QueryItem => (lists[h[0]] as readonly QueryItem[])[h[1]] as QueryItem;
  const less = (x: number, y: number): boolean => compare(head(heap[x] as [number, number]), head(heap[y] as [number, number])) < 0;
  const swap = (x: number, y: number): void => {
    [heap[x], heap[y]] = [heap[y] as [number, number], heap[x] as [number, number]];
  };
  const down = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (l + 1 < heap.length && less(l + 1, m)) m = l + 1;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = Math.floor(heap.length / 2) - 1; i >= 0; i--) down(i);
  const out: QueryItem[] = [];
  while (out.length < want && heap.length > 0) {
    const top = heap[0] as [number, number];
    out.push(head(top));
    top[1] += 1;
    if (top[1] >= (lists[top[0]] as readonly QueryItem[]).length) {
      const last = heap.pop() as [number, number];
      if (heap.length > 0) heap[0] = last;
    }
    down(0);
  }
  return out;
}

interface CursorBody {
  s: string;
  d: 'a' | 'd';
  i: string;
  v?: string;
}

/** An opaque keyset cursor for the item after which the next page starts. */
export function encodeCursor(order: SortOrder, id: string, value: string | null): string {
  const body: CursorBody = { s: order.field, d: order.direction === 'asc' ? 'a' : 'd', i: id, ...(value === null ? {} : { v: value }) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor} for the same order; throws ValidationError otherwise. */
export function decodeCursor(cursor: string, order: SortOrder): { i: string; v?: string } {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    body = undefined;
  }
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Partial<CursorBody>;
  const { s, d, i, v } = b;
  const valid =
    typeof s === 'string' &&
    (d === 'a' || d === 'd') &&
    typeof i === 'string' &&
    i.length > 0 &&
    i.isWellFormed() &&
    (v === undefined || (typeof v === 'string' && v.isWellFormed() && (order.kind !== 'score' || Number.isFinite(Number(v)))));
  if (!valid) throw new ValidationError('after', 'is not a cursor returned by page()');
  if (s !== order.field || d !== (order.direction === 'asc' ? 'a' : 'd')) {
    throw new ValidationError('after', `the cursor belongs to a query sorted by ${s} ${d === 'a' ? 'asc' : 'desc'}, not ${order.field} ${order.direction}`);
  }
  if (order.kind === 'id' || v === undefined) return { i };
  return { i, v };
}
