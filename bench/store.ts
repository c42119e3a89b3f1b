/**
 * Scenario "store": the kickass-redis object store against nohm 3.0.0, side by side on the same
 * standalone server in the same run, each in its own key space (nohm with its own prefix and its
 * own ioredis connection; ours under the runner's random prefix), 50 operations in flight for each.
 *
 * Dataset (the issue's): objects with an equality-indexed string (200 distinct values), a sortable
 * number (a shuffled 0..n-1, so a range of 100 consecutive values holds exactly 100 objects), a
 * unique email and one unindexed string. Full size is 20,000 objects, so an equality query and a
 * range query both return exactly 100 ids; every query's hit count is checked, and once per run the
 * emails behind a few queries are compared across both libraries and with a brute-force filter.
 *
 * Memory is measured apart, on a private redis-server this scenario starts (and stops) for each
 * library in each run, so nothing else can pollute INFO used_memory: 1,000 warm-up objects first
 * (scripts loaded, id counters and index keys made), then used_memory before and after the next
 * 20,000 objects; bytes per object = the difference / 20,000.
 */
import { Redis } from 'ioredis';
import { Nohm } from 'nohm';
import { RedisServer } from '../harness/redis-server.js';
import { kickass } from '../src/kickass.js';
import type { Kickass } from '../src/kickass.js';
import { t } from '../src/store/index.js';
import type { Model } from '../src/store/index.js';
import { query } from '../src/store/query.js';
import { makeRow, seconds } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

/** Objects per dataset at full scale. */
export const OBJECTS = 20_000;
/** Distinct values of the equality field. */
export const GROUPS = 200;
/** Operations in flight for each library. */
export const IN_FLIGHT = 50;
/** Objects per createMany call. */
const MANY_BATCH = 1000;
/** createMany calls in flight. */
const MANY_IN_FLIGHT = 2;
/** Warm-up objects created before the memory measurement starts. */
const MEMORY_WARMUP = 1000;
const COMPETITOR = 'nohm 3.0.0';

/** The fields of our model (the same definition as nohm's below). */
export const FIELDS = {
  group: t.string().required().index(),
  score: t.number().required().sortable(),
  email: t.string().required().unique(),
  note: t.string().required(),
};
type OurModel = Model<typeof FIELDS>;

/** nohm's model definition: index on the string and the float (a scored index), unique email. */
const NOHM_PROPERTIES = {
  group: { type: 'string', index: true },
  score: { type: 'float', index: true },
  email: { type: 'string', unique: true },
  note: { type: 'string' },
} as const;
type NohmClass = ReturnType<typeof Nohm.model>;

/** One object of the dataset. */
export interface Item {
  group: string;
  score: number;
  email: string;
  note: string;
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function shuffled(n: number): Int32Array {
  const list = new Int32Array(n);
  for (let i = 0; i < n; i++) list[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const x = list[i]!;
    list[i] = list[j]!;
    list[j] = x;
  }
  return list;
}

/** The dataset of one run: object i, for both libraries. */
class Dataset {
  readonly n: number;
  readonly tag: string;
  readonly scores: Int32Array;

  constructor(n: number, tag: string) {
    this.n = n;
    this.tag = tag;
    this.scores = shuffled(n);
  }

  /** Objects per equality value, and per range query. */
  get hits(): number {
    return this.n / GROUPS;
  }

  item(i: number): Item {
    return {
      group: `g${String(i % GROUPS)}`,
      score: this.scores[i]!,
      email: `user${String(i)}@${this.tag}.example.com`,
      note: `unindexed note of object ${String(i)}`,
    };
  }

  /** Emails of the objects a query should find (the brute-force answer). */
  expectedEmails(filter: (item: Item) => boolean): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.n; i++) {
      const item = this.item(i);
      if (filter(item)) out.push(item.email);
    }
    return out.sort();
  }
}

/** Runs `fn(0..count-1)` with at most `inFlight` calls pending at once. */
export async function pool(count: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}

