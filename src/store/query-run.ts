import type { ScriptPlan } from '../core/script.js';
import { ValidationError, storeScriptErrors } from './errors.js';
import type { PartitionKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import { compareBytes } from './query-compile.js';
import type { CompiledQuery, SortOrder } from './query-compile.js';
import { queryScript } from './scripts/index.generated.js';

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

/** The result order: sort value (missing last) in the order's direction, ties by id ascending (byte order). */
export function itemComparator(order: SortOrder): (a: QueryItem, b: QueryItem) => number {
  const sign = order.direction === 'asc' ? 1 : -1;
  if (order.kind === 'id') return (a, b) => sign * compareBytes(a.id, b.id);
  const score = order.kind === 'score';
  return (a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value !== null) return -1;
      if (b.value !== null) return 1;
      return compareBytes(a.id, b.id);
    }
    const c = score ? Math.sign(a.num - b.num) : compareBytes(a.value, b.value);
    return c !== 0 ? sign * c : compareBytes(a.id, b.id);
  };
}

/**
 * Gathers the partitions' items into one ordered list of at most `want` items (all when null):
 * a k-way merge of the per-partition ordered lists, or a full sort when every match was returned.
 */
export function gatherItems(answers: readonly PartitionAnswer[], order: SortOrder, want: number | null): QueryItem[] {
  const compare = itemComparator(order);
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
