// Full-text search of model fields, checked against a brute-force model (text-oracle.ts) on
// generated corpora and random queries, on both topologies, with one and with several partitions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/search/analyzer.js';
import type { Analyzer } from '../../src/search/analyzer.js';
import { QuerySyntaxError, parseTextQuery } from '../../src/search/query-parser.js';
import type { TextQuery } from '../../src/search/query-parser.js';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { TextOracle } from './text-oracle.js';

const english = createAnalyzer({ language: 'english' });
const french = createAnalyzer({ language: 'french' });
const fields = {
  title: t.text({ analyzer: english, weight: 2 }),
  body: t.text({ analyzer: english }),
  fr: t.text({ analyzer: french }),
  tag: t.string().index(),
  rank: t.integer().sortable(),
};
const ANALYZERS = new Map<string, Analyzer>([
  ['title', english],
  ['body', english],
  ['fr', french],
]);
const TEXT_FIELDS = ['title', 'body', 'fr'];

const VOCAB = ['run', 'running', 'runs', 'runner', 'quick', 'quickly', 'café', 'CAFE', 'naïve', 'the', 'of', 'and', 'data', 'database', 'über', '東京', 'straße', 'apple', 'apples', 'color', 'colour', 'colr', 'brown', 'l’été', 'été', 'maison', 'maisons', 'x'];
const SEPARATORS = [' ', ', ', '. ', ' - ', '\n', '! '];

const textArb = fc.array(fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(...SEPARATORS)), { maxLength: 10 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
const docArb = fc.record({
  title: fc.option(textArb, { nil: undefined }),
  body: fc.option(textArb, { nil: undefined }),
  fr: fc.option(textArb, { nil: undefined, freq: 2 }),
  tag: fc.constantFrom('a', 'b', 'c'),
  rank: fc.integer({ min: 0, max: 20 }),
});
type Doc = typeof docArb extends fc.Arbitrary<infer D> ? D : never;

const wordArb: fc.Arbitrary<TextQuery> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...VOCAB, 'nowhere').map((text): TextQuery => ({ type: 'word', text })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...VOCAB), fc.integer({ min: 1, max: 3 })).map(([w, n]): TextQuery => ({ type: 'word', text: Array.from(w).slice(0, n).join(''), prefix: true })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VOCAB, 'colar', 'quik'), fc.constantFrom(1, 2)).map(([text, fuzzy]): TextQuery => ({ type: 'word', text, fuzzy })) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...VOCAB), { minLength: 2, maxLength: 3 }).map((words): TextQuery => ({ type: 'phrase', words })) },
);
const leafArb: fc.Arbitrary<TextQuery> = fc.tuple(wordArb, fc.option(fc.constantFrom(...TEXT_FIELDS), { freq: 3 })).map(([q, field]) =>
  field === null || (q.type !== 'word' && q.type !== 'phrase') ? q : { ...q, field },
);
const queryArb: fc.Arbitrary<TextQuery> = fc.letrec<{ q: TextQuery }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({ type: fc.constantFrom('and' as const, 'or' as const), children: fc.array(tie('q'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ type: fc.constant('not' as const), child: tie('q') }),
  ),
})).q;

