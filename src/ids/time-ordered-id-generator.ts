import { optionsObject } from '../core/options.js';
import { performance } from 'node:perf_hooks';
import type { KickassContext } from '../core/context.js';
import { parseDuration } from '../core/durations.js';
import type { Duration } from '../core/durations.js';
import { InvalidArgumentError, StateError } from '../core/errors.js';
import { checkReplicaWait } from '../core/replication.js';
import type { ReplicaWait } from '../core/replication.js';
import { ClockMovedBackwardsError, IdExhaustedError, WorkerLeaseLostError } from './errors.js';
import { composeId, decodeId, makeLayout } from './id-layout.js';
import type { DecodedId, IdLayout } from './id-layout.js';
import { WorkerLeases } from './worker-lease.js';
import type { HeldLease } from './worker-lease.js';

/** Options of {@link TimeOrderedIdGenerator}. */
export interface TimeOrderedIdOptions {
  /** Epoch of the timestamp field, ms since 1970. @defaultValue 2024-01-01T00:00:00Z */
  epoch?: number;
  /** Bits of the worker id (2^bits generators at once). @defaultValue 10 */
  workerIdBits?: number;
  /** Bits of the per-millisecond sequence (2^bits ids per ms per generator). @defaultValue 12 */
  sequenceBits?: number;
  /** Worker-id lease length; renewed every third of it. @defaultValue '30s' */
  leaseTtl?: Duration;
  /** How long to wait for a free worker id. @defaultValue '10s' */
  acquireTimeout?: Duration;
  /** How far the clock may go backwards before next() errors instead of waiting. @defaultValue '2s' */
  maxClockBackwards?: Duration;
  /** After a lost lease, lease a new worker id on the next call instead of failing. @defaultValue true */
  reacquire?: boolean;
  /** Wall clock in ms; replaceable for clock fault tests. @defaultValue Date.now */
  clock?: () => number;
  /**
   * Use (or extend) a worker-id lease only once this many replicas hold it (Redis `WAIT`), so a
   * failover to a replica cannot lease the same worker id to a second generator.
   * @defaultValue undefined (replication is asynchronous)
   */
  waitForReplicas?: ReplicaWait;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Time-ordered 64-bit ids (Snowflake layout: 41-bit ms timestamp, 10-bit worker id, 12-bit
 * sequence by default). Worker ids are leased from Redis and renewed in the background; an id is
 * only made while the lease is locally known to be valid, so two live generators never share a
 * worker id. A new holder of a worker id only makes ids later than the last holder's high water.
 */
export class TimeOrderedIdGenerator {
  /** The generator's name (part of its keys). */
  readonly name: string;
  /** The bit layout. */
  readonly layout: IdLayout;
  readonly #leases: WorkerLeases;
  readonly #ttlMs: number;
  readonly #maxBackwardsMs: number;
  readonly #reacquire: boolean;
  readonly #clock: () => number;
  readonly #maxSequence: number;
  readonly #maxTimestamp: number;
  #lease: HeldLease | undefined;
  #acquiring: Promise<HeldLease> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #lost: WorkerLeaseLostError | undefined;
  #closed = false;
  #lastTimestamp = -1;
  #sequence = 0;

  constructor(context: KickassContext, name: string, givenOptions?: TimeOrderedIdOptions) {
    const options = optionsObject(givenOptions, 'options');
    this.name = name;
    this.layout = makeLayout(options.epoch, options.workerIdBits, options.sequenceBits);
    this.#ttlMs = parseDuration(options.leaseTtl ?? '30s', 'leaseTtl');
    if (this.#ttlMs < 1000) throw new InvalidArgumentError('leaseTtl', 'must be at least 1s');
    this.#maxBackwardsMs = parseDuration(options.maxClockBackwards ?? '2s', 'maxClockBackwards');
    this.#reacquire = options.reacquire ?? true;
    this.#clock = options.clock ?? Date.now;
    this.#maxSequence = 2 ** this.layout.sequenceBits - 1;
    this.#maxTimestamp = this.layout.epoch + 2 ** this.layout.timestampBits - 1;
    this.#leases = new WorkerLeases(context, name, {
      ttlMs: this.#ttlMs,
      maxWorkerId: 2 ** this.layout.workerIdBits - 1,
      acquireTimeoutMs: parseDuration(options.acquireTimeout ?? '10s', 'acquireTimeout'),
      clock: this.#clock,
      replicaWait: options.waitForReplicas === undefined ? undefined : checkReplicaWait('waitForReplicas', options.waitForReplicas),
    });
  }

  /** The leased worker id, or undefined before the first id / after close. */
  get workerId(): number | undefined {
    return this.#lease?.workerId;
  }

