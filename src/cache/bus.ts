import { Redis } from 'ioredis';
import type { RedisClient } from '../core/connection.js';
import { isClusterClient } from '../core/connection.js';

/** What a cache does with its bus's messages. */
export interface BusListener {
  /** A message came from another process (called first). */
  received(): void;
  /** Another process set ('s') or deleted ('d') keys, or its load gave a lease up without a value ('r'). */
  keys(op: 's' | 'd' | 'r', keys: readonly string[]): void;
  /** The namespace was cleared, or messages may have been missed (a resubscription): nothing held in the process can be trusted. */
  reset(): void;
  /** The connection went down: messages stop until it is back (then reset() comes). */
  down(): void;
}

/** Sequence numbers remembered per key and per tag before they are forgotten together. */
const REMEMBERED = 100_000;

/**
 * The namespace's Pub/Sub channel, on a connection of its own (on a cluster, to one master: a
 * PUBLISH reaches every node). Every message gets a sequence number, and the number of the last
 * message about each key and tag is remembered, so that a read can tell whether something about
 * its key came while it was in flight (a Pub/Sub message and a reply travel on different
 * connections, in no set order). While the connection is down everything counts as changed, and
 * a reconnection resets the listener (messages may have been missed).
 */
export class CacheBus {
  /** Messages received (and gaps) so far: take it before a read, ask changedSince after. */
  seq = 0;
  readonly #keySeq = new Map<string, number>();
  readonly #tagSeq = new Map<string, number>();
  // nothing is known about what happened before this sequence number
  #floor = Number.MAX_SAFE_INTEGER;
  #ready = false;
  #closed = false;
  #subscriber: Redis | null = null;

  constructor(
    readonly client: RedisClient,
    readonly channel: string,
    readonly origin: string,
    readonly listener: BusListener,
    readonly onError: (error: unknown) => void,
  ) {}

  /** True while subscribed: messages are coming. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Connects and subscribes (in the background; `ready` tells when). */
  start(): void {
    if (this.#subscriber !== null || this.#closed) return;
    if (isClusterClient(this.client) && this.client.nodes('master').length === 0) {
      // a cluster client knows its nodes once connected
      this.client.once('ready', () => {
        this.start();
      });
      return;
    }
    const subscriber = this.#connection();
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.#receive(message);
    });
    subscriber.on('ready', () => void this.#subscribe(subscriber));
    subscriber.on('close', () => {
      this.#down();
    });
    subscriber.on('end', () => {
      this.#down();
      // a cluster's subscriber does not reconnect to a node that went away: another master is picked
      if (this.#subscriber === subscriber && !this.#closed) {
        this.#subscriber = null;
        setTimeout(() => {
          this.start();
        }, 100).unref();
      }
    });
    subscriber.on('error', (error: unknown) => {
      this.onError(error);
    });
    subscriber.connect().catch(() => undefined);
  }

  /** Records a change this process made to keys (reads in flight about them must not fill the L1). */
  touchKeys(keys: readonly string[]): void {
    const seq = ++this.seq;
    for (const key of keys) this.#keySeq.set(key, seq);
  }

  /** Records tags this process invalidated (L1 copies carrying them become invalid at once). */
  touchTags(tags: readonly string[]): void {
    const seq = ++this.seq;
    for (const tag of tags) this.#tagSeq.set(tag, seq);
  }

  /** Records that everything changed (a clear by this process). */
  touchAll(): void {
    this.#forget(++this.seq);
  }

  /** True when a message about `key` (or one of `tags`, or a clear, or a gap) came after sequence number `since`. */
  changedSince(since: number, key: string, tags?: readonly string[]): boolean {
    if (this.#floor > since || (this.#keySeq.get(key) ?? 0) > since) return true;
    return tags !== undefined && this.tagsChangedSince(since, tags);
  }

  /** True when one of `tags` was invalidated (or anything was missed) after sequence number `since`. */
  tagsChangedSince(since: number, tags: readonly string[]): boolean {
    if (this.#floor > since) return true;
    for (const tag of tags) if ((this.#tagSeq.get(tag) ?? 0) > since) return true;
    return false;
  }

  /** Unsubscribes and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#down();
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    if (subscriber === null) return;
    try {
      if (subscriber.status === 'ready') await subscriber.quit();
      else subscriber.disconnect();
    } catch {
      subscriber.disconnect();
    }
  }

  #connection(): Redis {
    if (!isClusterClient(this.client)) return this.client.duplicate({ lazyConnect: true });
    const masters = this.client.nodes('master');
    const node = masters[Math.floor(Math.random() * masters.length)] as Redis;
    return new Redis({ ...node.options, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
  }

  async #subscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      this.onError(error);
      return;
    }
    if (subscriber !== this.#subscriber || this.#closed) return;
    // whatever came before is unknown: reads in flight and copies held count as changed
    this.#floor = ++this.seq;
    this.#keySeq.clear();
    this.#tagSeq.clear();
    this.listener.reset();
    this.#ready = true;
  }

  #down(): void {
    if (!this.#ready) return;
    this.#ready = false;
    this.#floor = Number.MAX_SAFE_INTEGER;
    this.listener.down();
  }

  #receive(message: string): void {
    const bar = message.indexOf('|');
    if (bar < 0 || message.charAt(bar + 2) !== '|') return;
    const seq = ++this.seq;
    // this cache's own changes were recorded when it made them (touchKeys, touchTags, touchAll)
    if (message.slice(0, bar) === this.origin) return;
    this.listener.received();
    const op = message.charAt(bar + 1);
    const body = message.slice(bar + 3);
    try {
      if (op === 's' || op === 'r') {
        this.#keySeq.set(body, seq);
        this.listener.keys(op, [body]);
      } else if (op === 'd') {
        const keys = JSON.parse(body) as string[];
        for (const key of keys) this.#keySeq.set(key, seq);
        this.listener.keys('d', keys);
      } else if (op === 't') {
        const tags = JSON.parse(body) as string[];
        for (const tag of tags) this.#tagSeq.set(tag, seq);
      } else if (op === 'c') {
        this.#forget(seq);
      }
    } catch (error) {
      this.onError(error);
      this.#forget(seq);
    }
    if (this.#keySeq.size > REMEMBERED || this.#tagSeq.size > REMEMBERED) this.#forget(seq);
  }

  /** Forgets every key's and tag's number: what came before `seq` is unknown from now on. */
  #forget(seq: number): void {
    this.#floor = seq;
    this.#keySeq.clear();
    this.#tagSeq.clear();
    this.listener.reset();
  }
}
