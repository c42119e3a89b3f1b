import type { KickassContext } from '../core/context.js';
import { isClusterClient } from '../core/connection.js';
import { unlinkKeys } from '../core/scan.js';
import { CacheUnavailableError } from './errors.js';
import type { CacheKeys } from './keys.js';
import { cacheDeleteScript, cacheInvalidateScript, cacheLeaseScript, cacheReadScript, cacheWriteScript } from './scripts/index.generated.js';

/** What a read found: status 0 missing, 1 fresh, 2 stale. */
export interface ReadResult {
  readonly status: 0 | 1 | 2;
  /** ms of freshness left (negative when stale). */
  readonly left: number;
  /** The serialized value (null when missing). */
  readonly payload: Buffer | null;
  /** The tags the entry was written with (none when missing). */
  readonly tags: readonly string[];
  /** A load's lease: the token taken, 0 none, or minus the ms left on another process's lease. */
  readonly lease: number;
  /** The versions of the load's tags (null without tags). */
  readonly versions: readonly string[] | null;
}

const [BAR, COLON, ZERO, NEWLINE] = [124, 58, 48, 10];

const NO_TAGS: readonly string[] = Object.freeze([]);

/** An entry's header "A<soft>|<count>|<bytes>:<tag> <version>|...\n", read once: where the payload starts and the tags it was written with. */
export function entryHeader(entry: Buffer): { readonly offset: number; readonly tags: readonly string[] } {
  const bar = entry.indexOf(BAR, 1);
  // no tags: "|0|\n"
  if (entry[bar + 1] === ZERO && entry[bar + 2] === BAR) return { offset: bar + 4, tags: NO_TAGS };
  let pos = entry.indexOf(BAR, bar + 1) + 1;
  const count = Number(entry.toString('latin1', bar + 1, pos - 1));
  const tags: string[] = [];
  for (let i = 0; i < count; i++) {
    const colon = entry.indexOf(COLON, pos);
    const end = colon + 1 + Number(entry.toString('latin1', pos, colon));
    tags.push(entry.toString('utf8', colon + 1, end));
    pos = entry.indexOf(BAR, end + 1) + 1;
  }
  if (entry[pos] !== NEWLINE) throw new Error('cache entry header is malformed');
  return { offset: pos + 1, tags };
}

