/**
 * Scenario "cache": ours (`kr.cache`), bentocache 1.6 (Redis L2 driver) and cache-manager 7 with
 * Keyv + @keyv/redis, in the same run, on the same servers.
 * - Redis hits, L1 off: 10,000 keys holding a small user object (~150 bytes), read with getOrSet
 *   by 64 concurrent callers on random keys (100,000 calls; bentocache 30,000, it is slower);
 *   every key is filled first, so the factory never runs while measured (a warm-up pass of a fifth
 *   of the calls comes before the measured one, for every library). Raw ioredis GET +
 *   JSON.parse under the same load is the floor of what a Redis round trip costs here.
 * - L1 hits: 1,000 hot keys already in the process, 1,000,000 sequential awaited getOrSet calls
 *   (bentocache with its memory L1, 200,000).
 * - Stampede: 4 OS processes (bench/cache-worker.ts) each make 250 concurrent getOrSet calls of
 *   one cold key at once; the factory counts its runs in Redis and takes 50 ms. Reported: factory
 *   runs in all, and the slowest answer (ms from "go" in each process).
 * Every library runs on the standalone server and on the 3-master cluster; on the cluster each
 * keeps its keys under one hash tag (ours: 1 partition; theirs: their key prefix), and ours also
 * with 3 partitions (spread over the masters: smaller batches per script call).
 */
import { Redis } from 'ioredis';
import { openCache } from './cache-libs.js';
import type { BenchCache, CacheLib } from './cache-libs.js';
import { stampede } from './cache-stampede.js';
import { makeRow } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const KEYS = 10_000;
const CONCURRENCY = 64;
const HITS: Record<CacheLib, number> = { ours: 100_000, 'cache-manager': 100_000, bentocache: 30_000 };
const L1_KEYS = 1_000;
const L1_HITS: Record<CacheLib, number> = { ours: 1_000_000, bentocache: 200_000, 'cache-manager': 0 };

/** The cached object of key i. */
function user(i: number): Record<string, unknown> {
  return { id: i, name: `user ${String(i)}`, email: `user${String(i)}@example.com`, plan: i % 3 === 0 ? 'pro' : 'free', score: i * 1.5, tags: ['a', 'b', 'c'].slice(0, i % 4), createdAt: '2026-11-01T00:00:00.000Z' };
}

/** Keys picked by each caller: a small LCG per caller, the same sequence for every library. */
function picker(seed: number, n: number): () => number {
  let x = seed * 2654435761 + 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

/** Calls per second of `calls` spread over CONCURRENCY callers, each running `one(key index)` in turn. */
async function concurrentRate(calls: number, keys: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, c) => {
      const next = picker(c + 1, keys);
      for (let n = c; n < calls; n += CONCURRENCY) await one(next());
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

/** Fills keys 0..n-1 through getOrSet (64 at a time). */
async function fill(cache: BenchCache, n: number): Promise<void> {
  for (let i = 0; i < n; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n - i) }, (_, j) => cache.getOrSet(`user:${String(i + j)}`, () => Promise.resolve(user(i + j)))));
  }
}

/** getOrSet hits per second served from Redis (no L1). */
async function redisHits(lib: CacheLib, url: string, prefix: string, name: string, partitions: number): Promise<number> {
  const cache = await openCache(lib, url, prefix, `${name}${lib}`, { partitions });
  try {
    await fill(cache, KEYS);
    let missed = 0;
    const factory = (): Promise<unknown> => {
      missed++;
      return Promise.resolve(null);
    };
    // a warm-up pass first (the same for every library): the JIT has settled when the measured pass runs
    await concurrentRate(HITS[lib] / 5, KEYS, (i) => cache.getOrSet(`user:${String(i)}`, factory));
    const rate = await concurrentRate(HITS[lib], KEYS, (i) => cache.getOrSet(`user:${String(i)}`, factory));
    if (missed > 0) throw new Error(`${lib}: ${String(missed)} misses while measuring hits`);
    return rate;
  } finally {
    await cache.close();
  }
}

