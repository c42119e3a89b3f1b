import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/search/analyzer.js';
import { highlight, queryMatcher, snippet } from '../../src/search/highlight.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const english = createAnalyzer();
const WORDS = ['Running', 'runner', 'café', 'Cafe', 'the', 'of', 'data', 'databases', 'über', 'colour', 'colr', '東京'];
const textArb = fc.array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(' ', ', ', '. ', '\n')), { maxLength: 40 }).map((p) => p.map(([w, s]) => w + s).join(''));
const queryArb = fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS).map((w) => `${w.slice(0, 2)}*`), fc.constantFrom(...WORDS).map((w) => `${w}~1`), fc.constantFrom(...WORDS).map((w) => `-${w}`)), { minLength: 1, maxLength: 3 }).map((p) => p.join(' '));

/** The [start, end) spans of the text marked with [ ] in `out`, and the text without marks. */
function unmark(out: string): { text: string; spans: [number, number][] } {
  let text = '';
  const spans: [number, number][] = [];
  let open = -1;
  for (const c of out) {
    if (c === '[') open = text.length;
    else if (c === ']') spans.push([open, text.length]);
    else text += c;
  }
  return { text, spans };
}

describe('highlighting', () => {
  it('marks exactly the words whose terms the query looks for, and keeps the text', () => {
    fc.assert(
      fc.property(textArb, queryArb, (text, query) => {
        const matches = queryMatcher(query, english);
        const out = unmark(highlight(text, english, query, { pre: '[', post: ']', escape: false }));
        expect(out.text).toBe(text);
        const expected = english.analyze(text).filter((tok) => matches(tok.term)).map((tok) => [tok.start, tok.end]);
        expect(out.spans).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out words under NOT and words of other fields', () => {
    expect(highlight('data of runners', english, 'data -runner', { pre: '[', post: ']' })).toBe('[data] of runners');
    expect(highlight('data of runners', english, queryMatcher('title:data runner', english, 'body'), { pre: '[', post: ']' })).toBe('data of [runners]');
    expect(highlight('<data> & "x"', english, 'data')).toBe('&lt;<b>data</b>&gt; &amp; &quot;x&quot;');
  });

  it('cuts snippets of at most the asked length around the most matches', () => {
    fc.assert(
      fc.property(textArb, queryArb, fc.integer({ min: 10, max: 80 }), (text, query, length) => {
        const out = snippet(text, english, query, { pre: '[', post: ']', escape: false, length, ellipsis: '~' });
        const inner = unmark(out.replace(/^~/, '').replace(/~$/, ''));
        expect(inner.text.length).toBeLessThanOrEqual(length);
        expect(text.includes(inner.text)).toBe(true);
        const matches = queryMatcher(query, english);
        const tokens = english.analyze(text).filter((tok) => matches(tok.term));
        // a window holding one whole matched word exists whenever a word fits: then one is marked
        if (tokens.some((tok) => tok.end - tok.start <= length / 2) && text.length > 0) expect(inner.spans.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe.each(TOPOLOGIES)('snippets of search hits on %s', (topology) => {
  const redis = useTopology(topology);

  it('returns snippets for model hits and stored index documents', async () => {
    const kr = redis.kickass();
    const M = kr.model('art', { title: t.text(), body: t.text() }, { partitions: 2 });
    await M.create({ id: '1', title: 'Coffee notes', body: 'A long text about the best café in town, with data about running a café.' });
    const page = await M.find().search('cafe', { snippets: { fields: ['body'], length: 40, pre: '[', post: ']' } }).hits();
    expect(page.hits[0]?.snippets?.body).toContain('[café]');
    expect(page.hits[0]?.snippets?.body?.length).toBeLessThanOrEqual(40 + 2 * 2 + 2); // text, two marks, two ellipses
    const index = kr.textIndex('notes', { fields: { body: {} }, store: true });
    await index.add({ id: 'n1', body: 'Running data pipelines & more' });
    const found = await index.search('run', { snippets: { pre: '[', post: ']' } });
    expect(found.hits[0]?.snippets).toEqual({ body: '[Running] data pipelines &amp; more' });
  });
});
