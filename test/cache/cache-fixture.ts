// Caches for the cache suites: each "process" is a kickass instance on a connection of its own
// (so that Pub/Sub, leases and replies travel as they would between processes), slot-checked.
import { afterEach } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import type { CacheOptions } from '../../src/cache/cache-types.js';
import { Kickass } from '../../src/kickass.js';
import { waitFor } from '../../harness/redis-server.js';
import { assertSingleSlot, connectionUrl } from '../harness/topologies.js';
import type { Topology, TopologyFixture } from '../harness/topologies.js';

/** What {@link useCaches} gives a suite. */
export interface CacheFixture {
  /** A cache of the test's prefix in a new "process" (its own connection and bus), connected to its bus. */
  open(options: CacheOptions): Promise<Cache>;
  /** Waits until `cache` has received `count` bus messages from other processes in all. */
  received(cache: Cache, count: number): Promise<void>;
}

/** Registers hooks that close the test's caches after each test. */
export function useCaches(topology: Topology, redis: TopologyFixture): CacheFixture {
  const instances: Kickass[] = [];
  afterEach(async () => {
    await Promise.allSettled(instances.splice(0).map((kr) => kr.close()));
  });
  return {
    async open(options) {
      const kr = new Kickass({ prefix: redis.prefix, connection: connectionUrl(topology) });
      kr.context.scripts.onCall((plan) => {
        assertSingleSlot(plan.keys, plan.script.name);
      });
      instances.push(kr);
      const cache = kr.cache(options);
      await waitFor('the cache bus to subscribe', () => Promise.resolve(cache.connected), 10_000, 5);
      return cache;
    },
    async received(cache, count) {
      await waitFor(`${String(count)} bus messages`, () => Promise.resolve(cache.stats().busMessages >= count), 5_000, 1);
    },
  };
}
