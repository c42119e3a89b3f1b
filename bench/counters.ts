/**
 * Scenario "counters": unique counters (`kr.uniqueCounter`) on the workload, 1,000,000
 * events of 200,000 users over 30 days (users drawn uniformly, instants uniform over the 30 days),
 * counted in day, week and month slots (bitmapist's default slots), against bitmapist's scheme in
 * the same run: one SETBIT per event per slot (`trackb_<event>_<slot>` keys), pipelined per batch
 * of 100,000 events like bitmapist's `mark_event` with a pipeline. bitmapist itself is Python and
 * cannot be installed here (no Python package index); its scheme is re-implemented over ioredis,
 * which is faster than bitmapist's own client, so the comparison favours it.
 * Dense ids: users are 0..199,999 (ours with integer ids). Sparse ids: the same users with ids
 * spread over 0..20,000,000 (ours with an id map; bitmapist's scheme sets bits at the raw ids).
 * Memory: Redis `used_memory` after the load minus before (bitmaps, and our id map), and for ours
 * on sparse ids the MEMORY USAGE of its keys by kind (slot bitmaps, universe, id map both ways).
 * Cohort: a 30-day daily retention table (30 cohort days x 30 later days) of the same counter;
 * bitmapist's scheme: one BITOP AND + BITCOUNT round trip per cell, as bitmapist's cohort does.
 * One-day count: BITCOUNT of a day (ours `count('day', at)`), p50 of 500 calls.
 * The raw SETBIT limit: redis-benchmark's pipelined SETBIT on the same server (one core).
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { retention } from '../src/counters/analysis.js';
import type { UniqueCounter } from '../src/counters/unique-counter.js';
import { kickass } from '../src/kickass.js';
import { seededRandom } from './data/random.js';
import { lazyFreeDone, scanAll, usedMemory } from './server-info.js';
import { makeRow, p50, seconds } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const EVENTS = 1_000_000;
const USERS = 200_000;
const SPARSE_SPAN = 20_000_000;
const DAYS = 30;
const DAY = 86_400_000;
const START = Date.UTC(2026, 8, 1);
const BATCH = 100_000;

interface Workload {
  readonly users: Int32Array;
  readonly at: Float64Array;
  readonly sparse: Int32Array;
}

/** The events and the sparse id of each user (fixed seeds). */
function workload(): Workload {
  const random = seededRandom(12345);
  const users = new Int32Array(EVENTS);
  const at = new Float64Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    users[i] = Math.floor(random() * USERS);
    at[i] = START + Math.floor(random() * DAYS * DAY);
  }
  const taken = new Set<number>();
  const sparse = new Int32Array(USERS);
  for (let u = 0; u < USERS; u++) {
    let id: number;
    do id = Math.floor(random() * SPARSE_SPAN);
    while (taken.has(id));
    taken.add(id);
    sparse[u] = id;
  }
  return { users, at, sparse };
}

/** bitmapist's slot keys of an instant: month, week, day (UTC dates, as bitmapist takes its server's clock). */
function bitmapistKeys(tag: string, ms: number): string[] {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const week = Math.floor((Math.floor(ms / DAY) + 3) / 7);
  return [`${tag}:trackb_active_${String(y)}-${String(m)}`, `${tag}:trackb_active_W${String(week)}`, `${tag}:trackb_active_${String(y)}-${String(m)}-${String(d.getUTCDate())}`];
}

/** redis-benchmark's pipelined SETBIT on the server (ops/s), or null without redis-benchmark. */
function rawSetbitLimit(url: string, key: string): number | null {
  const { hostname, port } = new URL(url);
  try {
    const out = execFileSync('redis-benchmark', ['-h', hostname, '-p', port || '6379', '-n', '2000000', '-P', '64', '-q', 'setbit', key, '123456', '1'], { encoding: 'utf8', timeout: 120_000 });
    const found = /([\d.]+) requests per second/.exec(out);
    return found ? Number(found[1]) : null;
  } catch {
    return null;
  }
}

