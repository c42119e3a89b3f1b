// Random data and random queries, compared with a brute-force model: a plain array of rows,
// filtered and sorted here without any of the library's planner code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { t } from '../../src/store/fields.js';
import { query } from '../../src/store/query.js';
import type { Where } from '../../src/store/query.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const baseFields = {
  name: t.string().index(),
  handle: t.string().index({ caseInsensitive: true }),
  title: t.string().sortable(),
  label: t.string().index().sortable(),
  nick: t.string().sortable().index({ caseInsensitive: true }),
  score: t.number().sortable(),
  rank: t.integer().index(),
  born: t.date().sortable(),
  active: t.boolean().index(),
  tags: t.array(t.string()).index(),
  nums: t.array(t.number()).index(),
  owner: t.string(),
  level: t.integer().required().default(0),
  note: t.string(),
};
type Fields = typeof baseFields;
type Row = Record<string, unknown> & { id: string };
type AnyWhere = Record<string, unknown>;

const withCode = { ...baseFields, code: t.string().unique({ caseInsensitive: true }) };
const options = {
  indexes: {
    byOwnerBorn: { fields: ['owner', 'born'] as ('owner' | 'born')[] },
    byOwnerTitle: { fields: ['owner', 'title'] as ('owner' | 'title')[] },
    byOwnerLevel: { fields: ['owner', 'level'] as ('owner' | 'level')[] },
    byNameScore: { fields: ['name', 'score'] as ('name' | 'score')[] },
  },
};

// ---- values ----
const NAMES = ['ann', 'Bob', 'bob', '{x}', 'a:b', '*', '\0', '😀', '', 'ünï'];
const HANDLES = ['Ann', 'ann', 'ANN', 'É', 'é', 'x\0y', '😀', '{H}'];
const ALPHA = ['a', 'A', 'b', 'é', 'É', '{', '}', ':', '*', '\0', '😀', 'z', '~', ' ', '\uffff'];
const SCORES = [-2.5, -1, -0, 0, 0.5, 1, 3, 1e21, -1e-7, 7];
const DATES = [-86_400_000, 0, 1, 1_000_000_000_000, 1_700_000_000_000, 1_700_000_000_001].map((ms) => new Date(ms));
const TAGS = ['red', 'Red', '{t}', 'a:b', '\0', '😀', ''];
const NUMS = [-0, 0, 1, -1.5];
const OWNERS = ['o1', 'o2', 'O1', '{o}'];

const text = fc.array(fc.constantFrom(...ALPHA), { maxLength: 2 }).map((a) => a.join(''));
const score = fc.oneof(fc.constantFrom(...SCORES), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
const arbs: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom(...NAMES),
  handle: fc.constantFrom(...HANDLES),
  title: text,
  label: text,
  nick: text,
  score,
  rank: fc.integer({ min: -4, max: 4 }),
  born: fc.constantFrom(...DATES),
  active: fc.boolean(),
  tags: fc.array(fc.constantFrom(...TAGS), { maxLength: 3 }),
  nums: fc.array(fc.constantFrom(...NUMS), { maxLength: 3 }),
  owner: fc.constantFrom(...OWNERS),
  level: fc.integer({ min: 0, max: 3 }),
  note: text,
};

function objectArb(): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(arbs).map(([k, arb]) => [k, k === 'level' ? arb : fc.option(arb, { nil: undefined, freq: 3 })] as const);
  return fc.record(Object.fromEntries(entries)).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}

// ---- the brute-force model ----
const fold = (s: string): string => s.normalize('NFC').toLowerCase();
const FOLDED = new Set(['handle', 'nick', 'code']);
const bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function key(field: string, v: unknown): string | number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return FOLDED.has(field) ? fold(v) : v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number;
}
function cmp(field: string, a: unknown, b: unknown): number {
  const x = key(field, a);
  const y = key(field, b);
  return typeof x === 'string' ? bytes(x, y as string) : Math.sign(x - (y as number));
}
const same = (field: string, a: unknown, b: unknown): boolean => key(field, a) === key(field, b);

