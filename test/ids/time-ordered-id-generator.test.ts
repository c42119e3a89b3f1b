import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, StateError } from '../../src/core/errors.js';
import { ClockMovedBackwardsError, NoWorkerIdAvailableError, WorkerLeaseLostError } from '../../src/ids/errors.js';
import { workerLeaseKeys } from '../../src/ids/keys.js';
import type { WorkerLeaseKeys } from '../../src/ids/keys.js';
import type { TimeOrderedIdGenerator, TimeOrderedIdOptions } from '../../src/ids/time-ordered-id-generator.js';
import type { Kickass } from '../../src/kickass.js';
import { invalidField } from '../harness/errors.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Blocks the event loop (no timers, no replies) for `ms`, so a lease's local validity lapses unseen. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** Index of the first id not greater than the one before it, or -1 when they strictly increase. */
function firstNonIncreasing(ids: readonly bigint[]): number {
  for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) return i;
  return -1;
}

/** A clock the test controls: the real clock plus an offset, or frozen at a value. */
function controlledClock(): { clock: () => number; offset: number; frozen: number | undefined } {
  const state = {
    offset: 0,
    frozen: undefined as number | undefined,
    clock: (): number => state.frozen ?? Date.now() + state.offset,
  };
  return state;
}

function keysOf(kr: Kickass, name: string): WorkerLeaseKeys {
  return workerLeaseKeys(kr.context.keys, name);
}

