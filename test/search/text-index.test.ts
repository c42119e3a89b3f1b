// The standalone text index, checked against the brute-force model (text-oracle.ts) on a
// generated corpus, on both topologies, with one and with several partitions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/search/analyzer.js';
import type { Analyzer } from '../../src/search/analyzer.js';
import { parseTextQuery } from '../../src/search/query-parser.js';
import { ValidationError } from '../../src/store/errors.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { TextOracle } from './text-oracle.js';

const english = createAnalyzer({ language: 'english' });
const german = createAnalyzer({ language: 'german' });
const ANALYZERS = new Map<string, Analyzer>([
  ['title', english],
  ['body', english],
  ['de', german],
]);
const FIELDS = ['title', 'body', 'de'];
const VOCAB = ['Haus', 'Häuser', 'house', 'houses', 'the', 'und', 'quick', 'quickly', 'fox', 'foxes', 'über', 'uber', 'data', 'dat', 'dart', 'Straße', 'strasse', 'z'];

const textArb = fc.array(fc.constantFrom(...VOCAB), { maxLength: 8 }).map((words) => words.join(' '));
const docArb = fc.record({
  title: fc.option(textArb, { nil: undefined }),
  body: fc.option(textArb, { nil: undefined }),
  de: fc.option(textArb, { nil: undefined }),
});
const queryArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(...VOCAB, 'missing'),
      fc.constantFrom(...VOCAB).map((w) => `${w.slice(0, 2)}*`),
      fc.constantFrom(...VOCAB).map((w) => `${w}~1`),
      fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(...VOCAB)).map(([a, b]) => `"${a} ${b}"`),
      fc.constantFrom(...VOCAB).map((w) => `-${w}`),
      fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...VOCAB)).map(([f, w]) => `${f}:${w}`),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .chain((parts) => fc.constantFrom(parts.join(' '), parts.join(' OR '), `(${parts.join(' OR ')}) ${parts[0] ?? ''}`));

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

describe.each(TOPOLOGIES)('standalone text index on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([1, 3])('finds and ranks what a brute-force scan does, through replaces and removes (%i partitions)', async (partitions) => {
    const index = redis.kickass().textIndex('docs', { fields: { title: { analyzer: english, weight: 3 }, body: { analyzer: english }, de: { analyzer: german } }, partitions });
    const oracle = new TextOracle(ANALYZERS);
    const docs = fc.sample(docArb, { numRuns: 250, seed: 300 + partitions });
    expect(await index.addMany(docs.map((d, i) => ({ id: String(i), ...d })))).toBe(docs.length);
    for (const [i, d] of docs.entries()) oracle.put({ id: String(i), fields: d });

    const check = async (seed: number): Promise<void> => {
      await fc.assert(
        fc.asyncProperty(queryArb, async (text) => {
          const expected = sorted(oracle.matches(parseTextQuery(text), FIELDS));
          const page = await index.search(text, { limit: 10_000 });
          expect(sorted(page.hits.map((h) => h.id)), text).toEqual(expected);
          expect(page.total, text).toBe(expected.length);
          expect(await index.count(text), text).toBe(expected.length);
          const top = await index.search(text, { limit: 5, total: false });
          if (top.total !== null) expect(top.total).toBe(expected.length); // counted when no top-k read suits the query
          expect(top.hits.map((h) => [h.id, h.score]), text).toEqual(page.hits.slice(0, 5).map((h) => [h.id, h.score]));
        }),
        { numRuns: 150, seed },
      );
    };
    await check(11);

    const replaced = fc.sample(fc.tuple(fc.integer({ min: 0, max: docs.length - 1 }), docArb), { numRuns: 80, seed: 12 });
    expect(await index.addMany(replaced.map(([i, d]) => ({ id: String(i), ...d })))).toBe(0);
    for (const [i, d] of replaced) oracle.put({ id: String(i), fields: d });
    const gone = Array.from({ length: 40 }, (_, i) => String(i * 5));
    expect(await index.removeMany([...gone, 'never-added'])).toBe(gone.length);
    for (const id of gone) oracle.delete(id);
    expect(await index.size()).toBe(docs.length - gone.length);
    await check(13);

    // scores: the BM25 definition computed from scratch
    for (const words of [['house'], ['quick', 'fox'], ['data', 'z', 'house']]) {
      const page = await index.search(words.join(' OR '), { fields: ['title', 'body'], limit: 10_000 });
      for (const hit of page.hits) {
        expect(hit.score).toBeCloseTo(oracle.bm25(hit.id, words.map((w) => english.term(w) as string), { title: 3, body: 1 }), 9);
      }
    }
  });

  it('pages with cursors and offsets, stores documents when asked, and drops every key', async () => {
    const kr = redis.kickass();
    const index = kr.textIndex('stored', { fields: { body: {} }, partitions: 3, store: true });
    const docs = Array.from({ length: 60 }, (_, i) => ({ id: `k${String(i)}`, body: `fox ${'quick '.repeat(i % 7)}${i % 2 === 0 ? 'brown' : 'lazy'}` }));
    await index.addMany(docs);
    const all = await index.search('fox OR brown', { limit: 100 });
    expect(all.total).toBe(60);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await index.search('fox OR brown', { limit: 7, ...(after === undefined ? {} : { after }) });
      seen.push(...page.hits.map((h) => h.id));
      if (page.nextCursor === null) break;
      after = page.nextCursor;
    }
    expect(seen).toEqual(all.hits.map((h) => h.id));
    expect((await index.search('fox OR brown', { offset: 10, limit: 5 })).hits.map((h) => h.id)).toEqual(seen.slice(10, 15));
    expect(all.hits[0]?.doc).toEqual({ body: docs.find((d) => d.id === all.hits[0]?.id)?.body });
    expect(await index.get('k3')).toEqual({ body: docs[3]?.body });

    await expect(index.addMany([{ id: 'ok', body: 'x' }, { id: 'bad', nope: 'y' } as never])).rejects.toThrow(ValidationError);
    await expect(index.add({ id: 'n', body: 5 } as never)).rejects.toThrow(ValidationError);
    await expect(index.add({ id: '', body: 'x' })).rejects.toThrow(ValidationError);
    expect(await index.size()).toBe(60);
    expect(() => kr.textIndex('bad name', { fields: { body: {} } })).toThrow();
    await expect(index.search('"unclosed')).rejects.toThrow();
    await expect(index.search('fox', { after: 'junk' })).rejects.toThrow(ValidationError);

    expect(await index.drop()).toBeGreaterThan(0);
    expect(await keysWithPrefix(redis.client, redis.prefix)).toEqual([]);
  });
});
