/**
 * The three caches the cache scenario compares, behind one small interface: ours
 * (`kr.cache`), bentocache (Redis L2, optionally a memory L1) and cache-manager 7 with
 * Keyv + @keyv/redis. Each writes keys starting with `{<prefix>:` only.
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Cluster, Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { kickass } from '../src/kickass.js';

/** The libraries compared. */
export type CacheLib = 'ours' | 'bentocache' | 'cache-manager';

/** A cache under test: read-through and close. */
export interface BenchCache {
  getOrSet(key: string, factory: () => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Seeds of a `redis+cluster://a:1,b:2` URL. */
function seeds(url: string): { host: string; port: number }[] {
  return url
    .replace(/^redis\+cluster:\/\//, '')
    .split(',')
    .map((hostPort) => {
      const at = hostPort.lastIndexOf(':');
      return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
    });
}

/** Opens one library's cache `name` on `url` (a redis:// URL or a redis+cluster:// one), keys under `{prefix:`; `l1`: an in-process layer of that many entries. */
export async function openCache(lib: CacheLib, url: string, prefix: string, name: string, options: { l1?: number; partitions?: number } = {}): Promise<BenchCache> {
  const cluster = url.startsWith('redis+cluster://');
  if (lib === 'ours') {
    const kr = kickass({ connection: url, prefix });
    const cache = kr.cache({ namespace: name, ttl: '1h', lease: '10s', partitions: options.partitions ?? 1, ...(options.l1 === undefined ? {} : { l1: { max: options.l1 } }) });
    while (!cache.connected) await new Promise((resolve) => setTimeout(resolve, 5));
    return { getOrSet: (key, factory) => cache.getOrSet({ key, factory }), close: () => kr.close() };
  }
  if (lib === 'bentocache') {
    const connection = cluster ? new Cluster(seeds(url)) : new Redis(url);
    const store = bentostore();
    if (options.l1 !== undefined) store.useL1Layer(memoryDriver({ maxItems: options.l1 }));
    store.useL2Layer(redisDriver({ connection, prefix: `{${prefix}:${name}}` }));
    const bento = new BentoCache({ default: 'cache', stores: { cache: store } });
    return {
      getOrSet: (key, factory) => bento.getOrSet({ key, factory, ttl: '1h' }),
      close: async () => {
        await bento.disconnectAll();
        connection.disconnect();
      },
    };
  }
  const store = cluster ? new KeyvRedis({ rootNodes: seeds(url).map((s) => ({ url: `redis://${s.host}:${String(s.port)}` })) }) : new KeyvRedis(url);
  const keyv = new Keyv({ store, namespace: `{${prefix}:${name}}` });
  const cache = createCache({ stores: [keyv] });
  await keyv.set('warm-up', 1);
  return {
    getOrSet: (key, factory) => cache.wrap(key, factory, 3_600_000),
    close: async () => {
      await cache.disconnect();
    },
  };
}
