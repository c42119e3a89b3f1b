import type { Duration } from '../core/durations.js';
import type { CacheSerializer } from './serializer.js';

/** Timeouts of a load (a factory's run). */
export interface FactoryTimeouts {
  /**
   * With a stale value at hand (grace), how long to wait for the factory before serving the stale
   * value (the factory goes on in the background and its value is cached when it comes).
   * @defaultValue 0: a stale value is served at once and refreshed in the background
   */
  readonly soft?: Duration;
  /** How long to wait for the factory at most; then the call fails with FactoryTimeoutError (the factory goes on). @defaultValue none */
  readonly hard?: Duration;
}

/** Options of `kr.cache()`. */
export interface CacheOptions {
  /** The cache's name (1-64 of A-Z a-z 0-9 _ . -): its keys and its bus are its own. */
  readonly namespace: string;
  /** How long a value is fresh. @defaultValue '5m' */
  readonly ttl?: Duration;
  /** How long a value is kept after that, served stale while it is refreshed (or when the factory fails). @defaultValue 0 */
  readonly grace?: Duration;
  /** How long a factory's `null` (a negative result) is fresh. @defaultValue the ttl */
  readonly negativeTtl?: Duration;
  /** Up to this fraction of each ttl is taken off at random, so that entries written together do not expire together (0 to 1). @defaultValue 0 */
  readonly jitter?: number;
  /** An in-process LRU in front of Redis, kept coherent across processes by the cache's bus. @defaultValue none */
  readonly l1?: { readonly max: number; readonly ttl?: Duration };
  /** How values become bytes. @defaultValue msgpackSerializer() */
  readonly serializer?: CacheSerializer;
  /** Largest serialized value, in bytes. @defaultValue 1 MiB */
  readonly maxValueBytes?: number;
  /**
   * Hash-tag partitions the keys are spread over (an entry, its lease and the versions of its tags
   * share one): more than one lets a cluster spread the cache over its masters. Every process of a
   * namespace must use the same number. @defaultValue 1
   */
  readonly partitions?: number;
  /** How long a load's lease lasts unless renewed (renewed while its factory runs; a dead process's lease ends after it). @defaultValue '10s' */
  readonly lease?: Duration;
  /** Timeouts of loads. */
  readonly timeouts?: FactoryTimeouts;
  /** How long a Redis call may take before it counts as failed. @defaultValue '2s' */
  readonly redisTimeout?: Duration;
  /**
   * When Redis fails: true answers getOrSet from the factory (and the L1) and reports the failure
   * through 'error' events; false makes the call fail with CacheUnavailableError. @defaultValue true
   */
  readonly failOpen?: boolean;
}

/** What a factory is given. */
export interface FactoryContext<T> {
  /** The cache key being loaded. */
  readonly key: string;
  /** The stale value, when there is one (a refresh in grace). */
  readonly stale: T | undefined;
}

/** Options of one entry's write. */
export interface EntryOptions {
  /** How long it is fresh. @defaultValue the cache's ttl (negativeTtl for null) */
  readonly ttl?: Duration;
  /** How long it is kept after that. @defaultValue the cache's grace */
  readonly grace?: Duration;
  /** How long a null value is fresh. @defaultValue the cache's negativeTtl, else the ttl */
  readonly negativeTtl?: Duration;
  /** Tags: invalidating one makes every entry carrying it a miss. */
  readonly tags?: readonly string[];
}

/** Options of {@link Cache.getOrSet}. */
export interface GetOrSetOptions<T> extends EntryOptions {
  /** The cache key. */
  readonly key: string;
  /**
   * Loads the value on a miss (once across processes: the others wait for it). `null` is a
   * negative result, cached for negativeTtl; `undefined` is returned and not cached.
   */
  readonly factory: (context: FactoryContext<T>) => T | Promise<T>;
  /** Timeouts of this load. @defaultValue the cache's */
  readonly timeouts?: FactoryTimeouts;
}

/** One entry of {@link Cache.setMany}. */
export interface SetManyEntry extends EntryOptions {
  /** The cache key. */
  readonly key: string;
  /** The value (not undefined). */
  readonly value: unknown;
}

/** Counters of what a cache did since it was made. */
export interface CacheStats {
  /** Reads answered with a fresh value (from the L1 or Redis). */
  hits: number;
  /** Of those, from the L1. */
  l1Hits: number;
  /** Reads that found nothing usable. */
  misses: number;
  /** Stale values served (in grace). */
  staleServed: number;
  /** Factory runs in this process. */
  factoryRuns: number;
  /** Factory runs that threw or timed out. */
  factoryErrors: number;
  /** Loads that waited for another process's factory. */
  waits: number;
  /** Redis failures (timeouts included). */
  errors: number;
  /** Messages received from other processes on the cache's bus (sets, deletes, releases, tag invalidations, clears). */
  busMessages: number;
}

/** The events of a cache and what their listeners receive. */
export interface CacheEvents {
  /** A fresh value was served. */
  hit: { readonly key: string; readonly layer: 'l1' | 'redis' };
  /** Nothing usable was found. */
  miss: { readonly key: string };
  /** A stale value was served. */
  stale: { readonly key: string };
  /** A factory ran (ok: it returned a value). */
  factory: { readonly key: string; readonly ms: number; readonly ok: boolean };
  /** Something failed that the call itself did not report (a background refresh, Redis while failing open, the bus). */
  error: { readonly operation: string; readonly key?: string; readonly error: unknown };
}