function fieldMatches(field: string, value: unknown, cond: unknown): boolean {
  const isOps = typeof cond === 'object' && cond !== null && !(cond instanceof Date) && !Array.isArray(cond);
  const ops = (isOps ? cond : { eq: cond }) as Record<string, unknown>;
  const eq = (x: unknown): boolean => value !== undefined && (Array.isArray(value) ? value.some((m) => same(field, m, x)) : same(field, value, x));
  return Object.entries(ops).every(([op, arg]) => {
    switch (op) {
      case 'eq':
        return eq(arg);
      case 'ne':
        return !eq(arg);
      case 'in':
        return (arg as unknown[]).some(eq);
      case 'gt':
        return value !== undefined && cmp(field, value, arg) > 0;
      case 'gte':
        return value !== undefined && cmp(field, value, arg) >= 0;
      case 'lt':
        return value !== undefined && cmp(field, value, arg) < 0;
      case 'lte':
        return value !== undefined && cmp(field, value, arg) <= 0;
      case 'between': {
        const [a, b] = arg as [unknown, unknown];
        return value !== undefined && cmp(field, value, a) >= 0 && cmp(field, value, b) <= 0;
      }
      case 'prefix':
        return typeof value === 'string' && (key(field, value) as string).startsWith(key(field, arg) as string);
      default:
        throw new Error(`oracle: unknown operator ${op}`);
    }
  });
}

function matches(row: Row, where: AnyWhere): boolean {
  return Object.entries(where).every(([k, cond]) => {
    if (k === '$and') return (cond as AnyWhere[]).every((w) => matches(row, w));
    if (k === '$or') return (cond as AnyWhere[]).some((w) => matches(row, w));
    if (k === '$not') return !matches(row, cond as AnyWhere);
    return fieldMatches(k, row[k], cond);
  });
}

function order(rows: Row[], sort: { field: string; dir: 'asc' | 'desc' } | null): Row[] {
  const sign = sort?.dir === 'desc' ? -1 : 1;
  // Byte keys computed once: ids and string values compare as UTF-8 bytes, as Redis does.
  const keyed = rows.map((row) => {
    const v = sort === null || sort.field === 'id' ? undefined : row[sort.field];
    const k = v === undefined ? undefined : key(sort!.field, v);
    return { row, id: Buffer.from(row.id, 'utf8'), k: typeof k === 'string' ? Buffer.from(k, 'utf8') : k };
  });
  keyed.sort((a, b) => {
    if (sort === null || sort.field === 'id') return sign * Buffer.compare(a.id, b.id);
    if (a.k === undefined || b.k === undefined) {
      if (a.k !== undefined) return -1;
      if (b.k !== undefined) return 1;
      return Buffer.compare(a.id, b.id);
    }
    const c = typeof a.k === 'number' ? Math.sign(a.k - (b.k as number)) : Buffer.compare(a.k, b.k as Buffer);
    return sign * c || Buffer.compare(a.id, b.id);
  });
  return keyed.map((k) => k.row);
}

