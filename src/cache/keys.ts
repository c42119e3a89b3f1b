import { encodeKeyPart, globEscape, partitionOf } from '../core/keys.js';
import type { KeyBuilder } from '../core/keys.js';

/**
 * Keys of a cache namespace. An entry, its lease and the versions of the tags it may carry must be
 * read and written by one script, so they share a hash tag: the namespace is split into
 * `partitions` tags `{prefix:c:namespace:p}` (an entry's partition: a stable hash of its key), and
 * each partition keeps its own tag versions (invalidating a tag bumps it in every partition). One
 * partition keeps a namespace on one cluster node; more spread it over the masters.
 */
export class CacheKeys {
  /** The Pub/Sub channel of the namespace (sets, deletes, releases, tag invalidations, clears). */
  readonly channel: string;
  readonly #tags: readonly string[];
  readonly #pattern: string;

  constructor(
    keys: KeyBuilder,
    namespace: string,
    /** How many partitions. */
    readonly partitions: number,
  ) {
    this.#tags = Array.from({ length: partitions }, (_, p) => keys.slot('c', namespace, p).tag);
    this.channel = `${keys.prefix}:c:${namespace}:bus`;
    this.#pattern = `${globEscape(keys.slot('c', namespace).tag.slice(0, -1))}:*`;
  }

  /** The partition of a cache key. */
  partitionOf(key: string): number {
    return this.partitions === 1 ? 0 : partitionOf(key, this.partitions);
  }

  /** A key's form inside key names (it cannot break out of its place). */
  encode(key: string): string {
    return encodeKeyPart(key, 'key');
  }

  /** A partition's hash of tag versions. */
  versions(p: number): string {
    return `${this.#tags[p] as string}:t`;
  }

  /** A partition's counter of lease tokens. */
  tokens(p: number): string {
    return `${this.#tags[p] as string}:n`;
  }

  /** An entry (a string: header and payload). */
  entry(p: number, encoded: string): string {
    return `${this.#tags[p] as string}:e:${encoded}`;
  }

  /** An entry's lease (a string: the loading process's token; the read script derives it from the entry's key, see cache-read.lua). */
  lease(p: number, encoded: string): string {
    return `${this.#tags[p] as string}:l:${encoded}`;
  }

  /** A glob of every key of the namespace (and of no other namespace). */
  pattern(): string {
    return this.#pattern;
  }
}
