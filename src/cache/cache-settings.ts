import { parseDuration, parseOptionalDuration } from '../core/durations.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { CacheOptions, EntryOptions, FactoryTimeouts } from './cache-types.js';

/** Longest cache key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Longest tag, in UTF-8 bytes. */
export const MAX_TAG_BYTES = 256;
/** Most tags per entry. */
export const MAX_TAGS = 64;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const NO_TAGS: readonly string[] = Object.freeze([]);

/** How one entry is written: ms, checked. */
export interface EntrySettings {
  readonly ttl: number;
  readonly grace: number;
  /** 0: the ttl. */
  readonly negativeTtl: number;
  readonly tags: readonly string[];
  readonly soft: number;
  /** 0: none. */
  readonly hard: number;
}

/** A cache's options, checked and in ms. */
export interface CacheSettings {
  readonly namespace: string;
  readonly defaults: EntrySettings;
  readonly jitter: number;
  readonly l1: { readonly max: number; readonly ttl: number } | null;
  readonly maxValueBytes: number;
  readonly partitions: number;
  readonly lease: number;
  readonly redisTimeout: number;
  readonly failOpen: boolean;
}

/** Throws unless `key` is a non-empty, well-formed string of at most MAX_KEY_BYTES; returns it. */
export function checkKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(field, 'must be a non-empty string');
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new InvalidArgumentError(field, `must be at most ${String(MAX_KEY_BYTES)} UTF-8 bytes`);
  if (!key.isWellFormed()) throw new InvalidArgumentError(field, 'contains a lone UTF-16 surrogate (not valid Unicode)');
  return key;
}

/** Throws unless `tags` is an array of at most MAX_TAGS non-empty strings of at most MAX_TAG_BYTES; returns them without repeats. */
export function checkTags(tags: unknown, field = 'tags'): readonly string[] {
  if (tags === undefined) return NO_TAGS;
  if (!Array.isArray(tags)) throw new InvalidArgumentError(field, 'must be an array of strings');
  if (tags.length > MAX_TAGS) throw new InvalidArgumentError(field, `must hold at most ${String(MAX_TAGS)} tags`);
  tags.forEach((tag: unknown, i) => {
    if (typeof tag !== 'string' || tag === '') throw new InvalidArgumentError(`${field}[${String(i)}]`, 'must be a non-empty string');
    if (Buffer.byteLength(tag, 'utf8') > MAX_TAG_BYTES) throw new InvalidArgumentError(`${field}[${String(i)}]`, `must be at most ${String(MAX_TAG_BYTES)} UTF-8 bytes`);
    if (!tag.isWellFormed()) throw new InvalidArgumentError(`${field}[${String(i)}]`, 'contains a lone UTF-16 surrogate (not valid Unicode)');
  });
  return tags.length === 0 ? NO_TAGS : Object.freeze([...new Set(tags as string[])]);
}

function positive(value: number, field: string): number {
  if (value < 1) throw new InvalidArgumentError(field, 'must be at least 1 ms');
  return value;
}

function timeouts(given: FactoryTimeouts | undefined, field: string, fallback: { soft: number; hard: number }): { soft: number; hard: number } {
  const input: unknown = given;
  if (input === undefined) return fallback;
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError(field, 'must be { soft, hard }');
  if (given === undefined) return fallback;
  return { soft: parseOptionalDuration(given.soft, `${field}.soft`, fallback.soft), hard: parseOptionalDuration(given.hard, `${field}.hard`, fallback.hard) };
}

/** Checks a cache's options; throws InvalidArgumentError naming the field. */
export function cacheSettings(options: CacheOptions): CacheSettings {
  if (typeof options !== 'object' || (options as unknown) === null) throw new InvalidArgumentError('options', 'must be an object with a namespace');
  if (typeof options.namespace !== 'string' || !NAMESPACE.test(options.namespace)) throw new InvalidArgumentError('namespace', 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter');
  const ttl = positive(parseOptionalDuration(options.ttl, 'ttl', 300_000), 'ttl');
  const jitter: unknown = options.jitter ?? 0;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new InvalidArgumentError('jitter', 'must be a number from 0 to 1');
  let l1: CacheSettings['l1'] = null;
  if (options.l1 !== undefined) {
    const max: unknown = options.l1.max;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError('l1.max', 'must be a positive integer (entries)');
    l1 = { max, ttl: positive(parseOptionalDuration(options.l1.ttl, 'l1.ttl', Number.MAX_SAFE_INTEGER), 'l1.ttl') };
  }
  const maxValueBytes: unknown = options.maxValueBytes ?? 1 << 20;
  if (typeof maxValueBytes !== 'number' || !Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1 || maxValueBytes > 512 * (1 << 20)) throw new InvalidArgumentError('maxValueBytes', 'must be an integer from 1 to 536870912');
  const partitions: unknown = options.partitions ?? 1;
  if (typeof partitions !== 'number' || !Number.isSafeInteger(partitions) || partitions < 1 || partitions > 16_384) throw new InvalidArgumentError('partitions', 'must be an integer from 1 to 16384');
  const failOpen: unknown = options.failOpen ?? true;
  if (typeof failOpen !== 'boolean') throw new InvalidArgumentError('failOpen', 'must be true or false');
  const serializer: unknown = options.serializer;
  if (serializer !== undefined && (typeof serializer !== 'object' || serializer === null || typeof (serializer as { serialize?: unknown }).serialize !== 'function' || typeof (serializer as { deserialize?: unknown }).deserialize !== 'function')) {
    throw new InvalidArgumentError('serializer', 'must have serialize(value) and deserialize(bytes) functions');
  }
  const { soft, hard } = timeouts(options.timeouts, 'timeouts', { soft: 0, hard: 0 });
  return {
    namespace: options.namespace,
    defaults: { ttl, grace: parseOptionalDuration(options.grace, 'grace', 0), negativeTtl: options.negativeTtl === undefined ? 0 : positive(parseDuration(options.negativeTtl, 'negativeTtl'), 'negativeTtl'), tags: NO_TAGS, soft, hard },
    jitter,
    l1,
    maxValueBytes,
    partitions,
    lease: positive(parseOptionalDuration(options.lease, 'lease', 10_000), 'lease'),
    redisTimeout: positive(parseOptionalDuration(options.redisTimeout, 'redisTimeout', 2_000), 'redisTimeout'),
    failOpen,
  };
}

/** One call's entry settings: its options over the cache's defaults (the defaults themselves when it gives none). */
export function entrySettings(defaults: EntrySettings, options: EntryOptions & { readonly timeouts?: FactoryTimeouts }, field = 'options'): EntrySettings {
  if (options.ttl === undefined && options.grace === undefined && options.negativeTtl === undefined && options.tags === undefined && options.timeouts === undefined) return defaults;
  const ttl = options.ttl === undefined ? defaults.ttl : positive(parseDuration(options.ttl, `${field}.ttl`), `${field}.ttl`);
  return {
    ttl,
    grace: parseOptionalDuration(options.grace, `${field}.grace`, defaults.grace),
    negativeTtl: options.negativeTtl === undefined ? defaults.negativeTtl : positive(parseDuration(options.negativeTtl, `${field}.negativeTtl`), `${field}.negativeTtl`),
    tags: checkTags(options.tags, `${field}.tags`),
    ...timeouts(options.timeouts, `${field}.timeouts`, { soft: defaults.soft, hard: defaults.hard }),
  };
}
