import type { KickassContext } from '../core/context.js';
import { InvalidArgumentError, KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';
import type { ScriptErrorMap } from '../core/script-runner.js';
import { IdOutOfRangeError } from './errors.js';
import { idMapKeys } from './keys.js';
import type { IdMapKeys } from './keys.js';
import { mapIdsScript } from './scripts/index.generated.js';

/** Options of an id map (the `ids` option of a unique counter). */
export interface IdMapOptions {
  /** The id map's name: counters that share it share one id space and can be combined. @defaultValue 'default' */
  readonly map?: string;
  /** About how many ids the map will hold; it sizes the shards so that each stays a small listpack hash. @defaultValue 1000000 */
  readonly expectedIds?: number;
  /** Ids remembered in this process (id -> number), so that steady traffic maps nothing on the server. @defaultValue 100000 */
  readonly cacheSize?: number;
}

/** The largest number an id map hands out (a bitmap of 2^30 bits is 128 MB). */
export const MAX_MAPPED = 2 ** 30 - 1;
/** Longest id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1024;
/** Ids per forward shard at the expected size (a listpack hash stays compact below 128). */
const SHARD_FILL = 64;
/** Ids per map-ids call (about; a shard's ids go together). */
const MAP_BATCH = 20_000;

/** The id map is full (MAX_MAPPED numbers handed out); nothing was mapped. */
export class IdMapFullError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_ID_MAP_FULL', message, options);
  }
}

const mapErrors: ScriptErrorMap = {
  E_ID_MAP_FULL: (detail, context) => new IdMapFullError(`id map is full (${detail} ids)`, { context }),
};

/** FNV-1a of the UTF-8 bytes of s (32 bits); ASCII text is hashed without encoding it. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  // eslint-disable-next-line no-control-regex -- ASCII is exactly \x00-\x7f
  if (/^[\x00-\x7f]*$/.test(s)) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  }
  for (const byte of Buffer.from(s, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** Throws unless `id` is a safe integer or a non-empty string of at most MAX_ID_BYTES; returns it. */
export function checkedId(id: unknown, field: string): string | number {
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  return idText(id, field);
}

/** Throws unless `id` is a non-empty string (or a safe integer) of at most MAX_ID_BYTES; returns its text. */
export function idText(id: unknown, field: string): string {
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id !== 'string' || id === '') throw new IdOutOfRangeError(`${field} must be a non-empty string or a safe integer`, { context: { field } });
  if (!id.isWellFormed() || Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new IdOutOfRangeError(`${field} must be well-formed text of at most ${String(MAX_ID_BYTES)} UTF-8 bytes`, { context: { field } });
  }
  return id;
}

/**
 * Maps string (or huge) ids to dense numbers 0, 1, 2, ... so that bitmaps stay small: an id gets
 * the next number the first time it is seen, in one atomic script call (get-or-create), and keeps
 * it. Forward entries are spread over listpack-sized hash shards (`expectedIds` / 64 of them), the
 * reverse over hashes of 128 numbers, so that `members` gives ids back. Numbers are remembered in
 * the process (a bounded map), so steady traffic maps nothing on the server.
 */
export class IdMap {
  /** The map's name. */
  readonly name: string;
  readonly #context: KickassContext;
  readonly #keys: IdMapKeys;
  readonly #shards: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string | number, number>();
  readonly #forwardKeys: string[] = [];

