import { KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';

/** A parsed full-text query. Words are raw: the field's analyzer normalizes them when the query runs. */
export type TextQuery =
  | { readonly type: 'word'; readonly text: string; readonly field?: string; readonly prefix?: true; readonly fuzzy?: number }
  | { readonly type: 'phrase'; readonly words: readonly string[]; readonly field?: string }
  | { readonly type: 'and' | 'or'; readonly children: readonly TextQuery[] }
  | { readonly type: 'not'; readonly child: TextQuery };

/** A full-text query that does not parse; `position` is the UTF-16 offset where the problem is. */
export class QuerySyntaxError extends KickassError {
  readonly position: number;
  readonly reason: string;

  constructor(position: number, reason: string, options: KickassErrorOptions = {}) {
    super('E_QUERY_SYNTAX', `Query syntax error at ${String(position)}: ${reason}`, { ...options, context: { ...options.context, position, reason } });
    this.position = position;
    this.reason = reason;
  }
}

/** Longest query text, in characters. */
export const MAX_QUERY_LENGTH = 4096;
/** Deepest nesting of parentheses and NOT. */
export const MAX_QUERY_DEPTH = 32;
/** Largest edit distance of a fuzzy word (`word~2`). */
export const MAX_FUZZY = 2;

type Lexeme =
  | { readonly kind: 'word'; readonly text: string; readonly at: number }
  | { readonly kind: 'phrase'; readonly text: string; readonly at: number }
  | { readonly kind: '(' | ')' | '-' | 'AND' | 'OR' | 'NOT' | 'end'; readonly at: number };

const FIELD = /^([A-Za-z][A-Za-z0-9_]{0,63}):/;
const SPACE = /\s/u;

function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (SPACE.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c, at: i++ });
    } else if (c === '-' && (out.length === 0 || i === 0 || SPACE.test(text[i - 1] as string) || text[i - 1] === '(')) {
      out.push({ kind: '-', at: i++ });
    } else if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw new QuerySyntaxError(i, 'this quote is never closed');
      out.push({ kind: 'phrase', text: text.slice(i + 1, close), at: i });
      i = close + 1;
    } else {
      const start = i;
      while (i < text.length && !SPACE.test(text[i] as string) && text[i] !== '(' && text[i] !== ')' && text[i] !== '"') i++;
      const word = text.slice(start, i);
      // a field name glued to a phrase: title:"exact words"
      if (FIELD.test(word) && word.endsWith(':') && text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) throw new QuerySyntaxError(i, 'this quote is never closed');
        out.push({ kind: 'phrase', text: word + text.slice(i + 1, close), at: start });
        i = close + 1;
      } else if (word === 'AND' || word === 'OR' || word === 'NOT') {
        out.push({ kind: word, at: start });
      } else {
        out.push({ kind: 'word', text: word, at: start });
      }
    }
  }
  out.push({ kind: 'end', at: text.length });
  return out;
}

function splitField(text: string, at: number): { field?: string; rest: string } {
  const match = FIELD.exec(text);
  if (match === null) return { rest: text };
  const rest = text.slice(match[0].length);
  if (rest === '') throw new QuerySyntaxError(at, `field ${match[1] ?? ''} has no word or phrase after the colon`);
  return { field: match[1], rest };
}

function wordNode(text: string, at: number): TextQuery {
  const { field, rest } = splitField(text, at);
  const base = field === undefined ? {} : { field };
  const fuzzy = /~(\d*)$/.exec(rest);
  if (fuzzy !== null) {
    const word = rest.slice(0, fuzzy.index);
    const distance = fuzzy[1] === '' ? 1 : Number(fuzzy[1]);
    if (word === '') throw new QuerySyntaxError(at, 'a fuzzy mark ~ needs a word before it');
    if (!(distance >= 0 && distance <= MAX_FUZZY)) throw new QuerySyntaxError(at + text.length - (fuzzy[1] ?? '').length, `fuzzy distance must be 0 to ${String(MAX_FUZZY)}`);
    return { type: 'word', text: word, ...base, fuzzy: distance };
  }
  if (rest.endsWith('*')) {
    const word = rest.replace(/\*+$/, '');
    if (word === '') throw new QuerySyntaxError(at, 'a prefix * needs a word before it');
    return { type: 'word', text: word, ...base, prefix: true };
  }
  return { type: 'word', text: rest, ...base };
}

