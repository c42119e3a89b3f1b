import { InvalidArgumentError } from '../core/errors.js';
import type { Analyzer } from './analyzer.js';
import type { TextQuery } from './query-parser.js';

/** A text field as the planner sees it: its analyzer and its weight in the score. */
export interface TextFieldInfo {
  readonly analyzer: Analyzer;
  readonly weight: number;
}

/** A (field, term) pair, or (field, prefix / fuzzy word) before expansion. */
export type FieldTerm = readonly [field: string, term: string];
/** A phrase in one field: its terms with their positions relative to the first. */
export type FieldPhrase = readonly [field: string, terms: readonly (readonly [offset: number, term: string])[]];

/**
 * A compiled text query node, as scripts/_text.lua evaluates it: a word (`t`: exact terms `e`,
 * or a prefix `p` / fuzzy `f` word the script expands over the term dictionary; `i` numbers the
 * words to expand), a phrase `p`, and `a`, or `o`, not `n`.
 */
export type TextNode =
  | { readonly y: 't'; readonly i: number; readonly m: 'e' | 'p' | 'f'; readonly d?: number; readonly a: readonly FieldTerm[] }
  | { readonly y: 'p'; readonly a: readonly FieldPhrase[] }
  | { readonly y: 'a' | 'o'; readonly c: readonly TextNode[] }
  | { readonly y: 'n'; readonly c: TextNode };

/** Ranking statistics: objects with a value and total length per field, document frequencies, expansions per word number. */
export interface TextStats {
  readonly n: Readonly<Record<string, number>>;
  readonly l: Readonly<Record<string, number>>;
  readonly d: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly e: Readonly<Record<string, readonly FieldTerm[]>>;
}

/** What the query script receives as `x`. */
export interface CompiledText {
  readonly n: TextNode;
  /** Weight of every field the query reads. */
  readonly f: Readonly<Record<string, number>>;
  readonly k1: number;
  readonly b: number;
  /** Most dictionary terms one prefix or fuzzy word may stand for. */
  readonly mx: number;
  /** Statistics summed over every partition (absent: each partition ranks with its own). */
  readonly g?: TextStats;
}

/** BM25 parameters. */
export interface Bm25Options {
  /** Term frequency saturation. @defaultValue 1.2 */
  readonly k1?: number;
  /** Length normalization, 0 (none) to 1 (full). @defaultValue 0.75 */
  readonly b?: number;
}

/** Most dictionary terms one prefix or fuzzy word may stand for (per partition); more is E_QUERY_TOO_BROAD. */
export const MAX_EXPANSIONS = 1024;

function checkParameter(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) throw new InvalidArgumentError(name, `must be a number from 0 to ${String(max)}`);
  return value;
}

/**
 * Compiles a parsed query for the fields `searched` (words without a `field:`). Every word goes
 * through the analyzer of each field it is matched in; a word that analyzes to several terms
 * ("wi-fi", CJK) is a phrase. Words that analyze to nothing (stopwords) are left out of their AND
 * or OR; returns null when nothing searchable is left (no object matches).
 */
