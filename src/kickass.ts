import { optionsObject } from './core/options.js';
import { Cache } from './cache/cache.js';
import { Sync } from './sync/sync.js';
import type { SyncOptions } from './sync/sync-options.js';
import type { CacheOptions } from './cache/cache-types.js';
import { closeClient, openConnection } from './core/connection.js';
import { HierarchicalCounter } from './counters/hierarchical-counter.js';
import type { HierarchicalCounterOptions } from './counters/hierarchy-types.js';
import type { ConnectionInput, RedisClient } from './core/connection.js';
import type { KickassContext } from './core/context.js';
import { StateError } from './core/errors.js';
import { DEFAULT_PREFIX, KeyBuilder } from './core/keys.js';
import { waitForReplicas } from './core/replication.js';
import type { ReplicaWait } from './core/replication.js';
import { ScriptRunner } from './core/script-runner.js';
import { IncrementalIdGenerator } from './ids/incremental-id-generator.js';
import type { IncrementalIdOptions } from './ids/incremental-id-generator.js';
import { TimeOrderedIdGenerator } from './ids/time-ordered-id-generator.js';
import type { TimeOrderedIdOptions } from './ids/time-ordered-id-generator.js';
import { defineModel } from './store/define-model.js';
import { TextIndex } from './search/text-index.js';
import { Suggester } from './search/suggester.js';
import { GeoIndex } from './search/geo-index.js';
import { UniqueCounter } from './counters/unique-counter.js';
import type { UniqueCounterOptions } from './counters/unique-counter.js';
import type { IdMapOptions } from './counters/id-map.js';
import type { GeoIndexOptions } from './search/geo-index.js';
import type { TextIndexOptions } from './search/text-index.js';
import type { Model } from './store/model.js';
import type { ModelOptions } from './store/schema.js';
import type { FieldMap } from './store/types.js';

/** Options of {@link kickass}. */
export interface KickassOptions {
  /** How to reach Redis. @defaultValue process.env.REDIS_URL, else redis://127.0.0.1:6379 */
  connection?: ConnectionInput;
  /** Prefix inside the leading hash tag of every key. @defaultValue 'kr' */
  prefix?: string;
  /**
   * Called with connection-level errors (refused, reset) of a client kickass opened. Commands that
   * fail still reject with typed errors; this only replaces ioredis's "Unhandled error event" log.
   */
  onConnectionError?: (error: Error) => void;
}

/** One kickass-redis instance: a connection, a key prefix, and the factories of every component. */
export class Kickass {
  /** What components are built on; exposed for custom components and tests. */
  readonly context: KickassContext;
  readonly #owned: boolean;
  readonly #closers = new Set<() => Promise<void>>();
  #closed = false;

  constructor(givenOptions?: KickassOptions) {
    const options = optionsObject(givenOptions, 'options');
    const keys = new KeyBuilder(options.prefix ?? DEFAULT_PREFIX);
    const opened = openConnection(options.connection);
    this.#owned = opened.owned;
    const onConnectionError = options.onConnectionError;
    if (opened.owned && onConnectionError) opened.client.on('error', onConnectionError);
    this.context = Object.freeze({
      client: opened.client,
      keys,
      scripts: new ScriptRunner(opened.client),
      isCluster: opened.isCluster,
    });
  }

  /** The ioredis client. */
  get client(): RedisClient {
    return this.context.client;
  }

  /** The key prefix. */
  get prefix(): string {
    return this.context.keys.prefix;
  }

  /**
   * Waits until `replicas` replicas of every master hold every write made so far through this
   * instance (Redis `WAIT`): a write that must survive a failover. Resolves with the lowest count;
   * throws ReplicationTimeoutError when fewer confirmed within `timeoutMs`.
   */
  async waitForReplicas(wait: ReplicaWait): Promise<number> {
    this.#assertOpen();
    return waitForReplicas(this.context.client, wait);
  }

  /** A block-reserving (hi/lo) incremental id generator; ids are safe JS numbers. */
  idGenerator(name: string, options?: IncrementalIdOptions): IncrementalIdGenerator {
    this.#assertOpen();
    return new IncrementalIdGenerator(this.context, name, options);
  }

