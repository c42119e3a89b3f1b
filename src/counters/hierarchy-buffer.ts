import { InvalidArgumentError, StateError } from '../core/errors.js';
import type { HierarchyBatch } from './hierarchy-batch.js';

/** In-process buffering of a hierarchical counter's increments. */
export interface BufferOptions {
  /** How long increments are merged before they are written (ms). */
  readonly ms: number;
  /** Write at once when this many increments are buffered (the call that fills it waits for the write). @defaultValue 100000 */
  readonly maxEvents?: number;
  /** Called with the error of a write the timer started; without it, the next flush() or close() throws it. */
  readonly onError?: (error: Error) => void;
}

/**
 * Merges increments in one batch for `ms`, then writes it in one go. Writes run one after the other.
 * A crash loses what is buffered (at most `ms` of increments, or `maxEvents`); close() writes it.
 * A failed write is not retried: whether Redis applied it is unknown, and a retry could count twice.
 */
export class HierarchyBuffer {
  readonly #ms: number;
  readonly #maxEvents: number;
  readonly #onError: ((error: Error) => void) | null;
  readonly #newBatch: () => HierarchyBatch;
  readonly #write: (batch: HierarchyBatch) => Promise<void>;
  #batch: HierarchyBatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #error: Error | null = null;
  #closed = false;

  constructor(options: BufferOptions, newBatch: () => HierarchyBatch, write: (batch: HierarchyBatch) => Promise<void>) {
    const given: unknown = options;
    if (typeof given !== 'object' || given === null) throw new InvalidArgumentError('buffer', 'must be { ms, maxEvents?, onError? }');
    const { ms, maxEvents = 100_000, onError } = options;
    if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError('buffer.ms', 'must be a positive integer (milliseconds)');
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) throw new InvalidArgumentError('buffer.maxEvents', 'must be a positive integer');
    if (onError !== undefined && typeof onError !== 'function') throw new InvalidArgumentError('buffer.onError', 'must be a function');
    this.#ms = ms;
    this.#maxEvents = maxEvents;
    this.#onError = onError ?? null;
    this.#newBatch = newBatch;
    this.#write = write;
  }

  /** Adds increments through `fill`; writes at once when the buffer is full, else within `ms`. */
  async add(fill: (batch: HierarchyBatch) => void): Promise<void> {
    if (this.#closed) throw new StateError('the counter is closed');
    this.#batch ??= this.#newBatch();
    fill(this.#batch);
    if (this.#batch.events >= this.#maxEvents) await this.flush();
    else this.#timer ??= setTimeout(() => void this.#flushOnTimer(), this.#ms).unref();
  }

  async #flushOnTimer(): Promise<void> {
    try {
      await this.#flush();
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      if (this.#onError !== null) this.#onError(e);
      else this.#error = e;
    }
  }

  /** Writes what is buffered now (after any write already under way); throws a timer write's kept error. */
  async flush(): Promise<void> {
    const kept = this.#error;
    this.#error = null;
    await this.#flush();
    if (kept !== null) throw kept;
  }

  #flush(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#batch;
    this.#batch = null;
    const run = this.#writing.then(() => (batch === null ? undefined : this.#write(batch)));
    this.#writing = run.catch(() => undefined);
    return run;
  }

  /** Writes what is buffered and refuses further increments. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
  }
}