function phraseNode(text: string, at: number): TextQuery {
  const { field, rest } = splitField(text, at);
  const words = rest.split(/\s+/u).filter(Boolean);
  if (words.length === 0) throw new QuerySyntaxError(at, 'an empty phrase ""');
  return { type: 'phrase', words, ...(field === undefined ? {} : { field }) };
}

/**
 * Parses the full-text query language: words (AND by default), `OR`, `NOT` / `-word`,
 * `"exact phrase"`, `prefix*`, `field:word`, `field:"phrase"`, fuzzy `word~1`, parentheses.
 * Any string either parses or throws QuerySyntaxError with the offset of the problem; the work is
 * linear in the length (at most {@link MAX_QUERY_LENGTH} characters, {@link MAX_QUERY_DEPTH} levels).
 */
export function parseTextQuery(text: string): TextQuery {
  if (typeof text !== 'string') throw new QuerySyntaxError(0, 'the query must be a string');
  if (text.length > MAX_QUERY_LENGTH) throw new QuerySyntaxError(MAX_QUERY_LENGTH, `the query is longer than ${String(MAX_QUERY_LENGTH)} characters`);
  const lexemes = lex(text);
  let pos = 0;
  const peek = (): Lexeme => lexemes[pos] as Lexeme;
  const next = (): Lexeme => lexemes[pos++] as Lexeme;
  const startsOperand = (l: Lexeme): boolean => l.kind === 'word' || l.kind === 'phrase' || l.kind === '(' || l.kind === '-' || l.kind === 'NOT';

  const parseOr = (depth: number): TextQuery => {
    const children = [parseAnd(depth)];
    while (peek().kind === 'OR') {
      next();
      children.push(parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as TextQuery) : { type: 'or', children };
  };
  const parseAnd = (depth: number): TextQuery => {
    const children = [parseUnary(depth)];
    for (;;) {
      if (peek().kind === 'AND') {
        next();
        children.push(parseUnary(depth));
      } else if (startsOperand(peek())) {
        children.push(parseUnary(depth));
      } else {
        break;
      }
    }
    return children.length === 1 ? (children[0] as TextQuery) : { type: 'and', children };
  };
  const parseUnary = (depth: number): TextQuery => {
    const l = peek();
    if (depth > MAX_QUERY_DEPTH) throw new QuerySyntaxError(l.at, `nesting deeper than ${String(MAX_QUERY_DEPTH)} levels`);
    if (l.kind === '-' || l.kind === 'NOT') {
      next();
      return { type: 'not', child: parseUnary(depth + 1) };
    }
    return parsePrimary(depth);
  };
  const parsePrimary = (depth: number): TextQuery => {
    const l = next();
    switch (l.kind) {
      case 'word':
        return wordNode(l.text, l.at);
      case 'phrase':
        return phraseNode(l.text, l.at);
      case '(': {
        if (peek().kind === ')') throw new QuerySyntaxError(l.at, 'empty parentheses');
        const inner = parseOr(depth + 1);
        const close = next();
        if (close.kind !== ')') throw new QuerySyntaxError(l.at, 'this parenthesis is never closed');
        return inner;
      }
      case 'end':
        throw new QuerySyntaxError(l.at, pos === 1 ? 'the query has no words' : 'the query ends where a word was expected');
      default:
        throw new QuerySyntaxError(l.at, `unexpected ${l.kind} where a word was expected`);
    }
  };

  const query = parseOr(0);
  const rest = peek();
  if (rest.kind !== 'end') throw new QuerySyntaxError(rest.at, rest.kind === ')' ? 'this parenthesis closes nothing' : `unexpected ${rest.kind}`);
  return query;
}
