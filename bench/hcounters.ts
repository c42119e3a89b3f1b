/**
 * Scenario "hcounters": hierarchical counters (`kr.hierarchicalCounter`) on the workload,
 * 1,000,000 page views over 10,000 leaf paths of depth 4 (10 countries > 10 regions each > 10 cities
 * each > 10 pages each), leaves drawn Zipf-distributed (s = 1, popularity shuffled over the tree),
 * timestamps spread over one day in order, counted in minute, hour, day and month resolutions:
 * every event touches 4 ancestors x 4 resolutions = 16 counter cells before merging (ours also keeps
 * the grand total and a count beside the sum). Ours: `incrMany` of 100,000 events per call, on the
 * standalone server and on the 3-master cluster. The naive approach in the same run: one HINCRBY per
 * ancestor per resolution into a hash per resolution and slot (field: the path), pipelined per 5,000
 * events (80,000 commands); it sends 16 commands per event, so it runs on the first 100,000 events.
 * Memory: `used_memory` after the load minus before, per counter cell (cells: one per node and slot,
 * the fields of the values hashes and the entries of the value strings). Breakdown: a node with 10,000 children (200,000 views of
 * 10,000 pages under ['site', 'pages'] in one day); `children(top 10)` p50 of 500 calls, by sum
 * (read from the ranking) and by count (every child read and sorted in the script).
 */
import { Redis } from 'ioredis';
import type { HierarchicalCounter } from '../src/counters/hierarchical-counter.js';
import { kickass } from '../src/kickass.js';
import { seededRandom } from './data/random.js';
import { keysMatching, usedMemory } from './server-info.js';
import { makeRow, p50, seconds } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const EVENTS = 1_000_000;
const NAIVE_EVENTS = 100_000;
/** Events per pipeline of the naive scheme (16 commands each). */
const NAIVE_PIPELINE = 5_000;
const LEAVES = 10_000;
const BATCH = 100_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 10);
const WIDE = 10_000;
const WIDE_EVENTS = 200_000;

/** A Zipf sampler (s = 1) over n ranks, each rank mapped to a shuffled item. */
function zipf(n: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / (i + 1);
  const items = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as number, items[i] as number];
  }
  return () => {
    const x = random() * total;
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo] as number;
  };
}

interface Workload {
  readonly paths: readonly string[][];
  readonly leaf: Int32Array;
  readonly at: Float64Array;
}

function workload(): Workload {
  const random = seededRandom(2026);
  const paths = Array.from({ length: LEAVES }, (_, i) => [`country-${String(i % 10)}`, `region-${String(i % 100)}`, `city-${String(i % 1000)}`, `/page/${String(i)}`]);
  const pick = zipf(LEAVES, random);
  const leaf = Int32Array.from({ length: EVENTS }, () => pick());
  const at = Float64Array.from({ length: EVENTS }, (_, i) => START + Math.floor((i / EVENTS) * DAY));
  return { paths, leaf, at };
}

