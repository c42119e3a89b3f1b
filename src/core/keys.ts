import { InvalidArgumentError } from './errors.js';

/** A piece of a key name: strings are encoded, numbers must be safe non-negative integers. */
export type KeyPart = string | number | bigint;

const SAFE_PART = /^[A-Za-z0-9_.-]*$/;
const PREFIX_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const STILL_SPECIAL = /[!'()*~]/g;

/** The default key prefix. @defaultValue 'kr' */
export const DEFAULT_PREFIX = 'kr';

/**
 * Encodes a user value for use inside a key name. The result only holds `[A-Za-z0-9_.-%]`, so it
 * can never contain a separator (`:`), a hash-tag brace or a glob character, and the mapping is
 * injective: two different values never encode the same.
 */
export function encodeKeyPart(value: KeyPart, field = 'key part'): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(field, `numeric key parts must be non-negative safe integers, got ${String(value)}`);
    }
    return value.toString(10);
  }
  if (typeof value === 'bigint') {
    if (value < 0n) throw new InvalidArgumentError(field, 'numeric key parts must be non-negative');
    return value.toString(10);
  }
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(field, `must be a string or a number, got ${typeof value}`);
  }
  if (SAFE_PART.test(value)) return value;
  if (!value.isWellFormed()) {
    throw new InvalidArgumentError(field, 'contains a lone UTF-16 surrogate (not valid Unicode)');
  }
  return encodeURIComponent(value).replace(STILL_SPECIAL, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Reverses {@link encodeKeyPart} for string parts. */
export function decodeKeyPart(encoded: string): string {
  return decodeURIComponent(encoded);
}

/** Escapes glob characters for SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Throws unless the prefix is 1-64 characters of `[A-Za-z0-9_.-]`. */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new InvalidArgumentError('prefix', 'must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"');
  }
  return prefix;
}

/** Keys that share one hash tag, and so one cluster slot: every key a single script touches. */
export class SlotKeys {
  /** The full hash tag including braces, e.g. `{kr:ids:orders}`. */
  readonly tag: string;

  constructor(tag: string) {
    this.tag = tag;
  }

  /** A key in this slot: the tag followed by the encoded parts, `:`-separated. */
  key(...parts: KeyPart[]): string {
    if (parts.length === 0) return this.tag;
    let key = this.tag;
    for (const part of parts) key += `:${encodeKeyPart(part)}`;
    return key;
  }
}

/** Builds every Redis key of one kickass instance: `{prefix:part:part}:part:part`. */
export class KeyBuilder {
  /** The validated prefix every key starts with (inside the leading hash tag). */
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_PREFIX) {
    this.prefix = validatePrefix(prefix);
  }

  /** The slot identified by these parts; the tag holds the prefix and every encoded part. */
  slot(...parts: KeyPart[]): SlotKeys {
    let tag = `{${this.prefix}`;
    for (const part of parts) tag += `:${encodeKeyPart(part)}`;
    return new SlotKeys(`${tag}}`);
  }

  /** The partition slot `{prefix:name:p}` of a partitioned structure. */
  partition(name: string, partition: number): SlotKeys {
    return this.slot(name, partition);
  }

  /** A glob (for SCAN MATCH) that matches every key of this prefix and no other prefix's keys. */
  pattern(): string {
    return `{${this.prefix}:*`;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Stable 32-bit FNV-1a hash of the UTF-8 bytes of a string. */
export function stableHash(value: string): number {
  const bytes = Buffer.from(value, 'utf8');
  let hash = FNV_OFFSET;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The partition (0..partitions-1) of an object id: stable hash(id) mod partitions. */
export function partitionOf(id: string, partitions: number): number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new InvalidArgumentError('partitions', `must be a positive integer, got ${String(partitions)}`);
  }
  return partitions === 1 ? 0 : stableHash(id) % partitions;
}
