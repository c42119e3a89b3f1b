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

  it('finds the words Intl.Segmenter finds in the whole text, though it segments (and remembers) chunks between whitespace', () => {
    const analyzer = createAnalyzer({ language: 'none', stopwords: ['b'] });
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
    // the reference: every word segment of the whole text, in order, as (position, start, end)
    const reference = (text: string): string[] => {
      const out: string[] = [];
      let position = 0;
      for (const { segment, index } of segmenter.segment(text)) {
        if (!/[\p{L}\p{N}]/u.test(segment)) continue;
        if (analyzer.term(segment) !== null) out.push(`${String(position)}:${String(index)}-${String(index + segment.length)}`);
        position++;
      }
      return out;
    };
    const pieces = ['a', 'b', 'Z', '1', '9', '.', ',', ';', ':', "'", '\u2019', '_', '-', ' ', ' ', '\n', '\t', '\u0301', '\u200d', '\u00ad', '我', '喜欢', 'é', 'ß', '🙂', '\u00a0', '\u3000'];
    const texts = fc.oneof(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((list) => list.join('')), fc.string({ unit: 'binary', maxLength: 60 }));
    fc.assert(
      fc.property(texts, (text) => {
        // twice: the second analysis reads the remembered chunks
        for (let pass = 0; pass < 2; pass++) {
          expect(analyzer.analyze(text).map((t) => `${String(t.position)}:${String(t.start)}-${String(t.end)}`)).toEqual(reference(text));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
