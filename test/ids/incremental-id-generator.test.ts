import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdExhaustedError } from '../../src/ids/errors.js';
import { MAX_INCREMENTAL_ID } from '../../src/ids/incremental-id-generator.js';
import { incrementalCounterKey } from '../../src/ids/keys.js';
import { invalidField } from '../harness/errors.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

for (const topology of TOPOLOGIES) {
  describe(`IncrementalIdGenerator (${topology})`, () => {
    const redis = useTopology(topology);

    it('hands out 1, 2, 3... with one round trip per block', async () => {
      const kr = redis.kickass();
      const gen = kr.idGenerator('orders', { blockSize: 10, prefetchAt: 0 });
      let calls = 0;
      kr.context.scripts.onCall(() => calls++);
      const ids: number[] = [];
      for (let i = 0; i < 25; i++) ids.push(await gen.next());
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(calls).toBe(3);
    });

    it('concurrent callers share one in-flight reservation', async () => {
      const kr = redis.kickass();
      const gen = kr.idGenerator('orders', { blockSize: 1000 });
      let calls = 0;
      kr.context.scripts.onCall(() => calls++);
      const ids = await Promise.all(Array.from({ length: 500 }, () => gen.next()));
      expect(new Set(ids).size).toBe(500);
      expect(calls).toBe(1);
    });

    it('serves far more concurrent callers than a block holds, each exactly once', async () => {
      const gen = redis.kickass().idGenerator('orders', { blockSize: 100 });
      const ids = await Promise.all(Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? gen.nextMany(2) : gen.next().then((id) => [id]))));
      const flat = ids.flat();
      expect(new Set(flat).size).toBe(flat.length);
      expect(Math.max(...flat)).toBeLessThanOrEqual(flat.length + 200);
    });

    it('prefetches the next block before the current one runs out, never holding more than one block', async () => {
      const kr = redis.kickass();
      const blockSize = 100;
      const gen = kr.idGenerator('orders', { blockSize, prefetchAt: 0.2 });
      const reserved = async (): Promise<number> => Number((await redis.client.get(incrementalCounterKey(kr.context.keys, 'orders'))) ?? 0);
      const seen: number[] = [];
      for (let i = 0; i < 1000; i++) {
        seen.push(await gen.next());
        // held = reserved - handed out; a crash now would lose exactly that many ids
        expect((await reserved()) - seen.length).toBeLessThanOrEqual(blockSize);
      }
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    });

    it('matches a sequential model for random mixes of next / nextMany across generators', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 50 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 120 })), { minLength: 1, maxLength: 30 }),
          async (blockSize, ops) => {
            const kr = redis.kickass();
            const name = `g${String(Math.random()).slice(2)}`;
            const gens = [0, 1, 2].map(() => kr.idGenerator(name, { blockSize }));
            const all: number[] = [];
            const perGen: number[][] = [[], [], []];
            for (const [g, n] of ops) {
              const gen = gens[g]!;
              const ids = n === 0 ? [await gen.next()] : await gen.nextMany(n);
              perGen[g]!.push(...ids);
              all.push(...ids);
            }
            // Model: ids are unique, positive, each generator's ids strictly increase.
            expect(new Set(all).size).toBe(all.length);
            for (const ids of perGen) for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
            expect(Math.min(...all)).toBeGreaterThanOrEqual(1);
          },
        ),
        { numRuns: 25 },
      );
    });

    it('starts at a chosen id', async () => {
      const gen = redis.kickass().idGenerator('invoices', { start: 1000, blockSize: 5 });
      expect(await gen.nextMany(3)).toEqual([1000, 1001, 1002]);
    });

    it('refuses to pass 2^53 - 1 and writes nothing when it does', async () => {
      const kr = redis.kickass();
      const key = incrementalCounterKey(kr.context.keys, 'big');
      await redis.client.set(key, String(MAX_INCREMENTAL_ID - 3));
      const gen = kr.idGenerator('big', { blockSize: 2, prefetchAt: 0 });
      expect(await gen.nextMany(3)).toEqual([MAX_INCREMENTAL_ID - 2, MAX_INCREMENTAL_ID - 1, MAX_INCREMENTAL_ID]);
      await expect(gen.next()).rejects.toBeInstanceOf(IdExhaustedError);
      expect(await redis.client.get(key)).toBe(String(MAX_INCREMENTAL_ID));
    });

    it('rejects bad options with a typed error naming the field', () => {
      const kr = redis.kickass();
      for (const [options, field] of [
        [{ blockSize: 0 }, 'blockSize'],
        [{ blockSize: 1.5 }, 'blockSize'],
        [{ start: -1 }, 'start'],
        [{ prefetchAt: 1 }, 'prefetchAt'],
      ] as const) {
        expect(invalidField(() => kr.idGenerator('x', options))).toBe(field);
      }
    });
  });
}