  constructor(context: KickassContext, options: IdMapOptions = {}) {
    this.#context = context;
    this.name = options.map ?? 'default';
    if (typeof this.name !== 'string' || this.name === '') throw new InvalidArgumentError('ids.map', 'must be a non-empty name');
    const expected = options.expectedIds ?? 1_000_000;
    if (!Number.isSafeInteger(expected) || expected < 1 || expected > MAX_MAPPED) throw new InvalidArgumentError('ids.expectedIds', `must be an integer from 1 to ${String(MAX_MAPPED)}`);
    this.#cacheSize = options.cacheSize ?? 100_000;
    if (!Number.isSafeInteger(this.#cacheSize) || this.#cacheSize < 0) throw new InvalidArgumentError('ids.cacheSize', 'must be a non-negative integer');
    this.#keys = idMapKeys(context.keys, this.name);
    let shards = 1;
    while (shards * SHARD_FILL < expected) shards *= 2;
    this.#shards = shards;
  }

  /** The key of forward shard s (built once). */
  #forward(s: number): string {
    return (this.#forwardKeys[s] ??= this.#keys.forward(s));
  }

  #remember(id: string | number, n: number): void {
    if (this.#cacheSize === 0) return;
    // oldest first out (a hit does not move an id: cheaper, and ids are never renumbered)
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string | number);
    this.#cache.set(id, n);
  }

  /**
   * The number of each id (checked already: see checkedId; an integer id is the text of its decimal
   * digits); unknown ids get one when `create`, else null.
   */
  async numbers(ids: readonly (string | number)[], create: boolean): Promise<(number | null)[]> {
    const out: (number | null)[] = new Array<number | null>(ids.length).fill(null);
    // the first place of each unknown id, and the places of its repeats
    const first = new Map<string | number, number>();
    const repeats: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string | number;
      const n = this.#cache.get(id);
      if (n !== undefined) out[i] = n;
      else if (first.has(id)) repeats.push(i);
      else first.set(id, i);
    }
    // unknown ids grouped by forward shard, MAP_BATCH of them per call
    const groups = new Map<number, (string | number)[]>();
    for (const id of first.keys()) {
      const shard = fnv1a(String(id)) % this.#shards;
      let group = groups.get(shard);
      if (group === undefined) groups.set(shard, (group = []));
      group.push(id);
    }
    const calls: Promise<void>[] = [];
    let keys: string[] = [];
    let args: string[] = [];
    let sent: (string | number)[] = [];
    const flush = (): void => {
      if (sent.length === 0) return;
      const plan = this.#context.scripts.plan(mapIdsScript, { next: this.#keys.next }, { create: create ? '1' : '0', max: MAX_MAPPED });
      const chunk = sent;
      calls.push(
        this.#context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...keys]), args: Object.freeze([...plan.args, ...args]) }), mapErrors).then((numbers) => {
          chunk.forEach((id, i) => {
            const n = numbers[i] ?? -1;
            if (n < 0) return;
            this.#remember(id, n);
            out[first.get(id) as number] = n;
          });
        }),
      );
      keys = [];
      args = [];
      sent = [];
    };
    for (const [shard, ids] of groups) {
      keys.push(this.#forward(shard));
      args.push(String(ids.length), ...ids.map(String));
      sent.push(...ids);
      if (sent.length >= MAP_BATCH) flush();
    }
    flush();
    await Promise.all(calls);
    for (const i of repeats) out[i] = out[first.get(ids[i] as string | number) as number] ?? null;
    return out;
  }

  /** The id of each number (null where the map has none): one HMGET per reverse chunk, in one pipeline. */
  async ids(numbers: readonly number[]): Promise<(string | null)[]> {
    if (numbers.length === 0) return [];
    const chunks = new Map<number, number[]>();
    numbers.forEach((n, i) => {
      const chunk = Math.floor(n / 128);
      let places = chunks.get(chunk);
      if (places === undefined) chunks.set(chunk, (places = []));
      places.push(i);
    });
    const pipeline = this.#context.client.pipeline();
    for (const [chunk, places] of chunks) pipeline.hmget(this.#keys.reverse(chunk), ...places.map((i) => String((numbers[i] as number) % 128)));
    const replies = (await pipeline.exec()) ?? [];
    const out: (string | null)[] = new Array<string | null>(numbers.length).fill(null);
    [...chunks.values()].forEach((places, c) => {
      const [error, values] = replies[c] ?? [null, []];
      if (error) throw error;
      places.forEach((i, j) => {
        const value = (values as (string | null)[])[j];
        out[i] = typeof value === 'string' ? value : null;
      });
    });
    return out;
  }

  /** How many ids the map holds. */
  async size(): Promise<number> {
    return Number((await this.#context.client.get(this.#keys.next)) ?? 0);
  }
}
