// get/set/delete/has/getMany/setMany, tags and clear against a plain Map model, on generated keys
// and values, with two "processes": one without an L1, one with (kept coherent by the bus).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheValueTooLargeError } from '../../src/cache/errors.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { useCaches } from './cache-fixture.js';

/** Values the default serializer must round-trip. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    fc.string({ unit: 'grapheme' }),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: true }),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
    fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 }), fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('leaf')), { maxLength: 3 }).map((pairs) => new Map(pairs)), fc.array(fc.integer(), { maxLength: 4 }).map((xs) => new Set(xs))),
})).node;

/** Keys with separators, braces, globs and non-ASCII text, few enough to collide. */
const KEYS = ['a', 'user:1', '{x}', '*', 'é/ü', '日本', 'a b', '%41', 'k'.repeat(300), '\u{1F600}'];
const TAGS = ['t1', 't:2', '{t}', 'é'];

type Op =
  | { kind: 'set'; by: 0 | 1; key: string; value: unknown; tags: string[] }
  | { kind: 'delete'; by: 0 | 1; keys: string[] }
  | { kind: 'invalidate'; by: 0 | 1; tags: string[] }
  | { kind: 'read'; by: 0 | 1; keys: string[] };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), by: fc.constantFrom(0 as const, 1 as const), key: fc.constantFrom(...KEYS), value, tags: fc.subarray(TAGS) }),
  fc.record({ kind: fc.constant('delete' as const), by: fc.constantFrom(0 as const, 1 as const), keys: fc.subarray(KEYS, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('invalidate' as const), by: fc.constantFrom(0 as const, 1 as const), tags: fc.subarray(TAGS, { minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('read' as const), by: fc.constantFrom(0 as const, 1 as const), keys: fc.subarray(KEYS, { minLength: 1 }) }),
);

describe.each(TOPOLOGIES)('cache basics on %s', (topology) => {
  const redis = useTopology(topology);
  const caches = useCaches(topology, redis);

  it('reads what the model holds after random sets, deletes and tag invalidations from two processes, one with an L1 (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const both = [await caches.open({ namespace: `p${String(run)}`, partitions: 3 }), await caches.open({ namespace: `p${String(run)}`, partitions: 3, l1: { max: 100 } })] as const;
        const model = new Map<string, { value: unknown; tags: string[] }>();
        // keys with an entry in Redis (an entry invalidated by a tag stays until it expires or is deleted)
        const stored = new Set<string>();
        const sent = [0, 0];
        for (const o of ops) {
          const cache = both[o.by];
          if (o.kind === 'read') {
            const got = await cache.getMany(o.keys);
            expect(got).toEqual(o.keys.map((k) => model.get(k)?.value));
            for (const k of o.keys) expect(await cache.has(k)).toBe(model.has(k));
            continue;
          }
          if (o.kind === 'set') {
            await cache.set(o.key, o.value, { tags: o.tags });
            model.set(o.key, { value: o.value, tags: o.tags });
            stored.add(o.key);
          } else if (o.kind === 'delete') {
            expect(await cache.deleteMany(o.keys)).toBe(new Set(o.keys.filter((k) => stored.has(k))).size);
            for (const k of o.keys) {
              model.delete(k);
              stored.delete(k);
            }
          } else {
            await cache.invalidateTags(o.tags);
            for (const [k, held] of model) if (held.tags.some((t) => o.tags.includes(t))) model.delete(k);
          }
          // the other process has the message (the documented propagation window) before it reads
          sent[o.by] = (sent[o.by] as number) + 1;
          await caches.received(both[1 - o.by] as (typeof both)[number], sent[o.by] as number);
        }
        for (const cache of both) expect(await cache.getMany(KEYS)).toEqual(KEYS.map((k) => model.get(k)?.value));
      }),
      { numRuns: 25, seed: 71 },
    );
  });

  it('keeps entries for ttl + grace, with the ttl shortened by at most the jitter', async () => {
    const cache = await caches.open({ namespace: 'ttl', ttl: 10_000, grace: 5_000, jitter: 0.2, partitions: 2 });
    await cache.setMany(Array.from({ length: 50 }, (_, i) => ({ key: `k${String(i)}`, value: i })));
    await cache.set('n', null, { negativeTtl: 1_000 });
    const ttls: number[] = [];
    for (const key of await keysWithPrefix(redis.client, redis.prefix)) if (key.includes(':e:k')) ttls.push(await redis.client.pttl(key));
    expect(ttls).toHaveLength(50);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(8_000 + 5_000 - 1_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    }
    // jitter spreads them
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(200);
    const negative = (await keysWithPrefix(redis.client, redis.prefix)).find((k) => k.endsWith(':e:n')) as string;
    expect(await redis.client.pttl(negative)).toBeLessThanOrEqual(6_000);
    expect(await cache.get('n')).toBeNull();
  });

  it('rejects bad input with typed errors naming the field, and writes nothing', async () => {
    const cache = await caches.open({ namespace: 'bad', maxValueBytes: 1000 });
    const bad: [() => Promise<unknown>, string][] = [
      [() => cache.set('', 1), 'key'],
      [() => cache.set('k'.repeat(1025), 1), 'key'],
      [() => cache.set('\uD800', 1), 'key'],
      [() => cache.set('k', undefined), 'value'],
      [() => cache.set('k', 1, { ttl: -1 }), 'options.ttl'],
      [() => cache.set('k', 1, { ttl: 0 }), 'options.ttl'],
      [() => cache.set('k', 1, { tags: ['ok', ''] }), 'options.tags[1]'],
      [() => cache.set('k', 1, { tags: Array.from({ length: 65 }, (_, i) => `t${String(i)}`) }), 'options.tags'],
      [() => cache.setMany([{ key: 'fine', value: 1 }, { key: 7 as unknown as string, value: 1 }]), 'entries[1].key'],
      [() => cache.getOrSet({ key: 'k', factory: 'no' as unknown as () => number }), 'factory'],
      [() => cache.getMany('k' as unknown as string[]), 'keys'],
      [() => cache.invalidateTags(['x'.repeat(257)]), 'tags[0]'],
    ];
    for (const [call, field] of bad) {
      const error: unknown = await call().then(() => null, (e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(field);
    }
    await expect(cache.set('big', 'x'.repeat(2000))).rejects.toBeInstanceOf(CacheValueTooLargeError);
    await expect(cache.getOrSet({ key: 'big', factory: () => 'x'.repeat(2000) })).rejects.toBeInstanceOf(CacheValueTooLargeError);
    expect(() => redis.kickass().cache({ namespace: 'no spaces' })).toThrow(InvalidArgumentError);
    expect(() => redis.kickass().cache({ namespace: 'n', jitter: 2 })).toThrow(/jitter/);
    // nothing but the lease token counter of the failed load was written
    expect((await keysWithPrefix(redis.client, redis.prefix)).filter((k) => !k.endsWith(':n'))).toEqual([]);
  });

  it('clear() removes every key of the namespace on every master, and no other namespace', async () => {
    const a = await caches.open({ namespace: 'a', partitions: 8 });
    const ab = await caches.open({ namespace: 'ab', partitions: 8 });
    const other = await caches.open({ namespace: 'a', partitions: 8, l1: { max: 10 } });
    await a.setMany(Array.from({ length: 200 }, (_, i) => ({ key: `k${String(i)}`, value: i, tags: ['t'] })));
    await ab.setMany(Array.from({ length: 20 }, (_, i) => ({ key: `k${String(i)}`, value: i })));
    expect(await other.get('k1')).toBe(1);
    expect(await a.clear()).toBeGreaterThanOrEqual(200);
    await caches.received(other, 201);
    expect(await other.get('k1')).toBeUndefined();
    expect(await a.getMany(['k0', 'k199'])).toEqual([undefined, undefined]);
    expect(await ab.get('k19')).toBe(19);
    const left = await keysWithPrefix(redis.client, redis.prefix);
    expect(left.filter((k) => k.includes(':c:a:'))).toEqual([]);
  });
});