/** A read waiting for its partition's next batch. */
interface PendingRead {
  readonly key: string;
  readonly encoded: string;
  readonly load: boolean;
  readonly tags: readonly string[];
  readonly resolve: (result: ReadResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Entries per read call at most. */
const READS_PER_CALL = 16;

/** Rejects with CacheUnavailableError when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new CacheUnavailableError(operation, `Redis gave no answer within ${String(ms)} ms`));
        }, ms);
      }),
    ]);
  } catch (error) {
    throw error instanceof CacheUnavailableError ? error : new CacheUnavailableError(operation, error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Redis side of a cache: reads gathered per partition into one script call per tick (every
 * read issued in the same tick shares it), writes, deletes, leases, tags and clear. Every call is
 * bounded by the cache's Redis timeout and fails with CacheUnavailableError.
 */
export class RemoteLayer {
  readonly #pending: PendingRead[][];
  #scheduled = false;

  constructor(
    readonly context: KickassContext,
    readonly keys: CacheKeys,
    readonly origin: string,
    readonly leaseMs: number,
    readonly timeoutMs: number,
  ) {
    this.#pending = Array.from({ length: keys.partitions }, () => []);
  }

  /** Reads an entry; a load (`load`) also takes its lease when it is missing or stale, and the versions of its tags. */
  read(key: string, encoded: string, load: boolean, tags: readonly string[]): Promise<ReadResult> {
    return new Promise((resolve, reject) => {
      (this.#pending[this.keys.partitionOf(key)] as PendingRead[]).push({ key, encoded, load, tags, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => {
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    for (let p = 0; p < this.#pending.length; p++) {
      const reads = this.#pending[p] as PendingRead[];
      if (reads.length === 0) continue;
      this.#pending[p] = [];
      for (let i = 0; i < reads.length; i += READS_PER_CALL) void this.#send(p, reads.slice(i, i + READS_PER_CALL));
    }
  }

  async #send(p: number, reads: readonly PendingRead[]): Promise<void> {
    const { scripts } = this.context;
    const plan = scripts.plan(cacheReadScript, { tags: this.keys.versions(p), tokens: this.keys.tokens(p) }, { lease: this.leaseMs });
    const keys = [...plan.keys];
    const args = [...plan.args];
    for (const read of reads) {
      keys.push(this.keys.entry(p, read.encoded));
      if (read.tags.length === 0) args.push(read.load ? 'o0' : 'g0');
      else args.push(`${read.load ? 'o' : 'g'}${String(read.tags.length)}`, ...read.tags);
    }
    let reply: unknown[];
    try {
      reply = (await withTimeout(scripts.execBuffers(Object.freeze({ ...plan, keys: Object.freeze(keys), args: Object.freeze(args) })), this.timeoutMs, 'read')) as unknown[];
    } catch (error) {
      for (const read of reads) read.reject(error);
      return;
    }
    reads.forEach((read, i) => {
      const head = reply[2 * i];
      const entry = reply[2 * i + 1] as Buffer | null;
      let [payload, tags]: [Buffer | null, readonly string[]] = [null, NO_TAGS];
      if (entry !== null) {
        const header = entryHeader(entry);
        [payload, tags] = [entry.subarray(header.offset), header.tags];
      }
      if (typeof head === 'number') {
        read.resolve({ status: 1, left: head, payload, tags, lease: 0, versions: null });
        return;
      }
      const [status, left, lease, versions] = head as [0 | 2, number, number, Buffer[] | 0];
      read.resolve({ status, left, payload, tags, lease, versions: Array.isArray(versions) ? versions.map(String) : null });
    });
  }

  /**
   * Writes an entry: a load's (with its token and the versions its read saw; 1 written, 0 its
   * lease was lost, -1 a tag was invalidated meanwhile) or a plain set (token '': always written).
   */
  async write(key: string, payload: Uint8Array, options: { token: string; ttl: number; grace: number; tags: readonly string[]; versions: readonly string[] | null }): Promise<number> {
    const p = this.keys.partitionOf(key);
    const encoded = this.keys.encode(key);
    const tagArgs: string[] = [];
    options.tags.forEach((tag, i) => tagArgs.push(tag, options.versions?.[i] ?? ''));
    const { scripts } = this.context;
    const plan = scripts.plan(
      cacheWriteScript,
      { tags: this.keys.versions(p), entry: this.keys.entry(p, encoded), lease: this.keys.lease(p, encoded) },
      { token: options.token, ttl: options.ttl, grace: options.grace, channel: this.keys.channel, written: `${this.origin}|s|${key}`, released: `${this.origin}|r|${key}`, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), count: options.tags.length },
    );
    return withTimeout(scripts.exec(Object.freeze({ ...plan, args: Object.freeze([...plan.args, ...tagArgs]) })), this.timeoutMs, 'write');
  }

  /** Renews a load's lease (true while held). */
  async renew(key: string, token: string): Promise<boolean> {
    return (await this.#lease(key, token, this.leaseMs)) === 1;
  }

  /** Gives a load's lease up without a value; waiters are told to read again. */
  async release(key: string, token: string): Promise<void> {
    await this.#lease(key, token, 0);
  }

  async #lease(key: string, token: string, ms: number): Promise<number> {
    const p = this.keys.partitionOf(key);
    const { scripts } = this.context;
    return withTimeout(scripts.run(cacheLeaseScript, { lease: this.keys.lease(p, this.keys.encode(key)) }, { token, ms, channel: this.keys.channel, released: `${this.origin}|r|${key}` }), this.timeoutMs, 'lease');
  }

  /** Deletes entries (and cancels their loads); returns how many existed. */
  async delete(keys: readonly string[]): Promise<number> {
    const byPartition = new Map<number, string[]>();
    for (const key of keys) {
      const p = this.keys.partitionOf(key);
      const list = byPartition.get(p);
      if (list === undefined) byPartition.set(p, [key]);
      else list.push(key);
    }
    const { scripts } = this.context;
    const counts = await Promise.all(
      [...byPartition].map(async ([p, list]) => {
        const names = list.flatMap((key) => {
          const encoded = this.keys.encode(key);
          return [this.keys.entry(p, encoded), this.keys.lease(p, encoded)];
        });
        const plan = scripts.plan(cacheDeleteScript, {}, { channel: this.keys.channel, message: `${this.origin}|d|${JSON.stringify(list)}` });
        return withTimeout(scripts.exec(Object.freeze({ ...plan, keys: Object.freeze(names) })), this.timeoutMs, 'delete');
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Invalidates tags in every partition, then tells the other processes. */
  async invalidate(tags: readonly string[]): Promise<void> {
    const { scripts } = this.context;
    await Promise.all(
      Array.from({ length: this.keys.partitions }, async (_, p) => {
        const plan = scripts.plan(cacheInvalidateScript, { tags: this.keys.versions(p) }, {});
        await withTimeout(scripts.exec(Object.freeze({ ...plan, args: Object.freeze([...tags]) })), this.timeoutMs, 'invalidate');
      }),
    );
    await withTimeout(this.context.client.publish(this.keys.channel, `${this.origin}|t|${JSON.stringify(tags)}`), this.timeoutMs, 'invalidate');
  }

  /** Deletes every key of the namespace (SCAN on every master), then tells the other processes; returns how many keys went. */
  async clear(): Promise<number> {
    const { client } = this.context;
    if (isClusterClient(client) && client.status !== 'ready') await client.ping();
    const removed = await unlinkKeys(client, this.keys.pattern());
    await client.publish(this.keys.channel, `${this.origin}|c|`);
    return removed;
  }
}
