import { optionsObject } from '../core/options.js';
import type { ScriptPlan } from '../core/script.js';
import { describeValue, InvalidArgumentError } from '../core/errors.js';
import { ValidationError } from './errors.js';
import { decodeRow } from './input.js';
import type { ModelInternals } from './model-internals.js';
import type { Model } from './model.js';
import { compileSort, compileWhere, nearOrder, sortSpec } from './query-compile.js';
import { finalizeWhere } from './query-plan.js';
import type { CompiledQuery, CondTree, SortOrder } from './query-compile.js';
import { decodeCursor, directIds, directLeaf, directPlans, encodeCursor, gatherItems, partitionPlans, scatter, scatterDirect } from './query-run.js';
import type { PartitionAnswer, QueryItem } from './query-run.js';
import { hasOutsideUniques, resolveOutsideUniques } from './query-uniques.js';
import { RELEVANCE, textFieldsOf, withTextStats } from './query-text.js';
import { compileTextQuery } from '../search/text-plan.js';
import type { Bm25Options, CompiledText } from '../search/text-plan.js';
import { parseTextQuery } from '../search/query-parser.js';
import { queryMatcher, snippet } from '../search/highlight.js';
import type { SnippetOptions, TermMatcher } from '../search/highlight.js';
import type { Analyzer } from '../search/analyzer.js';
import type { FieldMap, FieldValue, RowOf, Simplify } from './types.js';
import type { GeoPoint } from '../search/geohash.js';

type Element<V> = V extends readonly (infer E)[] ? E : V;
type Ranged<V> = [V] extends [boolean] ? never : V;

/** Operators of one field condition, typed by the field's value (arrays: by member) and its plug-in query `Q`. */
export interface FieldOperators<V, Q = never> {
  /** Matches the plug-in index of the field (indexWith()) with this query. */
  match?: Q;
  /** Equal (arrays: has this member). */
  eq?: V;
  /** Equal to any of these (arrays: has any of these members). */
  in?: readonly V[];
  /** Not equal; objects without the field match too. */
  ne?: V;
  gt?: Ranged<V>;
  gte?: Ranged<V>;
  lt?: Ranged<V>;
  lte?: Ranged<V>;
  /** Inclusive range `[low, high]`. */
  between?: readonly [Ranged<V>, Ranged<V>];
  /** Starts with (strings with sortable(); byte-wise after case folding for case-insensitive fields). */
  prefix?: [V] extends [string] ? string : never;
}

/** A field condition: a value (equality) or operators. */
export type FieldCondition<V, Q = never> = V | FieldOperators<V, Q>;

/** The query type of a field's plug-in index (never without one). */
export type PluginQueryOf<F> = F extends {
  /** The plug-in's query type, as {@link Field} carries it. */
  readonly $query: (query: infer Q) => void;
} ? Q : never;

/**
 * A query filter: field conditions (all must hold), `id`, and `$and` / `$or` / `$not`.
 * `undefined` conditions are ignored.
 */
export type Where<M extends FieldMap> = { [K in keyof M & string]?: FieldCondition<Element<FieldValue<M[K]>>, PluginQueryOf<M[K]>> } & {
  id?: FieldCondition<string>;
  $and?: readonly Where<M>[];
  $or?: readonly Where<M>[];
  $not?: Where<M>;
};

/** Fields a query can sort by (an index decides at run time): scalars that order, and `id`. */
export type SortField<M extends FieldMap> =
  | 'id'
  | { [K in keyof M & string]: FieldValue<M[K]> extends string | number | Date ? K : never }[keyof M & string];

/** A page of results and the cursor of the next page (null on the last page). */
export interface QueryPage<R> {
  readonly items: R[];
  readonly nextCursor: string | null;
}

/** What a terminal method fetches. */
export type QueryTerminal = 'all' | 'ids' | 'first' | 'count' | 'page' | 'hits';

