// A brute-force full-text model: every document analyzed here and every query evaluated over
// every document, with none of the library's index, plan or script code. Only the analyzer and
// the query parser are shared (they are what the index is defined by).
import type { Analyzer } from '../../src/search/analyzer.js';
import type { TextQuery } from '../../src/search/query-parser.js';

/** A document: text per field (undefined: no value). */
export interface OracleDoc {
  readonly id: string;
  readonly fields: Readonly<Record<string, string | undefined>>;
}

interface AnalyzedField {
  readonly byPosition: Map<number, string>;
  readonly terms: Map<string, number>;
  readonly length: number;
}

/** Edit distance in code points. */
export function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length] as number;
}

/** A corpus analyzed once, queried by brute force. */
export class TextOracle {
  readonly #analyzers: ReadonlyMap<string, Analyzer>;
  readonly #docs = new Map<string, Map<string, AnalyzedField>>();
  /** Corpus statistics already counted (per field: n and avgdl; per field and term: df), cleared on every change. */
  readonly #stats = new Map<string, number>();

  constructor(analyzers: ReadonlyMap<string, Analyzer>) {
    this.#analyzers = analyzers;
  }

  /** Adds or replaces a document. */
  put(doc: OracleDoc): void {
    this.#stats.clear();
    const fields = new Map<string, AnalyzedField>();
    for (const [name, text] of Object.entries(doc.fields)) {
      if (text === undefined) continue;
      const tokens = (this.#analyzers.get(name) as Analyzer).analyze(text);
      const terms = new Map<string, number>();
      for (const t of tokens) terms.set(t.term, (terms.get(t.term) ?? 0) + 1);
      fields.set(name, { byPosition: new Map(tokens.map((t) => [t.position, t.term])), terms, length: tokens.length });
    }
    this.#docs.set(doc.id, fields);
  }

  delete(id: string): void {
    this.#stats.clear();
    this.#docs.delete(id);
  }

  get ids(): string[] {
    return [...this.#docs.keys()];
  }

  /** The ids matching the query in the searched fields (null: nothing searchable, no match). */
  matches(query: TextQuery, searched: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const [id, fields] of this.#docs) if (this.#eval(query, searched, fields) === true) out.add(id);
    return out;
  }

  /** true / false, or null when the node analyzes to nothing and drops out. */
  #eval(q: TextQuery, searched: readonly string[], doc: Map<string, AnalyzedField>): boolean | null {
    switch (q.type) {
      case 'and':
      case 'or': {
        const kept = q.children.map((c) => this.#eval(c, searched, doc)).filter((v): v is boolean => v !== null);
        if (kept.length === 0) return null;
        return q.type === 'and' ? kept.every(Boolean) : kept.some(Boolean);
      }
      case 'not': {
        const v = this.#eval(q.child, searched, doc);
        return v === null ? null : !v;
      }
      case 'phrase':
        return this.#words(q.words.join(' '), q.field === undefined ? searched : [q.field], doc);
      case 'word': {
        const fields = q.field === undefined ? searched : [q.field];
        if (q.prefix === true) return this.#expanded(fields, doc, (a) => a.prefix(q.text), (term, p) => term.startsWith(p));
        if (q.fuzzy !== undefined && q.fuzzy > 0) {
          const d = q.fuzzy;
          return this.#expanded(fields, doc, (a) => a.term(q.text), (term, w) => levenshtein(term, w) <= d);
        }
        return this.#words(q.text, fields, doc);
      }
    }
  }

  #expanded(fields: readonly string[], doc: Map<string, AnalyzedField>, word: (a: Analyzer) => string | null, hit: (term: string, word: string) => boolean): boolean | null {
    let any = false;
    let searchable = false;
    for (const f of fields) {
      const w = word(this.#analyzers.get(f) as Analyzer);
      if (w === null) continue;
      searchable = true;
      const field = doc.get(f);
      if (field !== undefined && [...field.terms.keys()].some((t) => hit(t, w))) any = true;
    }
    return searchable ? any : null;
  }

  #words(text: string, fields: readonly string[], doc: Map<string, AnalyzedField>): boolean | null {
    let searchable = false;
    for (const f of fields) {
      const tokens = (this.#analyzers.get(f) as Analyzer).analyze(text);
      const [first] = tokens;
      if (first === undefined) continue;
      searchable = true;
      const field = doc.get(f);
      if (field === undefined) continue;
      for (const [p, term] of field.byPosition) {
        if (term === first.term && tokens.every((t) => field.byPosition.get(p + t.position - first.position) === t.term)) return true;
      }
    }
    return searchable ? false : null;
  }

  /**
   * The BM25 score of a document for distinct plain terms (already analyzed, one per field list),
   * computed from the definition: sum over fields and terms of
   * weight * ln(1 + (N - df + 0.5) / (df + 0.5)) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl)),
   * N, df and avgdl per field over the whole corpus.
   */
  bm25(id: string, terms: readonly string[], weights: Readonly<Record<string, number>>, k1 = 1.2, b = 0.75): number {
    const doc = this.#docs.get(id);
    if (doc === undefined) return 0;
    let score = 0;
    for (const [f, weight] of Object.entries(weights)) {
      const field = doc.get(f);
      if (field === undefined) continue;
      const n = this.#count(`n\n${f}`, () => [...this.#docs.values()].filter((other) => other.has(f)).length);
      const total = this.#count(`l\n${f}`, () => [...this.#docs.values()].reduce((sum, other) => sum + (other.get(f)?.length ?? 0), 0));
      const avg = n > 0 && total > 0 ? total / n : 1;
      for (const term of terms) {
        const tf = field.terms.get(term) ?? 0;
        if (tf === 0) continue;
        const df = this.#count(`d\n${f}\n${term}`, () => [...this.#docs.values()].filter((other) => (other.get(f)?.terms.get(term) ?? 0) > 0).length);
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += weight * idf * ((tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * field.length) / avg)));
      }
    }
    return score;
  }

  #count(key: string, compute: () => number): number {
    let value = this.#stats.get(key);
    if (value === undefined) {
      value = compute();
      this.#stats.set(key, value);
    }
    return value;
  }
}
