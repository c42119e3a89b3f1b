// Terms with more documents than one listpack-sized sorted set holds ("big" terms: postings in
// hashed buckets plus a head of the best postings, see SMALL_MAX in _object.lua): hits, top-k
// pages and BM25 scores against the brute-force model through adds, replaces and removes, and
// verify/reindex of a model whose big terms lose their head or postings, on both topologies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/search/analyzer.js';
import type { Analyzer } from '../../src/search/analyzer.js';
import { parseTextQuery } from '../../src/search/query-parser.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { TextOracle } from './text-oracle.js';

const english = createAnalyzer({ language: 'english' });
const ANALYZERS = new Map<string, Analyzer>([
  ['title', english],
  ['body', english],
]);
const FIELDS = ['title', 'body'];
const WEIGHTS = { title: 3, body: 1 };
// few words, the first ones far more frequent: several terms reach hundreds of documents per partition
const VOCAB = ['data', 'fox', 'quick', 'house', 'river', 'stone', 'light', 'green', 'paper', 'music', 'zebra', 'quartz'];
const wordArb = fc.integer({ min: 0, max: 143 }).map((n) => VOCAB[11 - Math.floor(Math.sqrt(n))] as string);
const textArb = (max: number): fc.Arbitrary<string> => fc.array(wordArb, { minLength: 1, maxLength: max }).map((w) => w.join(' '));
const docArb = fc.record({ title: fc.option(textArb(3), { nil: undefined, freq: 3 }), body: textArb(14) });
const queryArb = fc
  .tuple(fc.uniqueArray(fc.constantFrom(...VOCAB, 'nowhere'), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([words, or]) => ({ words, text: words.join(or ? ' OR ' : ' ') }));

interface Hit {
  readonly id: string;
  readonly score: number;
}

/** BM25 parameters: the defaults the heads are ordered for, and others. */
interface Bm25 {
  readonly k1: number;
  readonly b: number;
}
const DEFAULT: Bm25 = { k1: 1.2, b: 0.75 };

/** The oracle's ranking of a query of plain words: matches by BM25 (score descending, id ascending). */
function expectedRanking(oracle: TextOracle, words: readonly string[], text: string, { k1, b }: Bm25 = DEFAULT): Hit[] {
  const terms = words.map((w) => english.term(w)).filter((term): term is string => term !== null);
  return [...oracle.matches(parseTextQuery(text), FIELDS)]
    .map((id) => ({ id, score: oracle.bm25(id, terms, WEIGHTS, k1, b) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A page equals the oracle's ranking: same scores rank by rank, each hit a match with its own score (ties may order apart by rounding). */
function expectRanking(page: readonly Hit[], expected: readonly Hit[], oracle: TextOracle, words: readonly string[], label: string, { k1, b }: Bm25 = DEFAULT): void {
  const terms = words.map((w) => english.term(w)).filter((term): term is string => term !== null);
  expect(page.length, label).toBe(expected.length);
  expect(new Set(page.map((h) => h.id)).size, label).toBe(page.length);
  page.forEach((hit, i) => {
    expect(hit.score, label).toBeCloseTo((expected[i] as Hit).score, 9);
    expect(hit.score, label).toBeCloseTo(oracle.bm25(hit.id, terms, WEIGHTS, k1, b), 9);
  });
}

describe.each(TOPOLOGIES)('big text terms on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([
    [1, 3000],
    [3, 6000],
  ])('ranks like a brute-force scan through adds, replaces and removes (%i partitions, %i documents)', async (partitions, count) => {
    const kr = redis.kickass();
    const index = kr.textIndex('big', { fields: { title: { analyzer: english, weight: 3 }, body: { analyzer: english } }, partitions });
    const oracle = new TextOracle(ANALYZERS);
    const docs = fc.sample(docArb, { numRuns: count, seed: 40 + partitions });
    await index.addMany(docs.map((d, i) => ({ id: `d${String(i)}`, ...d })));
    for (const [i, d] of docs.entries()) oracle.put({ id: `d${String(i)}`, fields: d });
    // the layout under test is there: big terms with heads
    expect((await keysWithPrefix(redis.client, kr.prefix)).filter((k) => k.includes(':wt:')).length).toBeGreaterThan(5 * partitions);

    const check = async (seed: number): Promise<void> => {
      let uncounted = 0;
      await fc.assert(
        fc.asyncProperty(queryArb, async ({ words, text }) => {
          const expected = expectedRanking(oracle, words, text);
          const all = await index.search(text, { limit: 10_000 });
          expect(all.total, text).toBe(expected.length);
          expectRanking(all.hits, expected, oracle, words, text);
          for (const limit of [1, 10]) {
            const top = await index.search(text, { limit, total: false });
            expectRanking(top.hits, expected.slice(0, limit), oracle, words, `${text} (top ${String(limit)})`);
            if (top.total === null) uncounted++;
          }
          // other BM25 parameters: the heads are read whole and bounded by length / tf
          const other = { k1: 2, b: 0.3 };
          const top = await index.search(text, { limit: 10, total: false, ...other });
          expectRanking(top.hits, expectedRanking(oracle, words, text, other).slice(0, 10), oracle, words, `${text} (k1 2, b 0.3)`, other);
        }),
        { numRuns: 40, seed },
      );
      // the top-k reads (which leave the total uncounted) answered a good share of the pages
      expect(uncounted).toBeGreaterThan(10);
    };
    await check(1);

    // replaces change lengths and tfs (heads gain and lose postings); removes shrink heads until they are rebuilt
    const replaced = fc.sample(fc.tuple(fc.integer({ min: 0, max: count - 1 }), docArb), { numRuns: Math.floor(count / 2), seed: 2 });
    await index.addMany(replaced.map(([i, d]) => ({ id: `d${String(i)}`, ...d })));
    for (const [i, d] of replaced) oracle.put({ id: `d${String(i)}`, fields: d });
    const gone = Array.from({ length: Math.floor((count * 2) / 3) }, (_, i) => `d${String(i)}`);
    expect(await index.removeMany(gone)).toBe(gone.length);
    for (const id of gone) oracle.delete(id);
    await check(3);

    // every document gone: no posting, head or description is left behind
    await index.removeMany(Array.from({ length: count }, (_, i) => `d${String(i)}`));
    const left = await keysWithPrefix(redis.client, kr.prefix);
    expect(left.filter((k) => /:(w|wt|wc|wd|wm):/.test(k))).toEqual([]);
  });

  it('verify finds and reindex repairs a big term that lost its head, its count or a posting', async () => {
    const kr = redis.kickass();
    const M = kr.model('bigrepair', { body: t.text({ analyzer: english }) }, { partitions: 1 });
    const docs = fc.sample(textArb(14), { numRuns: 400, seed: 9 });
    await M.createMany(docs.map((body, i) => ({ id: `o${String(i)}`, body })));
    expect((await M.verify()).problems).toEqual([]);
    const [keys] = M.internals.partitions;
    if (keys === undefined) throw new Error('no partition');
    const before = await M.find().search('data').limit(10).hits();
    const client = redis.client;
    const head = `${keys.tag}:wt:body:data`;
    expect(await client.zcard(head)).toBeGreaterThan(0);
    await client.del(head);
    // fox's description ("B T df A Q") with a wrong count
    const fox = ((await client.hget(`${keys.tag}:wc:body`, 'fox')) ?? '').split(' ');
    fox[2] = '3';
    await client.hset(`${keys.tag}:wc:body`, 'fox', fox.join(' '));
    // a posting of quick that its head holds, lost from its bucket
    const [lost] = await client.zrange(`${keys.tag}:wt:body:quick`, '0', '0');
    let removed = 0;
    const buckets = (await keysWithPrefix(client, kr.prefix)).filter((k) => k.startsWith(`${keys.tag}:w:body:quick:`));
    expect(buckets.length).toBeGreaterThan(1);
    for (const bucket of buckets) removed += await client.zrem(bucket, lost as string);
    expect(removed).toBe(1);
    const report = await M.verify();
    expect(report.counts['wrong-text-head']).toBe(3); // data (no head), fox (count), quick (a head entry without its posting)
    expect(report.counts['missing-entry']).toBe(1);
    await M.reindex();
    expect((await M.verify()).problems).toEqual([]);
    expect(await M.find().search('data').limit(10).hits()).toEqual(before);
    expect(await client.zcard(head)).toBeGreaterThan(0);
  });
});
