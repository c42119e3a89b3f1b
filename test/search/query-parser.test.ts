import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_QUERY_LENGTH, QuerySyntaxError, parseTextQuery } from '../../src/search/query-parser.js';
import type { TextQuery } from '../../src/search/query-parser.js';

const w = (text: string, extra: object = {}): TextQuery => ({ type: 'word', text, ...extra });

function syntaxError(text: string): QuerySyntaxError {
  try {
    parseTextQuery(text);
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  throw new Error(`parsed: ${text}`);
}

/** Prints a query so that parseTextQuery reads it back as the same tree. */
function print(q: TextQuery): string {
  switch (q.type) {
    case 'word':
      return `${q.field === undefined ? '' : `${q.field}:`}${q.text}${q.prefix ? '*' : ''}${q.fuzzy === undefined ? '' : `~${String(q.fuzzy)}`}`;
    case 'phrase':
      return `${q.field === undefined ? '' : `${q.field}:`}"${q.words.join(' ')}"`;
    case 'not':
      return `-${q.child.type === 'word' || q.child.type === 'phrase' ? print(q.child) : `(${print(q.child)})`}`;
    default:
      return q.children.map((c) => (c.type === 'and' || c.type === 'or' ? `(${print(c)})` : print(c))).join(q.type === 'or' ? ' OR ' : ' ');
  }
}

const wordText = fc.stringMatching(/^[a-zé中0-9][a-zé中0-9{}.'_-]{0,8}$/).filter((s) => !/^(AND|OR|NOT)$/.test(s));
const fieldArb = fc.option(fc.constantFrom('title', 'body', 'x_1'), { nil: undefined });
const leaf: fc.Arbitrary<TextQuery> = fc.oneof(
  fc.tuple(wordText, fieldArb, fc.constantFrom('plain', 'prefix', 'fuzzy'), fc.integer({ min: 0, max: 2 })).map(([text, field, mode, n]) => ({
    type: 'word' as const,
    text,
    ...(field === undefined ? {} : { field }),
    ...(mode === 'prefix' ? { prefix: true as const } : mode === 'fuzzy' ? { fuzzy: n } : {}),
  })),
  fc.tuple(fc.array(wordText, { minLength: 1, maxLength: 3 }), fieldArb).map(([words, field]) => ({ type: 'phrase' as const, words, ...(field === undefined ? {} : { field }) })),
);
const { tree } = fc.letrec<{ tree: TextQuery }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'q' },
    leaf,
    tie('tree').map((child) => ({ type: 'not' as const, child })),
    fc.tuple(fc.constantFrom('and' as const, 'or' as const), fc.array(tie('tree'), { minLength: 2, maxLength: 3 })).map(([type, children]) => ({ type, children })),
  ),
}));

describe('full-text query language', () => {
  it('parses words, phrases, prefixes, fuzzy words, fields, boolean operators and parentheses', () => {
    expect(parseTextQuery('redis lua')).toEqual({ type: 'and', children: [w('redis'), w('lua')] });
    expect(parseTextQuery('redis OR lua AND fast')).toEqual({ type: 'or', children: [w('redis'), { type: 'and', children: [w('lua'), w('fast')] }] });
    expect(parseTextQuery('-slow NOT "very old" title:ca* body:"x y" fuzzy~ near~2 (a OR b)')).toEqual({
      type: 'and',
      children: [
        { type: 'not', child: w('slow') },
        { type: 'not', child: { type: 'phrase', words: ['very', 'old'] } },
        w('ca', { field: 'title', prefix: true }),
        { type: 'phrase', words: ['x', 'y'], field: 'body' },
        w('fuzzy', { fuzzy: 1 }),
        w('near', { fuzzy: 2 }),
        { type: 'or', children: [w('a'), w('b')] },
      ],
    });
    expect(parseTextQuery('x-ray 12:30 and or')).toEqual({ type: 'and', children: [w('x-ray'), w('12:30'), w('and'), w('or')] });
  });

  it('reports what is wrong and where', () => {
    const cases: [string, number, RegExp][] = [
      ['', 0, /no words/],
      ['   ', 3, /no words/],
      ['a "b c', 2, /never closed/],
      ['(a OR b', 0, /never closed/],
      ['a) b', 1, /closes nothing/],
      ['a OR', 4, /ends where a word/],
      ['OR a', 0, /unexpected OR/],
      ['()', 0, /empty parentheses/],
      ['a ""', 2, /empty phrase/],
      ['title: x', 0, /no word or phrase/],
      ['word~7', 5, /fuzzy distance/],
      ['*', 0, /prefix/],
      ['(((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))', 33, /nesting/],
    ];
    for (const [text, position, reason] of cases) {
      const error = syntaxError(text);
      expect({ text, position: error.position }).toEqual({ text, position });
      expect(error.reason).toMatch(reason);
      expect(error.code).toBe('E_QUERY_SYNTAX');
    }
    expect(syntaxError('a'.repeat(MAX_QUERY_LENGTH + 1)).reason).toMatch(/longer/);
  });

  it('reads back any printed query tree as the same tree', () => {
    fc.assert(
      fc.property(tree, (q) => {
        expect(parseTextQuery(print(q))).toEqual(q);
      }),
      { numRuns: 500 },
    );
  });

  it('either parses or throws QuerySyntaxError at a position inside the text, for any string, quickly', () => {
    const piece = fc.constantFrom('a', 'bc', ' ', '(', ')', '"', '-', '*', '~', '1', '9', ':', 'OR', 'AND', 'NOT', 'title:', 'é', '中', '\u3000', '\n');
    const check = (text: string): void => {
      try {
        const q = parseTextQuery(text);
        expect(q.type).toMatch(/^(word|phrase|and|or|not)$/);
      } catch (error) {
        expect(error).toBeInstanceOf(QuerySyntaxError);
        const { position } = error as QuerySyntaxError;
        expect(position).toBeGreaterThanOrEqual(0);
        expect(position).toBeLessThanOrEqual(text.length);
      }
    };
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }).map((p) => p.join('')), check), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 1000 });
    check('('.repeat(MAX_QUERY_LENGTH));
    check('-'.repeat(MAX_QUERY_LENGTH));
    check('a OR '.repeat(MAX_QUERY_LENGTH / 5 - 1));
  }, 60_000); // a hang would fail the test by this timeout, not by a measured time
});
