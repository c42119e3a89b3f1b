// The standalone geo index against a brute-force haversine scan on generated points (some next to
// the antimeridian), on both topologies, with one and with several partitions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LATITUDE, distanceM } from '../../src/search/geohash.js';
import type { GeoPoint } from '../../src/search/geohash.js';
import { ValidationError } from '../../src/store/errors.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const CENTERS: GeoPoint[] = [
  { lon: 2.35, lat: 48.85 },
  { lon: 179.95, lat: -16.5 },
  { lon: -179.9, lat: 52.0 },
];
const nearArb = fc.tuple(fc.constantFrom(...CENTERS), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })).map(([c, dx, dy]) => {
  let lon = c.lon + dx;
  if (lon > 180) lon -= 360;
  if (lon < -180) lon += 360;
  return { lon, lat: Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, c.lat + dy)) };
});
/** Redis measures from the center of a point's 52-bit geohash cell, under 1 m from it. */
const SLACK_M = 1;

describe.each(TOPOLOGIES)('standalone geo index on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([1, 3])('finds points in circles and boxes and the nearest points like a brute-force scan (%i partitions)', async (partitions) => {
    const index = redis.kickass().geoIndex('pts', { partitions });
    const points = fc.sample(nearArb, { numRuns: 600, seed: 70 + partitions }).map((p, i) => ({ id: `p${String(i)}`, ...p }));
    expect(await index.addMany(points)).toBe(points.length);
    const gone = points.filter((_, i) => i % 10 === 0);
    expect(await index.remove(...gone.map((p) => p.id))).toBe(gone.length);
    const live = points.filter((_, i) => i % 10 !== 0);
    expect(await index.size()).toBe(live.length);

    const cases = fc.sample(fc.tuple(nearArb, fc.integer({ min: 1000, max: 150_000 }), fc.boolean()), { numRuns: 40, seed: 5 });
    for (const [center, size, box] of cases) {
      const area = box ? { ...center, width: 2 * size, height: size } : { ...center, radius: size };
      const inside = (p: GeoPoint): number => {
        if (!box) return size - distanceM(p, center);
        const dy = distanceM({ lon: center.lon, lat: p.lat }, center);
        const dx = distanceM(p, { lon: center.lon, lat: p.lat });
        return Math.min(size / 2 - dy, size - dx);
      };
      const hits = await index.within(area, { limit: 100_000 });
      const got = new Map(hits.map((h) => [h.id, h.distance]));
      for (const p of live) {
        const margin = inside(p);
        if (Math.abs(margin) > SLACK_M) expect(got.has(p.id), `${p.id} ${JSON.stringify(area)}`).toBe(margin > 0);
        const d = got.get(p.id);
        if (d !== undefined) expect(Math.abs(d - distanceM(p, center))).toBeLessThan(SLACK_M);
      }
      for (let i = 1; i < hits.length; i++) expect((hits[i] as { distance: number }).distance).toBeGreaterThanOrEqual((hits[i - 1] as { distance: number }).distance);
      expect(await index.count(area)).toBe(hits.length);
      expect((await index.within(area, { limit: 5 })).map((h) => [h.id, h.distance]), JSON.stringify(area)).toEqual(hits.slice(0, 5).map((h) => [h.id, h.distance]));

      const nearest = await index.nearest(center, { limit: 7 });
      const truth = live.map((p) => distanceM(p, center)).sort((a, b) => a - b);
      expect(nearest.length).toBe(Math.min(7, live.length));
      nearest.forEach((h, i) => {
        expect(Math.abs(h.distance - (truth[i] as number))).toBeLessThan(2 * SLACK_M);
      });
    }
  });

  it('rejects bad points, ids and areas with typed errors, writing nothing', async () => {
    const index = redis.kickass().geoIndex('bad');
    await expect(index.addMany([{ id: 'a', lon: 0, lat: 0 }, { id: 'b', lon: 0, lat: 86 }])).rejects.toThrow(ValidationError);
    await expect(index.add('', { lon: 0, lat: 0 })).rejects.toThrow(ValidationError);
    await expect(index.within({ lon: 0, lat: 0, radius: -1 })).rejects.toThrow(ValidationError);
    await expect(index.nearest({ lon: 200, lat: 0 }, { limit: 1 })).rejects.toThrow(ValidationError);
    expect(await index.size()).toBe(0);
  });
});
