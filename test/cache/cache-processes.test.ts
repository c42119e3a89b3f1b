// Across OS processes: a stampede of cold reads runs the factory once, and a lease holder killed
// with SIGKILL hands the load to a waiter once its lease ends.
import { describe, expect, it } from 'vitest';
import { TOPOLOGIES, connectionUrl, useTopology } from '../harness/topologies.js';
import { useCaches } from './cache-fixture.js';
import { startCacheWorker } from './processes.js';

describe.each(TOPOLOGIES)('cache across processes on %s', (topology) => {
  const redis = useTopology(topology);
  const caches = useCaches(topology, redis);

  it('1,000 concurrent cold reads of one key from 4 processes run the factory once, and all get its value', async () => {
    const workers = Array.from({ length: 4 }, () => startCacheWorker({ connection: connectionUrl(topology), prefix: redis.prefix, namespace: 'stampede', key: 'cold', mode: 'stampede', count: 250, 'factory-ms': 50, partitions: 3 }));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const reports = (await Promise.all(workers.map((w) => w.line('{')))).map((l) => JSON.parse(l) as { values: string[]; ms: number[]; runs: number });
    expect(reports.flatMap((r) => r.values)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
    expect(reports.reduce((n, r) => n + r.ms.length, 0)).toBe(1000);
    expect(reports.reduce((n, r) => n + r.runs, 0)).toBe(1);
    expect(await redis.client.get(`{${redis.prefix}}:factory-runs`)).toBe('1');
  }, 60_000);

  it('a waiter loads itself once the lease of a SIGKILLed holder ends', async () => {
    const holder = startCacheWorker({ connection: connectionUrl(topology), prefix: redis.prefix, namespace: 'dead', key: 'k', mode: 'hold', lease: 600 });
    await holder.ready;
    holder.go();
    await holder.line('holding');
    const waiter = await caches.open({ namespace: 'dead', lease: 600 });
    // held and renewed while the holder lives: the waiter waits
    const load = waiter.getOrSet({ key: 'k', factory: () => 'mine' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(waiter.stats().factoryRuns).toBe(0);
    holder.child.kill('SIGKILL');
    expect(await load).toBe('mine');
    expect(waiter.stats()).toMatchObject({ factoryRuns: 1 });
    expect(waiter.stats().waits).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
