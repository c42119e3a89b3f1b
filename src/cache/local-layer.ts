import { LRUCache } from 'lru-cache';
import type { CacheBus } from './bus.js';

interface LocalEntry {
  readonly value: unknown;
  /** performance.now() after which it is not served. */
  readonly freshUntil: number;
  readonly tags: readonly string[] | null;
  /** The bus's sequence number taken before the read or write that produced it. */
  readonly seq: number;
}

/**
 * The L1: an LRU of deserialized values in front of Redis (values are served by reference, not
 * copied). It only takes and serves values while the bus is up (while it is down, values held are
 * only a fallback for reads Redis fails, and they all go once the bus is back); a value is dropped
 * when another process sets or deletes its key or invalidates one of its tags, and never stored
 * when such a message came while its read was in flight.
 */
export class LocalLayer {
  readonly #lru: LRUCache<string, LocalEntry>;

  constructor(
    max: number,
    /** Longest a value is kept, in ms (it is never kept past its freshness in Redis). */
    readonly maxTtl: number,
    readonly bus: CacheBus,
  ) {
    this.#lru = new LRUCache({ max });
  }

  /** The value held for `key`, when fresh and still valid. */
  get(key: string): LocalEntry | undefined {
    if (!this.bus.ready) return undefined;
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (entry.freshUntil <= performance.now() || (entry.tags !== null && this.bus.tagsChangedSince(entry.seq, entry.tags))) {
      this.#lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * The value held for `key` when fresh, even while the bus is down: what a read may fall back to
   * when Redis fails (nobody can change Redis then; messages missed before the failure are the risk).
   */
  fallback(key: string): LocalEntry | undefined {
    const entry = this.#lru.get(key);
    return entry !== undefined && entry.freshUntil > performance.now() ? entry : undefined;
  }

  /** Holds a value fresh for `freshMs`, unless something about its key or tags came since `seq`. */
  set(key: string, value: unknown, freshMs: number, tags: readonly string[] | null, seq: number): void {
    if (freshMs <= 0 || !this.bus.ready || this.bus.changedSince(seq, key, tags ?? undefined)) return;
    this.#lru.set(key, { value, freshUntil: performance.now() + Math.min(freshMs, this.maxTtl), tags: tags !== null && tags.length > 0 ? tags : null, seq });
  }

  /** Drops a key's value. */
  delete(key: string): void {
    this.#lru.delete(key);
  }

  /** Drops every value. */
  clear(): void {
    this.#lru.clear();
  }

  /** Values held. */
  get size(): number {
    return this.#lru.size;
  }
}
