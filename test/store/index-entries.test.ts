import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TOPOLOGIES, deletePrefix, useTopology } from '../harness/topologies.js';
import { NASTY_STRINGS, everyIndexFields, everyIndexOptions } from './fixtures.js';
import { actualIndexes, expectedIndexes } from './index-oracle.js';

const text = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'grapheme', maxLength: 6 }));
const row = fc.record(
  {
    name: text,
    handle: text,
    title: text,
    score: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }),
    rank: fc.integer({ min: -1000, max: 1000 }),
    born: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
    active: fc.boolean(),
    tags: fc.array(text, { maxLength: 4 }),
    owner: fc.constantFrom('u1', 'u:2', 'ü3'),
    note: text,
  },
  { requiredKeys: [] },
);

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`index entries of new objects (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('create() and createMany() both write exactly the entries an independent model expects', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 60 }), fc.boolean(), async (rows, batched) => {
            const Model = redis.kickass().model('thing', everyIndexFields, { ...everyIndexOptions, partitions });
            const created = batched ? await Model.createMany(rows) : await Promise.all(rows.map((r) => Model.create(r)));
            const tags = Model.internals.partitions.map((p) => p.tag);
            expect(await actualIndexes(redis.client, tags)).toEqual(expectedIndexes(created, (id) => Model.keysOf(id).tag, partitions === 1));
            expect(await Model.getMany(created.map((c) => c.id))).toEqual(created);
            await deletePrefix(redis.client, redis.prefix);
          }),
          { numRuns: 15 },
        );
      }, 120_000);
    });
  }
}