/** The naive scheme's slot start of a resolution (UTC). */
function naiveSlot(unit: string, ms: number): number {
  if (unit === 'minute') return ms - (ms % 60_000);
  if (unit === 'hour') return ms - (ms % 3_600_000);
  if (unit === 'day') return ms - (ms % DAY);
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Cells held: the fields of every hash matching the pattern. */
async function cells(raw: Redis, pattern: string): Promise<number> {
  let n = 0;
  for (const key of await keysMatching(raw, pattern)) n += await raw.hlen(key);
  return n;
}

/** Cells held by a hierarchical counter: the fields of its values hashes (ranked slots) and the entries of its value strings (unranked slots). */
async function counterCells(raw: Redis, tagPattern: string): Promise<number> {
  let n = await cells(raw, `${tagPattern}:v:*`);
  for (const key of await keysMatching(raw, `${tagPattern}:b:*`)) n += (JSON.parse((await raw.get(key)) ?? '[]') as unknown[]).length / 2;
  return n;
}

async function load(counter: HierarchicalCounter, w: Workload, events: number): Promise<number> {
  return seconds(async () => {
    for (let at = 0; at < events; at += BATCH) {
      const batch = [];
      for (let i = at; i < Math.min(events, at + BATCH); i++) batch.push({ path: w.paths[w.leaf[i] as number] as string[], at: w.at[i] as number });
      await counter.incrMany(batch);
    }
  });
}

const scenario: BenchScenario = {
  name: 'hcounters',
  description: `hierarchical counters vs one HINCRBY per ancestor per resolution: ${String(EVENTS)} events over ${String(LEAVES)} leaf paths of depth 4, minute/hour/day/month (incrMany rate on both topologies, memory per cell, children top 10 of 10,000)`,
  needsCluster: true,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const w = workload();
    const raw = new Redis(ctx.url);
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const cluster = ctx.clusterUrl === undefined ? null : kickass({ connection: ctx.clusterUrl, prefix: ctx.prefix });
    const resolutions = ['minute', 'hour', 'day', 'month'] as const;
    const v = { ours: [] as number[], cluster: [] as number[], naive: [] as number[], perCell: [] as number[], naivePerCell: [] as number[], cellsPerEvent: [] as number[], bySum: [] as number[], byCount: [] as number[], get: [] as number[], series: [] as number[] };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        // ours, standalone: rate, memory per cell, reads
        const before = await usedMemory(raw);
        const counter = kr.hierarchicalCounter(`views${String(run)}`, { resolutions });
        v.ours.push(EVENTS / (await load(counter, w, EVENTS)));
        const held = await counterCells(raw, `{${ctx.prefix}:hc:views${String(run)}*`);
        v.perCell.push(((await usedMemory(raw)) - before) / held);
        v.cellsPerEvent.push(held / EVENTS);
        const gets: number[] = [];
        const series: number[] = [];
        for (let i = 0; i < 200; i++) {
          const path = (w.paths[w.leaf[i * 997] as number] as string[]).slice(0, 1 + (i % 4));
          let t = performance.now();
          await counter.get(path, 'hour', START + (i % 24) * 3_600_000);
          gets.push(performance.now() - t);
          t = performance.now();
          if (i < 50) {
            await counter.series(path.slice(0, 2), 'minute', START, START + DAY - 1);
            series.push(performance.now() - t);
          }
        }
        v.get.push(p50(gets));
        v.series.push(p50(series));
        await counter.drop();
        // ours on the cluster
        if (cluster !== null) {
          const on = cluster.hierarchicalCounter(`views${String(run)}`, { resolutions });
          v.cluster.push(EVENTS / (await load(on, w, EVENTS)));
          await on.drop();
        }
        // naive: 16 HINCRBY per event, pipelined per batch, on the first NAIVE_EVENTS events
        const naiveBefore = await usedMemory(raw);
        const tag = `{${ctx.prefix}:naive${String(run)}}`;
        const s = await seconds(async () => {
          for (let at = 0; at < NAIVE_EVENTS; at += NAIVE_PIPELINE) {
            const pipeline = raw.pipeline();
            for (let i = at; i < Math.min(NAIVE_EVENTS, at + NAIVE_PIPELINE); i++) {
              const path = w.paths[w.leaf[i] as number] as string[];
              for (const unit of resolutions) {
                const key = `${tag}:${unit}:${String(naiveSlot(unit, w.at[i] as number))}`;
                for (let d = 1; d <= path.length; d++) pipeline.hincrby(key, path.slice(0, d).join('/'), 1);
              }
            }
            await pipeline.exec();
          }
        });
        v.naive.push(NAIVE_EVENTS / s);
        v.naivePerCell.push(((await usedMemory(raw)) - naiveBefore) / (await cells(raw, `${tag}:*`)));
        for (const key of await keysMatching(raw, `${tag}:*`)) await raw.unlink(key);
        // a node with 10,000 children
        const wide = kr.hierarchicalCounter(`wide${String(run)}`, { resolutions: ['hour', 'day'] });
        const pick = zipf(WIDE, seededRandom(99));
        await wide.incrMany(Array.from({ length: WIDE_EVENTS }, (_, i) => ({ path: ['site', 'pages', `/p/${String(pick())}`], at: START + Math.floor((i / WIDE_EVENTS) * DAY) })));
        const [bySum, byCount] = [[] as number[], [] as number[]];
        for (let i = 0; i < 500; i++) {
          let t = performance.now();
          const top = await wide.children(['site', 'pages'], 'day', START, { top: 10 });
          bySum.push(performance.now() - t);
          if (top.total < WIDE * 0.9) throw new Error(`wide: only ${String(top.total)} children`);
          if (i < 100) {
            t = performance.now();
            await wide.children(['site', 'pages'], 'day', START, { top: 10, order: 'count' });
            byCount.push(performance.now() - t);
          }
        }
        v.bySum.push(p50(bySum));
        v.byCount.push(p50(byCount));
        await wide.drop();
        ctx.log(`run ${String(run + 1)}/${String(ctx.runs)}: ${String(Math.round(v.ours.at(-1) ?? 0))} events/s (cluster ${String(Math.round(v.cluster.at(-1) ?? 0))}) vs naive ${String(Math.round(v.naive.at(-1) ?? 0))}; ${(v.perCell.at(-1) ?? 0).toFixed(0)} vs ${(v.naivePerCell.at(-1) ?? 0).toFixed(0)} bytes per cell; top 10 of 10,000 ${(v.bySum.at(-1) ?? 0).toFixed(3)} ms`);
      }
    } finally {
      raw.disconnect();
      await kr.close();
      await cluster?.close();
    }
    const naive = 'naive: one HINCRBY per ancestor per resolution, pipelined';
    const rows = [
      makeRow({ metric: 'incrMany events/s, standalone', unit: 'events/s', ours: v.ours, competitor: naive, theirs: v.naive, goal: '>= 200,000 events/s' }),
      makeRow({ metric: 'Redis memory per counter cell (bytes)', unit: 'bytes', ours: v.perCell, competitor: naive, theirs: v.naivePerCell, better: 'lower' }),
      makeRow({ metric: 'counter cells per event (node x slot, after merging)', unit: 'cells', ours: v.cellsPerEvent }),
      makeRow({ metric: 'children(top 10) of 10,000, by sum, p50 (ms)', unit: 'ms', ours: v.bySum, better: 'lower', goal: '<= 2 ms' }),
      makeRow({ metric: 'children(top 10) of 10,000, by count (sorted in the script), p50 (ms)', unit: 'ms', ours: v.byCount, better: 'lower' }),
      makeRow({ metric: 'get(path, hour), p50 (ms)', unit: 'ms', ours: v.get, better: 'lower' }),
      makeRow({ metric: 'series(path, minute) over a day (1,440 slots), p50 (ms)', unit: 'ms', ours: v.series, better: 'lower' }),
    ];
    if (v.cluster.length > 0) rows.splice(1, 0, makeRow({ metric: 'incrMany events/s, 3-master cluster', unit: 'events/s', ours: v.cluster, goal: '>= 200,000 events/s' }));
    return rows;
  },
};

export default scenario;
