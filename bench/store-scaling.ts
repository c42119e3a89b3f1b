/**
 * Scenario "store-scaling": how query latency of the kickass-redis object store grows with the
 * number of objects. p50 and p95 (ms, one query in flight) of four query shapes at 10k, 100k and
 * 1M objects on one standalone server (one model grown in place with createMany), and at 1M on the
 * 3-master cluster with 12 partitions. No competitor (nohm has no cluster support and no sorted,
 * limited queries over an index combination).
 *
 * The model: `bucket` (equality index, 100 objects per value at every size), `group` (equality
 * index, 200 values, so N/200 objects per value), `score` (sortable number, uniform integers in
 * [0, 1,000,000)), `note` (not indexed), and a compound index (group, score). Every query's answer
 * is checked (hit counts, order, bounds), and a few per size against a brute-force filter of the
 * data kept in memory.
 */
import { kickass } from '../src/kickass.js';
import type { Kickass } from '../src/kickass.js';
import { t } from '../src/store/index.js';
import type { Model } from '../src/store/index.js';
import { compareBytes } from '../src/store/query-compile.js';
import { query } from '../src/store/query.js';
import { makeRow, seconds } from './stats.js';
import { pool } from './store.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const FIELDS = {
  bucket: t.string().required().index(),
  group: t.string().required().index(),
  score: t.number().required().sortable(),
  note: t.string().required(),
};
type ScaleModel = Model<typeof FIELDS>;

const BUCKET_SIZE = 100;
const GROUPS = 200;
const SCORE_SPAN = 1_000_000;
/** Width of the score range of the range shapes: half the values. */
const RANGE_WIDTH = SCORE_SPAN / 2;
const PAGE = 10;
/** Objects per createMany call, and calls in flight, while building a dataset. */
const BUILD_BATCH = 5000;
const BUILD_IN_FLIGHT = 2;
/** Timed queries per shape per run, and untimed ones before the first run. */
const SAMPLES = 200;
const WARMUP_SAMPLES = 20;
const PARTITIONS_ON_CLUSTER = 12;

/** The data written so far, kept in memory for the brute-force checks. */
class Data {
  readonly ids: string[] = [];
  readonly scores: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  item(i: number): { bucket: string; group: string; score: number; note: string } {
    return {
      bucket: `b${String(Math.floor(i / BUCKET_SIZE))}`,
      group: `g${String(i % GROUPS)}`,
      score: this.scores[i]!,
      note: `unindexed note of object ${String(i)}`,
    };
  }
}

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

function label(n: number): string {
  if (n === 0) return '0';
  return n >= 1_000_000 ? `${String(n / 1_000_000)}M` : `${String(n / 1000)}k`;
}

/** Grows the model to `target` objects with createMany; returns objects per second. */
async function grow(model: ScaleModel, data: Data, target: number): Promise<number> {
  const from = data.size;
  for (let i = from; i < target; i++) data.scores.push(randomInt(SCORE_SPAN));
  const batches = Math.ceil((target - from) / BUILD_BATCH);
  const ids = new Array<string>(target - from);
  const took = await seconds(() =>
    pool(batches, BUILD_IN_FLIGHT, async (b) => {
      const start = from + b * BUILD_BATCH;
      const end = Math.min(target, start + BUILD_BATCH);
      const rows = await model.createMany(Array.from({ length: end - start }, (_, k) => data.item(start + k)));
      if (rows.length !== end - start) throw new Error(`createMany made ${String(rows.length)} of ${String(end - start)} objects`);
      for (let k = 0; k < rows.length; k++) ids[start - from + k] = rows[k]!.id;
    }),
  );
  for (const id of ids) data.ids.push(id);
  return (target - from) / took;
}

interface Shape {
  key: string;
  name: string;
  goal?: string;
  /** Runs one random query of the shape and checks its answer. */
  run(model: ScaleModel, data: Data): Promise<void>;
}

function fail(what: string, detail: string): never {
  throw new Error(`${what}: ${detail}`);
}

function randomRange(): { gte: number; lte: number } {
  const gte = randomInt(SCORE_SPAN - RANGE_WIDTH);
  return { gte, lte: gte + RANGE_WIDTH - 1 };
}

/** Checks that rows are sorted by score (then id ascending) and within the range. */
function checkPage(what: string, rows: readonly { id: string; score: number; group: string }[], range: { gte: number; lte: number }, direction: 'asc' | 'desc', group?: string): void {
  if (rows.length > PAGE) fail(what, `${String(rows.length)} rows for limit ${String(PAGE)}`);
  rows.forEach((row, i) => {
    if (row.score < range.gte || row.score > range.lte) fail(what, `score ${String(row.score)} outside the range`);
    if (group !== undefined && row.group !== group) fail(what, `group ${row.group}, expected ${group}`);
    const prev = rows[i - 1];
    if (prev === undefined) return;
    const c = direction === 'asc' ? prev.score - row.score : row.score - prev.score;
    if (c > 0 || (c === 0 && compareBytes(prev.id, row.id) > 0)) fail(what, 'rows out of order');
  });
}