// ---- queries ----
const eqish = (v: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(v, v.map((x) => ({ eq: x })), fc.array(v, { maxLength: 3 }).map((xs) => ({ in: xs })), v.map((x) => ({ ne: x })));
const rangeish = (v: fc.Arbitrary<unknown>, prefix: boolean): fc.Arbitrary<unknown> =>
  fc.oneof(
    eqish(v),
    fc.tuple(fc.constantFrom('gt', 'gte', 'lt', 'lte'), v).map(([op, x]) => ({ [op]: x })),
    fc.tuple(v, v).map(([a, b]) => ({ between: [a, b] })),
    fc.tuple(fc.constantFrom('gt', 'gte'), v, fc.constantFrom('lt', 'lte'), v).map(([a, x, b, y]) => ({ [a]: x, [b]: y })),
    ...(prefix ? [text.map((p) => ({ prefix: p }))] : []),
  );
const idArb = fc.oneof(fc.integer({ min: 1, max: 60 }).map(String), fc.constantFrom('x{1}', '1', '2', '😀1', 'a\0'));

function leafArb(): fc.Arbitrary<AnyWhere> {
  const leaves: fc.Arbitrary<AnyWhere>[] = [
    eqish(arbs.name as fc.Arbitrary<unknown>).map((c) => ({ name: c })),
    eqish(fc.constantFrom(...HANDLES, 'aNN', 'É')).map((c) => ({ handle: c })),
    rangeish(text, true).map((c) => ({ title: c })),
    rangeish(text, true).map((c) => ({ label: c })),
    rangeish(text, true).map((c) => ({ nick: c })),
    rangeish(score, false).map((c) => ({ score: c })),
    rangeish(arbs.rank as fc.Arbitrary<unknown>, false).map((c) => ({ rank: c })),
    rangeish(arbs.born as fc.Arbitrary<unknown>, false).map((c) => ({ born: c })),
    eqish(fc.boolean()).map((c) => ({ active: c })),
    eqish(fc.constantFrom(...TAGS)).map((c) => ({ tags: c })),
    eqish(fc.constantFrom(...NUMS)).map((c) => ({ nums: c })),
    rangeish(idArb, true).map((c) => ({ id: c })),
    // Conditions only a compound index answers (owner has no index of its own).
    fc.tuple(eqish(fc.constantFrom(...OWNERS)).filter((c) => !(typeof c === 'object' && c !== null && 'ne' in c)), rangeish(arbs.born as fc.Arbitrary<unknown>, false)).map(([o, b]) => ({ owner: o, born: b })),
    fc.tuple(fc.constantFrom(...OWNERS), rangeish(text, true)).map(([o, c]) => ({ owner: o, title: c })),
    fc.constantFrom(...OWNERS).map((o) => ({ owner: o })),
    fc.tuple(fc.constantFrom(...NAMES), rangeish(score, false)).map(([n, s]) => ({ name: n, score: s })),
  ];
  // a unique-only field: kept in the partition (P = 1) or looked up in the unique buckets first (P > 1)
  leaves.push(eqish(fc.constantFrom('c1', 'C2', 'c3', 'c40', 'C48', 'nope')).map((c) => ({ code: c })));
  return fc.oneof(...leaves);
}

function whereArb(): fc.Arbitrary<AnyWhere> {
  const leaf = leafArb();
  const { where } = fc.letrec<{ where: AnyWhere }>((tie) => ({
    where: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'where' },
      leaf,
      fc.tuple(leaf, leaf).map(([a, b]) => (Object.keys(a).some((k) => k in b) ? a : { ...a, ...b })),
      fc.array(tie('where'), { maxLength: 3 }).map((list) => ({ $and: list })),
      fc.array(tie('where'), { minLength: 1, maxLength: 3 }).map((list) => ({ $or: list })),
      tie('where').map((w) => ({ $not: w })),
      fc.constant({}),
    ),
  }));
  return where;
}