/** Options of {@link Query.search}. */
export interface SearchOptions<M extends FieldMap> extends Bm25Options {
  /** Text fields that words without a `field:` are matched in. @defaultValue every text field */
  readonly fields?: readonly (keyof M & string)[];
  /** hits() returns a snippet of each of these text fields with the matched words marked. */
  readonly snippets?: SnippetOptions & { readonly fields?: readonly (keyof M & string)[] };
}

/** One hit: the object, its BM25 score when ordered by relevance, its distance in meters when ordered by near() (else null). */
export interface SearchHit<R> {
  readonly id: string;
  readonly score: number | null;
  readonly distance: number | null;
  readonly row: R;
  /** Snippets of the text fields asked for in search()'s `snippets` option (null without it). */
  readonly snippets: Readonly<Record<string, string>> | null;
}

/** A page of full-text hits, the number of all matches, and the cursor of the next page. */
export interface SearchPage<R> {
  readonly total: number;
  readonly hits: SearchHit<R>[];
  readonly nextCursor: string | null;
}

/** How the gathered partition answers are combined. */
export interface MergeSettings {
  /** `sum` counts, `merge` k-way merges ordered per-partition top lists, `sort` sorts every match. */
  readonly combine: 'sum' | 'merge' | 'sort';
  readonly order: SortOrder;
  readonly offset: number;
  readonly limit: number | null;
  /** Items each partition returns at most (offset + limit, one more for a page), or null for all. */
  readonly perPartition: number | null;
  /** Selected fields, or null for whole rows. */
  readonly select: readonly string[] | null;
}

/** A compiled query: frozen plain data, one read-only script call per partition. */
export interface QueryPlan {
  readonly model: string;
  readonly terminal: QueryTerminal;
  /** What each partition's planner script receives (the same for every partition). */
  readonly query: CompiledQuery;
  /**
   * True when the filter is one index that lists exactly its matches (equality terms, score ranges,
   * unique terms) and every match is wanted in id order, or counted: each partition then reads that
   * index directly (query-direct.lua) instead of running the planner.
   */
  readonly direct: boolean;
  /** The script calls, index = partition. */
  readonly partitions: readonly ScriptPlan[];
  readonly merge: MergeSettings;
}

/** What each partition's planner did, from {@link Query.explain}. */
export interface QueryExplain {
  readonly plan: QueryPlan;
  readonly partitions: readonly { readonly partition: number; readonly strategy: string; readonly examined: number; readonly returned: number; readonly micros: number }[];
}

/** The state of a query builder. */
export interface QueryState {
  readonly wheres: readonly CondTree[];
  readonly order: SortOrder | null;
  readonly limit: number | null;
  readonly offset: number;
  readonly after: string | null;
  readonly select: readonly string[] | null;
  /** The compiled full-text query; 'none' when its words analyze to nothing (no object matches). */
  readonly text: CompiledText | 'none' | null;
  /** What hits() marks in snippets: per text field, its matcher and options. */
  readonly snippets: ReadonlyMap<string, { readonly matches: TermMatcher; readonly analyzer: Analyzer; readonly options: SnippetOptions }> | null;
}

/** Page size of page() without limit(). */
export const DEFAULT_PAGE_SIZE = 100;

const ID_ORDER: SortOrder = Object.freeze({ field: 'id', direction: 'asc', kind: 'id' });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ValidationError(what, 'must be a non-negative integer');
  return value;
}

/**
 * An immutable query over a model: every method returns a new Query; terminal methods (`all`,
 * `ids`, `first`, `count`, `page`) run one read-only script call per partition, pipelined per slot.
 * Without sortBy, results are in id order (byte-wise); ties of a sort break by id ascending;
 * objects without the sorted field come last. Expired objects never appear and are not counted.
 */
export class Query<M extends FieldMap, R = RowOf<M>> {
  readonly #internals: ModelInternals;
  readonly #state: QueryState;

  /** @internal Use {@link query} or `Model.find`. */
  constructor(internals: ModelInternals, state: QueryState) {
    this.#internals = internals;
    this.#state = state;
  }

  #with<R2 = R>(patch: Partial<QueryState>): Query<M, R2> {
    return new Query<M, R2>(this.#internals, { ...this.#state, ...patch });
  }

