import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import { ConnectionError, InvalidArgumentError, KickassError } from '../core/errors.js';
import { checkReplicaWait, waitForReplicasOf } from '../core/replication.js';
import type { ReplicaWait } from '../core/replication.js';
import { idsScriptErrors } from './errors.js';
import { incrementalCounterKey } from './keys.js';
import { reserveBlockScript } from './scripts/index.generated.js';

/** Options of {@link IncrementalIdGenerator}. */
export interface IncrementalIdOptions {
  /** Ids reserved per round trip. A crash loses at most this many ids. @defaultValue 1000 */
  blockSize?: number;
  /**
   * When this fraction of a block is left, the next reservation starts in the background, so
   * callers never wait on Redis while ids remain. @defaultValue 0.2
   */
  prefetchAt?: number;
  /** The first id ever handed out. @defaultValue 1 */
  start?: number;
  /**
   * Use a reserved block only once this many replicas hold it (Redis `WAIT`), so a failover to a
   * replica cannot hand the same ids out again; a short wait fails the reservation with
   * ReplicationTimeoutError. @defaultValue undefined (replication is asynchronous)
   */
  waitForReplicas?: ReplicaWait;
}

/** The largest id an incremental generator hands out: ids stay exact JavaScript numbers. */
export const MAX_INCREMENTAL_ID = Number.MAX_SAFE_INTEGER;

interface Range {
  next: number;
  last: number;
}

function checkInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const got = typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value;
    throw new InvalidArgumentError(field, `must be an integer from ${String(min)} to ${String(max)}, got ${got}`);
  }
  return value;
}

/**
 * Block-reserving ("hi/lo") incremental ids: one INCRBY reserves a block, ids are then handed out
 * from memory. Concurrent callers share one in-flight reservation, and the next block is reserved
 * before the current one runs out. A process never holds more than `blockSize` unused ids (the
 * prefetched block is `blockSize` minus what is left), so a crash loses at most `blockSize` ids.
 */
export class IncrementalIdGenerator {
  /** The generator's name (part of its key). */
  readonly name: string;
  /** Ids per reservation. */
  readonly blockSize: number;
  readonly #context: KickassContext;
  readonly #key: string;
  readonly #start: number;
  readonly #threshold: number;
  readonly #replicaWait: ReplicaWait | undefined;
  readonly #ranges: Range[] = [];
  #available = 0;
  #inFlight: Promise<KickassError | undefined> | undefined;

  /** `counterKey` overrides the key (components keep their counters in their own namespace). */
  constructor(context: KickassContext, name: string, givenOptions?: IncrementalIdOptions, counterKey?: string) {
    const options = optionsObject(givenOptions, 'options');
    this.#context = context;
    this.name = name;
    this.#key = counterKey ?? incrementalCounterKey(context.keys, name);
    this.blockSize = checkInteger('blockSize', options.blockSize ?? 1000, 1, 10_000_000);
    this.#start = checkInteger('start', options.start ?? 1, 0, MAX_INCREMENTAL_ID);
    const prefetchAt = options.prefetchAt ?? 0.2;
    if (!(prefetchAt >= 0 && prefetchAt < 1)) throw new InvalidArgumentError('prefetchAt', 'must be a fraction in [0, 1)');
    this.#threshold = Math.floor(this.blockSize * prefetchAt);
    this.#replicaWait = options.waitForReplicas === undefined ? undefined : checkReplicaWait('waitForReplicas', options.waitForReplicas);
  }

  /** The next id. Resolves from memory while the current block lasts. */
  next(): Promise<number> {
    // Not `async`: the common case resolves from memory without an extra async frame.
    if (this.#available > 0) return Promise.resolve(this.#take());
    return this.#nextAfterRefill();
  }

  async #nextAfterRefill(): Promise<number> {
    // Other callers may take the refilled ids before this one resumes: check again after each wait.
    while (this.#available === 0) await this.#refill(1);
    return this.#take();
  }

  /** `count` ids in ascending order, reserving at most one extra block for them. */
  async nextMany(count: number): Promise<number[]> {
    checkInteger('count', count, 0, 10_000_000);
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.#available === 0) await this.#refill(count - ids.length);
      while (ids.length < count && this.#available > 0) ids.push(this.#take());
    }
    return ids;
  }

  /** The last id reserved by any process (not handed out necessarily); 0 before the first. */
  async peekReserved(): Promise<number> {
    const value = await this.#context.client.get(this.#key);
    return value === null ? this.#start - 1 : Number(value);
  }

  #hasIds(): boolean {
    return this.#available > 0;
  }

  #take(): number {
    const range = this.#ranges[0];
    if (range === undefined) throw new Error('unreachable: no id range while ids are available');
    const id = range.next++;
    this.#available--;
    if (range.next > range.last) this.#ranges.shift();
    if (this.#threshold > 0 && this.#available <= this.#threshold && this.#inFlight === undefined) {
      // Prefetch only what tops the holding back up to one block, so a crash loses <= blockSize ids.
      // A failed prefetch is not lost: the next caller that finds no ids retries and sees the error.
      void this.#reserve(this.blockSize - this.#available);
    }
    return id;
  }

  async #refill(needed: number): Promise<void> {
    while (this.#available === 0) {
      const pending = this.#inFlight ?? this.#reserve(Math.max(needed, this.blockSize));
      const error = await pending;
      if (this.#hasIds()) return;
      if (error !== undefined) throw error;
    }
  }

  /** Reserves `count` ids; resolves to the error instead of rejecting, so every waiter can see it. */
  #reserve(count: number): Promise<KickassError | undefined> {
    const reservation = this.#context.scripts
      .run(reserveBlockScript, { counter: this.#key }, { count, start: this.#start, max: MAX_INCREMENTAL_ID }, idsScriptErrors)
      .then(async (reply) => {
        if (this.#replicaWait !== undefined) await waitForReplicasOf(this.#context.client, this.#key, this.#replicaWait);
        return reply;
      })
      .then(
        (reply) => {
          const last = Number(reply);
          this.#ranges.push({ next: last - count + 1, last });
          this.#available += count;
          return undefined;
        },
        (error: unknown) => (error instanceof KickassError ? error : new ConnectionError(String(error), { cause: error })),
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
    this.#inFlight = reservation;
    return reservation;
  }
}