const scenario: BenchScenario = {
  name: 'counters',
  description: `unique counters vs bitmapist's scheme: ${String(EVENTS)} events of ${String(USERS)} users over ${String(DAYS)} days (add rate, memory dense and sparse, 30-day cohort, one-day count)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const w = workload();
    const raw = new Redis(ctx.url);
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const v = { dense: [] as number[], denseTheirs: [] as number[], sparse: [] as number[], sparseTheirs: [] as number[], memDense: [] as number[], memDenseTheirs: [] as number[], memSparse: [] as number[], memSparseTheirs: [] as number[], sparseKnown: [] as number[], partBitmaps: [] as number[], partUniverse: [] as number[], partForward: [] as number[], partReverse: [] as number[], cohort: [] as number[], cohortTheirs: [] as number[], count: [] as number[], countTheirs: [] as number[], setbit: [] as number[] };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        for (const mode of ['dense', 'sparse'] as const) {
          const name = `${mode}${String(run)}`;
          const counter =
            mode === 'dense' ? kr.uniqueCounter(name, { slots: ['day', 'week', 'month'] }) : kr.uniqueCounter(name, { slots: ['day', 'week', 'month'], ids: { map: `users${String(run)}`, expectedIds: 250_000, cacheSize: 250_000 } });
          const tag = `{${ctx.prefix}:bitmapist:${name}}`;
          const idOf = (i: number): number => (mode === 'dense' ? (w.users[i] as number) : (w.sparse[w.users[i] as number] as number));
          const order = run % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
          for (const side of order) {
            const before = await usedMemory(raw);
            let s: number;
            if (side === 'ours') {
              s = await seconds(async () => {
                for (let at = 0; at < EVENTS; at += BATCH) {
                  const events = [];
                  for (let i = at; i < Math.min(EVENTS, at + BATCH); i++) events.push({ id: idOf(i), at: w.at[i] as number });
                  await (counter as { addMany(e: { id: number; at: number }[]): Promise<void> }).addMany(events);
                }
              });
            } else {
              s = await seconds(async () => {
                for (let at = 0; at < EVENTS; at += BATCH) {
                  const pipeline = raw.pipeline();
                  for (let i = at; i < Math.min(EVENTS, at + BATCH); i++) for (const key of bitmapistKeys(tag, w.at[i] as number)) pipeline.setbit(key, idOf(i), 1);
                  await pipeline.exec();
                }
              });
            }
            const bytes = (await usedMemory(raw)) - before;
            if (mode === 'dense') {
              (side === 'ours' ? v.dense : v.denseTheirs).push(EVENTS / s);
              (side === 'ours' ? v.memDense : v.memDenseTheirs).push(bytes);
            } else {
              (side === 'ours' ? v.sparse : v.sparseTheirs).push(EVENTS / s);
              (side === 'ours' ? v.memSparse : v.memSparseTheirs).push(bytes);
            }
          }
          if (mode === 'sparse') {
            // where the bytes go: MEMORY USAGE of every key of ours, by kind
            const parts = { b: 0, u: 0, f: 0, r: 0 } as Record<string, number>;
            for (const pattern of [`{${ctx.prefix}:uc:${name}}:*`, `{${ctx.prefix}:ucm:users${String(run)}}:*`]) {
              for await (const keys of scanAll(raw, pattern)) {
                for (const key of keys) {
                  const kind = /^\{[^}]*\}:(\w)/.exec(key)?.[1] ?? '?';
                  parts[kind] = (parts[kind] ?? 0) + ((await raw.memory('USAGE', key)) ?? 0);
                }
              }
            }
            v.partBitmaps.push(parts.b ?? 0);
            v.partUniverse.push(parts.u ?? 0);
            v.partForward.push(parts.f ?? 0);
            v.partReverse.push(parts.r ?? 0);
            // the same events again: every id is known (numbered, and remembered by the process)
            const again = await seconds(async () => {
              for (let at = 0; at < EVENTS; at += BATCH) {
                const events = [];
                for (let i = at; i < Math.min(EVENTS, at + BATCH); i++) events.push({ id: idOf(i), at: w.at[i] as number });
                await (counter as { addMany(e: { id: number; at: number }[]): Promise<void> }).addMany(events);
              }
            });
            v.sparseKnown.push(EVENTS / again);
          }
          if (mode === 'dense') {
            // 30-day daily cohort: 30 cohort days x 30 later days
            const first = START + DAY / 2;
            const t0 = process.hrtime.bigint();
            const table = await retention({ cohort: counter as UniqueCounter, unit: 'day', from: first, to: first + (DAYS - 1) * DAY, periods: DAYS - 1 });
            v.cohort.push(Number(process.hrtime.bigint() - t0) / 1e6);
            const t1 = process.hrtime.bigint();
            let cells = 0;
            for (let r = 0; r < DAYS; r++) {
              for (let p = 0; p < DAYS; p++) {
                const [a, b] = [bitmapistKeys(tag, first + r * DAY)[2] as string, bitmapistKeys(tag, first + (r + p) * DAY)[2] as string];
                const [, [, n]] = ((await raw.pipeline().bitop('AND', `${tag}:cohort`, a, b).bitcount(`${tag}:cohort`).exec()) ?? []) as [unknown, [unknown, number]];
                cells += n;
              }
            }
            await raw.del(`${tag}:cohort`);
            v.cohortTheirs.push(Number(process.hrtime.bigint() - t1) / 1e6);
            if (table[0]?.size === 0 || cells === 0) throw new Error('cohort: empty table');
            const ours: number[] = [];
            const theirs: number[] = [];
            for (let i = 0; i < 500; i++) {
              const day = first + (i % DAYS) * DAY;
              const a = process.hrtime.bigint();
              await counter.count('day', day);
              ours.push(Number(process.hrtime.bigint() - a) / 1e6);
              const b = process.hrtime.bigint();
              await raw.bitcount(bitmapistKeys(tag, day)[2] as string);
              theirs.push(Number(process.hrtime.bigint() - b) / 1e6);
            }
            v.count.push(p50(ours));
            v.countTheirs.push(p50(theirs));
            const limit = rawSetbitLimit(ctx.url, `${tag}:setbit`);
            if (limit !== null) v.setbit.push(limit);
          }
          ctx.log(`run ${String(run + 1)}/${String(ctx.runs)} ${mode}: ${String(Math.round((mode === 'dense' ? v.dense : v.sparse).at(-1) ?? 0))} vs ${String(Math.round((mode === 'dense' ? v.denseTheirs : v.sparseTheirs).at(-1) ?? 0))} events/s; memory ${(((mode === 'dense' ? v.memDense : v.memSparse).at(-1) ?? 0) / 1e6).toFixed(2)} vs ${(((mode === 'dense' ? v.memDenseTheirs : v.memSparseTheirs).at(-1) ?? 0) / 1e6).toFixed(2)} MB`);
          await counter.drop();
          for await (const keys of scanAll(raw, `{${ctx.prefix}:*`)) if (keys.length > 0) await raw.unlink(...keys);
          await lazyFreeDone(raw);
        }
      }
    } finally {
      raw.disconnect();
      await kr.close();
    }
    const competitor = "bitmapist's scheme (SETBIT per slot, pipelined)";
    const rows = [
      makeRow({ metric: 'addMany events/s, dense ids', unit: 'events/s', ours: v.dense, competitor, theirs: v.denseTheirs, goal: '>= 300,000 events/s' }),
      makeRow({ metric: 'addMany events/s, sparse ids (id map)', unit: 'events/s', ours: v.sparse, competitor, theirs: v.sparseTheirs, goal: '>= 300,000 events/s' }),
      makeRow({ metric: 'addMany events/s, sparse ids, the same events again (ids known)', unit: 'events/s', ours: v.sparseKnown, goal: '>= 300,000 events/s' }),
      makeRow({ metric: 'Redis memory, dense ids (bytes)', unit: 'bytes', ours: v.memDense, competitor, theirs: v.memDenseTheirs, better: 'lower' }),
      makeRow({ metric: 'Redis memory, sparse ids (bitmaps + id map, bytes)', unit: 'bytes', ours: v.memSparse, competitor, theirs: v.memSparseTheirs, better: 'lower', goal: '<= 12 MB' }),
      makeRow({ metric: 'sparse ids, MEMORY USAGE of the slot bitmaps (bytes)', unit: 'bytes', ours: v.partBitmaps }),
      makeRow({ metric: 'sparse ids, MEMORY USAGE of the universe bitmap (bytes)', unit: 'bytes', ours: v.partUniverse }),
      makeRow({ metric: 'sparse ids, MEMORY USAGE of the id map, forward shards (bytes)', unit: 'bytes', ours: v.partForward }),
      makeRow({ metric: 'sparse ids, MEMORY USAGE of the id map, reverse chunks (bytes)', unit: 'bytes', ours: v.partReverse }),
      makeRow({ metric: '30-day daily cohort (ms)', unit: 'ms', ours: v.cohort, competitor: "bitmapist's scheme (BITOP AND + BITCOUNT per cell)", theirs: v.cohortTheirs, better: 'lower', goal: '<= 50 ms' }),
      makeRow({ metric: 'one-day count, p50 (ms)', unit: 'ms', ours: v.count, competitor: 'BITCOUNT', theirs: v.countTheirs, better: 'lower', goal: '<= 1 ms' }),
    ];
    if (v.setbit.length === ctx.runs) rows.push(makeRow({ metric: 'raw SETBIT limit, redis-benchmark -P 64 (ops/s)', unit: 'ops/s', ours: v.setbit }));
    return rows;
  },
};

export default scenario;