  /** Adds conditions (AND with the existing ones). */
  where(more: Where<M>): Query<M, R> {
    return this.#with({ wheres: [...this.#state.wheres, compileWhere(this.#internals.schema, more)] });
  }

  /** Orders by a field with a score or lexical index, or by id. @defaultValue id ascending */
  sortBy(field: SortField<M>, direction: 'asc' | 'desc' = 'asc'): Query<M, R> {
    return this.#with({ order: compileSort(this.#internals.schema, field, direction) });
  }

  /**
   * Orders by distance from `point` by the geo field `field`, nearest first; objects without a point
   * come last. hits() returns the distances. Every match is measured, so bound the search with an
   * area condition (`{ field: { match: { lon, lat, radius } } }`) or use Model.nearest() for the
   * nearest of all objects.
   */
  near(field: keyof M & string, point: GeoPoint): Query<M, R> {
    return this.#with({ order: nearOrder(this.#internals.schema, field, point) });
  }

  /** Returns at most n items. @defaultValue all (page(): 100) */
  limit(n: number): Query<M, R> {
    return this.#with({ limit: count(n, 'limit') });
  }

  /** Skips n items (prefer after() for deep paging). @defaultValue 0 */
  offset(n: number): Query<M, R> {
    return this.#with({ offset: count(n, 'offset') });
  }

