import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStamped, sweepOlderThan } from '../../src/store/stamped-writes.js';
import type { Stamp, StampedChange } from '../../src/store/stamped-writes.js';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, deletePrefix, useTopology } from '../harness/topologies.js';
import { NASTY_STRINGS, everyIndexFields, everyIndexOptions } from './fixtures.js';
import { actualIndexes, expectedIndexes } from './index-oracle.js';

type Fields = typeof everyIndexFields;
type Row = Record<string, unknown>;
type Change = StampedChange;

const IDS = ['1', '2', '3', 'a:b', '{x}', 'ü', '%41'];
const EMAILS = ['a@x.io', 'A@X.io', 'b@x.io', 'c@x.io'];
const text = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'grapheme', maxLength: 5 }));
const row = fc.record(
  {
    name: text,
    email: fc.constantFrom(...EMAILS),
    handle: text,
    title: text,
    score: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    rank: fc.integer({ min: -100, max: 100 }),
    born: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
    active: fc.boolean(),
    tags: fc.array(text, { maxLength: 3 }),
    owner: fc.constantFrom('u1', 'u:2'),
  },
  { requiredKeys: [] },
);
/** Raw steps: an id and its whole row after the change (null: deleted), and whether a new transaction starts. */
const steps = fc.array(fc.record({ id: fc.constantFrom(...IDS), row: fc.option(row, { freq: 4 }), newTransaction: fc.boolean() }), { minLength: 1, maxLength: 60 });

const fold = (s: string): string => s.normalize('NFC').toLowerCase();

/**
 * Stamps the steps (ordinals grow by transaction, indexes within one) and keeps the source's
 * unique rule: an email another live row holds is dropped from the row. Returns the changes and
 * the rows alive at the end, by id.
 */
function stampSteps(raw: readonly { id: string; row: Row | null; newTransaction: boolean }[], epoch: number, firstOrdinal: number, withEmail = true): { changes: Change[]; live: Map<string, Row> } {
  const live = new Map<string, Row>();
  const changes: Change[] = [];
  let ordinal = firstOrdinal;
  let index = 0;
  raw.forEach((step, i) => {
    if (i > 0 && step.newTransaction) {
      ordinal += 1 + i * 7;
      index = 0;
    }
    const next = step.row === null ? null : { ...step.row };
    if (next !== null && !withEmail) delete next.email;
    if (next !== null && typeof next.email === 'string') {
      const email = fold(next.email);
      if ([...live].some(([id, other]) => id !== step.id && typeof other.email === 'string' && fold(other.email) === email)) delete next.email;
    }
    if (next === null) live.delete(step.id);
    else live.set(step.id, next);
    changes.push({ id: step.id, stamp: { epoch, ordinal, index: index++ }, row: next });
  });
  return { changes, live };
}

