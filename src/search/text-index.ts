import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import { InvalidArgumentError } from '../core/errors.js';
import { partitionOf } from '../core/keys.js';
import { unlinkKeys } from '../core/scan.js';
import type { ScriptPlan } from '../core/script.js';
import { ValidationError, storeScriptErrors } from '../store/errors.js';
import { checkId } from '../store/input.js';
import { globEscape } from '../core/keys.js';
import { compareBytes } from '../store/query-compile.js';
import { textPutScript, textRemoveScript, textSearchScript } from '../store/scripts/index.generated.js';
import { queryMatcher, snippet } from './highlight.js';
import type { SnippetOptions } from './highlight.js';
import { parseTextQuery } from './query-parser.js';
import { textIndexing } from './text-field.js';
import type { TextFieldOptions } from './text-field.js';
import { compileTextQuery } from './text-plan.js';
import type { Bm25Options, CompiledText, TextFieldInfo } from './text-plan.js';
import { withGlobalStats } from './text-stats.js';
import { tokenStream } from './text-stream.js';

/** Options of a standalone text index (`kr.textIndex(name, options)`). */
export interface TextIndexOptions<F extends string> {
  /** The indexed fields, each with its analyzer and weight. */
  readonly fields: Readonly<Record<F, TextFieldOptions>>;
  /** Hash slots the index spreads over (Redis Cluster); rankings are global whatever the number. @defaultValue 1 */
  readonly partitions?: number;
  /** Keep each document's text, returned with its hits (for display and highlighting). @defaultValue false */
  readonly store?: boolean;
}

/** A document to index: its id and a text per field (missing or null: no value). */
export type TextDocument<F extends string> = { readonly id: string } & { readonly [K in F]?: string | null };

/** Options of {@link TextIndex.search}. */
export interface TextIndexSearchOptions<F extends string> extends Bm25Options {
  /** Fields that words without a `field:` are matched in. @defaultValue every field */
  readonly fields?: readonly F[];
  /** Most hits to return. @defaultValue 10 */
  readonly limit?: number;
  /** Hits to skip (prefer `after` for deep paging). @defaultValue 0 */
  readonly offset?: number;
  /** The nextCursor of the previous page. */
  readonly after?: string;
  /**
   * Count every match (`total`). Without it a top-k query reads only the postings it needs to be
   * sure of its k best, which is much faster for common words. @defaultValue true
   */
  readonly total?: boolean;
  /** Snippets of these fields with the matched words marked, in each hit (needs `store: true`). */
  readonly snippets?: SnippetOptions & { readonly fields?: readonly F[] };
}

/** One hit: the document id, its BM25 score, and its stored text (null unless the index stores documents). */
export interface TextIndexHit<F extends string> {
  readonly id: string;
  readonly score: number;
  readonly doc: Partial<Record<F, string>> | null;
  /** Snippets of the fields asked for with `snippets` (null without it). */
  readonly snippets: Partial<Record<F, string>> | null;
}

/** A page of hits, the number of all matches (null when not counted), and the cursor of the next page (null on the last). */
export interface TextIndexPage<F extends string> {
  readonly total: number | null;
  readonly hits: TextIndexHit<F>[];
  readonly nextCursor: string | null;
}

const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Documents per script call of addMany. */
const BATCH = 256;
/** Largest limit + offset of one search. */
const MAX_WINDOW = 10_000;

interface Hit {
  readonly id: string;
  readonly score: number;
  readonly text: string;
  readonly source: string | null;
}

function whole(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) throw new ValidationError(name, `must be an integer from 0 to ${String(max)}`);
  return value;
}

function byScore(a: Hit, b: Hit): number {
  return b.score - a.score || compareBytes(a.id, b.id);
}

/**
 * A full-text index of documents that are not models: BM25-ranked search with the same analyzers,
 * query language and index layout as `t.text()` fields, lean enough for large corpora (a document
 * costs one hash entry plus its postings). Writes are atomic per document.
 */