const SHAPES: Shape[] = [
  {
    key: 'eq',
    name: 'eq, 100 ids',
    async run(model, data) {
      const bucket = randomInt(data.size / BUCKET_SIZE);
      const ids = await query(model, { bucket: `b${String(bucket)}` }).ids();
      if (ids.length !== BUCKET_SIZE) fail('eq', `${String(ids.length)} ids, expected ${String(BUCKET_SIZE)}`);
    },
  },
  {
    key: 'range',
    name: 'range + sortBy + limit 10',
    goal: 'not linear in N',
    async run(model) {
      const range = randomRange();
      const rows = await query(model, { score: range }).sortBy('score', 'asc').limit(PAGE).all();
      if (rows.length !== PAGE) fail('range', `${String(rows.length)} rows, expected ${String(PAGE)}`);
      checkPage('range', rows, range, 'asc');
    },
  },
  {
    key: 'eqRange',
    name: 'eq AND range + sortBy + limit 10',
    goal: 'not linear in N',
    async run(model) {
      const group = `g${String(randomInt(GROUPS))}`;
      const range = randomRange();
      const rows = await query(model, { group, score: range }).sortBy('score', 'desc').limit(PAGE).all();
      checkPage('eq AND range', rows, range, 'desc', group);
    },
  },
  {
    key: 'count',
    name: 'count of an eq',
    async run(model, data) {
      const n = await query(model, { group: `g${String(randomInt(GROUPS))}` }).count();
      if (n !== data.size / GROUPS) fail('count', `${String(n)}, expected ${String(data.size / GROUPS)}`);
    },
  },
];

