// Queries ordered by distance (Query.near), alone and combined with equality, radius, box and
// text conditions, checked against a brute-force scan on generated points, on both topologies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/search/analyzer.js';
import { distanceM } from '../../src/search/geohash.js';
import type { GeoPoint } from '../../src/search/geohash.js';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const english = createAnalyzer();
const fields = { kind: t.string().index(), note: t.text({ analyzer: english }), loc: t.geo(), rank: t.integer().sortable() };
const WORDS = ['cafe', 'bakery', 'museum', 'park', 'station'];
const CENTER: GeoPoint = { lon: 2.35, lat: 48.85 };
/** Distances come from the point at the center of its 52-bit geohash cell, under 1 m from the stored one. */
const SLACK_M = 1;

const docArb = fc.record({
  kind: fc.constantFrom('a', 'b'),
  note: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
  loc: fc.option(fc.record({ lon: fc.double({ min: 2.0, max: 2.7, noNaN: true }), lat: fc.double({ min: 48.6, max: 49.1, noNaN: true }) }), { nil: undefined, freq: 8 }),
  rank: fc.integer({ min: 0, max: 9 }),
});

describe.each(TOPOLOGIES)('distance order on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([1, 3])('orders matches by distance with any other condition, like a brute-force scan (%i partitions)', async (partitions) => {
    const M = redis.kickass().model('spot', fields, { partitions });
    const docs = fc.sample(docArb, { numRuns: 400, seed: 40 + partitions }).map((d, i) => ({ id: `s${String(i)}`, ...d }));
    await M.createMany(docs);
    const cases = fc.sample(
      fc.record({
        from: fc.record({ lon: fc.double({ min: 2.1, max: 2.6, noNaN: true }), lat: fc.double({ min: 48.7, max: 49.0, noNaN: true }) }),
        kind: fc.option(fc.constantFrom('a', 'b')),
        radius: fc.option(fc.integer({ min: 1000, max: 30_000 })),
        word: fc.option(fc.constantFrom(...WORDS)),
        limit: fc.integer({ min: 1, max: 30 }),
      }),
      { numRuns: 60, seed: 9 },
    );
    for (const c of cases) {
      const where = { ...(c.kind === null ? {} : { kind: c.kind }), ...(c.radius === null ? {} : { loc: { match: { ...CENTER, radius: c.radius } } }) };
      let q = M.find(where).near('loc', c.from);
      if (c.word !== null) q = q.search(c.word).near('loc', c.from);
      const expected = docs
        .filter((d) => (c.kind === null || d.kind === c.kind) && (c.word === null || d.note.split(' ').includes(c.word)))
        .filter((d) => c.radius === null || (d.loc !== undefined && distanceM(d.loc, CENTER) <= c.radius + SLACK_M));
      const all = await q.limit(10_000).hits();
      const within = (d: (typeof docs)[number]): boolean => c.radius === null || (d.loc !== undefined && distanceM(d.loc, CENTER) <= c.radius - SLACK_M);
      // every clear match is there, nothing that clearly fails is
      const got = new Set(all.hits.map((h) => h.id));
      for (const d of expected) if (within(d)) expect(got.has(d.id), `${d.id} missing`).toBe(true);
      for (const id of got) expect(expected.some((d) => d.id === id), `${id} should not match`).toBe(true);
      expect(all.total).toBe(all.hits.length);
      // distances: right to the meter, ascending, objects without a point last
      const byId = new Map(docs.map((d) => [d.id, d]));
      let last = -1;
      let seenMissing = false;
      for (const hit of all.hits) {
        const loc = byId.get(hit.id)?.loc;
        if (loc === undefined) {
          expect(hit.distance).toBeNull();
          seenMissing = true;
          continue;
        }
        expect(seenMissing).toBe(false);
        expect(Math.abs((hit.distance as number) - distanceM(loc, c.from))).toBeLessThan(SLACK_M);
        expect(hit.distance as number).toBeGreaterThanOrEqual(last);
        last = hit.distance as number;
      }
      // a limit keeps the first of that order, and cursors page through it
      expect(await q.limit(c.limit).ids()).toEqual(all.hits.slice(0, c.limit).map((h) => h.id));
      const first = await q.limit(c.limit).page();
      if (first.nextCursor !== null) {
        const second = await q.limit(c.limit).after(first.nextCursor).ids();
        expect(second).toEqual(all.hits.slice(c.limit, 2 * c.limit).map((h) => h.id));
      }
    }
  });

  it('rejects a field that is not a geo field and a bad point', () => {
    const M = redis.kickass().model('spot', fields);
    expect(() => M.find().near('kind', CENTER)).toThrow(ValidationError);
    expect(() => M.find().near('loc', { lon: 0, lat: 89 })).toThrow(ValidationError);
  });
});
