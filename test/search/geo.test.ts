import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { geohashScore, distanceM, MAX_LATITUDE } from '../../src/search/geohash.js';
import type { GeoPoint } from '../../src/search/geohash.js';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { query } from '../../src/store/query.js';
import type { Where } from '../../src/store/query.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const fields = { name: t.string().index(), loc: t.geo() };
type Fields = typeof fields;
interface Row {
  id: string;
  name: string;
  loc?: GeoPoint;
}

const pointArb = fc.record({
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
  lat: fc.double({ min: -MAX_LATITUDE, max: MAX_LATITUDE, noNaN: true }),
});
/** Points near a few centers, so that areas of every size hold a fair number of them. */
const CENTERS: GeoPoint[] = [
  { lon: 2.35, lat: 48.85 },
  { lon: -74.0, lat: 40.7 },
  { lon: 139.7, lat: 35.7 },
  { lon: 179.9, lat: -16.5 }, // next to the antimeridian
  { lon: 10.0, lat: 78.2 },
];
const nearArb = fc.tuple(fc.constantFrom(...CENTERS), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })).map(([c, dx, dy]) => ({
  lon: Math.max(-180, Math.min(180, c.lon + dx)),
  lat: Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, c.lat + dy)),
}));

/** Boundary slack: Redis compares the point at the center of its 52-bit geohash cell (< 1 m away). */
const SLACK_M = 1;

function inArea(p: GeoPoint, area: Record<string, number>): 'in' | 'out' | 'edge' {
  const c = { lon: area.lon as number, lat: area.lat as number };
  if (area.radius !== undefined) {
    const d = distanceM(p, c);
    return Math.abs(d - area.radius) <= SLACK_M ? 'edge' : d < area.radius ? 'in' : 'out';
  }
  const dy = distanceM({ lon: c.lon, lat: p.lat }, c);
  const dx = distanceM(p, { lon: c.lon, lat: p.lat });
  const h = (area.height as number) / 2;
  const w = (area.width as number) / 2;
  if (Math.abs(dy - h) <= SLACK_M || Math.abs(dx - w) <= SLACK_M) return 'edge';
  return dy < h && dx < w ? 'in' : 'out';
}

for (const topology of TOPOLOGIES) {
  describe(`geo (${topology})`, () => {
    const redis = useTopology(topology);

    it('scores points exactly as GEOADD does', async () => {
      const key = `{${redis.prefix}:geohash}`;
      // (lon 180 and lat 85.05112878 exactly are the documented exceptions: see geohashScore)
      const points = [...fc.sample(pointArb, { numRuns: 300, seed: 7 }), { lon: -180, lat: -MAX_LATITUDE }].filter((p) => p.lon !== 180 && p.lat !== MAX_LATITUDE);
      for (const [i, p] of points.entries()) await redis.client.geoadd(key, p.lon, p.lat, String(i));
      const scores = await Promise.all(points.map((_, i) => redis.client.zscore(key, String(i))));
      expect(points.map((p) => geohashScore(p))).toEqual(scores.map(Number));
      await redis.client.del(key);
    });

    for (const partitions of [1, 3]) {
      it(`answers radius and box queries like a brute-force haversine scan (${String(partitions)} partitions)`, async () => {
        const M = redis.kickass().model('place', fields, { partitions });
        const seed = Date.now() % 100_000;
        const inputs = fc.sample(fc.record({ name: fc.constantFrom('a', 'b'), loc: fc.option(fc.oneof(nearArb, pointArb), { nil: undefined, freq: 8 }) }), { numRuns: 1500, seed });
        const rows = new Map<string, Row>();
        for (let i = 0; i < inputs.length; i += 500) for (const row of await M.createMany(inputs.slice(i, i + 500))) rows.set(row.id, row as Row);
        const ids = [...rows.keys()];
        const moves = fc.sample(fc.option(nearArb, { nil: null, freq: 5 }), { numRuns: 200, seed: seed + 1 });
        await Promise.all(
          moves.map(async (loc, i) => {
            const id = ids[i * 5] as string;
            rows.set(id, (await M.update(id, { loc })) as Row);
          }),
        );
        for (const id of ids.slice(1, 100).filter((_, i) => i % 7 === 0)) {
          await M.delete(id);
          rows.delete(id);
        }
        expect(await M.verify()).toMatchObject({ ok: true });

        const areaArb = fc.oneof(
          fc.tuple(fc.oneof(nearArb, pointArb), fc.integer({ min: 1, max: 3_000_000 })).map(([c, radius]) => ({ ...c, radius })),
          fc.tuple(fc.oneof(nearArb, pointArb), fc.integer({ min: 2, max: 4_000_000 }), fc.integer({ min: 2, max: 4_000_000 })).map(([c, width, height]) => ({ ...c, width, height })),
        );
        const areas = fc.sample(areaArb, { numRuns: 60, seed: seed + 2 });
        let hits = 0;
        for (const [i, area] of areas.entries()) {
          const withName = i % 3 === 0;
          const where = (withName ? { name: 'a', loc: { match: area } } : { loc: { match: area } }) as Where<Fields>;
          const found = new Set(await query(M, where).ids());
          for (const row of rows.values()) {
            const verdict = row.loc === undefined || (withName && row.name !== 'a') ? 'out' : inArea(row.loc, area);
            if (verdict !== "edge") expect({ id: row.id, loc: row.loc, area, found: found.has(row.id) }).toEqual({ id: row.id, loc: row.loc, area, found: verdict === "in" });
          }
          hits += found.size;
          expect(await query(M, where).count()).toBe(found.size);
          const inside = await query(M, { loc: { match: area } }).ids();
          expect(await query(M, { $not: { loc: { match: area } } }).count()).toBe(rows.size - inside.length);
        }
        expect(hits).toBeGreaterThan(100);
      });
    }

    it('rejects points Redis cannot index and areas without a size, naming the field', async () => {
      const M = redis.kickass().model('bad', fields);
      await expect(M.create({ name: 'a', loc: { lon: 0, lat: 86 } })).rejects.toMatchObject({ field: 'loc', reason: /lat must be a number/ });
      await expect(M.create({ name: 'a', loc: { lon: 181, lat: 0 } })).rejects.toBeInstanceOf(ValidationError);
      expect(await M.find({ name: 'a' }).count()).toBe(0);
      expect(() => query(M, { loc: { match: { lon: 0, lat: 0, radius: 0 } } }).plan()).toThrow(/radius/);
      expect(() => query(M, { loc: { match: { lon: 0, lat: 90, radius: 5 } } }).plan()).toThrow(/lat/);
      expect(() => query(M, { loc: { match: { lon: 0, lat: 0 } } as never }).plan()).toThrow(/radius, or width and height/);
    });
  });
}