const sortArb = fc.option(
  fc.record({ field: fc.constantFrom('id', 'score', 'rank', 'born', 'title', 'label', 'nick'), dir: fc.constantFrom<'asc' | 'desc'>('asc', 'desc') }),
  { nil: null },
);

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 4]) {
    describe(`query property (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('matches a brute-force model for random data, writes and queries', async () => {
        const kr = redis.kickass();
        const M = kr.model('prop', withCode, { ...options, partitions });
        const seed = Number(process.env.QUERY_SEED ?? Date.now() % 100_000);
        const rows = new Map<string, Row>();

        // Create ~2000 objects, some with chosen (hostile) ids and some with a unique code.
        const inputs = fc.sample(objectArb(), { numRuns: 2000, seed });
        inputs.forEach((input, i) => {
          if (i % 9 === 0) input.id = `${['x{', '😀', 'a\0', '*:', 'Z'][i % 5] ?? ''}${String(i)}`;
          if (i % 4 === 0) input.code = i % 8 === 0 ? `C${String(i)}` : `c${String(i)}`;
        });
        for (let i = 0; i < inputs.length; i += 1000) {
          const created = await M.createMany(inputs.slice(i, i + 1000));
          for (const row of created) rows.set(row.id, { ...(row as Row) });
        }
        // Updates (set and unset fields), deletes, and objects that have already expired.
        const ids = [...rows.keys()];
        const pick = fc.sample(fc.integer({ min: 0, max: ids.length - 1 }), { numRuns: 700, seed: seed + 1 }).map((i) => ids[i]!);
        const patches = fc.sample(
          fc.dictionary(fc.constantFrom(...Object.keys(arbs)), fc.constant(null), { maxKeys: 4 }).chain((shape) =>
            fc.record(Object.fromEntries(Object.keys(shape).map((k) => [k, k === 'level' ? arbs[k]! : fc.option(arbs[k]!, { nil: null, freq: 2 })]))),
          ),
          { numRuns: 400, seed: seed + 2 },
        );
        const changes = patches.map((patch, i) => ({ id: pick[i]!, patch }));
        const unique = [...new Map(changes.map((c) => [c.id, c])).values()];
        await M.updateMany(unique);
        for (const { id, patch } of unique) {
          const row = rows.get(id)!;
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) Reflect.deleteProperty(row, k);
            else row[k] = v;
          }
        }
        const doomed = [...new Set(pick.slice(400, 650))].filter((id) => !unique.some((c) => c.id === id));
        expect(await M.deleteMany(doomed)).toBe(doomed.length);
        for (const id of doomed) rows.delete(id);
        const expiring = fc.sample(objectArb(), { numRuns: 80, seed: seed + 3 });
        await Promise.all(expiring.map((input, i) => M.create({ ...input, id: `exp${String(i)}` }, { ttl: 1 })));
        await sleep(30);

        const all = [...rows.values()];
        let checked = 0;
        await fc.assert(
          fc.asyncProperty(
            whereArb(),
            sortArb,
            fc.option(fc.integer({ min: 0, max: 25 }), { nil: null }),
            fc.integer({ min: 0, max: 6 }),
            fc.subarray(['name', 'score', 'tags', 'born', 'nick']),
            fc.oneof(leafArb(), fc.tuple(leafArb(), leafArb()).map(([a, b]) => ({ ...b, ...a }))),
            async (where, sort, limit, offset, select, leaf) => {
              // One or two conditions (and their negation) are mostly counted from index sizes alone.
              const leafMatches = order(all.filter((r) => matches(r, leaf)), null);
              const leafCount = leafMatches.length;
              expect(await query(M, leaf as Where<Fields>).count()).toBe(leafCount);
              expect(await query(M, leaf as Where<Fields>).ids()).toEqual(leafMatches.map((r) => r.id));
              expect(await query(M, { $not: leaf }).count()).toBe(all.length - leafCount);

              let q = query(M, where as Where<Fields>);
              if (sort) q = q.sortBy(sort.field, sort.dir);
              const expected = order(all.filter((r) => matches(r, where)), sort);
              expect(await q.count()).toBe(expected.length);

              let limited = q.offset(offset);
              if (limit !== null) limited = limited.limit(limit);
              const want = expected.slice(offset, limit === null ? undefined : offset + limit);
              expect(await limited.ids()).toEqual(want.map((r) => r.id));

              const rowsOut = await limited.select(select as 'name'[]).all();
              expect(rowsOut).toEqual(want.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k === 'id' || select.includes(k)))));

              // Cursor walk to the end with a page size that takes a few pages.
              const size = Math.max(1, Math.ceil(expected.length / 3));
              const walked: string[] = [];
              const pager = q.select(['name']).limit(size);
              let page = await pager.page();
              for (let guard = 0; ; guard++) {
                walked.push(...page.items.map((r) => r.id));
                if (page.nextCursor === null || guard > 10) break;
                page = await pager.after(page.nextCursor).page();
              }
              expect(walked).toEqual(expected.map((r) => r.id));
              expect(await q.first()).toEqual(expected[0] ?? null);
              checked++;
            },
          ),
          { numRuns: 80, seed },
        );
        expect(checked).toBeGreaterThanOrEqual(80);
      });
    });
  }
}
