import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { KickassContext } from '../core/context.js';
import { ReplicationTimeoutError, waitForReplicasOf } from '../core/replication.js';
import type { ReplicaWait } from '../core/replication.js';
import { NoWorkerIdAvailableError } from './errors.js';
import { workerLeaseKeys } from './keys.js';
import type { WorkerLeaseKeys } from './keys.js';
import { acquireWorkerScript, releaseWorkerScript, renewWorkerScript } from './scripts/index.generated.js';

/** Settings of a worker-id lease. */
export interface WorkerLeaseSettings {
  /** Lease length in ms. */
  readonly ttlMs: number;
  /** Largest worker id (2^workerIdBits - 1). */
  readonly maxWorkerId: number;
  /** How long `acquire` keeps trying when every id is taken, in ms. */
  readonly acquireTimeoutMs: number;
  /** The wall clock, in ms since the epoch. */
  readonly clock: () => number;
  /** Replicas that must hold a lease before it is used (or extended). */
  readonly replicaWait?: ReplicaWait | undefined;
}

/** A held lease: which worker id, until when (monotonic ms) it may be used, and the previous holder's high water. */
export interface HeldLease {
  readonly workerId: number;
  readonly token: string;
  /** `performance.now()` value after which the id must not be used without a renewal. */
  validUntil: number;
  /** Highest timestamp a previous holder may have used; new ids must be later. */
  readonly previousHighWater: number;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Leases worker ids from a sorted set whose scores are expiry times on the server clock. Local
 * validity is counted from when the request was sent, with a margin, so it always ends before the
 * server-side expiry: a process stops using an id before anyone else can lease it.
 */
export class WorkerLeases {
  readonly #context: KickassContext;
  readonly #keys: WorkerLeaseKeys;
  readonly #settings: WorkerLeaseSettings;

  constructor(context: KickassContext, name: string, settings: WorkerLeaseSettings) {
    this.#context = context;
    this.#keys = workerLeaseKeys(context.keys, name);
    this.#settings = settings;
  }

  #validUntil(sentAt: number): number {
    const { ttlMs } = this.#settings;
    return sentAt + ttlMs - Math.max(50, Math.floor(ttlMs / 10));
  }

  async #replicated(): Promise<void> {
    if (this.#settings.replicaWait !== undefined) await waitForReplicasOf(this.#context.client, this.#keys.leases, this.#settings.replicaWait);
  }

  /** Acquires a free worker id, retrying with backoff until acquireTimeoutMs. */
  async acquire(): Promise<HeldLease> {
    const token = randomBytes(16).toString('hex');
    const deadline = performance.now() + this.#settings.acquireTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now();
      const [workerId = -1, highWater = 0] = await this.#context.scripts.run(acquireWorkerScript, this.#keys, {
        token,
        ttl: this.#settings.ttlMs,
        maxWorkerId: this.#settings.maxWorkerId,
        clientNow: this.#settings.clock(),
        start: randomInt(this.#settings.maxWorkerId + 1),
      });
      if (workerId >= 0) {
        await this.#replicated();
        return { workerId, token, validUntil: this.#validUntil(sentAt), previousHighWater: highWater };
      }
      if (performance.now() >= deadline) {
        throw new NoWorkerIdAvailableError(
          `all ${String(this.#settings.maxWorkerId + 1)} worker ids are leased; raise workerIdBits or stop idle generators`,
        );
      }
      await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 5)));
    }
  }

  /** Renews a lease; returns false when it was lost (someone else holds the id now). */
  async renew(lease: HeldLease): Promise<boolean> {
    const sentAt = performance.now();
    const renewed = await this.#context.scripts.run(renewWorkerScript, this.#keys, {
      token: lease.token,
      workerId: lease.workerId,
      ttl: this.#settings.ttlMs,
      highWater: this.#settings.clock() + this.#settings.ttlMs,
    });
    if (renewed !== 1) return false;
    try {
      await this.#replicated();
      lease.validUntil = this.#validUntil(sentAt);
    } catch (error) {
      // Still ours, but a promoted replica may only know the old expiry: keep using the old one.
      if (!(error instanceof ReplicationTimeoutError)) throw error;
    }
    return true;
  }

  /** Releases a lease, recording the last timestamp used so the next holder can start at once. */
  async release(lease: HeldLease, lastUsed: number): Promise<boolean> {
    const released = await this.#context.scripts.run(releaseWorkerScript, this.#keys, {
      token: lease.token,
      workerId: lease.workerId,
      lastUsed,
    });
    return released === 1;
  }
}