  /** A time-ordered 64-bit id generator with a leased worker id; `close()` releases the lease. */
  timeOrderedIds(name: string, options?: TimeOrderedIdOptions): TimeOrderedIdGenerator {
    this.#assertOpen();
    const generator = new TimeOrderedIdGenerator(this.context, name, options);
    this.#closers.add(() => generator.close());
    return generator;
  }

  /** A typed model of the object store: `kr.model('user', { name: t.string().index() }, { partitions: 8 })`. */
  model<M extends FieldMap>(name: string, fields: M, options?: ModelOptions<M>): Model<M> {
    this.#assertOpen();
    return defineModel(this.context, name, fields, options, (close) => this.#closers.add(close));
  }

  /** A standalone full-text index of documents that are not models: `kr.textIndex('docs', { fields: { title: { weight: 2 }, body: {} } })`. */
  textIndex<F extends string>(name: string, options: TextIndexOptions<F>): TextIndex<F> {
    this.#assertOpen();
    return new TextIndex<F>(this.context, name, options);
  }

  /** A standalone geo index of bare points with ids: `kr.geoIndex('shops').within({ lon, lat, radius })`. */
  geoIndex(name: string, options?: GeoIndexOptions): GeoIndex {
    this.#assertOpen();
    return new GeoIndex(this.context, name, options);
  }

  /** An autocomplete index of scored texts: `kr.suggester('cities').suggest('par')`. */
  suggester(name: string): Suggester {
    this.#assertOpen();
    return new Suggester(this.context, name);
  }

  /**
   * Unique ids per time slot on Redis bitmaps: `kr.uniqueCounter('active', { slots: ['day', 'week'],
   * timeZone: 'Europe/Paris' })`; string ids with `ids: { map: 'users' }`.
   */
  uniqueCounter(name: string, options: UniqueCounterOptions & { readonly ids: IdMapOptions }): UniqueCounter<string>;
  uniqueCounter(name: string, options?: UniqueCounterOptions & { readonly ids?: 'integer' }): UniqueCounter;
  uniqueCounter(name: string, options: UniqueCounterOptions = {}): UniqueCounter<string> | UniqueCounter {
    this.#assertOpen();
    return new UniqueCounter<number>(this.context, name, options);
  }

  /**
   * Counts along a key hierarchy and along time, rolled up to every ancestor and resolution:
   * `kr.hierarchicalCounter('views', { resolutions: ['hour', 'day'] }).incr(['us', 'ca', 'sf'])`.
   */
  hierarchicalCounter(name: string, options?: HierarchicalCounterOptions): HierarchicalCounter {
    this.#assertOpen();
    const counter = new HierarchicalCounter(this.context, name, options);
    this.#closers.add(() => counter.close());
    return counter;
  }

  /**
   * An expiring object cache: `kr.cache({ namespace: 'users', ttl: '5m', grace: '1h', l1: { max: 10_000 } })`,
   * then `getOrSet({ key, factory, tags })`.
   */
  cache(options: CacheOptions): Cache {
    this.#assertOpen();
    const cache = new Cache(this.context, options);
    this.#closers.add(() => cache.close());
    return cache;
  }

  /**
   * A MySQL/MariaDB-to-Redis sync into models: `kr.sync({ name: 'shop', source: 'mysql://repl:pw@db:3306',
   * tables: { 'shop.users': { model: User } } })`, then `run()` (copy, then the binlog) and `stop()`.
   */
  sync(options: SyncOptions): Sync {
    this.#assertOpen();
    const sync = new Sync(this.context, options);
    this.#closers.add(() => sync.stop());
    return sync;
  }

  /** Closes what this instance opened: generators' leases, counters' buffers (written first), caches' buses and syncs (stopped), then the connection if kickass created it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#closers].map((close) => close()));
    if (this.#owned) await closeClient(this.context.client);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StateError('this kickass instance is closed');
  }
}

/** Creates a kickass-redis instance. */
export function kickass(options: KickassOptions = {}): Kickass {
  return new Kickass(options);
}