/** Sequential awaited getOrSet hits per second from the L1. */
async function l1Hits(lib: CacheLib, url: string, prefix: string, name: string): Promise<number> {
  const cache = await openCache(lib, url, prefix, `${name}${lib}l1`, { l1: 20_000 });
  try {
    await fill(cache, L1_KEYS);
    const factory = (): Promise<unknown> => Promise.reject(new Error('miss while measuring L1 hits'));
    const next = picker(7, L1_KEYS);
    const names = Array.from({ length: L1_KEYS }, (_, i) => `user:${String(i)}`);
    const calls = L1_HITS[lib];
    const started = performance.now();
    for (let n = 0; n < calls; n++) await cache.getOrSet(names[next()] as string, factory);
    return calls / ((performance.now() - started) / 1000);
  } finally {
    await cache.close();
  }
}

/** Raw ioredis GET + JSON.parse per second under the same load (the keys written first). */
async function rawGets(url: string, prefix: string, name: string): Promise<number> {
  const raw = new Redis(url);
  try {
    const keys = Array.from({ length: KEYS }, (_, i) => `{${prefix}:${name}raw}:user:${String(i)}`);
    for (let i = 0; i < KEYS; i += 1000) await raw.mset(...keys.slice(i, i + 1000).flatMap((k, j) => [k, JSON.stringify(user(i + j))]));
    return await concurrentRate(HITS.ours, KEYS, async (i) => JSON.parse((await raw.get(keys[i] as string)) ?? 'null') as unknown);
  } finally {
    raw.disconnect();
  }
}