for (const topology of TOPOLOGIES) {
  describe(`TimeOrderedIdGenerator (${topology})`, () => {
    const redis = useTopology(topology);

    /** Ids must be unique, strictly increasing, carry the generator's worker id and a sequence in range. */
    function expectWellFormed(gen: TimeOrderedIdGenerator, ids: readonly bigint[], from: number, to: number): void {
      expect(firstNonIncreasing(ids)).toBe(-1);
      expect(new Set(ids).size).toBe(ids.length);
      const maxSequence = 2 ** gen.layout.sequenceBits;
      let bad = 0;
      for (const id of ids) {
        const { timestamp, workerId, sequence } = gen.decode(id);
        const t = timestamp.getTime();
        if (workerId !== gen.workerId || t < from || t > to || sequence < 0 || sequence >= maxSequence) bad++;
      }
      expect(bad).toBe(0);
    }

    it('makes strictly increasing unique ids that decode to its worker id, the current time and a valid sequence', async () => {
      const gen = redis.kickass().timeOrderedIds('orders');
      const from = Date.now();
      const ids = await gen.nextMany(50_000);
      for (let i = 0; i < 2_000; i++) ids.push(await gen.next());
      ids.push(...(await gen.nextMany(1_000)));
      const to = Date.now();
      expect(ids).toHaveLength(53_000);
      expect(gen.workerId).toBeGreaterThanOrEqual(0);
      expect(gen.workerId).toBeLessThan(2 ** 10);
      expectWellFormed(gen, ids, from, to);
      expect(await gen.nextMany(0)).toEqual([]);
    });

    it('nextString() gives the decimal form of the next id', async () => {
      const gen = redis.kickass().timeOrderedIds('orders');
      const before = await gen.next();
      const text = await gen.nextString();
      expect(text).toMatch(/^[1-9]\d*$/);
      expect(BigInt(text).toString()).toBe(text);
      expect(BigInt(text)).toBeGreaterThan(before);
      expect(gen.decode(text)).toEqual(gen.decode(BigInt(text)));
      expect(gen.decode(text).workerId).toBe(gen.workerId);
      const after = await gen.next();
      expect(after).toBeGreaterThan(BigInt(text));
    });

    it('waits for the next millisecond when the sequence runs out', async () => {
      const gen = redis.kickass().timeOrderedIds('tiny', { sequenceBits: 2 });
      const from = Date.now();
      const ids = await gen.nextMany(1_000);
      for (let i = 0; i < 1_000; i++) ids.push(await gen.next());
      const to = Date.now();
      expectWellFormed(gen, ids, from, to);
      const perMs = new Map<number, number>();
      for (const id of ids) {
        const t = gen.decode(id).timestamp.getTime();
        perMs.set(t, (perMs.get(t) ?? 0) + 1);
      }
      expect(Math.max(...perMs.values())).toBeLessThanOrEqual(4);
      expect(perMs.size).toBeGreaterThanOrEqual(500);
    });

    it('generators of one name, in one instance or several, lease different worker ids and never share an id', async () => {
      const kr1 = redis.kickass();
      const kr2 = redis.kickass();
      const gens = [
        ...Array.from({ length: 4 }, () => kr1.timeOrderedIds('shared')),
        ...Array.from({ length: 3 }, () => kr2.timeOrderedIds('shared')),
      ];
      const workerIds = await Promise.all(gens.map((gen) => gen.start()));
      expect(new Set(workerIds).size).toBe(gens.length);
      expect(gens.map((gen) => gen.workerId)).toEqual(workerIds);
      const perGen = await Promise.all(gens.map((gen) => gen.nextMany(3_000)));
      const all = perGen.flat();
      expect(new Set(all).size).toBe(all.length);
      perGen.forEach((ids, i) => {
        expect(firstNonIncreasing(ids)).toBe(-1);
        expect(new Set(ids.map((id) => gens[i]!.decode(id).workerId))).toEqual(new Set([workerIds[i]]));
      });
      // A generator of another name has its own worker ids.
      const other = kr1.timeOrderedIds('other', { workerIdBits: 1 });
      await expect(other.start()).resolves.toBeGreaterThanOrEqual(0);
    });

    it('fails with NoWorkerIdAvailableError when every worker id is leased, and succeeds once one is released', async () => {
      const kr1 = redis.kickass();
      const kr2 = redis.kickass();
      const options: TimeOrderedIdOptions = { workerIdBits: 1, acquireTimeout: '300ms' };
      const a = kr1.timeOrderedIds('pair', options);
      const b = kr2.timeOrderedIds('pair', options);
      const [wa, wb] = await Promise.all([a.start(), b.start()]);
      expect(new Set([wa, wb])).toEqual(new Set([0, 1]));

      const third = kr1.timeOrderedIds('pair', options);
      await expect(third.next()).rejects.toBeInstanceOf(NoWorkerIdAvailableError);
      await expect(third.start()).rejects.toBeInstanceOf(NoWorkerIdAvailableError);
      expect(third.workerId).toBeUndefined();

      await a.close();
      const fourth = kr2.timeOrderedIds('pair', options);
      expect(await fourth.start()).toBe(wa);
      expect(fourth.decode(await fourth.next()).workerId).toBe(wa);
      // The failed generator can also try again later.
      await b.close();
      expect(await third.start()).toBe(wb);
    });

    it('close() releases the lease and later calls reject with StateError', async () => {
      const kr = redis.kickass();
      const keys = keysOf(kr, 'closing');
      const gen = kr.timeOrderedIds('closing');
      const id = await gen.next();
      const workerId = gen.workerId;
      expect(workerId).toBeDefined();
      const member = String(workerId);
      expect(await redis.client.zscore(keys.leases, member)).not.toBeNull();
      expect(await redis.client.hget(keys.tokens, member)).not.toBeNull();

      await gen.close();
      expect(gen.workerId).toBeUndefined();
      expect(await redis.client.zscore(keys.leases, member)).toBeNull();
      expect(await redis.client.hget(keys.tokens, member)).toBeNull();
      // The release records the last timestamp actually used.
      expect(await redis.client.hget(keys.highWater, member)).toBe(String(gen.decode(id).timestamp.getTime()));

      await expect(gen.next()).rejects.toBeInstanceOf(StateError);
      await expect(gen.nextString()).rejects.toBeInstanceOf(StateError);
      await expect(gen.nextMany(2)).rejects.toBeInstanceOf(StateError);
      await expect(gen.start()).rejects.toBeInstanceOf(StateError);
      await gen.close(); // idempotent
    });

    it('closing the instance releases its generators\' leases', async () => {
      const kr = redis.kickass();
      const keys = keysOf(kr, 'owned');
      const gens = [kr.timeOrderedIds('owned'), kr.timeOrderedIds('owned')];
      await Promise.all(gens.map((gen) => gen.start()));
      expect(await redis.client.zcard(keys.leases)).toBe(2);
      await kr.close();
      expect(await redis.client.zcard(keys.leases)).toBe(0);
      await expect(gens[0]!.next()).rejects.toBeInstanceOf(StateError);
    });

    it('a next() waiting on the clock when close() is called rejects instead of using the released worker id', async () => {
      const time = controlledClock();
      const gen = redis.kickass().timeOrderedIds('closing', { clock: time.clock });
      await gen.nextMany(10);
      time.offset = -300; // next() now waits about 300 ms for the clock to catch up
      const pending = gen.next();
      await sleep(50);
      await gen.close();
      await expect(pending).rejects.toBeInstanceOf(StateError);
    });

    it('with reacquire: false, a lease taken over by another holder (seen by the heartbeat) fails next()', async () => {
      const kr = redis.kickass();
      const keys = keysOf(kr, 'lost');
      const gen = kr.timeOrderedIds('lost', { leaseTtl: '1s', reacquire: false });
      await gen.nextMany(100);
      const workerId = String(gen.workerId);
      await redis.client.hset(keys.tokens, workerId, 'someone-else');
      await vi.waitFor(
        () => {
          expect(gen.workerId).toBeUndefined();
        },
        { timeout: 5_000, interval: 20 },
      );
      await expect(gen.next()).rejects.toBeInstanceOf(WorkerLeaseLostError);
      await expect(gen.nextMany(5)).rejects.toBeInstanceOf(WorkerLeaseLostError);
      await expect(gen.nextString()).rejects.toBeInstanceOf(WorkerLeaseLostError);
      // The other holder keeps the worker id; close() must not release it.
      await gen.close();
      expect(await redis.client.hget(keys.tokens, workerId)).toBe('someone-else');
      expect(await redis.client.zscore(keys.leases, workerId)).not.toBeNull();
    });

    it('with reacquire: false, a lease taken over while the heartbeat could not run fails next() (in-line renewal)', async () => {
      const kr = redis.kickass();
      const keys = keysOf(kr, 'lost');
      const gen = kr.timeOrderedIds('lost', { leaseTtl: '1s', reacquire: false });
      await gen.nextMany(100);
      await redis.client.hset(keys.tokens, String(gen.workerId), 'someone-else');
      blockEventLoop(1_000); // past the local validity (ttl - 100 ms) with no heartbeat in between
      await expect(gen.next()).rejects.toBeInstanceOf(WorkerLeaseLostError);
      expect(gen.workerId).toBeUndefined();
    });

    it('with the default reacquire, a lost lease is replaced by another worker id and ids stay unique and increasing', async () => {
      const kr = redis.kickass();
      const keys = keysOf(kr, 'lost');
      const gen = kr.timeOrderedIds('lost', { leaseTtl: '1s' });
      const ids = await gen.nextMany(1_000);
      const first = gen.workerId;
      await redis.client.hset(keys.tokens, String(first), 'someone-else');
      await vi.waitFor(
        () => {
          expect(gen.workerId).toBeUndefined();
        },
        { timeout: 5_000, interval: 20 },
      );
      ids.push(...(await gen.nextMany(1_000)));
      const second = gen.workerId;
      expect(second).toBeDefined();
      expect(second).not.toBe(first);

      // And once more through the in-line renewal path.
      await redis.client.hset(keys.tokens, String(second), 'someone-else');
      blockEventLoop(1_000);
      ids.push(await gen.next());
      const third = gen.workerId;
      expect(third).toBeDefined();
      expect(third).not.toBe(second);
      ids.push(...(await gen.nextMany(1_000)));

      expect(new Set(ids).size).toBe(ids.length);
      expect(firstNonIncreasing(ids)).toBe(-1);
      const workerIds = ids.map((id) => gen.decode(id).workerId);
      expect(workerIds.slice(0, 1_000).every((w) => w === first)).toBe(true);
      expect(workerIds.slice(1_000, 2_000).every((w) => w === second)).toBe(true);
      expect(workerIds.slice(2_000).every((w) => w === third)).toBe(true);
    });

    it('a re-leased worker id continues in a later millisecond than the generator\'s own last id (monotonic)', async () => {
      // Freeze the clock so the old and new worker ids would be used in the same millisecond.
      const time = controlledClock();
      time.frozen = Date.now();
      const kr = redis.kickass();
      const keys = keysOf(kr, 'swap');
      const options: TimeOrderedIdOptions = { workerIdBits: 1, leaseTtl: '1s', clock: time.clock };
      const a = kr.timeOrderedIds('swap', options);
      const b = kr.timeOrderedIds('swap', options);
      await Promise.all([a.start(), b.start()]);
      const [high, low] = a.workerId === 1 ? [a, b] : [b, a];
      const ids = await high.nextMany(3);
      await low.close(); // worker id 0 is free, with high water 0
      await redis.client.hset(keys.tokens, '1', 'someone-else');
      await vi.waitFor(
        () => {
          expect(high.workerId).toBeUndefined();
        },
        { timeout: 5_000, interval: 20 },
      );
      setTimeout(() => {
        time.frozen = undefined;
      }, 50);
      ids.push(await high.next());
      expect(high.workerId).toBe(0);
      expect(firstNonIncreasing(ids)).toBe(-1);
    });

    it('a worker id released in the same millisecond is not reused at that millisecond by a re-leasing generator', async () => {
      const time = controlledClock();
      time.frozen = Date.now();
      const kr = redis.kickass();
      const keys = keysOf(kr, 'swap');
      const options: TimeOrderedIdOptions = { workerIdBits: 1, leaseTtl: '1s', clock: time.clock };
      const a = kr.timeOrderedIds('swap', options);
      const b = kr.timeOrderedIds('swap', options);
      await Promise.all([a.start(), b.start()]);
      const aIds = [await a.next()];
      const bIds = await b.nextMany(3); // same millisecond as a's id, sequences 0..2
      await b.close(); // high water of b's worker id = that millisecond
      await redis.client.hset(keys.tokens, String(a.workerId), 'someone-else');
      await vi.waitFor(
        () => {
          expect(a.workerId).toBeUndefined();
        },
        { timeout: 5_000, interval: 20 },
      );
      setTimeout(() => {
        time.frozen = undefined;
      }, 50);
      const next = await a.next();
      aIds.push(next);
      expect(a.decode(next).workerId).toBe(b.decode(bIds[0]!).workerId);
      expect(bIds).not.toContain(next);
      expect(a.decode(next).timestamp.getTime()).toBeGreaterThan(b.decode(bIds[2]!).timestamp.getTime());
    });

    it('a new holder of a released worker id only makes ids later than the last holder\'s last id', async () => {
      const kr1 = redis.kickass();
      const kr2 = redis.kickass();
      const keys = keysOf(kr1, 'handoff');
      const options: TimeOrderedIdOptions = { workerIdBits: 1 };
      const holder = kr1.timeOrderedIds('handoff', options);
      const a = kr1.timeOrderedIds('handoff', options);
      await Promise.all([holder.start(), a.start()]);
      const aIds = await a.nextMany(5_000);
      const aLast = a.decode(aIds.at(-1)!).timestamp.getTime();
      const wa = a.workerId;
      await a.close();
      expect(await redis.client.hget(keys.highWater, String(wa))).toBe(String(aLast));

      const b = kr2.timeOrderedIds('handoff', options);
      expect(await b.start()).toBe(wa);
      const bIds = await b.nextMany(5_000);
      expect(firstNonIncreasing(bIds)).toBe(-1);
      expect(b.decode(bIds[0]!).timestamp.getTime()).toBeGreaterThan(aLast);
      expect(bIds[0]!).toBeGreaterThan(aIds.at(-1)!);
      expect(new Set([...aIds, ...bIds]).size).toBe(10_000);
    });

    it('a new holder waits out a high water in the future (within maxClockBackwards)', async () => {
      const kr1 = redis.kickass();
      const kr2 = redis.kickass();
      const keys = keysOf(kr1, 'future');
      const options: TimeOrderedIdOptions = { workerIdBits: 1 };
      const holder = kr1.timeOrderedIds('future', options);
      const free = 1 - (await holder.start());
      const highWater = Date.now() + 300;
      await redis.client.hset(keys.highWater, String(free), String(highWater));

      const b = kr2.timeOrderedIds('future', options);
      expect(await b.start()).toBe(free);
      const ids = [await b.next(), ...(await b.nextMany(2_000))];
      expect(firstNonIncreasing(ids)).toBe(-1);
      expect(ids.every((id) => b.decode(id).timestamp.getTime() > highWater)).toBe(true);
      expect(ids.every((id) => b.decode(id).workerId === free)).toBe(true);
    });

    it('refuses a worker id whose last holder ran further ahead than maxClockBackwards, and gives it back', async () => {
      const kr1 = redis.kickass();
      const kr2 = redis.kickass();
      const keys = keysOf(kr1, 'skewed');
      const options: TimeOrderedIdOptions = { workerIdBits: 1, maxClockBackwards: '1s' };
      const holder = kr1.timeOrderedIds('skewed', options);
      const free = 1 - (await holder.start());
      await redis.client.hset(keys.highWater, String(free), String(Date.now() + 60_000));

      const b = kr2.timeOrderedIds('skewed', options);
      await expect(b.next()).rejects.toBeInstanceOf(ClockMovedBackwardsError);
      await expect(b.next()).rejects.toThrow(/synchronise the clocks/);
      expect(await redis.client.zscore(keys.leases, String(free))).toBeNull();
    });

    it('waits when the clock goes back less than maxClockBackwards, and ids keep increasing', async () => {
      const time = controlledClock();
      const gen = redis.kickass().timeOrderedIds('clock', { clock: time.clock, maxClockBackwards: '2s' });
      const ids = await gen.nextMany(1_000);
      const last = gen.decode(ids.at(-1)!).timestamp.getTime();
      time.offset = -300;
      ids.push(await gen.next());
      ids.push(...(await gen.nextMany(500)));
      time.offset = -600;
      ids.push(...(await gen.nextMany(500)));
      expect(firstNonIncreasing(ids)).toBe(-1);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.slice(1_000).every((id) => gen.decode(id).timestamp.getTime() >= last)).toBe(true);
    });

    it('rejects with ClockMovedBackwardsError, issuing nothing, when the clock goes back further', async () => {
      const time = controlledClock();
      const gen = redis.kickass().timeOrderedIds('clock', { clock: time.clock, maxClockBackwards: '1s' });
      const ids = await gen.nextMany(100);
      const last = ids.at(-1)!;
      time.offset = -5_000;
      const error = await gen.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClockMovedBackwardsError);
      expect((error as ClockMovedBackwardsError).context.tolerance).toBe(1_000);
      expect((error as ClockMovedBackwardsError).context.behind).toBeGreaterThan(1_000);
      await expect(gen.nextMany(10)).rejects.toBeInstanceOf(ClockMovedBackwardsError);
      await expect(gen.nextString()).rejects.toBeInstanceOf(ClockMovedBackwardsError);

      time.offset = 0;
      const after = await gen.nextMany(100);
      expect(after[0]!).toBeGreaterThan(last);
      expect(firstNonIncreasing([...ids, ...after])).toBe(-1);
      expect(new Set([...ids, ...after]).size).toBe(200);
    });

    it('rejects bad options with InvalidArgumentError naming the field', async () => {
      const kr = redis.kickass();
      for (const [options, field] of [
        [{ workerIdBits: 0 }, 'workerIdBits'],
        [{ workerIdBits: 17 }, 'workerIdBits'],
        [{ sequenceBits: 0 }, 'sequenceBits'],
        [{ sequenceBits: 21 }, 'sequenceBits'],
        [{ leaseTtl: '500ms' }, 'leaseTtl'],
        [{ leaseTtl: 'soon' }, 'leaseTtl'],
        [{ epoch: -1 }, 'epoch'],
        [{ acquireTimeout: -1 }, 'acquireTimeout'],
        [{ maxClockBackwards: '1x' }, 'maxClockBackwards'],
      ] as const) {
        expect(invalidField(() => kr.timeOrderedIds('x', options))).toBe(field);
      }
      const gen = kr.timeOrderedIds('x');
      for (const count of [-1, 1.5, Number.NaN, 10_000_001]) {
        const error = await gen.nextMany(count).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field).toBe('count');
      }
      // Nothing was leased by the rejected calls.
      expect(gen.workerId).toBeUndefined();
      expect(await redis.client.zcard(keysOf(kr, 'x').leases)).toBe(0);
    });
  });
}
