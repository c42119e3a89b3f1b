import { ConnectionError } from '../core/errors.js';
import type { WriteOp } from './input.js';

/** One create waiting for the batch of its turn of the event loop. */
export interface PendingCreate<O> {
  readonly id: string;
  readonly ops: readonly WriteOp[];
  readonly options: O;
  /** Creates of one batch share this key (their expiry setting). */
  readonly batchKey: string;
}

interface Waiting<O> extends PendingCreate<O> {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces the creates that concurrent callers issue in the same turn of the event loop into
 * batch inserts (one script call for many objects, the way a data loader batches reads). Each
 * create stays atomic and gets its own outcome: a batch is all or nothing, and when one fails
 * (an id that exists, a unique value taken or repeated within the batch) each of its creates is
 * retried alone, so exactly the offending ones fail, with their own errors. A batch whose outcome
 * is unknown (the connection failed) is not retried: it may have been written, and every create of
 * it fails with that ConnectionError.
 */
export class CreateCoalescer<O> {
  readonly #insertBatch: (creates: readonly PendingCreate<O>[]) => Promise<void>;
  readonly #insertOne: (create: PendingCreate<O>) => Promise<void>;
  readonly #maxBatch: number;
  #pending: Waiting<O>[] = [];

  constructor(insertBatch: (creates: readonly PendingCreate<O>[]) => Promise<void>, insertOne: (create: PendingCreate<O>) => Promise<void>, maxBatch: number) {
    this.#insertBatch = insertBatch;
    this.#insertOne = insertOne;
    this.#maxBatch = maxBatch;
  }

  /** Queues a create; resolves once it is written, rejects with its own error. */
  add(create: PendingCreate<O>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ ...create, resolve, reject });
      // setImmediate runs after every continuation the current turn resolved, so they all join
      if (this.#pending.length === 1) {
        setImmediate(() => {
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const batch of this.#batches(pending)) void this.#send(batch);
  }

  /** Batches of one key each, at most maxBatch long, no id twice in one batch. */
  #batches(pending: readonly Waiting<O>[]): Waiting<O>[][] {
    const open = new Map<string, { list: Waiting<O>[]; ids: Set<string> }>();
    const out: Waiting<O>[][] = [];
    for (const create of pending) {
      let batch = open.get(create.batchKey);
      if (batch === undefined || batch.ids.has(create.id) || batch.list.length >= this.#maxBatch) {
        batch = { list: [], ids: new Set() };
        open.set(create.batchKey, batch);
        out.push(batch.list);
      }
      batch.list.push(create);
      batch.ids.add(create.id);
    }
    return out;
  }

  async #send(batch: readonly Waiting<O>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.#insertBatch(batch);
        for (const create of batch) create.resolve();
        return;
      } catch (error) {
        if (error instanceof ConnectionError) {
          for (const create of batch) create.reject(error);
          return;
        }
        // some create of the batch cannot be written: find which, one by one
      }
    }
    await Promise.all(batch.map((create) => this.#insertOne(create).then(create.resolve, create.reject)));
  }
}
