/**
 * Scenario "ids": ids per second one process gets from kickass-redis id generators, against the
 * naive approach of one `INCR` round trip per id, all in the same run against the same server
 * and over the same connection.
 */
import { kickass } from '../src/kickass.js';
import type { Kickass } from '../src/kickass.js';
import { makeRow, throughput } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const COMPETITOR = 'one INCR per id';

/** One way of making ids, measured once per run on a fresh (cold) generator or key. */
interface Measure {
  /** Short label, part of the generator name / key. */
  label: string;
  /** Ids made per measurement; tuned so one measurement takes about 1-3 s on the 2-core box. */
  count: number;
  /** Makes `count` ids from a generator or key called `name` and returns ids per second. */
  measure(kr: Kickass, ctx: BenchContext, name: string, count: number): Promise<number>;
}

function checkLast(what: string, last: number, expected: number): void {
  if (last !== expected) throw new Error(`${what}: the last id was ${String(last)}, expected ${String(expected)}`);
}

function incrementalNext(blockSize: number, count: number): Measure {
  return {
    label: `block${String(blockSize)}`,
    count,
    async measure(kr, _ctx, name, n) {
      const gen = kr.idGenerator(name, { blockSize });
      let last = 0;
      const rate = await throughput(n, async () => {
        for (let i = 0; i < n; i++) last = await gen.next();
      });
      checkLast(`block ${String(blockSize)} next()`, last, n);
      return rate;
    },
  };
}

const BATCH = 1000;

const MEASURES = {
  incr: {
    label: 'incr',
    count: 30_000,
    async measure(kr, ctx, name, n) {
      const key = `{${ctx.prefix}:incr}:${name}`;
      const client = kr.client;
      let last = 0;
      const rate = await throughput(n, async () => {
        for (let i = 0; i < n; i++) last = await client.incr(key);
      });
      checkLast('INCR', last, n);
      return rate;
    },
  },
  block1: incrementalNext(1, 30_000),
  block100: incrementalNext(100, 1_500_000),
  block1000: incrementalNext(1000, 5_000_000),
  many1000: {
    label: 'many1000',
    count: 10_000_000,
    async measure(kr, _ctx, name, n) {
      const gen = kr.idGenerator(name, { blockSize: 1000 });
      let last = 0;
      const rate = await throughput(n, async () => {
        for (let made = 0; made < n; made += BATCH) last = (await gen.nextMany(BATCH)).at(-1) ?? 0;
      });
      checkLast('block 1000 nextMany(1000)', last, n);
      return rate;
    },
  },
  timeNext: {
    label: 'tnext',
    count: 2_000_000,
    async measure(kr, _ctx, name, n) {
      const gen = kr.timeOrderedIds(name);
      try {
        let first = 0n;
        let last = 0n;
        const rate = await throughput(n, async () => {
          first = await gen.next();
          for (let i = 1; i < n; i++) last = await gen.next();
        });
        if (n > 1 && last <= first) throw new Error('time-ordered next(): ids did not increase');
        return rate;
      } finally {
        await gen.close();
      }
    },
  },
  timeMany: {
    label: 'tmany',
    count: 3_000_000,
    async measure(kr, _ctx, name, n) {
      const gen = kr.timeOrderedIds(name);
      try {
        let first = 0n;
        let last = 0n;
        const rate = await throughput(n, async () => {
          for (let made = 0; made < n; made += BATCH) {
            const ids = await gen.nextMany(BATCH);
            if (made === 0) first = ids[0] ?? 0n;
            last = ids.at(-1) ?? 0n;
          }
        });
        if (n > BATCH && last <= first) throw new Error('time-ordered nextMany(1000): ids did not increase');
        return rate;
      } finally {
        await gen.close();
      }
    },
  },
} satisfies Record<string, Measure>;

type MeasureKey = keyof typeof MEASURES;
const ORDER = Object.keys(MEASURES) as MeasureKey[];

/** Every measurement once, in an order rotated by `rotation` so slow drift does not favour one side. */
async function pass(kr: Kickass, ctx: BenchContext, tag: string, rotation: number, scale: number): Promise<Record<MeasureKey, number>> {
  const result = {} as Record<MeasureKey, number>;
  for (let i = 0; i < ORDER.length; i++) {
    const key = ORDER[(i + rotation) % ORDER.length]!;
    const m: Measure = MEASURES[key];
    const count = Math.max(BATCH, Math.round((m.count * scale) / BATCH) * BATCH);
    result[key] = await m.measure(kr, ctx, `${m.label}-${tag}`, count);
  }
  return result;
}

const scenario: BenchScenario = {
  name: 'ids',
  description:
    'ids/s for one process from kr.idGenerator (block 1, 100, 1000; next() and nextMany(1000)) and kr.timeOrderedIds, vs one INCR round trip per id',
  async run(ctx) {
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    try {
      await kr.client.ping();
      ctx.log('warm-up pass (a tenth of each count, not recorded)');
      await pass(kr, ctx, 'warm', 0, 0.1);
      const runs: Record<MeasureKey, number>[] = [];
      for (let run = 1; run <= ctx.runs; run++) {
        const started = performance.now();
        runs.push(await pass(kr, ctx, `r${String(run)}`, run, 1));
        ctx.log(`run ${String(run)}/${String(ctx.runs)} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
      const values = (key: MeasureKey): number[] => runs.map((r) => r[key]);
      const vsIncr = { unit: 'ids/s', competitor: COMPETITOR, theirs: values('incr') };
      const rows: BenchRow[] = [
        makeRow({ metric: 'ids/s, block 1000, next()', ours: values('block1000'), goal: '>= 1,000,000 ids/s', ...vsIncr }),
        makeRow({ metric: 'ids/s, block 100, next()', ours: values('block100'), ...vsIncr }),
        makeRow({ metric: 'ids/s, block 1, next()', ours: values('block1'), ...vsIncr }),
        makeRow({ metric: 'ids/s, block 1000, nextMany(1000)', ours: values('many1000'), ...vsIncr }),
        makeRow({ metric: 'ids/s, time-ordered, next()', ours: values('timeNext'), ...vsIncr }),
        makeRow({ metric: 'ids/s, time-ordered, nextMany(1000)', ours: values('timeMany'), ...vsIncr }),
      ];
      return rows;
    } finally {
      await kr.close();
    }
  },
};

export default scenario;
