import { optionsObject } from '../core/options.js';
import { randomBytes } from 'node:crypto';
import type { KickassContext } from '../core/context.js';
import { CodecError, InvalidArgumentError, StateError } from '../core/errors.js';
import { CacheBus } from './bus.js';
import { cacheSettings, checkKey, checkTags, entrySettings } from './cache-settings.js';
import type { CacheSettings, EntrySettings } from './cache-settings.js';
import type { CacheEvents, CacheOptions, CacheStats, EntryOptions, GetOrSetOptions, SetManyEntry } from './cache-types.js';
import { CacheValueTooLargeError, FactoryTimeoutError } from './errors.js';
import { CacheKeys } from './keys.js';
import { LocalLayer } from './local-layer.js';
import { RemoteLayer } from './remote-layer.js';
import type { ReadResult } from './remote-layer.js';
import { msgpackSerializer } from './serializer.js';
import type { CacheSerializer } from './serializer.js';

type Listener<E extends keyof CacheEvents> = (event: CacheEvents[E]) => void;

/** Extra ms a waiter gives a lease past its end before it reads again. */
const LEASE_SLACK = 5;

/** Resolves after `ms` (a timer that does not keep the process alive). */
function sleep(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(resolve, ms, 'timeout').unref());
}

/**
 * An expiring object cache on Redis: read-through (`getOrSet`) with single-flight in the process
 * and across processes (a lease per loading key; waiters are woken by the cache's Pub/Sub bus),
 * grace (stale values served while refreshed), tags invalidated atomically per partition, and an
 * optional L1 kept coherent across processes by the same bus.
 */
export class Cache {
  /** The cache's namespace. */
  readonly namespace: string;
  readonly #settings: CacheSettings;
  readonly #keys: CacheKeys;
  readonly #remote: RemoteLayer;
  readonly #bus: CacheBus;
  readonly #local: LocalLayer | null;
  readonly #serializer: CacheSerializer;
  readonly #flights = new Map<string, Promise<unknown>>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #listeners = new Map<keyof CacheEvents, Set<(event: never) => void>>();
  readonly #stats: CacheStats = { hits: 0, l1Hits: 0, misses: 0, staleServed: 0, factoryRuns: 0, factoryErrors: 0, waits: 0, errors: 0, busMessages: 0 };
  #closed = false;