export class TextIndex<F extends string> {
  readonly #context: KickassContext;
  readonly #fields: ReadonlyMap<string, TextFieldInfo>;
  readonly #fieldsJson: string;
  readonly #store: boolean;
  readonly #docs: readonly string[];
  readonly #tags: readonly string[];
  /** The index name. */
  readonly name: string;

  constructor(context: KickassContext, name: string, givenOptions: TextIndexOptions<F>) {
    const options = optionsObject(givenOptions, 'options');
    if (typeof name !== 'string' || !INDEX_NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "-", starting with a letter');
    const entries = Object.entries(options.fields as Record<string, TextFieldOptions>);
    if (entries.length === 0) throw new InvalidArgumentError('fields', 'a text index needs at least one field');
    const fields = new Map<string, TextFieldInfo>();
    for (const [field, fieldOptions] of entries) {
      if (!FIELD_NAME.test(field)) throw new InvalidArgumentError(`fields.${field}`, 'field names are 1-64 characters of A-Z, a-z, 0-9, "_", starting with a letter');
      fields.set(field, textIndexing(fieldOptions));
    }
    const partitions = options.partitions ?? 1;
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 1024) throw new InvalidArgumentError('partitions', 'must be an integer from 1 to 1024');
    this.#context = context;
    this.name = name;
    this.#fields = fields;
    this.#fieldsJson = JSON.stringify([...fields.keys()]);
    this.#store = options.store ?? false;
    const slots = Array.from({ length: partitions }, (_, p) => context.keys.slot('txt', name, p));
    this.#tags = slots.map((slot) => slot.tag);
    this.#docs = slots.map((slot) => slot.key('docs'));
  }

  /** The stored record of a document: per field '' (no value) or '+' and its token stream, joined by \x1e. */
  #record(doc: unknown, at: string): { id: string; record: string; source: string } {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ValidationError(at, 'must be an object with an id');
    const input = doc as Record<string, unknown>;
    const id = checkId(input.id, `${at}.id`);
    for (const key of Object.keys(input)) {
      if (key !== 'id' && !this.#fields.has(key)) throw new ValidationError(`${at}.${key}`, `is not a field of text index ${this.name}`);
    }
    const slots: string[] = [];
    const source: Record<string, string> = {};
    for (const [field, info] of this.#fields) {
      const value = input[field];
      if (value === undefined || value === null) {
        slots.push('');
        continue;
      }
      if (typeof value !== 'string' || !value.isWellFormed()) throw new ValidationError(`${at}.${field}`, 'must be a well-formed string');
      try {
        slots.push(`+${tokenStream(info.analyzer.analyze(value), field)}`);
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw new ValidationError(`${at}.${field}`, error.reason, { cause: error });
        throw error;
      }
      source[field] = value;
    }
    return { id, record: slots.join('\u001e'), source: this.#store ? JSON.stringify(source) : '' };
  }

  async #run(plans: readonly ScriptPlan[]): Promise<unknown[]> {
    const results = await this.#context.scripts.execMany(plans, storeScriptErrors);
    return results.map((result) => {
      if (!result.ok) throw result.error;
      return result.value;
    });
  }

  /** Adds or replaces one document; resolves true when it was not in the index before. */
  async add(doc: TextDocument<F>): Promise<boolean> {
    return (await this.addMany([doc])) === 1;
  }