export function compileTextQuery(query: TextQuery, fields: ReadonlyMap<string, TextFieldInfo>, searched: readonly string[], options: Bm25Options = {}): CompiledText | null {
  const k1 = checkParameter(options.k1, 'k1', 100, 1.2);
  const b = checkParameter(options.b, 'b', 1, 0.75);
  const weights: Record<string, number> = {};
  let words = 0;
  const info = (field: string): TextFieldInfo => fields.get(field) as TextFieldInfo;
  const targets = (field: string | undefined): readonly string[] => {
    if (field === undefined) return searched;
    if (!fields.has(field)) throw new InvalidArgumentError('query', `"${field}" is not a text field`);
    return [field];
  };
  const use = (field: string): string => {
    weights[field] = info(field).weight;
    return field;
  };

  // Exact words and phrases: per field, one term or a phrase of several.
  const exact = (text: string, field: string | undefined): TextNode | null => {
    const terms: FieldTerm[] = [];
    const phrases: FieldPhrase[] = [];
    for (const f of targets(field)) {
      const tokens = info(f).analyzer.analyze(text);
      const [first] = tokens;
      if (first === undefined) continue;
      if (tokens.length === 1) terms.push([use(f), first.term]);
      else phrases.push([use(f), tokens.map((t) => [t.position - first.position, t.term] as const)]);
    }
    const termNode: TextNode | null = terms.length > 0 ? { y: 't', i: 0, m: 'e', a: terms } : null;
    const phraseNode: TextNode | null = phrases.length > 0 ? { y: 'p', a: phrases } : null;
    if (termNode && phraseNode) return { y: 'o', c: [termNode, phraseNode] };
    return termNode ?? phraseNode;
  };

  const expanded = (text: string, field: string | undefined, mode: 'p' | 'f', distance: number): TextNode | null => {
    const alts: FieldTerm[] = [];
    for (const f of targets(field)) {
      const { analyzer } = info(f);
      const word = mode === 'p' ? analyzer.prefix(text) : analyzer.term(text);
      if (word !== null) alts.push([use(f), word]);
    }
    if (alts.length === 0) return null;
    return { y: 't', i: ++words, m: mode, a: alts, ...(mode === 'f' ? { d: distance } : {}) };
  };

  const group = (type: 'a' | 'o', children: readonly TextQuery[]): TextNode | null => {
    const kept = children.map(compile).filter((c): c is TextNode => c !== null);
    if (kept.length <= 1) return kept[0] ?? null;
    return { y: type, c: kept };
  };

  const compile = (node: TextQuery): TextNode | null => {
    switch (node.type) {
      case 'word':
        if (node.prefix === true) return expanded(node.text, node.field, 'p', 0);
        if (node.fuzzy !== undefined && node.fuzzy > 0) return expanded(node.text, node.field, 'f', node.fuzzy);
        return exact(node.text, node.field);
      case 'phrase':
        return exact(node.words.join(' '), node.field);
      case 'and':
        return group('a', node.children);
      case 'or':
        return group('o', node.children);
      case 'not': {
        const child = compile(node.child);
        return child === null ? null : { y: 'n', c: child };
      }
    }
  };

  for (const field of searched) if (!fields.has(field)) throw new InvalidArgumentError('fields', `"${field}" is not a text field`);
  const root = compile(query);
  return root === null ? null : { n: root, f: weights, k1, b, mx: MAX_EXPANSIONS };
}

/** Sums the statistics of several partitions (expansions: the union, in first-seen order). */
export function mergeTextStats(parts: readonly TextStats[]): TextStats {
  // keyed by terms users typed: no prototype, so 'constructor' or '__proto__' are plain keys
  const record = <V>(): Record<string, V> => Object.create(null) as Record<string, V>;
  const n = record<number>();
  const l = record<number>();
  const d = record<Record<string, number>>();
  const e = record<FieldTerm[]>();
  const seen = new Set<string>();
  const add = (into: Record<string, number>, key: string, value: number): void => {
    into[key] = (into[key] ?? 0) + value;
  };
  for (const part of parts) {
    for (const [f, v] of Object.entries(part.n)) add(n, f, v);
    for (const [f, v] of Object.entries(part.l)) add(l, f, v);
    for (const [f, terms] of Object.entries(part.d)) {
      const into = (d[f] ??= record<number>());
      for (const [term, v] of Object.entries(terms)) add(into, term, v);
    }
    for (const [leaf, alts] of Object.entries(part.e)) {
      const into = (e[leaf] ??= []);
      // an empty Lua table arrives as {} rather than []
      for (const alt of (Array.isArray(alts) ? alts : []) as readonly FieldTerm[]) {
        const key = `${leaf}\u0000${alt[0]}\u0000${alt[1]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        into.push(alt);
      }
    }
  }
  return { n, l, d, e };
}
