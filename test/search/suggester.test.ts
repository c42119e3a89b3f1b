// The autocomplete index against a brute-force model on generated suggestions, on both topologies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSuggestion } from '../../src/search/suggester.js';
import { ValidationError } from '../../src/store/errors.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { levenshtein } from './text-oracle.js';

const PARTS = ['Par', 'par', 'Pâr', 'is', 'ma', 'Ma', 'ré', 're', 'ville', ' ', 'Ø', '東', 'x'];
const textArb = fc.array(fc.constantFrom(...PARTS), { minLength: 1, maxLength: 4 }).map((p) => p.join('')).filter((s) => foldSuggestion(s) !== '');
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe.each(TOPOLOGIES)('suggester on %s', (topology) => {
  const redis = useTopology(topology);

  it('suggests the best-scored texts for a prefix, exact or one typo away, like a brute-force scan', async () => {
    const s = redis.kickass().suggester('places');
    const model = new Map<string, { text: string; score: number }>();
    const entries = fc.sample(fc.tuple(textArb, fc.integer({ min: -5, max: 50 })), { numRuns: 300, seed: 3 });
    await s.addMany(entries.map(([text, score]) => ({ text, score })));
    for (const [text, score] of entries) model.set(foldSuggestion(text), { text, score });
    for (const [text] of entries.slice(0, 40)) {
      await s.increment(text, 2);
      const m = model.get(foldSuggestion(text)) as { text: string; score: number };
      model.set(foldSuggestion(text), { text, score: m.score + 2 });
    }
    const gone = entries.slice(40, 60).map(([text]) => text);
    await s.remove(...gone);
    for (const text of gone) model.delete(foldSuggestion(text));
    expect(await s.size()).toBe(model.size);

    const prefixes = fc.sample(fc.array(fc.constantFrom(...PARTS), { minLength: 1, maxLength: 2 }).map((p) => p.join('')), { numRuns: 80, seed: 4 });
    for (const prefix of prefixes) {
      // the prefix keeps one trailing space (a finished word), unlike stored texts
      const p = foldSuggestion(prefix) === '' ? '' : foldSuggestion(prefix) + (/\s$/u.test(prefix) ? ' ' : '');
      for (const fuzzy of [false, true]) {
        const want = [...model.entries()]
          .filter(([folded]) => {
            if (!fuzzy) return folded.startsWith(p);
            const chars = Array.from(folded);
            const n = Array.from(p).length;
            return [n - 1, n, n + 1].some((k) => k >= 0 && k <= chars.length && levenshtein(chars.slice(0, k).join(''), p) <= 1);
          })
          .sort(([fa, a], [fb, b]) => b.score - a.score || byBytes(fa, fb))
          .slice(0, 7)
          .map(([, v]) => ({ text: v.text, score: v.score }));
        expect(await s.suggest(prefix, { limit: 7, fuzzy }), `${prefix} fuzzy=${String(fuzzy)}`).toEqual(p === '' ? [] : want);
      }
    }
  });

  it('rejects bad input with typed errors', async () => {
    const s = redis.kickass().suggester('bad');
    await expect(s.add('   ', 1)).rejects.toThrow(ValidationError);
    await expect(s.add('ok', Number.NaN)).rejects.toThrow(ValidationError);
    await expect(s.suggest('a', { limit: 0 })).rejects.toThrow(ValidationError);
    expect(await s.size()).toBe(0);
  });
});