/** Operations per second of `count` calls of `fn`, `inFlight` at a time. */
async function rate(count: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<number> {
  return count / (await seconds(() => pool(count, inFlight, fn)));
}

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

function expectHits(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${what}: ${String(got)} hits, expected ${String(expected)}`);
}

function sameList(what: string, a: readonly string[], b: readonly string[]): void {
  if (a.length !== b.length || a.some((value, i) => value !== b[i])) {
    throw new Error(`${what}: results differ (${String(a.length)} vs ${String(b.length)} items)`);
  }
}

function ourModel(kr: Kickass, name: string): OurModel {
  return kr.model(name, FIELDS);
}

function nohmModel(name: string): NohmClass {
  return Nohm.model(name, { properties: NOHM_PROPERTIES, idGenerator: 'default' });
}

async function nohmSave(model: NohmClass, item: Item): Promise<void> {
  const object = new model();
  object.property({ ...item });
  await object.save();
}

async function ourCreateMany(model: OurModel, data: Dataset, from: number, to: number): Promise<void> {
  const batches = Math.ceil((to - from) / MANY_BATCH);
  await pool(batches, MANY_IN_FLIGHT, async (b) => {
    const start = from + b * MANY_BATCH;
    const end = Math.min(to, start + MANY_BATCH);
    const items = Array.from({ length: end - start }, (_, k) => data.item(start + k));
    const rows = await model.createMany(items);
    expectHits('createMany', rows.length, items.length);
  });
}

function rangeOf(data: Dataset): { gte: number; lte: number } {
  const low = randomInt(data.n - data.hits + 1);
  return { gte: low, lte: low + data.hits - 1 };
}

/** Compares the emails behind a few queries: ours, nohm's and the brute-force filter. */
async function crossCheck(ours: OurModel, theirs: NohmClass, data: Dataset): Promise<void> {
  for (let k = 0; k < 3; k++) {
    const group = `g${String(randomInt(GROUPS))}`;
    const range = rangeOf(data);
    const cases: [string, (item: Item) => boolean, () => Promise<string[]>, () => Promise<string[]>][] = [
      [
        `group = ${group}`,
        (item) => item.group === group,
        async () => (await query(ours, { group }).all()).map((row) => row.email),
        async () => (await theirs.loadMany(await theirs.find({ group }))).map((o) => String(o.property('email'))),
      ],
      [
        `score in [${String(range.gte)}, ${String(range.lte)}]`,
        (item) => item.score >= range.gte && item.score <= range.lte,
        async () => (await query(ours, { score: range }).all()).map((row) => row.email),
        async () => (await theirs.loadMany(await theirs.find({ score: { min: range.gte, max: range.lte } }))).map((o) => String(o.property('email'))),
      ],
    ];
    for (const [what, filter, oursFn, theirsFn] of cases) {
      const expected = data.expectedEmails(filter);
      sameList(`ours, ${what}`, (await oursFn()).sort(), expected);
      sameList(`nohm, ${what}`, (await theirsFn()).sort(), expected);
    }
  }
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const value = /used_memory:(\d+)/.exec(info)?.[1];
  if (value === undefined) throw new Error('INFO memory has no used_memory');
  return Number(value);
}

/** Bytes per object of `count` objects made by `fill(from, to)` on a private server. */
async function memoryPerObject(
  count: number,
  warm: number,
  setup: (url: string) => Promise<{ fill: (from: number, to: number) => Promise<void>; close: () => Promise<void> }>,
): Promise<number> {
  const server = await RedisServer.start();
  try {
    const probe = new Redis(server.url);
    const { fill, close } = await setup(server.url);
    try {
      await fill(0, warm);
      const before = await usedMemory(probe);
      await fill(warm, warm + count);
      const after = await usedMemory(probe);
      return (after - before) / count;
    } finally {
      await close();
      probe.disconnect();
    }
  } finally {
    await server.stop();
  }
}

interface PassResult {
  create: number;
  nohmCreate: number;
  createMany: number;
  eq: number;
  nohmEq: number;
  range: number;
  nohmRange: number;
  eqRows: number;
  nohmEqRows: number;
  memory: number;
  nohmMemory: number;
}

/** Queries per measurement at full scale: each measurement takes roughly 0.5-3 s on the 2-core box. */
const QUERIES = { ids: 20000, rows: 1000, nohmRows: 300 };

/** Every measurement once; the order inside each group is rotated from pass to pass. */
async function pass(kr: Kickass, ctx: BenchContext, tag: string, rotation: number, scale: number): Promise<PassResult> {
  const n = Math.round(OBJECTS * scale);
  const data = new Dataset(n, tag);
  const result = {} as PassResult;
  const ours = ourModel(kr, `user_${tag}`);
  const many = ourModel(kr, `many_${tag}`);
  const theirs = nohmModel(`User_${tag}`);

  const rotate = <T>(list: readonly T[]): T[] => list.map((_, i) => list[(i + rotation) % list.length]!);
  const run = async (steps: readonly (() => Promise<void>)[]): Promise<void> => {
    for (const step of rotate(steps)) await step();
  };

  await run([
    async () => {
      result.create = await rate(n, IN_FLIGHT, async (i) => {
        await ours.create(data.item(i));
      });
    },
    async () => {
      result.nohmCreate = await rate(n, IN_FLIGHT, (i) => nohmSave(theirs, data.item(i)));
    },
    async () => {
      result.createMany = n / (await seconds(() => ourCreateMany(many, data, 0, n)));
    },
  ]);
  await crossCheck(ours, theirs, data);

  const hits = data.hits;
  const q = (count: number): number => Math.max(50, Math.round(count * scale));
  await run([
    async () => {
      result.eq = await rate(q(QUERIES.ids), IN_FLIGHT, async () => {
        const ids = await query(ours, { group: `g${String(randomInt(GROUPS))}` }).ids();
        expectHits('ours eq', ids.length, hits);
      });
    },
    async () => {
      result.nohmEq = await rate(q(QUERIES.ids), IN_FLIGHT, async () => {
        const ids = await theirs.find({ group: `g${String(randomInt(GROUPS))}` });
        expectHits('nohm eq', ids.length, hits);
      });
    },
    async () => {
      result.range = await rate(q(QUERIES.ids), IN_FLIGHT, async () => {
        const ids = await query(ours, { score: rangeOf(data) }).ids();
        expectHits('ours range', ids.length, hits);
      });
    },
    async () => {
      result.nohmRange = await rate(q(QUERIES.ids), IN_FLIGHT, async () => {
        const { gte, lte } = rangeOf(data);
        const ids = await theirs.find({ score: { min: gte, max: lte } });
        expectHits('nohm range', ids.length, hits);
      });
    },
    async () => {
      result.eqRows = await rate(q(QUERIES.rows), IN_FLIGHT, async () => {
        const rows = await query(ours, { group: `g${String(randomInt(GROUPS))}` }).all();
        expectHits('ours eq rows', rows.length, hits);
      });
    },
    async () => {
      result.nohmEqRows = await rate(q(QUERIES.nohmRows), IN_FLIGHT, async () => {
        const rows = await theirs.findAndLoad({ group: `g${String(randomInt(GROUPS))}` });
        expectHits('nohm eq rows', rows.length, hits);
      });
    },
  ]);

  // Memory: the warm-up objects come first, so the memory dataset is that much bigger.
  const warm = Math.round(MEMORY_WARMUP * scale);
  const memData = new Dataset(n + warm, `${tag}m`);
  await run([
    async () => {
      result.memory = await memoryPerObject(n, warm, (url) => {
        const krMem = kickass({ connection: url, prefix: ctx.prefix });
        const model = ourModel(krMem, `mem_${tag}`);
        return Promise.resolve({ fill: (from, to) => ourCreateMany(model, memData, from, to), close: () => krMem.close() });
      });
    },
    async () => {
      result.nohmMemory = await memoryPerObject(n, warm, async (url) => {
        const client = new Redis(url);
        await client.ping();
        const previous: unknown = Nohm.client;
        Nohm.setClient(client);
        const model = nohmModel(`Mem_${tag}`);
        return {
          fill: (from, to) => pool(to - from, IN_FLIGHT, (i) => nohmSave(model, memData.item(from + i))),
          close: () => {
            Nohm.setClient(previous);
            client.disconnect();
            return Promise.resolve();
          },
        };
      });
    },
  ]);
  return result;
}

const scenario: BenchScenario = {
  name: 'store',
  description: `kr.model create / createMany / equality and range queries and memory per object, vs nohm 3.0.0 on the same server (${String(OBJECTS)} objects, ${String(IN_FLIGHT)} in flight)`,
  async run(ctx) {
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const nohmClient = new Redis(ctx.url);
    try {
      await Promise.all([kr.client.ping(), nohmClient.ping()]);
      // nohm keys go under {<prefix>:nohm}:..., so the runner's clean-up of {<prefix>:* covers them.
      Nohm.setPrefix(`{${ctx.prefix}:nohm}`);
      Nohm.setClient(nohmClient);
      ctx.log('warm-up pass (a tenth of each count, not recorded)');
      await pass(kr, ctx, 'warm', 0, 0.1);
      const runs: PassResult[] = [];
      for (let r = 1; r <= ctx.runs; r++) {
        const started = performance.now();
        runs.push(await pass(kr, ctx, `r${String(r)}`, r, 1));
        ctx.log(`run ${String(r)}/${String(ctx.runs)} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
      const values = (key: keyof PassResult): number[] => runs.map((r) => r[key]);
      const vs = (key: keyof PassResult): { competitor: string; theirs: number[] } => ({ competitor: COMPETITOR, theirs: values(key) });
      const rows: BenchRow[] = [
        makeRow({ metric: 'create obj/s (Model.create vs save())', unit: 'obj/s', ours: values('create'), ...vs('nohmCreate'), goal: '>= 5x nohm' }),
        makeRow({ metric: `createMany obj/s (batches of ${String(MANY_BATCH)})`, unit: 'obj/s', ours: values('createMany'), goal: '>= 50,000 obj/s' }),
        makeRow({ metric: 'find eq, 100 ids (queries/s)', unit: 'queries/s', ours: values('eq'), ...vs('nohmEq'), goal: '>= 1.5x nohm' }),
        makeRow({ metric: 'find range, 100 ids (queries/s)', unit: 'queries/s', ours: values('range'), ...vs('nohmRange'), goal: '>= 1.5x nohm' }),
        makeRow({ metric: 'find eq, 100 objects (queries/s; nohm findAndLoad)', unit: 'queries/s', ours: values('eqRows'), ...vs('nohmEqRows') }),
        makeRow({ metric: 'Redis used_memory per object (bytes)', unit: 'bytes', ours: values('memory'), ...vs('nohmMemory'), better: 'lower', goal: 'ours <= 0.6x nohm (ratio >= 1.67x)' }),
      ];
      return rows;
    } finally {
      await kr.close();
      nohmClient.disconnect();
    }
  },
};

export default scenario;
