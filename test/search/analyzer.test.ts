import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { createAnalyzer } from '../../src/search/analyzer.js';
import type { Language } from '../../src/search/analyzer.js';

const terms = (language: Language, text: string): string[] => createAnalyzer({ language }).analyze(text).map((t) => t.term);

describe('analyzer', () => {
  it('splits Unicode text into words, CJK included, and folds case and accents', () => {
    expect(terms('none', 'Ünïcödé café, x{1} NAÏVE')).toEqual(['unicode', 'cafe', 'x', '1', 'naive']);
    expect(terms('none', '我喜欢Redis数据库')).toEqual(['我', '喜欢', 'redis', '数据', '库']);
    expect(terms('none', 'ﬁne Ｒｅｄｉｓ')).toEqual(['fine', 'redis']); // NFKC: ligature and full-width letters
    expect(createAnalyzer({ language: 'none', foldAccents: false }).analyze('Café').map((t) => t.term)).toEqual(['café']);
  });

  it('stems with Snowball and drops stopwords in five languages, keeping word positions', () => {
    expect(terms('english', 'The runners were running and ran')).toEqual(['runner', 'run', 'ran']);
    expect(terms('french', "L'arbre des maisons continuellement")).toEqual(['arbre', 'maison', 'continuel']); // elision: l'arbre -> arbre
    expect(terms('german', 'Die Häuser und das Haus')).toEqual(['haus', 'haus']);
    expect(terms('spanish', 'Las casas y los coches')).toEqual(['cas', 'coch']);
    expect(terms('russian', 'Машины и машина')).toEqual(['машин', 'машин']);
    const tokens = createAnalyzer({ language: 'english' }).analyze('the quick fox');
    expect(tokens).toEqual([
      { term: 'quick', position: 1, start: 4, end: 9 },
      { term: 'fox', position: 2, start: 10, end: 13 },
    ]);
  });

  it('takes custom stopwords, no stemming, a length limit, and normalizes single query words', () => {
    const custom = createAnalyzer({ language: 'english', stopwords: ['redis'], stem: false, maxLength: 5 });
    expect(custom.analyze('Redis is the fastest store').map((t) => t.term)).toEqual(['is', 'the', 'store']);
    expect(custom.term('REDIS')).toBeNull();
    expect(createAnalyzer().term('Running')).toBe('run');
    expect(createAnalyzer().name).not.toBe(custom.name);
    expect(() => createAnalyzer({ language: 'klingon' as Language })).toThrow(InvalidArgumentError);
    expect(() => createAnalyzer({ maxLength: 0 })).toThrow(InvalidArgumentError);
  });

  it('never throws on any string, and every token points at its word in the text', () => {
    const analyzers = (['english', 'french', 'german', 'spanish', 'russian', 'none'] as const).map((language) => createAnalyzer({ language }));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(5), (text, which) => {
        const analyzer = analyzers[which] as (typeof analyzers)[number];
        let last = -1;
        for (const token of analyzer.analyze(text)) {
          expect(token.position).toBeGreaterThan(last);
          last = token.position;
          expect(token.term.length).toBeGreaterThan(0);
          expect(token.term).toBe(token.term.toLowerCase());
          expect(/\p{M}/u.test(token.term)).toBe(false);
          expect(token.end).toBeGreaterThan(token.start);
          // the word at the offsets, analyzed alone, gives the same term
          expect(analyzer.term(text.slice(token.start, token.end))).toBe(token.term);
        }
      }),
      { numRuns: 500 },
    );
  });
});
