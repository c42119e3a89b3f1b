// Redis down: getOrSet still answers from the factory (and the L1), reports the failure through
// 'error' events and stats, leaves no unhandled rejection; with failOpen false it fails with
// CacheUnavailableError; once Redis is back the cache works again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../../src/cache/errors.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { RedisServer, waitFor } from '../../harness/redis-server.js';
import { randomPrefix } from '../harness/topologies.js';

describe('cache while Redis is down (a harness server, SIGKILLed and restarted)', () => {
  let server: RedisServer;
  let kr: Kickass;

  beforeAll(async () => {
    server = await RedisServer.start();
    kr = kickass({ connection: { port: server.port, host: server.host, maxRetriesPerRequest: 1 }, prefix: randomPrefix(), onConnectionError: () => undefined });
  });

  afterAll(async () => {
    await kr.close();
    await server.stop();
  });

  it('answers from the L1 or the factory, reports errors, and recovers with an emptied L1', async () => {
    const open = kr.cache({ namespace: 'open', redisTimeout: 300, l1: { max: 10 } });
    const closed = kr.cache({ namespace: 'closed', redisTimeout: 300, failOpen: false });
    await waitFor('the buses', () => Promise.resolve(open.connected && closed.connected), 5_000, 5);
    const errors: string[] = [];
    open.on('error', (e) => errors.push(e.operation));
    expect(await open.getOrSet({ key: 'k', factory: () => 'v1' })).toBe('v1');
    await server.kill();
    await waitFor('the bus to notice', () => Promise.resolve(!open.connected), 5_000, 5);
    // Redis fails: the L1's fresh copy answers, else the factory
    expect(await open.getOrSet({ key: 'k', factory: () => 'from-factory' })).toBe('v1');
    expect(await open.get('k')).toBe('v1');
    expect(await open.getOrSet({ key: 'other', factory: () => 42 })).toBe(42);
    expect(await open.get('other')).toBeUndefined();
    expect(await open.has('k')).toBe(false);
    expect(errors).toContain('read');
    expect(open.stats().errors).toBeGreaterThanOrEqual(3);
    await expect(closed.getOrSet({ key: 'k', factory: () => 'x' })).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(closed.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
    // a write that timed out has an unknown outcome: ioredis may still send it once reconnected
    await expect(open.set('written-later?', 1)).rejects.toBeInstanceOf(CacheUnavailableError);
    await server.restart();
    await waitFor('the client to reconnect', () => Promise.resolve(kr.client.status === 'ready'), 10_000);
    await waitFor('the bus to resubscribe', () => Promise.resolve(open.connected), 10_000, 5);
    // once the bus is back the L1 was emptied: the restarted (empty) server is read, not the old copy
    expect(await open.getOrSet({ key: 'k', factory: () => 'v2' })).toBe('v2');
    expect(await open.get('k')).toBe('v2');
    expect(await closed.getOrSet({ key: 'k', factory: () => 'x' })).toBe('x');
    expect([undefined, 1]).toContain(await open.get('written-later?'));
  }, 60_000);
});
