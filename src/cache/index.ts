export { Cache } from './cache.js';
export type { CacheEvents, CacheOptions, CacheStats, EntryOptions, FactoryContext, FactoryTimeouts, GetOrSetOptions, SetManyEntry } from './cache-types.js';
export { MAX_KEY_BYTES, MAX_TAGS, MAX_TAG_BYTES } from './cache-settings.js';
export { CacheUnavailableError, CacheValueTooLargeError, FactoryTimeoutError } from './errors.js';
export { msgpackSerializer } from './serializer.js';
export type { CacheSerializer } from './serializer.js';