  /**
   * Adds or replaces documents, pipelined in batches (each batch of one partition atomic); every
   * document is validated before anything is written. Resolves to the number that were new.
   */
  async addMany(docs: readonly TextDocument<F>[]): Promise<number> {
    const list: unknown = docs;
    if (!Array.isArray(list)) throw new ValidationError('docs', 'must be an array of documents');
    const byPartition = new Map<number, [string, string, string][]>();
    docs.forEach((doc, i) => {
      const { id, record, source } = this.#record(doc, `docs[${String(i)}]`);
      const p = partitionOf(id, this.#docs.length);
      const items = byPartition.get(p) ?? [];
      items.push([id, record, source]);
      byPartition.set(p, items);
    });
    const plans: ScriptPlan[] = [];
    for (const [p, items] of byPartition) {
      for (let at = 0; at < items.length; at += BATCH) {
        plans.push(this.#context.scripts.plan(textPutScript, { docs: this.#docs[p] as string }, { fields: this.#fieldsJson, batch: JSON.stringify(items.slice(at, at + BATCH)) }));
      }
    }
    const added = await this.#run(plans);
    return added.reduce((sum: number, n) => sum + Number(n), 0);
  }

  /** Removes one document; resolves true when it was in the index. */
  async remove(id: string): Promise<boolean> {
    return (await this.removeMany([id])) === 1;
  }

  /** Removes documents; resolves to the number that were in the index. */
  async removeMany(ids: readonly string[]): Promise<number> {
    const byPartition = new Map<number, string[]>();
    ids.forEach((id, i) => {
      checkId(id, `ids[${String(i)}]`);
      const p = partitionOf(id, this.#docs.length);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    });
    const plans = [...byPartition].map(([p, list]) => {
      const plan = this.#context.scripts.plan(textRemoveScript, { docs: this.#docs[p] as string }, { fields: this.#fieldsJson });
      return Object.freeze({ ...plan, args: Object.freeze([...plan.args, ...list]) });
    });
    const removed = await this.#run(plans);
    return removed.reduce((sum: number, n) => sum + Number(n), 0);
  }

  #compile(text: string, options: TextIndexSearchOptions<F>): CompiledText | null {
    const searched: unknown = options.fields ?? [...this.#fields.keys()];
    if (!Array.isArray(searched) || searched.length === 0 || searched.some((f) => typeof f !== 'string')) {
      throw new ValidationError('fields', 'must be a non-empty array of field names');
    }
    try {
      return compileTextQuery(parseTextQuery(text), this.#fields, searched as string[], options);
    } catch (error) {
      if (error instanceof InvalidArgumentError && !(error instanceof ValidationError)) throw new ValidationError(error.field, error.reason, { cause: error });
      throw error;
    }
  }

  async #query(text: CompiledText, k: number, cursor: string, source: boolean, counted: boolean): Promise<{ total: number | null; hits: Hit[] }> {
    const ranked = await withGlobalStats(this.#context, this.#docs, text);
    const json = JSON.stringify(ranked);
    const plans = this.#docs.map((docs) =>
      this.#context.scripts.plan(textSearchScript, { docs }, { fields: this.#fieldsJson, text: json, k, cursor, source: source ? '1' : '0', total: counted ? '1' : '0' }),
    );
    let total: number | null = 0;
    const hits: Hit[] = [];
    for (const reply of await this.#run(plans)) {
      const [count, items] = reply as [number, string];
      total = total === null || count < 0 ? null : total + count;
      const parsed: unknown = JSON.parse(items);
      for (const [id, score, stored] of (Array.isArray(parsed) ? parsed : []) as [string, string, string | false][]) {
        hits.push({ id, score: Number(score), text: score, source: typeof stored === 'string' ? stored : null });
      }
    }
    return { total, hits: hits.sort(byScore) };
  }

  /**
   * Searches with the query language of parseTextQuery (words AND, OR, NOT / -word, "phrases",
   * prefix*, field:word, word~1, parentheses): hits ranked by BM25, highest first, ties by id.
   * Throws QuerySyntaxError for a query that does not parse.
   */
  async search(text: string, givenOptions?: TextIndexSearchOptions<F>): Promise<TextIndexPage<F>> {
    const options = optionsObject(givenOptions, 'options');
    const limit = whole(options.limit, 'limit', 10, MAX_WINDOW);
    const offset = whole(options.offset, 'offset', 0, MAX_WINDOW - limit);
    const cursor = options.after === undefined ? '' : decodeIndexCursor(options.after);
    const counted = options.total ?? true;
    if (typeof counted !== 'boolean') throw new ValidationError('total', 'must be true or false');
    const compiled = this.#compile(text, options);
    if (compiled === null) return { total: 0, hits: [], nextCursor: null };
    if (limit === 0) return { total: counted ? await this.count(text, options) : null, hits: [], nextCursor: null };
    const marks = this.#snippetMakers(text, options);
    const { total, hits } = await this.#query(compiled, offset + limit + 1, cursor, this.#store, counted);
    const window = hits.slice(offset, offset + limit);
    const last = window[window.length - 1];
    return {
      total,
      hits: window.map((h) => {
        const doc = h.source === null ? null : (JSON.parse(h.source) as Partial<Record<F, string>>);
        return { id: h.id, score: h.score, doc, snippets: marks === null || doc === null ? null : marks(doc) };
      }),
      nextCursor: hits.length > offset + limit && last !== undefined ? Buffer.from(JSON.stringify({ i: last.id, v: last.text })).toString('base64url') : null,
    };
  }

  /** The function that makes a hit's snippets, or null when none are asked for. */
  #snippetMakers(text: string, options: TextIndexSearchOptions<F>): ((doc: Partial<Record<F, string>>) => Partial<Record<F, string>>) | null {
    if (options.snippets === undefined) return null;
    if (!this.#store) throw new ValidationError('snippets', 'needs an index that stores documents (store: true)');
    const { fields = [...this.#fields.keys()] as F[], ...snippetOptions } = options.snippets;
    const parsed = parseTextQuery(text);
    const makers = fields.map((field) => {
      const info = this.#fields.get(field);
      if (info === undefined) throw new ValidationError('snippets.fields', `"${field}" is not a field of text index ${this.name}`);
      return [field, info.analyzer, queryMatcher(parsed, info.analyzer, field)] as const;
    });
    return (doc) => {
      const out: Partial<Record<F, string>> = {};
      for (const [field, analyzer, matches] of makers) {
        const value = doc[field];
        if (value !== undefined) out[field] = snippet(value, analyzer, matches, snippetOptions);
      }
      return out;
    };
  }

  /** The number of documents matching a query. */
  async count(text: string, givenOptions?: Pick<TextIndexSearchOptions<F>, 'fields'>): Promise<number> {
    const options = optionsObject(givenOptions, 'options');
    const compiled = this.#compile(text, options);
    if (compiled === null) return 0;
    return (await this.#query(compiled, 0, '', false, true)).total ?? 0;
  }

  /** The stored text of a document (null when it is not in the index or the index does not store documents). */
  async get(id: string): Promise<Partial<Record<F, string>> | null> {
    checkId(id);
    const p = partitionOf(id, this.#docs.length);
    const stored = await this.#context.client.hget(`${this.#tags[p] as string}:src`, id);
    return stored === null ? null : (JSON.parse(stored) as Partial<Record<F, string>>);
  }

  /** The number of documents in the index. */
  async size(): Promise<number> {
    const sizes = await Promise.all(this.#docs.map((docs) => this.#context.client.hlen(docs)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** Deletes the whole index; resolves to the number of keys removed. */
  async drop(): Promise<number> {
    let removed = 0;
    for (const tag of this.#tags) removed += await unlinkKeys(this.#context.client, `${globEscape(tag)}:*`);
    return removed;
  }
}

function decodeIndexCursor(cursor: unknown): string {
  let body: unknown;
  try {
    body = typeof cursor === 'string' ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    body = undefined;
  }
  const { i, v } = (typeof body === 'object' && body !== null ? body : {}) as { i?: unknown; v?: unknown };
  if (typeof i !== 'string' || i === '' || !i.isWellFormed() || typeof v !== 'string' || !Number.isFinite(Number(v))) {
    throw new ValidationError('after', 'is not a cursor returned by search()');
  }
  return JSON.stringify({ i, v });
}
