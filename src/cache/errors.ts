import { KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';

/** A value's serialized form is larger than the cache's `maxValueBytes`; nothing was written. */
export class CacheValueTooLargeError extends KickassError {
  /** The cache key. */
  readonly key: string;
  /** The serialized size, in bytes. */
  readonly bytes: number;
  /** The limit, in bytes. */
  readonly limit: number;

  constructor(key: string, bytes: number, limit: number) {
    super('E_CACHE_VALUE_TOO_LARGE', `The value of cache key ${JSON.stringify(key.slice(0, 200))} is ${String(bytes)} bytes serialized, over the limit of ${String(limit)} (maxValueBytes)`, {
      context: { key, bytes, limit },
    });
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A factory did not settle within its hard timeout (it keeps running; its value is still cached when it comes). */
export class FactoryTimeoutError extends KickassError {
  /** The cache key. */
  readonly key: string;
  /** The hard timeout, in ms. */
  readonly timeout: number;

  constructor(key: string, timeout: number) {
    super('E_CACHE_FACTORY_TIMEOUT', `The factory of cache key ${JSON.stringify(key.slice(0, 200))} did not finish within its hard timeout of ${String(timeout)} ms`, { context: { key, timeout } });
    this.key = key;
    this.timeout = timeout;
  }
}

/** Redis did not answer a cache operation in time (`redisTimeout`) or failed it. */
export class CacheUnavailableError extends KickassError {
  /** The cache operation, e.g. 'read' or 'write'. */
  readonly operation: string;

  constructor(operation: string, reason: string, options: KickassErrorOptions = {}) {
    super('E_CACHE_UNAVAILABLE', `Cache ${operation} failed: ${reason}`, { ...options, context: { ...options.context, operation } });
    this.operation = operation;
  }
}