  /** Leases a worker id now (otherwise the first next() does). */
  async start(): Promise<number> {
    return (await this.#ensureLease()).workerId;
  }

  /** The next id as a bigint. */
  async next(): Promise<bigint> {
    for (;;) {
      // Checked on every pass: close() or a lost lease may happen while waiting for the clock.
      const lease = this.#usableLease() ?? (await this.#ensureLease());
      if (lease !== this.#lease) continue;
      const wait = this.#advance();
      if (wait === 0) return composeId(this.layout, this.#lastTimestamp, lease.workerId, this.#sequence);
      await sleep(wait);
    }
  }

  /** The next id as a decimal string (JSON-safe). */
  async nextString(): Promise<string> {
    return (await this.next()).toString();
  }

  /** `count` ids in ascending order. */
  async nextMany(count: number): Promise<bigint[]> {
    if (!Number.isSafeInteger(count) || count < 0 || count > 10_000_000) {
      throw new InvalidArgumentError('count', 'must be an integer from 0 to 10000000');
    }
    const ids: bigint[] = [];
    while (ids.length < count) {
      const lease = this.#usableLease() ?? (await this.#ensureLease());
      if (lease !== this.#lease) continue;
      const wait = this.#advance();
      if (wait === 0) ids.push(composeId(this.layout, this.#lastTimestamp, lease.workerId, this.#sequence));
      else await sleep(wait);
    }
    return ids;
  }

  /** Splits an id made with this layout into timestamp, worker id and sequence. */
  decode(id: bigint | string): DecodedId {
    return decodeId(this.layout, id);
  }

  /** Stops the heartbeat and gives the worker id back. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease) await this.#leases.release(lease, Math.max(this.#lastTimestamp, lease.previousHighWater));
  }

  /**
   * Moves (lastTimestamp, sequence) to the next free pair, synchronously. Returns 0 when done, or
   * how many ms to wait first (clock behind, or sequence exhausted in this millisecond).
   */
  #advance(): number {
    const now = this.#clock();
    if (now < this.#lastTimestamp) {
      const behind = this.#lastTimestamp - now;
      if (behind > this.#maxBackwardsMs) {
        throw new ClockMovedBackwardsError(
          `clock is ${String(behind)} ms behind the last id's timestamp (tolerance ${String(this.#maxBackwardsMs)} ms)`,
          { context: { behind, tolerance: this.#maxBackwardsMs } },
        );
      }
      return behind;
    }
    if (now > this.#maxTimestamp) throw new IdExhaustedError('the timestamp field is full for this epoch; choose a later epoch');
    if (now === this.#lastTimestamp) {
      if (this.#sequence >= this.#maxSequence) return 1;
      this.#sequence++;
    } else {
      this.#lastTimestamp = now;
      this.#sequence = 0;
    }
    return 0;
  }

  /** The lease when it can be used right now without a round trip. */
  #usableLease(): HeldLease | undefined {
    const lease = this.#lease;
    return lease !== undefined && !this.#closed && performance.now() < lease.validUntil ? lease : undefined;
  }

  async #ensureLease(): Promise<HeldLease> {
    if (this.#closed) throw new StateError(`time-ordered id generator "${this.name}" is closed`);
    const lease = this.#lease;
    if (lease !== undefined && performance.now() < lease.validUntil) return lease;
    if (lease !== undefined) {
      // The heartbeat is late (slow or unreachable server): renew in line before making ids.
      if (await this.#leases.renew(lease)) return lease;
      this.#loseLease(lease);
    }
    if (this.#lost !== undefined && !this.#reacquire) throw this.#lost;
    this.#acquiring ??= this.#acquire().finally(() => {
      this.#acquiring = undefined;
    });
    return this.#acquiring;
  }

  async #acquire(): Promise<HeldLease> {
    const lease = await this.#leases.acquire();
    if (this.#closed) {
      await this.#leases.release(lease, lease.previousHighWater);
      throw new StateError(`time-ordered id generator "${this.name}" is closed`);
    }
    const ahead = lease.previousHighWater - this.#clock();
    if (ahead > this.#maxBackwardsMs) {
      await this.#leases.release(lease, lease.previousHighWater);
      throw new ClockMovedBackwardsError(
        `worker id ${String(lease.workerId)} was last used with timestamps up to ${String(ahead)} ms ahead of this host's clock ` +
          `(tolerance ${String(this.#maxBackwardsMs)} ms): synchronise the clocks of the hosts sharing "${this.name}"`,
        { context: { behind: ahead, tolerance: this.#maxBackwardsMs, workerId: lease.workerId } },
      );
    }
    // Never reuse a (timestamp, sequence) pair a previous holder of this worker id may have used
    // (including its last millisecond), and keep this generator's ids increasing across a change of
    // worker id: the next id is in a later millisecond than both.
    this.#lastTimestamp = Math.max(this.#lastTimestamp, lease.previousHighWater);
    this.#sequence = this.#maxSequence;
    this.#lease = lease;
    this.#lost = undefined;
    this.#startHeartbeat(lease);
    return lease;
  }

  #loseLease(lease: HeldLease): void {
    if (this.#lease !== lease) return;
    this.#lease = undefined;
    this.#stopHeartbeat();
    this.#lost = new WorkerLeaseLostError(`worker id ${String(lease.workerId)} of "${this.name}" was leased by another generator`);
  }

  #startHeartbeat(lease: HeldLease): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      this.#leases.renew(lease).then(
        (renewed) => {
          if (!renewed) this.#loseLease(lease);
        },
        () => undefined, // unreachable server: validity lapses and next() renews in line or fails
      );
    }, Math.floor(this.#ttlMs / 3));
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
