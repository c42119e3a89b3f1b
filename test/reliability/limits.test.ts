// The documented limits, each enforced at its boundary: the largest allowed input works, one past it
// fails with a typed error (an InvalidArgumentError naming the field, or the component's own error)
// and writes nothing.
import { describe, expect, it } from 'vitest';
import { CacheValueTooLargeError } from '../../src/cache/errors.js';
import { InvalidArgumentError, KickassError } from '../../src/core/errors.js';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';

interface Limit {
  readonly what: string;
  /** The call at the limit (works) and one past it (fails). */
  readonly at: (kr: Kickass) => Promise<unknown>;
  readonly past: (kr: Kickass) => Promise<unknown>;
  /** The field the error names, or the error class. */
  readonly field?: string;
  readonly error?: new (...args: never[]) => KickassError;
}

const repeat = (n: number): string => 'x'.repeat(n);
const nested = (depth: number): string => `${'('.repeat(depth)}a${')'.repeat(depth)}`;
/** A where clause nesting $and `depth` levels deep. */
const nestedWhere = (depth: number): Record<string, unknown> => (depth === 0 ? { name: 'a' } : { $and: [nestedWhere(depth - 1)] });
const user = (kr: Kickass) => kr.model('user', { name: t.string().index(), bio: t.text() });

const LIMITS: Limit[] = [
  { what: 'object id: 512 characters', at: (kr) => user(kr).create({ id: repeat(512), name: 'a' }), past: (kr) => user(kr).create({ id: repeat(513), name: 'a' }), field: 'id' },
  { what: 'ids per batch read: 10,000', at: (kr) => user(kr).getMany(Array.from({ length: 10_000 }, (_, i) => `i${String(i)}`)), past: (kr) => user(kr).getMany(Array.from({ length: 10_001 }, (_, i) => `i${String(i)}`)), field: 'ids' },
  { what: 'objects per batch write: 10,000', at: (kr) => user(kr).createMany(Array.from({ length: 10_000 }, () => ({ name: 'a' }))), past: (kr) => user(kr).createMany(Array.from({ length: 10_001 }, () => ({ name: 'a' }))), field: 'inputs' },
  { what: 'where nesting: 32 levels', at: (kr) => user(kr).find(nestedWhere(32)).all(), past: (kr) => user(kr).find(nestedWhere(33)).all(), field: 'where' },
  { what: 'text query: 4,096 characters', at: (kr) => user(kr).find().search(`${repeat(4090)} bio`).all(), past: (kr) => user(kr).find().search(repeat(4097)).all() },
  { what: 'text query nesting: 32 levels', at: (kr) => user(kr).find().search(nested(32)).all(), past: (kr) => user(kr).find().search(nested(33)).all() },
  { what: 'cache key: 1,024 bytes', at: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set(repeat(1024), 1), past: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set(repeat(1025), 1), field: 'key' },
  { what: 'cache tags: 64 per entry', at: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set('k', 1, { tags: Array.from({ length: 64 }, (_, i) => `t${String(i)}`) }), past: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set('k', 1, { tags: Array.from({ length: 65 }, (_, i) => `t${String(i)}`) }), field: 'options.tags' },
  { what: 'cache tag: 256 bytes', at: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set('k', 1, { tags: [repeat(256)] }), past: (kr) => kr.cache({ namespace: 'c', ttl: '1m' }).set('k', 1, { tags: [repeat(257)] }), field: 'options.tags[0]' },
  { what: 'cache value: maxValueBytes', at: (kr) => kr.cache({ namespace: 'c', ttl: '1m', maxValueBytes: 100, serializer: { serialize: (v) => Buffer.from(String(v)), deserialize: (b) => b.toString() } }).set('k', repeat(100)), past: (kr) => kr.cache({ namespace: 'c', ttl: '1m', maxValueBytes: 100, serializer: { serialize: (v) => Buffer.from(String(v)), deserialize: (b) => b.toString() } }).set('k', repeat(101)), error: CacheValueTooLargeError },
  { what: 'counter path: 16 levels', at: (kr) => kr.hierarchicalCounter('h').incr(Array.from({ length: 16 }, (_, i) => `p${String(i)}`)), past: (kr) => kr.hierarchicalCounter('h').incr(Array.from({ length: 17 }, (_, i) => `p${String(i)}`)), field: 'increments[0].path' },
  { what: 'counter path segment: 256 bytes', at: (kr) => kr.hierarchicalCounter('h').incr([repeat(256)]), past: (kr) => kr.hierarchicalCounter('h').incr([repeat(257)]), field: 'increments[0].path[0]' },
  { what: 'mapped counter id: 1,024 bytes', at: (kr) => kr.uniqueCounter('u', { ids: { map: 'm' } }).add(repeat(1024)), past: (kr) => kr.uniqueCounter('u', { ids: { map: 'm' } }).add(repeat(1025)) },
  { what: 'suggestion: 1,024 characters', at: (kr) => kr.suggester('s').add(repeat(1024)), past: (kr) => kr.suggester('s').add(repeat(1025)) },
];

for (const topology of TOPOLOGIES) {
  describe(`limits (${topology})`, () => {
    const redis = useTopology(topology);

    it.each(LIMITS.map((l) => [l.what, l] as const))('%s', async (_, limit) => {
      const kr = redis.kickass();
      await limit.at(kr);
      const keys = (await keysWithPrefix(redis.client, redis.prefix)).sort();
      // query builders refuse at once (synchronously), the rest when awaited
      const error: unknown = await Promise.resolve().then(() => limit.past(kr)).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(limit.error ?? KickassError);
      if (limit.field !== undefined) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field).toBe(limit.field);
      }
      expect((await keysWithPrefix(redis.client, redis.prefix)).sort()).toEqual(keys);
    }, 60_000);
  });
}
