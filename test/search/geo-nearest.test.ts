import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LATITUDE, distanceM } from '../../src/search/geohash.js';
import type { GeoPoint } from '../../src/search/geohash.js';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const fields = { name: t.string().index(), loc: t.geo() };
const pointArb = fc.record({ lon: fc.double({ min: -180, max: 180, noNaN: true }), lat: fc.double({ min: -MAX_LATITUDE, max: MAX_LATITUDE, noNaN: true }) });
const CENTERS: GeoPoint[] = [
  { lon: 2.35, lat: 48.85 },
  { lon: 179.95, lat: -16.5 },
  { lon: -179.95, lat: 10 },
];
const nearArb = fc.tuple(fc.constantFrom(...CENTERS), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })).map(([c, dx, dy]) => ({
  lon: Math.max(-180, Math.min(180, c.lon + dx)),
  lat: c.lat + dy,
}));
/** Redis measures from the center of each point's geohash cell (< 1 m away) and rounds to 0.1 mm. */
const SLACK_M = 1.5;

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`nearest objects by a geo field (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('returns the k nearest live objects, closest first, with their distances, like a brute-force scan', async () => {
        const M = redis.kickass().model('spot', fields, { partitions });
        const seed = Date.now() % 100_000;
        const inputs = fc.sample(fc.record({ name: fc.constantFrom('a', 'b'), loc: fc.option(fc.oneof(nearArb, pointArb), { nil: undefined, freq: 10 }) }), { numRuns: 600, seed });
        const rows = new Map((await M.createMany(inputs)).map((row) => [row.id, row]));
        await M.create({ name: 'gone', loc: { ...(CENTERS[0] as GeoPoint) } }, { ttl: '1ms' }); // expired: never returned
        await new Promise((resolve) => setTimeout(resolve, 20));
        const cases = fc.sample(fc.tuple(fc.oneof(nearArb, pointArb), fc.integer({ min: 1, max: 25 }), fc.option(fc.integer({ min: 1000, max: 3_000_000 }), { nil: undefined })), { numRuns: 40, seed: seed + 1 });
        for (const [center, k, radius] of cases) {
          const got = await M.nearest('loc', center, radius === undefined ? { limit: k } : { limit: k, radius });
          const r = radius ?? Infinity;
          const all = [...rows.values()].filter((row) => row.loc !== undefined).map((row) => ({ row, d: distanceM(row.loc as GeoPoint, center) }));
          const surely = all.filter((x) => x.d <= r - SLACK_M).length;
          const maybe = all.filter((x) => x.d <= r + SLACK_M).length;
          expect(got.length).toBeGreaterThanOrEqual(Math.min(k, surely));
          expect(got.length).toBeLessThanOrEqual(Math.min(k, maybe));
          const ids = new Set(got.map((g) => g.row.id));
          for (const [i, g] of got.entries()) {
            expect(g.row).toEqual(rows.get(g.row.id));
            expect(Math.abs(g.distance - distanceM(g.row.loc as GeoPoint, center))).toBeLessThanOrEqual(SLACK_M);
            if (i > 0) expect(g.distance).toBeGreaterThanOrEqual((got[i - 1] as (typeof got)[number]).distance);
          }
          const last = got.at(-1)?.distance ?? Infinity;
          for (const x of all) {
            if (ids.has(x.row.id) || x.d > r - SLACK_M) continue;
            // a point left out is no nearer than the farthest returned one (the list was full)
            expect({ id: x.row.id, d: x.d, full: got.length === k }).toEqual({ id: x.row.id, d: x.d, full: true });
            expect(x.d).toBeGreaterThanOrEqual(last - SLACK_M);
          }
        }
      });

      it('rejects a field that is not geo, a bad point, limit or radius, naming it', async () => {
        const M = redis.kickass().model('spot2', fields, { partitions });
        await expect(M.nearest('name', { lon: 0, lat: 0 }, { limit: 1 })).rejects.toMatchObject({ field: 'field' });
        await expect(M.nearest('loc', { lon: 0, lat: 90 }, { limit: 1 })).rejects.toMatchObject({ field: 'center.lat' });
        await expect(M.nearest('loc', { lon: 0, lat: 0 }, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(M.nearest('loc', { lon: 0, lat: 0 }, { limit: 1, radius: -1 })).rejects.toMatchObject({ field: 'radius' });
        expect(await M.nearest('loc', { lon: 0, lat: 0 }, { limit: 5 })).toEqual([]);
      });
    });
  }
}
