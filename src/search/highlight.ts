import { InvalidArgumentError } from '../core/errors.js';
import type { Analyzer } from './analyzer.js';
import { parseTextQuery } from './query-parser.js';
import type { TextQuery } from './query-parser.js';

/** How matched words are marked. */
export interface HighlightOptions {
  /** Inserted before each matched word. @defaultValue '<b>' */
  readonly pre?: string;
  /** Inserted after each matched word. @defaultValue '</b>' */
  readonly post?: string;
  /** HTML-escape the text around the marks (the marks themselves are inserted as given). @defaultValue true */
  readonly escape?: boolean;
}

/** How a snippet is cut. */
export interface SnippetOptions extends HighlightOptions {
  /** Most characters of text in the snippet (marks and ellipses not counted). @defaultValue 160 */
  readonly length?: number;
  /** Marks text cut at either end. @defaultValue '…' */
  readonly ellipsis?: string;
}

/** Decides whether an analyzed term of a field is one a query looks for. */
export type TermMatcher = (term: string) => boolean;

function editDistanceAtMost(a: string, b: string, k: number): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  if (Math.abs(x.length - y.length) > k) return false;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return (prev[y.length] as number) <= k;
}

/**
 * The matcher of the terms a query looks for in `field` (through that field's analyzer): its
 * words, phrase words, prefixes and fuzzy words, except those under NOT or restricted to
 * another field. `field` undefined matches words of any field.
 */
export function queryMatcher(query: string | TextQuery, analyzer: Analyzer, field?: string): TermMatcher {
  const parsed = typeof query === 'string' ? parseTextQuery(query) : query;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const fuzzy: [string, number][] = [];
  const visit = (q: TextQuery): void => {
    switch (q.type) {
      case 'and':
      case 'or':
        q.children.forEach(visit);
        return;
      case 'not':
        return;
      case 'phrase':
        if (q.field === undefined || field === undefined || q.field === field) for (const t of analyzer.analyze(q.words.join(' '))) exact.add(t.term);
        return;
      case 'word':
        if (q.field === undefined || field === undefined || q.field === field) word(q);
    }
  };
  const word = (q: Extract<TextQuery, { type: 'word' }>): void => {
    if (q.prefix === true) {
      const p = analyzer.prefix(q.text);
      if (p !== null) prefixes.push(p);
    } else if (q.fuzzy !== undefined && q.fuzzy > 0) {
      const t = analyzer.term(q.text);
      if (t !== null) fuzzy.push([t, q.fuzzy]);
    } else {
      for (const t of analyzer.analyze(q.text)) exact.add(t.term);
    }
  };
  visit(parsed);
  return (term) => exact.has(term) || prefixes.some((p) => term.startsWith(p)) || fuzzy.some(([w, d]) => editDistanceAtMost(term, w, d));
}

const HTML: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function marker(options: HighlightOptions): { pre: string; post: string; text: (s: string) => string } {
  const pre = options.pre ?? '<b>';
  const post = options.post ?? '</b>';
  if (typeof pre !== 'string' || typeof post !== 'string') throw new InvalidArgumentError('pre', 'pre and post must be strings');
  const escape = options.escape ?? true;
  return { pre, post, text: escape ? (s) => s.replace(/[&<>"']/g, (c) => HTML[c] as string) : (s) => s };
}

function marked(text: string, from: number, to: number, spans: readonly (readonly [number, number])[], options: HighlightOptions): string {
  const { pre, post, text: plain } = marker(options);
  let out = '';
  let at = from;
  for (const [start, end] of spans) {
    if (start < from || end > to) continue;
    out += plain(text.slice(at, start)) + pre + plain(text.slice(start, end)) + post;
    at = end;
  }
  return out + plain(text.slice(at, to));
}

/** The [start, end) offsets of the words of `text` whose terms `matches` accepts. */
export function matchedSpans(text: string, analyzer: Analyzer, matches: TermMatcher): [number, number][] {
  return analyzer
    .analyze(text)
    .filter((t) => matches(t.term))
    .map((t) => [t.start, t.end]);
}

/** The whole text with every word the query looks for marked (`<b>word</b>` by default, HTML-escaped around). */
export function highlight(text: string, analyzer: Analyzer, query: string | TextQuery | TermMatcher, options: HighlightOptions = {}): string {
  const matches = typeof query === 'function' ? query : queryMatcher(query, analyzer);
  return marked(text, 0, text.length, matchedSpans(text, analyzer, matches), options);
}

/**
 * The passage of at most `length` characters holding the most matched words (the earliest such
 * one), widened to word boundaries, with the matches marked and ellipses where text was cut; the
 * start of the text when nothing matches.
 */
export function snippet(text: string, analyzer: Analyzer, query: string | TextQuery | TermMatcher, options: SnippetOptions = {}): string {
  const length = options.length ?? 160;
  if (!Number.isSafeInteger(length) || length < 1) throw new InvalidArgumentError('length', 'must be a positive integer');
  const ellipsis = options.ellipsis ?? '…';
  const matches = typeof query === 'function' ? query : queryMatcher(query, analyzer);
  const spans = matchedSpans(text, analyzer, matches);
  if (text.length <= length) return marked(text, 0, text.length, spans, options);
  let best = -1;
  let bestCount = 0;
  for (let i = 0; i < spans.length; i++) {
    const start = (spans[i] as [number, number])[0];
    let count = 0;
    for (let j = i; j < spans.length && (spans[j] as [number, number])[1] <= start + length; j++) count++;
    if (count > bestCount) [best, bestCount] = [i, count];
  }
  let from = 0;
  if (best >= 0) {
    const [first] = spans[best] as [number, number];
    const last = (spans[best + bestCount - 1] as [number, number])[1];
    // centre the matches in the window, then back up to a word start
    from = Math.max(0, Math.min(text.length - length, first - Math.floor((length - (last - first)) / 2)));
    while (from > 0 && from < first && !/\s/u.test(text[from - 1] as string)) from++;
  }
  let to = Math.min(text.length, from + length);
  while (to < text.length && to > from && !/\s/u.test(text[to] as string)) to--;
  if (to <= from) to = Math.min(text.length, from + length);
  return (from > 0 ? ellipsis : '') + marked(text, from, to, spans, options).trim() + (to < text.length ? ellipsis : '');
}