/** A seeded Fisher-Yates shuffle. */
function shuffle<T>(list: T[], seed: number): T[] {
  let state = seed + 1;
  for (let i = list.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}

/** Applies the changes in consecutive calls of the given sizes. */
async function applyInCalls(apply: (list: Change[]) => Promise<{ applied: number; skipped: number }>, changes: readonly Change[], sizes: readonly number[]): Promise<{ applied: number; skipped: number }> {
  const total = { applied: 0, skipped: 0 };
  let start = 0;
  for (let i = 0; start < changes.length; i++) {
    const size = sizes.length === 0 ? changes.length : (sizes[i % sizes.length] as number);
    const report = await apply(changes.slice(start, start + size));
    total.applied += report.applied;
    total.skipped += report.skipped;
    start += size;
  }
  return total;
}

const fieldsWithoutUniques = Object.fromEntries(Object.entries(everyIndexFields).filter(([name]) => name !== 'email'));

for (const topology of TOPOLOGIES) {
  describe(`stamped writes (${topology})`, () => {
    const redis = useTopology(topology);

    for (const partitions of [1, 3]) {
      it(`a crash and a replay from any checkpoint apply every change exactly once, objects and indexes as an independent model expects (${String(partitions)} partitions)`, async () => {
        await fc.assert(
          fc.asyncProperty(steps, fc.nat(), fc.nat(), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 4 }), async (raw, crashSeed, checkpointSeed, sizes) => {
            await deletePrefix(redis.client, redis.prefix);
            const withUniques = partitions === 1;
            const Model = redis.kickass().model('synced', withUniques ? everyIndexFields : (fieldsWithoutUniques as Fields), withUniques ? everyIndexOptions : { indexes: everyIndexOptions.indexes, partitions });
            const { changes, live } = stampSteps(raw, 1, 1000, withUniques);
            const crash = crashSeed % (changes.length + 1);
            const checkpoint = crash === 0 ? 0 : checkpointSeed % (crash + 1);
            const first = await applyInCalls((list) => applyStamped(Model, list), changes.slice(0, crash), sizes);
            const prune: Stamp | undefined = changes[checkpoint]?.stamp;
            const replay = await applyInCalls((list) => applyStamped(Model, list, prune), changes.slice(checkpoint), sizes);
            expect(first).toEqual({ applied: crash, skipped: 0 });
            expect(replay).toEqual({ applied: changes.length - crash, skipped: crash - checkpoint });

            const expected = [...live].map(([id, r]) => ({ id, ...r }));
            expect((await Model.getMany(expected.map((r) => r.id))).map((r) => ({ ...r }))).toEqual(expected);
            expect(await Model.count()).toBe(expected.length);
            const tags = Model.internals.partitions.map((p) => p.tag);
            expect(await actualIndexes(redis.client, tags)).toEqual(expectedIndexes(expected, (id) => Model.keysOf(id).tag, withUniques));
            expect((await Model.verify()).problems).toEqual([]);
          }),
          { numRuns: 25 },
        );
      }, 120_000);
    }

    it('changes applied in any order, repeated, end as the newest change of each object made it', async () => {
      await fc.assert(
        fc.asyncProperty(steps, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), fc.nat(), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 4 }), async (raw, picks, seed, sizes) => {
          await deletePrefix(redis.client, redis.prefix);
          const Model = redis.kickass().model('synced', everyIndexFields, everyIndexOptions);
          const { changes, live } = stampSteps(raw, 1, 5);
          const shuffled = shuffle([...changes, ...picks.map((p) => changes[p % changes.length] as Change)], seed);
          await applyInCalls((list) => applyStamped(Model, list), shuffled, sizes);
          const expected = [...live].map(([id, r]) => ({ id, ...r }));
          const tags = Model.internals.partitions.map((p) => p.tag);
          expect(await actualIndexes(redis.client, tags)).toEqual(expectedIndexes(expected, (id) => Model.keysOf(id).tag, true));
          expect((await Model.getMany(expected.map((r) => r.id))).map((r) => ({ ...r }))).toEqual(expected);
          expect((await Model.verify()).problems).toEqual([]);
        }),
        { numRuns: 25 },
      );
    }, 120_000);

    it('a new copy and a sweep of what it did not write leave exactly its rows, unique values following them', async () => {
      await fc.assert(
        fc.asyncProperty(steps, steps, async (before, copy) => {
          await deletePrefix(redis.client, redis.prefix);
          const Model = redis.kickass().model('synced', everyIndexFields, everyIndexOptions);
          await applyStamped(Model, stampSteps(before, 1, 1).changes);
          const copied = stampSteps(copy, 2, 1).live;
          const copyStamp = { epoch: 2, ordinal: 500, index: 2 ** 31 };
          await applyStamped(Model, [...copied].map(([id, r]) => ({ id, stamp: copyStamp, row: r })));
          await sweepOlderThan(Model, copyStamp, 2);
          const expected = [...copied].map(([id, r]) => ({ id, ...r }));
          const tags = Model.internals.partitions.map((p) => p.tag);
          expect(await actualIndexes(redis.client, tags)).toEqual(expectedIndexes(expected, (id) => Model.keysOf(id).tag, true));
          expect(await Model.count()).toBe(expected.length);
          expect((await Model.verify()).problems).toEqual([]);
          // tombstones of the old epoch are gone with the sweep
          for (const tag of tags) expect(await redis.client.exists(`${tag}:ts`, `${tag}:tz`)).toBe(0);
        }),
        { numRuns: 20 },
      );
    }, 120_000);

    it('rejects a bad row or stamp naming the change and field, writing nothing, and a model with uniques across partitions', async () => {
      const Model = redis.kickass().model('synced', { name: t.string().required(), n: t.integer() });
      const stamp = { epoch: 1, ordinal: 1, index: 0 };
      await expect(applyStamped(Model, [{ id: 'a', stamp, row: { name: 'ok' } }, { id: 'b', stamp, row: { name: 'x', n: 1.5 } }])).rejects.toMatchObject({ field: 'changes[1].n' });
      await expect(applyStamped(Model, [{ id: 'a', stamp: { ...stamp, ordinal: -1 }, row: null }])).rejects.toMatchObject({ field: 'changes[0].stamp.ordinal' });
      await expect(applyStamped(Model, [{ id: '', stamp, row: null }])).rejects.toBeInstanceOf(ValidationError);
      expect(await Model.count()).toBe(0);
      const Spread = redis.kickass().model('spread', { email: t.string().unique() }, { partitions: 2 });
      await expect(applyStamped(Spread, [])).rejects.toMatchObject({ field: 'model' });
    });
  });
}