  /** Starts after the item a page()'s nextCursor points at (keyset paging); undefined clears it. */
  after(cursor: string | undefined): Query<M, R> {
    if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) throw new ValidationError('after', 'must be a cursor string from page()');
    return this.#with({ after: cursor ?? null });
  }

  /** Returns only these fields (and id). */
  select<K extends keyof M & string>(fields: readonly K[]): Query<M, Simplify<Pick<RowOf<M>, Extract<'id' | K, keyof RowOf<M>>>>> {
    const list: unknown = fields;
    if (!Array.isArray(list)) throw new ValidationError('select', 'must be an array of field names');
    for (const name of list) {
      if (typeof name !== 'string' || !this.#internals.schema.fields.has(name)) {
        throw new ValidationError('select', `${describeValue(name)} is not a field of model ${this.#internals.schema.name}`);
      }
    }
    return this.#with({ select: [...new Set(list as string[])] });
  }

  /**
   * Full-text search over the model's text fields (`t.text()`), in the query language of
   * parseTextQuery: words (AND), OR, NOT / -word, "phrases", prefix*, field:word, fuzzy word~1,
   * parentheses. Combines with where() conditions; results come ordered by BM25 relevance unless
   * sortBy() is given. Throws QuerySyntaxError for a query that does not parse. Replaces an
   * earlier search() of this query.
   */
  search(text: string, givenOptions?: SearchOptions<M>): Query<M, R> {
    const options = optionsObject(givenOptions, 'options');
    const schema = this.#internals.schema;
    const fields = textFieldsOf(schema);
    if (fields.size === 0) throw new ValidationError('search', `model ${schema.name} has no text field (t.text())`);
    const searched: unknown = options.fields ?? [...fields.keys()];
    if (!Array.isArray(searched) || searched.length === 0 || searched.some((f) => typeof f !== 'string')) {
      throw new ValidationError('fields', 'must be a non-empty array of text field names');
    }
    let compiled: CompiledText | null;
    const parsed = parseTextQuery(text);
    try {
      compiled = compileTextQuery(parsed, fields, searched as string[], options);
    } catch (error) {
      if (error instanceof InvalidArgumentError && !(error instanceof ValidationError)) throw new ValidationError(error.field, error.reason, { cause: error });
      throw error;
    }
    let snippets: QueryState['snippets'] = null;
    if (options.snippets !== undefined) {
      const { fields: wanted = searched as string[], ...snippetOptions } = options.snippets;
      snippets = new Map(
        wanted.map((name) => {
          const info = fields.get(name);
          if (info === undefined) throw new ValidationError('snippets.fields', `"${name}" is not a text field`);
          return [name, { matches: queryMatcher(parsed, info.analyzer, name), analyzer: info.analyzer, options: snippetOptions }];
        }),
      );
    }
    return this.#with({ text: compiled ?? 'none', snippets });
  }

  /** The compiled plan of a terminal, without running it. */
  plan(terminal: QueryTerminal = 'all'): QueryPlan {
    const schema = this.#internals.schema;
    const state = this.#state;
    const isCount = terminal === 'count';
    const text = state.text === 'none' ? null : state.text;
    const order = state.order ?? (state.text === null ? ID_ORDER : RELEVANCE);
    const tree: CondTree = { t: 'and', c: state.wheres };
    const byField = !isCount && order.kind !== 'id' && order !== RELEVANCE && order.near === undefined;
    const { where, sortCompound } = finalizeWhere(schema, tree, byField ? order.field : undefined);
    let limit = state.limit;
    if (terminal === 'first') limit = 1;
    const paged = terminal === 'page' || terminal === 'hits';
    if (paged) {
      limit ??= DEFAULT_PAGE_SIZE;
      if (limit === 0) throw new ValidationError('limit', 'a page needs a limit of at least 1');
    }
    if (isCount) limit = null;
    const offset = isCount ? 0 : state.offset;
    const want = isCount || limit === null ? null : offset + limit + (paged ? 1 : 0);
    if (want !== null && !Number.isSafeInteger(want)) throw new ValidationError('limit', 'offset + limit is too large');
    const rows = terminal !== 'ids' && !isCount;
    const cursor = !isCount && state.after !== null ? decodeCursor(state.after, order) : undefined;
    const query: CompiledQuery = {
      m: isCount ? 'count' : rows ? 'rows' : 'ids',
      w: where,
      s: isCount ? { k: 'i', d: 'a' } : sortSpec(schema, order, sortCompound),
      k: want ?? -1,
      ...(cursor ? { c: cursor } : {}),
      ...(rows && state.select ? { sel: state.select } : {}),
      ...(text ? { x: text } : {}),
      ...(text && terminal === 'hits' ? { tt: 1 as const } : {}),
    };
    const leaf = text ? null : directLeaf(where);
    const direct = leaf !== null && (isCount || (terminal === 'ids' && limit === null && cursor === undefined && order.kind === 'id'));
    return deepFreeze({
      model: schema.name,
      terminal,
      query,
      direct,
      partitions: direct ? directPlans(this.#internals, leaf, isCount ? 'count' : 'ids') : partitionPlans(this.#internals, query),
      merge: {
        combine: isCount ? 'sum' : want === null ? 'sort' : 'merge',
        order,
        offset,
        limit,
        perPartition: want,
        select: rows ? state.select : null,
      },
    });
  }

  async #run(terminal: QueryTerminal, plan = this.plan(terminal)): Promise<{ plan: QueryPlan; answers: PartitionAnswer[]; items: QueryItem[] }> {
    const { merge } = plan;
    if (merge.limit === 0 || this.#state.text === 'none') return { plan, answers: [], items: [] };
    const leaf = plan.direct ? directLeaf(plan.query.w) : null;
    let partitions = plan.partitions;
    let query = await withTextStats(this.#internals, plan.query);
    if (hasOutsideUniques(query.w)) query = { ...query, w: await resolveOutsideUniques(this.#internals, query.w) };
    if (query !== plan.query) partitions = partitionPlans(this.#internals, query);
    const answers = leaf ? await scatterDirect(this.#internals, partitions, leaf) : await scatter(this.#internals, partitions);
    const items = merge.combine === 'sum' ? [] : gatherItems(answers, merge.order, merge.perPartition);
    return { plan, answers, items };
  }

  #snippets(item: QueryItem): Record<string, string> | null {
    const wanted = this.#state.snippets;
    if (wanted === null) return null;
    const row = decodeRow(this.#internals.schema, item.id, item.fields ?? []);
    const out: Record<string, string> = {};
    for (const [name, { matches, analyzer, options }] of wanted) {
      const value = row[name];
      if (typeof value === 'string') out[name] = snippet(value, analyzer, matches, options);
    }
    return out;
  }

  #row(item: QueryItem): R {
    return decodeRow(this.#internals.schema, item.id, item.fields ?? []) as R;
  }

  #window<T>(items: readonly T[], merge: MergeSettings): T[] {
    return items.slice(merge.offset, merge.limit === null ? undefined : merge.offset + merge.limit);
  }

  /** Every matching row (after offset, up to limit). */
  async all(): Promise<R[]> {
    const { plan, items } = await this.#run('all');
    return this.#window(items, plan.merge).map((item) => this.#row(item));
  }

  /** The ids of the matching objects, in result order. */
  async ids(): Promise<string[]> {
    const planned = this.plan('ids');
    const leaf = planned.direct ? directLeaf(planned.query.w) : null;
    if (leaf !== null) return this.#window(await directIds(this.#internals, planned.partitions, leaf, planned.merge.order.direction), planned.merge);
    const { plan, items } = await this.#run('ids', planned);
    return this.#window(items, plan.merge).map((item) => item.id);
  }

  /** The first matching row, or null. */
  async first(): Promise<R | null> {
    const { plan, items } = await this.#run('first');
    const [item] = this.#window(items, plan.merge);
    return item === undefined ? null : this.#row(item);
  }

  /** The exact number of matching live objects (sortBy, limit, offset and after do not apply). */
  async count(): Promise<number> {
    const { answers } = await this.#run('count');
    return answers.reduce((sum, a) => sum + a.count, 0);
  }

  /** One page (limit, default 100) and the cursor of the next: `query.after(page.nextCursor).page()`. */
  async page(): Promise<QueryPage<R>> {
    const { plan, items } = await this.#run('page');
    const { merge } = plan;
    const window = this.#window(items, merge);
    const last = window[window.length - 1];
    const more = items.length > merge.offset + (merge.limit ?? 0);
    const nextCursor = more && last !== undefined ? encodeCursor(merge.order, last.id, merge.order.kind === 'id' ? null : last.value) : null;
    return { items: window.map((item) => this.#row(item)), nextCursor };
  }

  /**
   * One page of a search() (limit, default 100): the hits with their scores (when ordered by
   * relevance), the number of all matches, and the cursor of the next page.
   */
  async hits(): Promise<SearchPage<R>> {
    if (this.#state.text === null && this.#state.order?.near === undefined) throw new ValidationError('hits', 'needs a search() or near() query; use page() for other queries');
    const { plan, answers, items } = await this.#run('hits');
    const { merge } = plan;
    const window = this.#window(items, merge);
    const last = window[window.length - 1];
    const more = items.length > merge.offset + (merge.limit ?? 0);
    const relevance = merge.order === RELEVANCE;
    return {
      total: this.#state.text === null ? await this.count() : answers.reduce((sum, a) => sum + a.count, 0),
      hits: window.map((item) => ({
        id: item.id,
        score: relevance ? item.num : null,
        distance: merge.order.near !== undefined && item.value !== null ? item.num : null,
        row: this.#row(item),
        snippets: this.#snippets(item),
      })),
      nextCursor: more && last !== undefined ? encodeCursor(merge.order, last.id, last.value) : null,
    };
  }

  /** Runs a terminal and reports how each partition answered it (strategy, objects examined). */
  async explain(terminal: QueryTerminal = 'all'): Promise<QueryExplain> {
    const { plan, answers } = await this.#run(terminal);
    return deepFreeze({
      plan,
      partitions: answers.map((a) => ({ partition: a.partition, strategy: a.strategy, examined: a.examined, returned: a.items.length, micros: a.micros })),
    });
  }
}

/** A new query over a model; `model.find(where)` is the same. */
export function query<M extends FieldMap>(model: Model<M>, where?: Where<M>): Query<M> {
  const internals = model.internals;
  const base = new Query<M>(internals, { wheres: [], order: null, limit: null, offset: 0, after: null, select: null, text: null, snippets: null });
  return where === undefined ? base : base.where(where);
}