  constructor(context: KickassContext, givenOptions: CacheOptions) {
    const options = optionsObject(givenOptions, 'options');
    this.#settings = cacheSettings(options);
    this.namespace = this.#settings.namespace;
    this.#serializer = options.serializer ?? msgpackSerializer();
    this.#keys = new CacheKeys(context.keys, this.namespace, this.#settings.partitions);
    const origin = randomBytes(9).toString('base64url');
    this.#remote = new RemoteLayer(context, this.#keys, origin, this.#settings.lease, this.#settings.redisTimeout);
    this.#bus = new CacheBus(
      context.client,
      this.#keys.channel,
      origin,
      {
        received: () => {
          this.#stats.busMessages++;
        },
        keys: (_op, keys) => {
          for (const key of keys) {
            this.#local?.delete(key);
            this.#wake(key);
          }
        },
        reset: () => {
          this.#local?.clear();
          this.#wakeAll();
        },
        // the L1 is kept (unused but as a fallback while Redis fails) until the bus is back
        down: () => {
          this.#wakeAll();
        },
      },
      (error) => {
        this.#error('bus', error);
      },
    );
    this.#local = this.#settings.l1 === null ? null : new LocalLayer(this.#settings.l1.max, this.#settings.l1.ttl, this.#bus);
    this.#bus.start();
  }

  /** Listens to an event; returns a function that stops listening. */
  on<E extends keyof CacheEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** What the cache did since it was made (a copy). */
  stats(): CacheStats {
    return { ...this.#stats };
  }

  /** True while the bus is subscribed (the L1 serves values and waiters are woken by messages only then). */
  get connected(): boolean {
    return this.#bus.ready;
  }

  /** The fresh value of `key`, or undefined. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const [value] = await this.getMany<T>([key]);
    return value;
  }

  /** The fresh values of `keys` (undefined where missing), in one round trip per partition. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    this.#assertOpen();
    const list: unknown = keys;
    if (!Array.isArray(list)) throw new InvalidArgumentError('keys', 'must be an array of strings');
    keys.forEach((key, i) => checkKey(key, `keys[${String(i)}]`));
    return Promise.all(
      keys.map(async (key) => {
        const held = this.#local?.get(key);
        if (held !== undefined) return this.#hit(key, 'l1', held.value) as T;
        const seq = this.#bus.seq;
        let found: ReadResult;
        try {
          found = await this.#remote.read(key, this.#keys.encode(key), false, []);
        } catch (error) {
          if (!this.#settings.failOpen) throw error;
          this.#error('read', error, key);
          const held = this.#local?.fallback(key);
          return held === undefined ? undefined : (this.#hit(key, 'l1', held.value) as T);
        }
        if (found.status !== 1) {
          this.#miss(key);
          return undefined;
        }
        return this.#fresh(key, found, seq) as T;
      }),
    );
  }

  /** True when `key` has a fresh value. */
  async has(key: string): Promise<boolean> {
    checkKey(key);
    this.#assertOpen();
    if (this.#local?.get(key) !== undefined) return true;
    try {
      return (await this.#remote.read(key, this.#keys.encode(key), false, [])).status === 1;
    } catch (error) {
      if (!this.#settings.failOpen) throw error;
      this.#error('read', error, key);
      return false;
    }
  }

  /** Stores a value (not undefined; null is a negative result, fresh for negativeTtl). Loads in flight for the key write nothing. */
  async set(key: string, value: unknown, givenOptions?: EntryOptions): Promise<void> {
    const options = optionsObject(givenOptions, 'options');
    await this.#setAll([{ ...options, key, value }], () => '');
  }

  /** Stores many values; every entry is checked before anything is written. */
  async setMany(entries: readonly SetManyEntry[]): Promise<void> {
    const list: unknown = entries;
    if (!Array.isArray(list)) throw new InvalidArgumentError('entries', 'must be an array of { key, value }');
    await this.#setAll(entries, (i) => `entries[${String(i)}].`);
  }

  /** Checks every entry (fields named `${at(i)}key`...), then writes them all. */
  async #setAll(entries: readonly SetManyEntry[], at: (i: number) => string): Promise<void> {
    this.#assertOpen();
    const checked = entries.map((entry, i) => {
      if (typeof entry !== 'object' || (entry as unknown) === null) throw new InvalidArgumentError(`entries[${String(i)}]`, 'must be { key, value }');
      const key = checkKey(entry.key, `${at(i)}key`);
      if (entry.value === undefined) throw new InvalidArgumentError(`${at(i)}value`, 'must not be undefined (undefined reads as a miss; null is a negative result)');
      return { key, value: entry.value, settings: entrySettings(this.#settings.defaults, entry, at(i).slice(0, -1) || 'options'), payload: this.#encode(key, entry.value) };
    });
    this.#bus.touchKeys(checked.map((c) => c.key));
    for (const { key } of checked) this.#local?.delete(key);
    await Promise.all(
      checked.map(async ({ key, value, settings, payload }) => {
        const seq = this.#bus.seq;
        const ttl = this.#ttl(value, settings);
        await this.#remote.write(key, payload, { token: '', ttl, grace: settings.grace, tags: settings.tags, versions: null });
        this.#local?.set(key, value, ttl, settings.tags, seq);
      }),
    );
  }

  /** Deletes a key (loads in flight for it write nothing); true when an entry was stored for it (fresh, stale, or invalidated by a tag but not yet expired). */
  async delete(key: string): Promise<boolean> {
    return (await this.deleteMany([key])) > 0;
  }

  /** Deletes keys; returns how many had an entry stored (as delete() counts). */
  async deleteMany(keys: readonly string[]): Promise<number> {
    this.#assertOpen();
    const list: unknown = keys;
    if (!Array.isArray(list)) throw new InvalidArgumentError('keys', 'must be an array of strings');
    keys.forEach((key, i) => checkKey(key, `keys[${String(i)}]`));
    if (keys.length === 0) return 0;
    this.#bus.touchKeys(keys);
    for (const key of keys) this.#local?.delete(key);
    return this.#remote.delete(keys);
  }

  /** Makes every entry carrying one of `tags` a miss, in every process (L1 copies included). */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertOpen();
    const checked = checkTags(tags);
    if (checked.length === 0) return;
    this.#bus.touchTags(checked);
    await this.#remote.invalidate(checked);
  }

  /** Deletes every entry of the namespace (every master of a cluster) and empties every process's L1; returns how many keys went. */
  async clear(): Promise<number> {
    this.#assertOpen();
    this.#bus.touchAll();
    this.#local?.clear();
    return this.#remote.clear();
  }

  /**
   * The value of `key`: fresh from the L1 or Redis, else loaded by `factory` once across processes
   * (concurrent calls in this process share the load; other processes wait for it). In grace, the
   * stale value is served and refreshed in the background (or after `timeouts.soft`, or when the
   * factory fails).
   */
  getOrSet<T>(options: GetOrSetOptions<T>): Promise<T> {
    // not an async function: a hit costs no extra promise hops (errors still come as rejections)
    try {
      const given: unknown = options;
      if (typeof given !== 'object' || given === null) throw new InvalidArgumentError('options', 'must be { key, factory }');
      const key = options.key;
      if (this.#local !== null && typeof key === 'string') {
        const held = this.#local.get(key);
        if (held !== undefined) return Promise.resolve(this.#hit(key, 'l1', held.value) as T);
      }
      const flight = this.#flights.get(key);
      if (flight !== undefined) return flight as Promise<T>;
      checkKey(key);
      if (typeof options.factory !== 'function') throw new InvalidArgumentError('factory', 'must be a function');
      this.#assertOpen();
      const promise = this.#resolve(key, entrySettings(this.#settings.defaults, options), options.factory).finally(() => this.#flights.delete(key));
      this.#flights.set(key, promise);
      return promise;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A memoized `fn`: each call is `getOrSet` of the key `options.key` makes of its arguments. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, options: EntryOptions & { readonly key: (...args: A) => string }): (...args: A) => Promise<R> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'must be a function');
    const given: unknown = options;
    if (typeof given !== 'object' || given === null || typeof options.key !== 'function') throw new InvalidArgumentError('key', 'must be a function of the arguments that returns the cache key');
    const { key, ...entry } = options;
    entrySettings(this.#settings.defaults, entry);
    return (...args: A) => this.getOrSet<R>({ ...entry, key: key(...args), factory: () => fn(...args) });
  }

  /** Stops the bus (kickass's close() calls it); loads in flight finish. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#bus.close();
  }

  /** Reads, loads or waits for `key`. */
  async #resolve<T>(key: string, settings: EntrySettings, factory: GetOrSetOptions<T>['factory']): Promise<T> {
    const encoded = this.#keys.encode(key);
    const deadline = settings.hard > 0 ? performance.now() + settings.hard : Number.POSITIVE_INFINITY;
    for (;;) {
      const seq = this.#bus.seq;
      let found: ReadResult;
      try {
        found = await this.#remote.read(key, encoded, true, settings.tags);
      } catch (error) {
        if (!this.#settings.failOpen) throw error;
        this.#error('read', error, key);
        const held = this.#local?.fallback(key);
        if (held !== undefined) return this.#hit(key, 'l1', held.value) as T;
        return this.#load(key, settings, factory, null, undefined);
      }
      if (found.status === 1) return this.#fresh(key, found, seq) as T;
      const stale = found.status === 2 ? (this.#decode(key, found.payload as Buffer) as T) : undefined;
      if (found.status === 0) this.#miss(key);
      if (found.lease > 0) return this.#load(key, settings, factory, { token: String(found.lease), versions: found.versions }, stale, found.status === 2);
      if (found.status === 2) return this.#staleServed(key, stale);
      // another process is loading it: wait for its value (woken by the bus) or for its lease to end
      this.#stats.waits++;
      const left = deadline - performance.now();
      if (left <= 0) throw new FactoryTimeoutError(key, settings.hard);
      await this.#wait(key, seq, Math.min(-found.lease + LEASE_SLACK, left));
      if (performance.now() >= deadline) throw new FactoryTimeoutError(key, settings.hard);
    }
  }

  /** Waits for a message about `key` after `seq` (none when one came already), or `ms`. */
  async #wait(key: string, seq: number, ms: number): Promise<void> {
    if (this.#bus.ready && this.#bus.changedSince(seq, key)) return;
    const waiter: { wake: () => void } = { wake: () => undefined };
    const woken = new Promise<void>((resolve) => {
      waiter.wake = resolve;
    });
    let set = this.#waiters.get(key);
    if (set === undefined) this.#waiters.set(key, (set = new Set()));
    set.add(waiter.wake);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    try {
      await Promise.race([woken, timedOut]);
    } finally {
      clearTimeout(timer);
      set.delete(waiter.wake);
      if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
    }
  }

  /** Wakes every waiter (they read again, and wait on the lease's end when the bus is down). */
  #wakeAll(): void {
    for (const key of [...this.#waiters.keys()]) this.#wake(key);
  }

  #wake(key: string): void {
    const set = this.#waiters.get(key);
    if (set === undefined) return;
    this.#waiters.delete(key);
    for (const wake of set) wake();
  }

  /**
   * Runs the factory: under the lease `lease` (renewed while it runs; null: Redis failed, so no lease
   * and a best-effort write), bounded by the hard timeout; in grace, the stale value is served after
   * the soft timeout or when the factory fails.
   */
  async #load<T>(key: string, settings: EntrySettings, factory: GetOrSetOptions<T>['factory'], lease: { token: string; versions: readonly string[] | null } | null, stale: T | undefined, inGrace = false): Promise<T> {
    this.#stats.factoryRuns++;
    const started = performance.now();
    const renewal =
      lease === null
        ? undefined
        : setInterval(
            () => {
              this.#remote.renew(key, lease.token).then(
                (held) => {
                  if (!held) clearInterval(renewal);
                },
                (error: unknown) => {
                  this.#error('lease', error, key);
                },
              );
            },
            Math.max(1, Math.floor(this.#settings.lease / 3)),
          );
    const task = (async () => {
      let value: T;
      try {
        value = await factory({ key, stale });
      } catch (error) {
        this.#stats.factoryErrors++;
        this.#emit('factory', { key, ms: performance.now() - started, ok: false });
        if (lease !== null) await this.#release(key, lease.token);
        throw error;
      }
      this.#emit('factory', { key, ms: performance.now() - started, ok: true });
      await this.#store(key, value, settings, lease);
      return value;
    })().finally(() => {
      clearInterval(renewal);
    });
    const limit = inGrace ? settings.soft : settings.hard;
    if (!inGrace && limit === 0) return task;
    // in grace with no soft timeout: the stale value now, the refresh in the background
    const outcome = await Promise.race([task.then((value) => ({ value })), limit === 0 ? { late: true as const } : sleep(limit).then(() => ({ late: true as const }))]).catch((error: unknown) => ({ error }));
    if ('value' in outcome) return outcome.value;
    if ('late' in outcome) {
      task.catch((error: unknown) => {
        this.#error('refresh', error, key, false);
      });
      if (!inGrace) throw new FactoryTimeoutError(key, settings.hard);
      return this.#staleServed(key, stale);
    }
    if (!inGrace) throw outcome.error;
    this.#error('refresh', outcome.error, key, false);
    return this.#staleServed(key, stale);
  }

  /** Writes a factory's value (undefined: nothing, the lease given up); a Redis failure is reported, not thrown, when failing open. */
  async #store(key: string, value: unknown, settings: EntrySettings, lease: { token: string; versions: readonly string[] | null } | null): Promise<void> {
    if (value === undefined) {
      if (lease !== null) await this.#release(key, lease.token);
      return;
    }
    let payload: Uint8Array;
    try {
      payload = this.#encode(key, value);
    } catch (error) {
      if (lease !== null) await this.#release(key, lease.token);
      throw error;
    }
    const seq = this.#bus.seq;
    const ttl = this.#ttl(value, settings);
    try {
      const written = await this.#remote.write(key, payload, { token: lease?.token ?? '', ttl, grace: settings.grace, tags: settings.tags, versions: lease?.versions ?? null });
      if (written === 1) this.#local?.set(key, value, ttl, settings.tags, seq);
    } catch (error) {
      if (!this.#settings.failOpen) throw error;
      this.#error('write', error, key);
    }
  }

  /** Gives a lease up (waiters read again); a failure is reported, the lease then ends on its own. */
  async #release(key: string, token: string): Promise<void> {
    try {
      await this.#remote.release(key, token);
    } catch (error) {
      this.#error('lease', error, key);
    }
  }

  #ttl(value: unknown, settings: EntrySettings): number {
    const ttl = value === null && settings.negativeTtl > 0 ? settings.negativeTtl : settings.ttl;
    const jitter = this.#settings.jitter;
    return jitter === 0 ? ttl : Math.max(1, Math.round(ttl * (1 - Math.random() * jitter)));
  }

  #encode(key: string, value: unknown): Uint8Array {
    let payload: Uint8Array;
    try {
      payload = this.#serializer.serialize(value);
    } catch (error) {
      throw new CodecError('value', `the value of cache key ${JSON.stringify(key.slice(0, 200))} could not be serialized: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (payload.byteLength > this.#settings.maxValueBytes) throw new CacheValueTooLargeError(key, payload.byteLength, this.#settings.maxValueBytes);
    return payload;
  }

  #decode(key: string, payload: Buffer): unknown {
    try {
      return this.#serializer.deserialize(payload);
    } catch (error) {
      throw new CodecError('value', `the value of cache key ${JSON.stringify(key.slice(0, 200))} could not be deserialized: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** A fresh value read from Redis: decoded, kept in the L1 (with its entry's tags, so that their invalidation drops it), counted. */
  #fresh(key: string, found: ReadResult, seq: number): unknown {
    const value = this.#decode(key, found.payload as Buffer);
    this.#local?.set(key, value, found.left, found.tags, seq);
    return this.#hit(key, 'redis', value);
  }

  #hit(key: string, layer: 'l1' | 'redis', value: unknown): unknown {
    this.#stats.hits++;
    if (layer === 'l1') this.#stats.l1Hits++;
    this.#emit('hit', { key, layer });
    return value;
  }

  #miss(key: string): void {
    this.#stats.misses++;
    this.#emit('miss', { key });
  }

  #staleServed<T>(key: string, value: T | undefined): T {
    this.#stats.staleServed++;
    this.#emit('stale', { key });
    return value as T;
  }

  /** Reports a failure no call reports (`redis`: a Redis failure, counted in stats.errors). */
  #error(operation: string, error: unknown, key?: string, redis = true): void {
    if (redis) this.#stats.errors++;
    this.#emit('error', key === undefined ? { operation, error } : { operation, key, error });
  }

  #emit<E extends keyof CacheEvents>(event: E, payload: CacheEvents[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StateError(`cache ${this.namespace} is closed`);
  }
}