const scenario: BenchScenario = {
  name: 'cache',
  description: `cache: getOrSet hits from Redis (${String(CONCURRENCY)} concurrent callers, L1 off), L1 hits, and a 4-process stampede, ours vs bentocache and cache-manager + @keyv/redis`,
  needsCluster: true,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const urls = { standalone: ctx.url, cluster: ctx.clusterUrl ?? ctx.url };
    const v = {
      hits: { standalone: { ours: [] as number[], bento: [] as number[], cm: [] as number[] }, cluster: { ours: [] as number[], bento: [] as number[], cm: [] as number[] } },
      spread: [] as number[],
      raw: [] as number[],
      l1: [] as number[],
      l1Bento: [] as number[],
      stampede: { ours: [] as number[], oursCluster: [] as number[], bento: [] as number[], cm: [] as number[] },
      slowest: { ours: [] as number[], oursCluster: [] as number[], bento: [] as number[], cm: [] as number[] },
    };
    for (let run = 0; run < ctx.runs; run++) {
      const { prefix } = ctx;
      const name = `r${String(run)}`;
      for (const topology of ['standalone', 'cluster'] as const) {
        const url = urls[topology];
        const at = `${name}${topology[0] as string}`;
        // each run starts with another library, so that none always gets the quietest moment
        const libs = (['ours', 'cache-manager', 'bentocache'] as const).map((_, i, all) => all[(i + run) % all.length] as CacheLib);
        for (const lib of libs) {
          // one partition: one hash tag, like the competitors' keys (one prefix tag each)
          const rate = await redisHits(lib, url, prefix, at, 1);
          (lib === 'ours' ? v.hits[topology].ours : lib === 'cache-manager' ? v.hits[topology].cm : v.hits[topology].bento).push(rate);
        }
      }
      v.spread.push(await redisHits('ours', urls.cluster, prefix, `${name}p`, 3));
      v.raw.push(await rawGets(ctx.url, prefix, name));
      v.l1.push(await l1Hits('ours', ctx.url, prefix, name));
      v.l1Bento.push(await l1Hits('bentocache', ctx.url, prefix, name));
      const st = {
        ours: await stampede('ours', ctx.url, prefix, `${name}s`),
        oursCluster: await stampede('ours', urls.cluster, prefix, `${name}c`),
        bento: await stampede('bentocache', ctx.url, prefix, `${name}s`),
        cm: await stampede('cache-manager', ctx.url, prefix, `${name}s`),
      };
      for (const lib of ['ours', 'oursCluster', 'bento', 'cm'] as const) {
        v.stampede[lib].push(st[lib].runs);
        v.slowest[lib].push(st[lib].slowest);
      }
      const h = v.hits.standalone;
      ctx.log(
        `run ${String(run + 1)}/${String(ctx.runs)}: hits/s ours ${String(Math.round(h.ours.at(-1) ?? 0))} (cluster ${String(Math.round(v.hits.cluster.ours.at(-1) ?? 0))}), cache-manager ${String(Math.round(h.cm.at(-1) ?? 0))}, bentocache ${String(Math.round(h.bento.at(-1) ?? 0))}, raw ${String(Math.round(v.raw.at(-1) ?? 0))}; L1 ${String(Math.round(v.l1.at(-1) ?? 0))}/s; stampede runs ours ${String(st.ours.runs)} in ${st.ours.slowest.toFixed(0)} ms, bentocache ${String(st.bento.runs)}, cache-manager ${String(st.cm.runs)}`,
      );
    }
    const cm = 'cache-manager 7 + @keyv/redis (wrap)';
    const bento = 'bentocache 1.6 (Redis L2)';
    return [
      makeRow({ metric: 'getOrSet Redis hits/s, L1 off, standalone', unit: 'calls/s', ours: v.hits.standalone.ours, competitor: cm, theirs: v.hits.standalone.cm, goal: '>= 1.5x cache-manager' }),
      makeRow({ metric: 'getOrSet Redis hits/s, L1 off, standalone ', unit: 'calls/s', ours: v.hits.standalone.ours, competitor: bento, theirs: v.hits.standalone.bento, goal: '>= 4x bentocache' }),
      makeRow({ metric: 'getOrSet Redis hits/s, L1 off, cluster', unit: 'calls/s', ours: v.hits.cluster.ours, competitor: cm, theirs: v.hits.cluster.cm, goal: '>= 1.5x cache-manager' }),
      makeRow({ metric: 'getOrSet Redis hits/s, L1 off, cluster ', unit: 'calls/s', ours: v.hits.cluster.ours, competitor: bento, theirs: v.hits.cluster.bento, goal: '>= 4x bentocache' }),
      makeRow({ metric: 'getOrSet Redis hits/s, L1 off, cluster, 3 partitions', unit: 'calls/s', ours: v.spread, competitor: cm, theirs: v.hits.cluster.cm }),
      makeRow({ metric: 'getOrSet Redis hits/s vs raw GET + JSON.parse', unit: 'calls/s', ours: v.hits.standalone.ours, competitor: 'raw ioredis GET + JSON.parse, same load', theirs: v.raw }),
      makeRow({ metric: 'getOrSet L1 hits/s (sequential)', unit: 'calls/s', ours: v.l1, competitor: 'bentocache 1.6 memory L1', theirs: v.l1Bento, goal: '>= 1,000,000/s' }),
      makeRow({ metric: 'stampede: factory runs, 4 processes x 250 cold reads', unit: 'runs', ours: v.stampede.ours, competitor: bento, theirs: v.stampede.bento, better: 'lower', goal: 'exactly 1' }),
      makeRow({ metric: 'stampede: factory runs, 4 processes x 250 cold reads ', unit: 'runs', ours: v.stampede.ours, competitor: cm, theirs: v.stampede.cm, better: 'lower', goal: 'exactly 1' }),
      makeRow({ metric: 'stampede: factory runs, cluster', unit: 'runs', ours: v.stampede.oursCluster, goal: 'exactly 1' }),
      makeRow({ metric: 'stampede: slowest answer (ms), 50 ms factory', unit: 'ms', ours: v.slowest.ours, competitor: bento, theirs: v.slowest.bento, better: 'lower', goal: '<= 100 ms' }),
      makeRow({ metric: 'stampede: slowest answer (ms), 50 ms factory ', unit: 'ms', ours: v.slowest.ours, competitor: cm, theirs: v.slowest.cm, better: 'lower', goal: '<= 100 ms' }),
      makeRow({ metric: 'stampede: slowest answer (ms), cluster', unit: 'ms', ours: v.slowest.oursCluster, better: 'lower', goal: '<= 100 ms' }),
    ];
  },
};

export default scenario;
