// getOrSet: single-flight in the process and across processes (leases, the bus), a dead lease
// holder, grace and its timeouts, negative results, and writes that a set, a delete or a tag
// invalidation made while the factory ran must not let through.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FactoryTimeoutError } from '../../src/cache/errors.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { useCaches } from './cache-fixture.js';

/** A factory that counts its runs, waits `ms`, and returns `value` (or throws it when an Error). */
function counting<T>(value: T, ms = 30): { runs: number; factory: () => Promise<T> } {
  const counter = {
    runs: 0,
    factory: async (): Promise<T> => {
      counter.runs++;
      await sleep(ms);
      if (value instanceof Error) throw value;
      return value;
    },
  };
  return counter;
}

describe.each(TOPOLOGIES)('cache loads on %s', (topology) => {
  const redis = useTopology(topology);
  const caches = useCaches(topology, redis);

  it('runs the factory once for concurrent misses across four processes, and every caller gets its value', async () => {
    const processes = await Promise.all(Array.from({ length: 4 }, () => caches.open({ namespace: 'sf', partitions: 4 })));
    const loader = counting({ at: new Date(7), n: 10n ** 30n });
    const answers = await Promise.all(processes.flatMap((cache) => Array.from({ length: 250 }, () => cache.getOrSet({ key: 'hot', factory: loader.factory }))));
    expect(loader.runs).toBe(1);
    expect(answers).toHaveLength(1000);
    for (const answer of answers) expect(answer).toEqual({ at: new Date(7), n: 10n ** 30n });
    const stats = processes.map((cache) => cache.stats());
    expect(stats.reduce((n, s) => n + s.factoryRuns, 0)).toBe(1);
    // the three other processes waited for the lease holder and were woken by its write
    expect(stats.reduce((n, s) => n + s.waits, 0)).toBe(3);
    expect(await processes[3]?.getOrSet({ key: 'hot', factory: loader.factory })).toEqual({ at: new Date(7), n: 10n ** 30n });
    expect(loader.runs).toBe(1);
  });

  it('in grace, serves the stale value at once and refreshes it once in the background', async () => {
    const cache = await caches.open({ namespace: 'grace', ttl: 50, grace: 60_000 });
    const other = await caches.open({ namespace: 'grace', ttl: 50, grace: 60_000 });
    await cache.set('k', 'old');
    await sleep(80);
    const loader = counting('new', 50);
    const [a, b] = await Promise.all([cache.getOrSet({ key: 'k', factory: loader.factory, ttl: 60_000 }), other.getOrSet({ key: 'k', factory: loader.factory, ttl: 60_000 })]);
    expect([a, b]).toEqual(['old', 'old']);
    expect(cache.stats().staleServed + other.stats().staleServed).toBe(2);
    await sleep(120);
    expect(loader.runs).toBe(1);
    expect(await other.get('k')).toBe('new');
  });

  it('in grace, serves stale when the factory fails or passes the soft timeout, and a miss fails past the hard timeout', async () => {
    const cache = await caches.open({ namespace: 'soft', ttl: 40, grace: 60_000, timeouts: { soft: 100 } });
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e.error));
    await cache.setMany([
      { key: 'fails', value: 'stale-1' },
      { key: 'slow', value: 'stale-2' },
      { key: 'quick', value: 'stale-3' },
    ]);
    await sleep(60);
    expect(await cache.getOrSet({ key: 'fails', factory: counting(new Error('db down'), 5).factory })).toBe('stale-1');
    expect(errors.map((e) => (e as Error).message)).toEqual(['db down']);
    const t = performance.now();
    expect(await cache.getOrSet({ key: 'slow', factory: counting('fresh-2', 400).factory, ttl: 60_000 })).toBe('stale-2');
    expect(performance.now() - t).toBeLessThan(350);
    expect(await cache.getOrSet({ key: 'quick', factory: counting('fresh-3', 5).factory })).toBe('fresh-3');
    // the slow factory went on and its value landed
    await sleep(450);
    expect(await cache.get('slow')).toBe('fresh-2');
    await expect(cache.getOrSet({ key: 'miss', factory: counting('late', 300).factory, ttl: 60_000, timeouts: { hard: 50 } })).rejects.toBeInstanceOf(FactoryTimeoutError);
    await sleep(300);
    expect(await cache.get('miss')).toBe('late');
    // without a stale value a failing factory's error reaches the caller, and nothing is cached
    await expect(cache.getOrSet({ key: 'none', factory: counting(new Error('boom'), 1).factory })).rejects.toThrow('boom');
    expect(await cache.has('none')).toBe(false);
  });

  it('caches null for negativeTtl and never caches undefined', async () => {
    const cache = await caches.open({ namespace: 'neg', ttl: 60_000, negativeTtl: 60 });
    const nothing = counting(null, 1);
    expect(await cache.getOrSet({ key: 'n', factory: nothing.factory })).toBeNull();
    expect(await cache.getOrSet({ key: 'n', factory: nothing.factory })).toBeNull();
    expect(nothing.runs).toBe(1);
    await sleep(90);
    expect(await cache.getOrSet({ key: 'n', factory: nothing.factory })).toBeNull();
    expect(nothing.runs).toBe(2);
    const absent = counting<unknown>(undefined, 1);
    const first: unknown = await cache.getOrSet({ key: 'u', factory: absent.factory });
    const second: unknown = await cache.getOrSet({ key: 'u', factory: absent.factory });
    expect([first, second]).toEqual([undefined, undefined]);
    expect(absent.runs).toBe(2);
    expect(await cache.has('u')).toBe(false);
  });

  it('does not cache a load whose key was set or deleted, or whose tag was invalidated, while its factory ran', async () => {
    const cache = await caches.open({ namespace: 'race' });
    const other = await caches.open({ namespace: 'race' });
    const cases: [string, () => Promise<unknown>, unknown][] = [
      ['set', () => other.set('k-set', 'newer'), 'newer'],
      ['delete', () => other.delete('k-delete'), undefined],
      ['tag', () => other.invalidateTags(['t']), undefined],
    ];
    for (const [name, change, expected] of cases) {
      const key = `k-${name}`;
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let running = (): void => undefined;
      const started = new Promise<void>((resolve) => (running = resolve));
      const load = cache.getOrSet({ key, tags: ['t'], factory: async () => (running(), await gate, 'from-old-data') });
      await started;
      await change();
      release();
      // the caller still gets its factory's value; the cache keeps the change
      expect(await load).toBe('from-old-data');
      expect(await other.get(key), name).toEqual(expected);
    }
  });

  it('memoizes with wrap() and reports hits, misses and factory runs', async () => {
    const cache = await caches.open({ namespace: 'wrap', l1: { max: 10 } });
    const events: string[] = [];
    cache.on('hit', (e) => events.push(`hit ${e.layer}`));
    cache.on('miss', () => events.push('miss'));
    cache.on('factory', (e) => events.push(`factory ${String(e.ok)}`));
    let calls = 0;
    const square = cache.wrap((n: number) => (calls++, Promise.resolve(n * n)), { key: (n) => `sq:${String(n)}`, ttl: '1m' });
    expect(await square(3)).toBe(9);
    expect(await square(3)).toBe(9);
    expect(await square(4)).toBe(16);
    expect(calls).toBe(2);
    expect(events).toEqual(['miss', 'factory true', 'hit l1', 'miss', 'factory true']);
    expect(cache.stats()).toMatchObject({ hits: 1, l1Hits: 1, misses: 2, factoryRuns: 2, factoryErrors: 0, errors: 0 });
  });
});