/** Compares a few answers with a brute-force filter of the data. */
async function bruteForceCheck(model: ScaleModel, data: Data): Promise<void> {
  const order = (direction: 'asc' | 'desc') => (a: number, b: number): number => {
    const d = direction === 'asc' ? data.scores[a]! - data.scores[b]! : data.scores[b]! - data.scores[a]!;
    return d !== 0 ? d : compareBytes(data.ids[a]!, data.ids[b]!);
  };
  for (let k = 0; k < 2; k++) {
    const range = randomRange();
    const group = randomInt(GROUPS);
    const inRange: number[] = [];
    for (let i = 0; i < data.size; i++) if (data.scores[i]! >= range.gte && data.scores[i]! <= range.lte) inRange.push(i);
    const expectRange = [...inRange].sort(order('asc')).slice(0, PAGE).map((i) => data.ids[i]!);
    const expectEqRange = inRange.filter((i) => i % GROUPS === group).sort(order('desc')).slice(0, PAGE).map((i) => data.ids[i]!);
    const gotRange = await query(model, { score: range }).sortBy('score', 'asc').limit(PAGE).ids();
    const gotEqRange = await query(model, { group: `g${String(group)}`, score: range }).sortBy('score', 'desc').limit(PAGE).ids();
    if (gotRange.join() !== expectRange.join()) fail('brute-force check', `range + sortBy + limit: got ${gotRange.join()}, expected ${expectRange.join()}`);
    if (gotEqRange.join() !== expectEqRange.join()) fail('brute-force check', `eq AND range: got ${gotEqRange.join()}, expected ${expectEqRange.join()}`);
    const bucket = randomInt(data.size / BUCKET_SIZE);
    const expectEq = data.ids.slice(bucket * BUCKET_SIZE, (bucket + 1) * BUCKET_SIZE).sort(compareBytes);
    const gotEq = await query(model, { bucket: `b${String(bucket)}` }).ids();
    if (gotEq.join() !== expectEq.join()) fail('brute-force check', `eq on bucket b${String(bucket)} differs`);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface ShapeRuns {
  p50: number[];
  p95: number[];
}

/** ctx.runs runs of SAMPLES sequential queries per shape, shapes in an order rotated per run. */
async function measureShapes(ctx: BenchContext, model: ScaleModel, data: Data, where: string): Promise<Map<string, ShapeRuns>> {
  const out = new Map<string, ShapeRuns>(SHAPES.map((s) => [s.key, { p50: [], p95: [] }]));
  for (const shape of SHAPES) {
    for (let i = 0; i < WARMUP_SAMPLES; i++) await shape.run(model, data);
    const explain = await explainShape(model, data, shape.key);
    ctx.log(`${where}: ${shape.name}: ${explain}`);
  }
  for (let run = 0; run < ctx.runs; run++) {
    for (let s = 0; s < SHAPES.length; s++) {
      const shape = SHAPES[(s + run) % SHAPES.length]!;
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const start = performance.now();
        await shape.run(model, data);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const runs = out.get(shape.key)!;
      runs.p50.push(percentile(times, 50));
      runs.p95.push(percentile(times, 95));
    }
  }
  return out;
}

/** What the planner did for one query of a shape (strategy and objects examined per partition, summed). */
async function explainShape(model: ScaleModel, data: Data, key: string): Promise<string> {
  const range = randomRange();
  const group = `g${String(randomInt(GROUPS))}`;
  const explained =
    key === 'eq'
      ? await query(model, { bucket: `b${String(randomInt(data.size / BUCKET_SIZE))}` }).explain('ids')
      : key === 'range'
        ? await query(model, { score: range }).sortBy('score', 'asc').limit(PAGE).explain('all')
        : key === 'eqRange'
          ? await query(model, { group, score: range }).sortBy('score', 'desc').limit(PAGE).explain('all')
          : await query(model, { group }).explain('count');
  const strategies = [...new Set(explained.partitions.map((p) => p.strategy))].join(', ');
  const examined = explained.partitions.reduce((n, p) => n + p.examined, 0);
  const micros = explained.partitions.reduce((n, p) => n + p.micros, 0);
  return `strategy ${strategies}; examined ${String(examined)} objects; ${String(micros)} us of script time over ${String(explained.partitions.length)} partition(s)`;
}

function latencyRows(where: string, results: Map<string, ShapeRuns>): BenchRow[] {
  return SHAPES.flatMap((shape) => {
    const runs = results.get(shape.key)!;
    const base = { unit: 'ms', better: 'lower' as const };
    return [
      makeRow({ metric: `${where}: ${shape.name}, p50 (ms)`, ours: runs.p50, ...base, ...(shape.goal === undefined ? {} : { goal: shape.goal }) }),
      makeRow({ metric: `${where}: ${shape.name}, p95 (ms)`, ours: runs.p95, ...base }),
    ];
  });
}

async function usedMemory(kr: Kickass): Promise<number> {
  const info = await kr.client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

const SIZES = [10_000, 100_000, 1_000_000];

const scenario: BenchScenario = {
  name: 'store-scaling',
  description:
    'p50/p95 query latency (ms, one query in flight) of 4 query shapes at 10k, 100k and 1M objects standalone and 1M on a 3-master cluster with 12 partitions, plus createMany obj/s while building',
  needsCluster: true,
  async run(ctx) {
    const rows: BenchRow[] = [];
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    try {
      const model = kr.model('scale', FIELDS, { indexes: { groupScore: { fields: ['group', 'score'] } } });
      const data = new Data();
      const memoryBefore = await usedMemory(kr);
      for (const size of SIZES) {
        const from = data.size;
        ctx.log(`standalone: createMany ${label(from)} -> ${label(size)}`);
        const rate = await grow(model, data, size);
        ctx.log(`standalone: ${label(size)} objects; createMany ${Math.round(rate).toLocaleString('en-US')} obj/s`);
        rows.push(makeRow({ metric: `standalone: createMany obj/s, ${label(from)} -> ${label(size)} (one build)`, unit: 'obj/s', ours: [rate] }));
        await bruteForceCheck(model, data);
        rows.push(...latencyRows(`standalone ${label(size)}`, await measureShapes(ctx, model, data, `standalone ${label(size)}`)));
      }
      const perObject = ((await usedMemory(kr)) - memoryBefore) / data.size;
      rows.push(makeRow({ metric: `standalone: used_memory per object at ${label(data.size)} (bytes, one build)`, unit: 'bytes', ours: [perObject], better: 'lower' }));
    } finally {
      await kr.close();
    }

    if (ctx.clusterUrl === undefined) throw new Error('store-scaling needs a cluster (needsCluster)');
    const krc = kickass({ connection: ctx.clusterUrl, prefix: ctx.prefix });
    try {
      await krc.client.ping();
      const model = krc.model('scale', FIELDS, { partitions: PARTITIONS_ON_CLUSTER, indexes: { groupScore: { fields: ['group', 'score'] } } });
      const data = new Data();
      const size = SIZES[SIZES.length - 1]!;
      const where = `cluster P=${String(PARTITIONS_ON_CLUSTER)} ${label(size)}`;
      ctx.log(`${where}: createMany 0 -> ${label(size)}`);
      const rate = await grow(model, data, size);
      ctx.log(`${where}: createMany ${Math.round(rate).toLocaleString('en-US')} obj/s`);
      rows.push(makeRow({ metric: `${where}: createMany obj/s, 0 -> ${label(size)} (one build)`, unit: 'obj/s', ours: [rate] }));
      await bruteForceCheck(model, data);
      rows.push(...latencyRows(where, await measureShapes(ctx, model, data, where)));
    } finally {
      await krc.close();
    }
    return rows;
  },
};

export default scenario;
