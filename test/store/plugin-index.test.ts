import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import type { IndexPlugin, PluginEntry } from '../../src/store/fields.js';
import { query } from '../../src/store/query.js';
import type { Where } from '../../src/store/query.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

/** A toy word index: one entry per distinct lower-case word, scored by its count. */
type WordQuery = string | { word: string; atLeast: number };
const words = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const wordIndex: IndexPlugin<string, WordQuery> = {
  kind: 'words',
  entries(text) {
    const counts = new Map<string, number>();
    for (const w of words(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    return [...counts].map(([key, score]): PluginEntry => ({ key, score }));
  },
  lookup(q) {
    const { word, atLeast } = typeof q === 'string' ? { word: q, atLeast: 1 } : q;
    return [{ key: word.toLowerCase(), min: atLeast, max: Infinity }];
  },
};

/** A toy grid index on a JSON point: one sorted set, score row * 100 + column; a box is one range per row. */
// a type alias (not an interface), so that it is a JsonValue
type Point = { x: number; y: number };
interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}
const gridIndex: IndexPlugin<Point, Box> = {
  kind: 'grid',
  entries: (p) => [{ key: 'cells', score: p.y * 100 + p.x }],
  lookup: (b) => Array.from({ length: Math.max(0, b.y1 - b.y0 + 1) }, (_, i) => ({ key: 'cells', min: (b.y0 + i) * 100 + b.x0, max: (b.y0 + i) * 100 + b.x1 })),
};

const fields = {
  name: t.string().index(),
  body: t.string().indexWith(wordIndex),
  pos: t.json<{ x: number; y: number }>().indexWith(gridIndex),
};
type Fields = typeof fields;
interface Row {
  id: string;
  name?: string;
  body?: string;
  pos?: Point;
}

const VOCAB = ['Redis', 'lua', 'Straße', 'café', 'x{1}', 'fast', 'FAST', 'sync'];
const textArb = fc.array(fc.constantFrom(...VOCAB), { maxLength: 6 }).map((list) => list.join(' '));
const pointArb = fc.record({ x: fc.integer({ min: 0, max: 9 }), y: fc.integer({ min: 0, max: 9 }) });
const inputArb = fc.record({ name: fc.constantFrom('a', 'b', 'c'), body: textArb, pos: pointArb }, { requiredKeys: ['name'] });

function matchesWord(row: Row, q: WordQuery): boolean {
  const { word, atLeast } = typeof q === 'string' ? { word: q, atLeast: 1 } : q;
  return words(row.body ?? '').filter((w) => w === word.toLowerCase()).length >= atLeast;
}
const inBox = (row: Row, b: Box): boolean => row.pos !== undefined && row.pos.x >= b.x0 && row.pos.x <= b.x1 && row.pos.y >= b.y0 && row.pos.y <= b.y1;
const byId = (list: readonly string[]): string[] => [...list].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`plug-in index kinds (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('keep their entries exact through every kind of write, and answer match like a brute-force model', async () => {
        const M = redis.kickass().model('doc', fields, { partitions });
        const rows = new Map<string, Row>();
        const seed = Date.now() % 100_000;
        const inputs = fc.sample(inputArb, { numRuns: 300, seed });
        for (const row of await M.createMany(inputs.slice(0, 150))) rows.set(row.id, row);
        for (const row of await Promise.all(inputs.slice(150).map((input) => M.create(input)))) rows.set(row.id, row);
        const ids = [...rows.keys()];
        const patches = fc.sample(fc.record({ body: fc.option(textArb, { nil: null }), pos: fc.option(pointArb, { nil: null }) }, { requiredKeys: [] }), { numRuns: 120, seed: seed + 1 });
        await Promise.all(
          patches.map(async (patch, i) => {
            const id = ids[(i * 7) % ids.length] as string;
            const row = await M.update(id, patch);
            rows.set(id, row);
          }),
        );
        for (const id of ids.slice(0, 30)) {
          await M.delete(id);
          rows.delete(id);
        }
        await M.save({ id: ids[40] as string, name: 'c', body: 'replaced redis' });
        rows.set(ids[40] as string, { id: ids[40] as string, name: 'c', body: 'replaced redis' });
        await M.create({ id: 'soon-gone', name: 'a', body: 'redis redis', pos: { x: 1, y: 1 } }, { ttl: '50ms' });
        await new Promise((resolve) => setTimeout(resolve, 120));

        // 'soon-gone' has expired but is not swept yet: no query may return it
        expect((await M.verify()).problems.map((p) => `${p.kind} ${'id' in p ? p.id : ''}`)).toEqual(['expired-object soon-gone']);
        const all = [...rows.values()];
        const cases = fc.sample(
          fc.oneof(
            fc.constantFrom(...VOCAB, 'nope').map((w) => ({ body: { match: w } })),
            fc.record({ word: fc.constantFrom(...VOCAB), atLeast: fc.integer({ min: 1, max: 3 }) }).map((q) => ({ body: { match: q } })),
            fc.record({ x0: fc.nat(9), x1: fc.nat(9), y0: fc.nat(9), y1: fc.nat(9) }).map((b) => ({ pos: { match: b } })),
            fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom('a', 'b')).map(([w, name]) => ({ name, body: { match: w } })),
            fc.constantFrom(...VOCAB).map((w) => ({ $not: { body: { match: w } } })),
            fc.tuple(fc.constantFrom(...VOCAB), fc.nat(9)).map(([w, y]) => ({ $or: [{ body: { match: w } }, { pos: { match: { x0: 0, x1: 9, y0: y, y1: y } } }] })),
          ),
          { numRuns: 40, seed: seed + 2 },
        );
        const holds = (row: Row, where: Record<string, unknown>): boolean =>
          Object.entries(where).every(([key, cond]) => {
            if (key === '$not') return !holds(row, cond as Record<string, unknown>);
            if (key === '$or') return (cond as Record<string, unknown>[]).some((w) => holds(row, w));
            if (key === 'name') return row.name === cond;
            const q = (cond as { match: unknown }).match;
            return key === 'body' ? matchesWord(row, q as WordQuery) : inBox(row, q as Box);
          });
        for (const where of cases) {
          const expected = byId(all.filter((row) => holds(row, where)).map((row) => row.id));
          const q = query(M, where as Where<Fields>);
          expect(await q.ids()).toEqual(expected);
          expect(await q.count()).toBe(expected.length);
          expect((await q.sortBy('id', 'desc').limit(5).ids()).reverse()).toEqual(expected.slice(-5));
        }
        expect(await M.sweepExpired()).toBe(1);
        expect(await M.verify()).toMatchObject({ ok: true, problems: [] });
      });

      it('finds a lost entry with verify() and puts it back with reindex(); backfills an index added later', async () => {
        const plain = redis.kickass().model('late', { name: t.string().index(), body: t.string(), pos: t.json<Point>() }, { partitions });
        await plain.createMany([
          { id: 'p1', name: 'a', body: 'Redis fast fast', pos: { x: 1, y: 2 } },
          { id: 'p2', name: 'b', body: 'lua', pos: { x: 3, y: 2 } },
        ]);
        const M = redis.kickass().model('late', fields, { partitions });
        const before = await M.verify();
        expect(before.counts['missing-term']).toBe(4);
        const repaired = await M.reindex();
        expect(repaired.counts['missing-term']).toBe(4);
        expect(await M.verify()).toMatchObject({ ok: true });
        expect(await M.find({ body: { match: { word: 'fast', atLeast: 2 } } }).ids()).toEqual(['p1']);
        expect(await M.find({ pos: { match: { x0: 0, x1: 5, y0: 2, y1: 2 } } }).ids()).toEqual(['p1', 'p2']);

        await redis.client.zrem(M.keysOf('p2').plugin('body', 'lua'), 'p2');
        const lost = await M.verify();
        expect(lost.problems).toMatchObject([{ kind: 'missing-entry', id: 'p2', key: M.keysOf('p2').plugin('body', 'lua') }]);
        await M.reindex();
        expect(await M.verify()).toMatchObject({ ok: true });
        expect(await M.find({ body: { match: 'LUA' } }).ids()).toEqual(['p2']);
      });

      it('rejects bad plug-in output and queries naming the field, writing nothing', async () => {
        const broken: IndexPlugin<string, string> = { kind: 'broken', entries: (v) => (v === 'dup' ? [{ key: 'k', score: 1 }, { key: 'k', score: 2 }] : [{ key: 'k', score: Number.NaN }]), lookup: () => [] };
        const M = redis.kickass().model('bad', { name: t.string().index(), tag: t.string().indexWith(broken) }, { partitions });
        await expect(M.create({ name: 'a', tag: 'dup' })).rejects.toBeInstanceOf(ValidationError);
        await expect(M.create({ name: 'a', tag: 'nan' })).rejects.toMatchObject({ field: 'tag[0]' });
        expect(await M.find({ name: 'a' }).count()).toBe(0);
        expect(() => query(M, { name: { match: 'x' } } as never).plan()).toThrow(/plug-in index/);
        expect(await M.find({ tag: { match: 'x' } }).ids()).toEqual([]); // no ranges: nothing matches
      });
    });
  }
}