/** Prints a query in the query language (parseTextQuery reads it back as the same tree). */
function print(q: TextQuery): string {
  const field = 'field' in q && q.field !== undefined ? `${q.field}:` : '';
  switch (q.type) {
    case 'word':
      return `${field}${q.text}${q.prefix ? '*' : ''}${q.fuzzy === undefined ? '' : `~${String(q.fuzzy)}`}`;
    case 'phrase':
      return `${field}"${q.words.join(' ')}"`;
    case 'not':
      return `-${q.child.type === 'word' || q.child.type === 'phrase' ? print(q.child) : `(${print(q.child)})`}`;
    default:
      return q.children.map((c) => (c.type === 'and' || c.type === 'or' ? `(${print(c)})` : print(c))).join(q.type === 'or' ? ' OR ' : ' ');
  }
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();
const docFields = (d: Doc): Record<string, string | undefined> => ({ title: d.title, body: d.body, fr: d.fr });

describe.each(TOPOLOGIES)('full-text search on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([1, 4])('finds exactly what a brute-force scan finds, before and after updates and deletes (%i partitions)', async (partitions) => {
    const M = redis.kickass().model('doc', fields, { partitions });
    const oracle = new TextOracle(ANALYZERS);
    const docs = fc.sample(docArb, { numRuns: 300, seed: 1000 + partitions });
    await M.createMany(docs.map((d, i) => ({ id: `d${String(i)}`, ...d })));
    for (const [i, d] of docs.entries()) oracle.put({ id: `d${String(i)}`, fields: docFields(d) });
    const tags = new Map(docs.map((d, i) => [`d${String(i)}`, d.tag]));

    const check = async (runs: number, seed: number): Promise<void> => {
      await fc.assert(
        fc.asyncProperty(queryArb, fc.option(fc.constantFrom('a', 'b'), { freq: 3 }), async (q, tag) => {
          const text = print(q);
          const parsed = parseTextQuery(text);
          let expected = sorted(oracle.matches(parsed, TEXT_FIELDS));
          if (tag !== null) expected = expected.filter((id) => tags.get(id) === tag);
          const found = tag === null ? M.find().search(text) : M.find({ tag }).search(text);
          expect(sorted(await found.ids()), text).toEqual(expected);
          expect(await found.count(), text).toBe(expected.length);
          // the top-k read (threshold algorithm) gives the first k of the full ranking
          const ranking = await found.limit(1000).hits();
          expect(await found.limit(4).ids(), text).toEqual(ranking.hits.slice(0, 4).map((h) => h.id));
        }),
        { numRuns: runs, seed },
      );
    };
    await check(200, 7 + partitions);

    // updates (text changed, set, unset) and deletes move every posting
    const changes = fc.sample(fc.tuple(fc.integer({ min: 0, max: docs.length - 1 }), docArb), { numRuns: 120, seed: 99 });
    for (const [i, d] of changes) {
      const id = `d${String(i)}`;
      if (!tags.has(id)) continue;
      if (i % 7 === 0) {
        await M.delete(id);
        oracle.delete(id);
        tags.delete(id);
      } else {
        await M.update(id, { title: d.title ?? null, body: d.body ?? null, fr: d.fr ?? null, tag: d.tag });
        oracle.put({ id, fields: docFields(d) });
        tags.set(id, d.tag);
      }
    }
    await check(150, 77 + partitions);
    const report = await M.verify();
    expect(report.problems).toEqual([]);
  });

  it.each([1, 3])('ranks by BM25 exactly as an independent computation does (%i partitions)', async (partitions) => {
    const M = redis.kickass().model('ranked', fields, { partitions });
    const oracle = new TextOracle(ANALYZERS);
    const docs = fc.sample(docArb, { numRuns: 200, seed: 2000 + partitions });
    await M.createMany(docs.map((d, i) => ({ id: `r${String(i)}`, ...d })));
    for (const [i, d] of docs.entries()) oracle.put({ id: `r${String(i)}`, fields: docFields(d) });
    const plain = ['run', 'quick', 'café', 'data', 'database', 'apple', 'color', 'brown', 'maison', 'x'];
    const queries = fc.sample(fc.uniqueArray(fc.constantFrom(...plain), { minLength: 1, maxLength: 3 }), { numRuns: 40, seed: 5 });
    for (const words of queries) {
      for (const [op, params] of [[' OR ', {}], [' ', { k1: 2, b: 0.3 }]] as const) {
        const text = words.join(op);
        const page = await M.find().search(text, { fields: ['title', 'body'], ...params }).limit(1000).hits();
        const terms = words.map((w) => english.term(w) as string);
        const weights = { title: 2, body: 1 };
        const expectedIds = sorted(oracle.matches(parseTextQuery(text), ['title', 'body']));
        expect(sorted(page.hits.map((h) => h.id)), text).toEqual(expectedIds);
        expect(page.total).toBe(expectedIds.length);
        for (const hit of page.hits) {
          const want = oracle.bm25(hit.id, terms, weights, 'k1' in params ? params.k1 : 1.2, 'b' in params ? params.b : 0.75);
          expect(hit.score, `${text} ${hit.id}`).toBeCloseTo(want, 9);
        }
        for (let i = 1; i < page.hits.length; i++) {
          const [a, b] = [page.hits[i - 1], page.hits[i]] as [{ id: string; score: number }, { id: string; score: number }];
          expect(a.score > b.score || (a.score === b.score && a.id < b.id), `${text}: order at ${String(i)}`).toBe(true);
        }
      }
    }
  });

  it('pages with cursors and offsets, sorts by a field, and counts every match', async () => {
    const M = redis.kickass().model('paged', fields, { partitions: 3 });
    const docs = fc.sample(docArb, { numRuns: 150, seed: 31 });
    await M.createMany(docs.map((d, i) => ({ id: `p${String(i)}`, ...d })));
    const all = await M.find().search('run OR quick OR data').limit(1000).hits();
    expect(all.total).toBe(all.hits.length);
    expect(all.total).toBeGreaterThan(20);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await M.find().search('run OR quick OR data').limit(7).after(cursor ?? undefined).hits();
      expect(page.total).toBe(all.total);
      seen.push(...page.hits.map((h) => h.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.hits.map((h) => h.id));
    expect(await M.find().search('run OR quick OR data').offset(5).limit(4).ids()).toEqual(all.hits.slice(5, 9).map((h) => h.id));

    const byRank = await M.find().search('run OR quick OR data').sortBy('rank', 'desc').limit(1000).hits();
    const ranks = new Map(docs.map((d, i) => [`p${String(i)}`, d.rank]));
    const expected = [...all.hits.map((h) => h.id)].sort((a, b) => (ranks.get(b) as number) - (ranks.get(a) as number) || (a < b ? -1 : 1));
    expect(byRank.hits.map((h) => h.id)).toEqual(expected);
    expect(byRank.hits.every((h) => h.score === null)).toBe(true);
    expect(await M.find({ rank: { gte: 10 } }).search('run OR quick OR data').count()).toBe(expected.filter((id) => (ranks.get(id) as number) >= 10).length);
  });

  it('verify reports and reindex repairs lost postings, with their dictionary terms and tf bounds', async () => {
    const M = redis.kickass().model('repair', fields, { partitions: 2 });
    await M.createMany([
      { id: 'a', body: 'data data data quick' },
      { id: 'b', body: 'data quick quick' },
      { id: 'c', body: 'colour of the data' },
    ]);
    const before = await M.find().search('data OR quick OR col*').limit(10).hits();
    const client = redis.client;
    for (const keys of M.internals.partitions) {
      for (const term of ['data', 'quick', 'colour']) await client.del(keys.textDictionary('body', term));
      await client.del(keys.text('body', 'data'), keys.textDictionaryBuckets('body'), `${keys.tag}:wm:body`);
    }
    const report = await M.verify();
    expect(report.counts['missing-entry']).toBe(3);
    expect(report.counts['missing-dictionary-term']).toBe(3); // quick and colour, per partition holding them
    expect(report.counts['low-tf-bound']).toBe(1); // quick, twice in b
    const repaired = await M.reindex();
    expect(repaired.counts['missing-entry']).toBe(3);
    expect((await M.verify()).problems).toEqual([]);
    // the dictionary answers prefixes again, and the tf bound keeps top-k reads exact
    expect(await M.find().search('data OR quick OR col*').limit(10).hits()).toEqual(before);
    expect(await M.find().search('data').limit(1).ids()).toEqual(['a']);
    // a lost list of dictionary buckets (one-letter prefixes read it) is found and rebuilt too
    for (const keys of M.internals.partitions) await client.del(keys.textDictionaryBuckets('body'));
    expect((await M.verify()).counts['missing-dictionary-term']).toBeGreaterThan(0);
    await M.reindex();
    expect(await M.find().search('q*').count()).toBe(2);
    // a stale posting is removed with its term
    const [first] = M.internals.partitions;
    await client.zadd(first?.text('body', 'ghost') as string, 1025, 'nobody');
    await M.reindex();
    expect(await client.exists(first?.text('body', 'ghost') as string)).toBe(0);
  });

  it('indexes CJK words, folds case and accents, and stems per field language', async () => {
    const M = redis.kickass().model('lang', fields, { partitions: 2 });
    await M.create({ id: 'jp', body: '東京都に住んでいます' });
    await M.create({ id: 'fr', fr: "L'été des maisons", title: 'CAFÉ Crème' });
    await M.create({ id: 'en', body: 'Running runners ran' });
    expect(await M.find().search('東京').ids()).toEqual(['jp']);
    expect(await M.find().search('fr:maison').ids()).toEqual(['fr']);
    expect(await M.find().search('creme').ids()).toEqual(['fr']);
    expect(await M.find().search('fr:été').ids()).toEqual([]); // a French stopword (a form of être)
    expect(await M.find().search('cafe').ids()).toEqual(['fr']);
    expect(await M.find().search('run').ids()).toEqual(['en']);
    expect(await M.find().search('the').ids()).toEqual([]); // only a stopword: nothing to match
  });

  it('rejects bad queries and bad analyzer output with typed errors, writing nothing', async () => {
    const kr = redis.kickass();
    const M = kr.model('errs', fields);
    expect(() => M.find().search('"open')).toThrow(QuerySyntaxError);
    expect(() => M.find().search('nofield:word')).toThrow(ValidationError);
    expect(() => M.find().search('word', { fields: ['tag'] })).toThrow(ValidationError);
    expect(() => M.find().search('word', { k1: -1 })).toThrow(ValidationError);
    expect(() => kr.model('plain', { name: t.string() }).find().search('x')).toThrow(ValidationError);
    await expect(M.find().search('word').ids()).resolves.toEqual([]);

    const broad = Array.from({ length: 1100 }, (_, i) => `a${String(i)}`).join(' ');
    await M.create({ id: 'broad', body: broad });
    await expect(M.find().search('a*').ids()).rejects.toThrow(ValidationError);
    expect(await M.find().search('a10*').count()).toBe(1);

    const bad: Analyzer = { name: 'bad', analyze: () => [{ term: 'a\u001fb', position: 0, start: 0, end: 1 }], term: () => null, prefix: () => null };
    const B = kr.model('badtext', { body: t.text({ analyzer: bad }) });
    await expect(B.create({ id: '1', body: 'x' })).rejects.toThrow(ValidationError);
    expect(await B.get('1')).toBeNull();
  });
});
