// The L1 across processes: a process never serves a value another has replaced once that change's
// message has reached it (the propagation window), reads in flight during a change do not fill the
// L1 with the old value, and after its bus connection drops a process serves nothing from its L1
// until it has resubscribed (messages may have been missed).
import { describe, expect, it } from 'vitest';
import { readyMasterNodes } from '../../src/core/connection.js';
import { waitFor } from '../../harness/redis-server.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { useCaches } from './cache-fixture.js';

describe.each(TOPOLOGIES)('cache L1 coherence on %s', (topology) => {
  const redis = useTopology(topology);
  const caches = useCaches(topology, redis);

  it('a read that started after the message of set #i returns set #i or later, while another process writes', async () => {
    const writer = await caches.open({ namespace: 'co', partitions: 2 });
    const reader = await caches.open({ namespace: 'co', partitions: 2, l1: { max: 100 } });
    await writer.set('k', 0);
    await caches.received(reader, 1);
    const base = reader.stats().busMessages;
    const state = { done: false };
    let reads = 0;
    const reading = (async () => {
      while (!state.done) {
        // each set sends one message: a read that starts after m messages must see value >= m
        const seen = reader.stats().busMessages - base;
        const value = (await reader.get<number>('k')) as number;
        expect(value).toBeGreaterThanOrEqual(seen);
        reads++;
        // L1 hits settle in microtasks: let I/O in
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 1; i <= 300; i++) {
      await writer.set('k', i);
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await caches.received(reader, base + 300);
    state.done = true;
    await reading;
    expect(await reader.get('k')).toBe(300);
    expect(reads).toBeGreaterThan(50);
    expect(reader.stats().l1Hits).toBeGreaterThan(0);
  });

  it('a read in flight while another process sets the key does not keep the old value in the L1', async () => {
    const writer = await caches.open({ namespace: 'race' });
    const reader = await caches.open({ namespace: 'race', l1: { max: 100 } });
    let sent = 0;
    for (let i = 0; i < 200; i++) {
      await writer.set('k', i);
      await caches.received(reader, ++sent);
      const inFlight = reader.get('k');
      await writer.set('k', i + 0.5);
      expect([i, i + 0.5]).toContain(await inFlight);
      await caches.received(reader, ++sent);
      expect(await reader.get('k')).toBe(i + 0.5);
    }
  });

  it('after its bus connection is killed, serves nothing from the L1 until resubscribed, then fresh values', async () => {
    const writer = await caches.open({ namespace: 'drop' });
    const reader = await caches.open({ namespace: 'drop', l1: { max: 100 } });
    await writer.set('k', 'v1');
    await caches.received(reader, 1);
    expect(await reader.get('k')).toBe('v1');
    expect(await reader.get('k')).toBe('v1');
    const l1Hits = reader.stats().l1Hits;
    expect(l1Hits).toBeGreaterThan(0);
    for (const node of await readyMasterNodes(redis.admin)) await node.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // the change's message is lost while the reader resubscribes; its L1 must not answer with v1
    await writer.set('k', 'v2');
    expect(await reader.get('k')).toBe('v2');
    await waitFor('the reader to resubscribe', () => Promise.resolve(reader.connected), 10_000, 5);
    expect(await reader.get('k')).toBe('v2');
    expect(await reader.get('k')).toBe('v2');
    expect(reader.stats().l1Hits).toBeGreaterThan(l1Hits);
  });

  it('drops a value read into the L1 once another process invalidates one of the tags its entry carries', async () => {
    const writer = await caches.open({ namespace: 'tags', partitions: 3 });
    const reader = await caches.open({ namespace: 'tags', partitions: 3, l1: { max: 100 } });
    await writer.setMany([
      { key: 'a', value: 1, tags: ['t1', 't2'] },
      { key: 'b', value: 2, tags: ['t2'] },
      { key: 'c', value: 3 },
    ]);
    await caches.received(reader, 3);
    // read from Redis into the L1 (the tags come from the entries), then served from the L1
    expect(await reader.getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    const l1Hits = reader.stats().l1Hits;
    expect(await reader.getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    expect(reader.stats().l1Hits).toBe(l1Hits + 3);
    await writer.invalidateTags(['t1']);
    await caches.received(reader, 4);
    expect(await reader.getMany(['a', 'b', 'c'])).toEqual([undefined, 2, 3]);
    await writer.invalidateTags(['t2']);
    await caches.received(reader, 5);
    expect(await reader.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, 3]);
  });
});
