import clusterKeySlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import type { Model } from '../../src/store/model.js';
import { uniqueValueKeys } from '../../src/store/keys.js';
import { query } from '../../src/store/query.js';
import type { Where } from '../../src/store/query.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { NASTY_STRINGS } from './fixtures.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Ids in byte order, the default result order. */
const byId = (ids: readonly string[]): string[] => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

const fields = {
  name: t.string().index(),
  handle: t.string().index({ caseInsensitive: true }),
  title: t.string().sortable(),
  city: t.string().index().sortable(),
  nick: t.string().sortable().index({ caseInsensitive: true }),
  score: t.number().sortable(),
  rank: t.integer().index(),
  born: t.date().sortable(),
  active: t.boolean().index(),
  tags: t.array(t.string()).index(),
  email: t.string().unique({ caseInsensitive: true }),
  owner: t.string(),
  tenant: t.string(),
  note: t.string(),
  meta: t.json(),
};
type Fields = typeof fields;
const options = {
  indexes: {
    byOwnerBorn: { fields: ['owner', 'born'] as ('owner' | 'born')[] },
    byOwnerNick: { fields: ['owner', 'nick'] as ('owner' | 'nick')[] },
    byCityScore: { fields: ['city', 'score'] as ('city' | 'score')[] },
  },
  unique: { tenantHandle: ['tenant', 'handle'] as ('tenant' | 'handle')[] },
};

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 4]) {
    describe(`query (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);
      const model = (): Model<Fields> => redis.kickass().model('user', fields, { ...options, partitions });
      const find = (M: Model<Fields>, where: Where<Fields>): Promise<string[]> => query(M, where).ids();

      it('answers equality, in and ne on set indexes for hostile strings', async () => {
        const M = model();
        await M.createMany(NASTY_STRINGS.map((s, i) => ({ id: `n${String(i)}`, name: s, tags: [s, `${s}2`] })));
        await M.create({ id: 'none' });
        for (const [i, s] of NASTY_STRINGS.entries()) {
          expect(await find(M, { name: s }), JSON.stringify(s)).toEqual([`n${String(i)}`]);
          expect(await find(M, { tags: `${s}2` }), JSON.stringify(s)).toEqual([`n${String(i)}`]);
          expect(await find(M, { name: { ne: s } })).toEqual(byId(['none', ...NASTY_STRINGS.flatMap((_, j) => (j === i ? [] : [`n${String(j)}`]))]));
        }
        expect(await find(M, { name: { in: ['{', '}', '\0', 'nope'] } })).toEqual(byId(['n0', 'n1', 'n7']));
        expect(await find(M, { tags: { in: ['{a}', '😀2'] } })).toEqual(byId(['n2', 'n9']));
        expect(await find(M, { name: { in: [] } })).toEqual([]);
        expect(await query(M, { name: "'); redis.call('FLUSHALL') --" }).all()).toEqual([{ id: 'n14', name: NASTY_STRINGS[14], tags: [NASTY_STRINGS[14], `${NASTY_STRINGS[14] ?? ''}2`] }]);
        expect(await query(M).count()).toBe(NASTY_STRINGS.length + 1);
      });

      it('folds case for case-insensitive fields (equality, ranges, prefix and order)', async () => {
        const M = model();
        await M.createMany([
          { id: 'a', handle: 'Ünïcödé Café', nick: 'ÉCOLE' },
          { id: 'b', handle: 'ünïcödé café', nick: 'école' },
          { id: 'c', handle: 'UNICODE', nick: 'Zed' },
          { id: 'd', handle: 'x', nick: 'apple' },
        ]);
        expect(await find(M, { handle: 'ÜNÏCÖDÉ CAFÉ' })).toEqual(['a', 'b']);
        expect(await find(M, { handle: { in: ['unicode', 'X'] } })).toEqual(['c', 'd']);
        expect(await find(M, { handle: { ne: 'Ünïcödé café' } })).toEqual(['c', 'd']);
        expect(await find(M, { nick: 'École' })).toEqual(['a', 'b']);
        expect(await find(M, { nick: { prefix: 'ÉC' } })).toEqual(['a', 'b']);
        expect(await find(M, { nick: { gte: 'Z', lt: 'É' } })).toEqual(['c']);
        // Folded terms order by bytes: 'apple' < 'zed' < 'école'; ties by id.
        expect(await query(M).sortBy('nick').ids()).toEqual(['d', 'c', 'a', 'b']);
        expect(await query(M).sortBy('nick', 'desc').ids()).toEqual(['a', 'b', 'c', 'd']);
      });

      it('answers ranges and prefixes on lexical indexes in UTF-8 byte order', async () => {
        const M = model();
        const titles = ['a', 'B', 'b', 'é', '😀', '\uffff', 'a\0', 'a\0b', 'ab', '{', '}', ':', '*', ''];
        await M.createMany(titles.map((title, i) => ({ id: `t${String(i).padStart(2, '0')}`, title, city: title })));
        await M.create({ id: 'untitled' });
        const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
        const expectRange = async (where: Where<Fields>['title'], keep: (s: string) => boolean): Promise<void> => {
          const want = titles.flatMap((s, i) => (keep(s) ? [`t${String(i).padStart(2, '0')}`] : []));
          expect(await find(M, { title: where }), JSON.stringify(where)).toEqual(want);
          expect(await find(M, { city: where }), JSON.stringify(where)).toEqual(want);
          expect(await query(M, { title: where }).count()).toBe(want.length);
        };
        await expectRange({ gt: 'a' }, (s) => Buffer.compare(bytes(s), bytes('a')) > 0);
        await expectRange({ gte: 'a', lt: 'b' }, (s) => s.startsWith('a'));
        await expectRange({ lte: 'a\0' }, (s) => Buffer.compare(bytes(s), bytes('a\0')) <= 0);
        await expectRange({ between: ['é', '\uffff'] }, (s) => ['é', '\uffff', '😀'].includes(s) && s !== '😀');
        await expectRange({ gt: '\uffff' }, (s) => s === '😀');
        await expectRange({ prefix: 'a\0' }, (s) => s.startsWith('a\0'));
        await expectRange({ prefix: '' }, () => true);
        await expectRange({ eq: 'a\0' }, (s) => s === 'a\0');
        await expectRange({ in: ['}', '{', 'zz'] }, (s) => s === '{' || s === '}');
        expect(await find(M, { title: { ne: 'a' } })).toEqual([...titles.flatMap((s, i) => (s === 'a' ? [] : [`t${String(i).padStart(2, '0')}`])), 'untitled']);
        const ordered = [...titles.keys()].sort((x, y) => Buffer.compare(bytes(titles[x]!), bytes(titles[y]!))).map((i) => `t${String(i).padStart(2, '0')}`);
        expect(await query(M).sortBy('title').ids()).toEqual([...ordered, 'untitled']);
        expect(await query(M).sortBy('city', 'desc').ids()).toEqual([...ordered].reverse().concat('untitled'));
        expect(await query(M).sortBy('title').limit(3).ids()).toEqual(ordered.slice(0, 3));
      });

      it('answers numbers, integers, dates and booleans, with -0 equal to 0', async () => {
        const M = model();
        const scores = [-1e21, -2.5, -1, -0, 0, 1e-7, 0.5, 3, 1e21];
        await M.createMany(scores.map((score, i) => ({ id: `s${String(i)}`, score, rank: i - 4, born: new Date((i - 4) * 86_400_000), active: i % 2 === 0 })));
        await M.create({ id: 'x' });
        expect(await find(M, { score: 0 })).toEqual(['s3', 's4']);
        expect(await find(M, { score: -0 })).toEqual(['s3', 's4']);
        expect(await find(M, { score: { ne: 0 } })).toEqual(byId(['s0', 's1', 's2', 's5', 's6', 's7', 's8', 'x']));
        expect(await find(M, { score: { gt: 0 } })).toEqual(['s5', 's6', 's7', 's8']);
        expect(await find(M, { score: { gte: -0, lt: 1 } })).toEqual(['s3', 's4', 's5', 's6']);
        expect(await find(M, { score: { between: [-2.5, -1] } })).toEqual(['s1', 's2']);
        expect(await find(M, { score: { in: [1e21, -1e21, 7] } })).toEqual(['s0', 's8']);
        expect(await find(M, { rank: { lt: -2 } })).toEqual(['s0', 's1']);
        expect(await find(M, { rank: { in: [0, 4] } })).toEqual(['s4', 's8']);
        expect(await find(M, { born: { gte: new Date(0) } })).toEqual(['s4', 's5', 's6', 's7', 's8']);
        expect(await find(M, { born: new Date(-86_400_000) })).toEqual(['s3']);
        expect(await find(M, { active: false })).toEqual(['s1', 's3', 's5', 's7']);
        expect(await find(M, { active: { ne: true } })).toEqual(['s1', 's3', 's5', 's7', 'x']);
        expect(await query(M, { score: { gte: -1 } }).count()).toBe(7);
        // Ties (-0 and 0) break by id ascending in both directions; objects without a score come last.
        expect(await query(M).sortBy('score').ids()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 'x']);
        expect(await query(M).sortBy('score', 'desc').ids()).toEqual(['s8', 's7', 's6', 's5', 's3', 's4', 's2', 's1', 's0', 'x']);
        expect(await query(M).sortBy('born', 'desc').limit(2).ids()).toEqual(['s8', 's7']);
        const rows = await query(M, { score: { lt: 0, gt: -2 } }).all();
        expect(rows).toEqual([{ id: 's2', score: -1, rank: -2, born: new Date(-2 * 86_400_000), active: true }]);
        expect(Object.is((await query(M, { id: 's3' }).first())?.score, -0)).toBe(true);
      });

      it('answers conditions on id and nested $and / $or / $not', async () => {
        const M = model();
        await M.createMany(['a1', 'a2', 'b1', 'b{2}', '😀'].map((id, i) => ({ id, rank: i, name: i % 2 === 0 ? 'even' : 'odd' })));
        expect(await find(M, { id: 'b{2}' })).toEqual(['b{2}']);
        expect(await find(M, { id: { in: ['a2', 'zz', '😀'] } })).toEqual(['a2', '😀']);
        expect(await find(M, { id: { prefix: 'a' } })).toEqual(['a1', 'a2']);
        expect(await find(M, { id: { gt: 'a2', lte: 'b{2}' } })).toEqual(['b1', 'b{2}']);
        expect(await find(M, { id: { ne: 'a1' }, name: 'even' })).toEqual(['b1', '😀']);
        expect(await find(M, { $or: [{ rank: 0 }, { name: 'odd', rank: { gt: 1 } }] })).toEqual(['a1', 'b{2}']);
        expect(await find(M, { $not: { $or: [{ rank: 0 }, { name: 'odd' }] } })).toEqual(['b1', '😀']);
        expect(await find(M, { $and: [{ rank: { gte: 1 } }, { $not: { id: '😀' } }, { rank: { lt: 4 } }] })).toEqual(['a2', 'b1', 'b{2}']);
        expect(await find(M, { $or: [] })).toEqual([]);
        expect(await find(M, { $and: [], name: undefined })).toEqual(['a1', 'a2', 'b1', 'b{2}', '😀']);
        expect(await query(M, { $not: { name: 'even' } }).count()).toBe(2);
        expect(await query(M).sortBy('id', 'desc').ids()).toEqual(['😀', 'b{2}', 'b1', 'a2', 'a1']);
      });

      it('reads one-index queries directly, in byte order of ids, whatever the ids hold', async () => {
        const M = model();
        const ids = ['a', 'a\0', 'a\0b', '\0', 'é', '\uffff', '😀', '😀\0', 'b{2}', ':', '*', 'Z', '\ue000', '\ud7ff'];
        await M.createMany(ids.map((id, i) => ({ id, name: i % 2 === 0 ? 'even' : 'odd', score: i, tags: ['t'] })));
        const byBytes = (list: readonly string[]): string[] => [...list].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        const even = ids.filter((_, i) => i % 2 === 0);
        for (const [where, expected] of [
          [{ name: 'even' }, even], // ids with NUL come back as an array, the others as one NUL-joined string
          [{ name: { in: ['even', 'odd'] } }, ids],
          [{ tags: 't' }, ids],
          [{ score: { gte: 3, lt: 9 } }, ids.slice(3, 9)],
          [{ score: { in: [0, 13] } }, [ids[0], ids[13]]],
        ] as const) {
          const q = query(M, where as Where<typeof fields>);
          expect(q.plan('ids').direct).toBe(true);
          expect(await q.ids()).toEqual(byBytes(expected as readonly string[]));
          expect(await q.offset(2).ids()).toEqual(byBytes(expected as readonly string[]).slice(2));
          expect(await q.sortBy('id', 'desc').offset(1).ids()).toEqual(byBytes(expected as readonly string[]).reverse().slice(1));
          expect(await q.count()).toBe(expected.length);
          // the planner answers the same
          expect(await q.sortBy('id').limit(100).ids()).toEqual(byBytes(expected as readonly string[]));
        }
      });

      it('uses unique constraints and compound indexes, folding and combining their terms', async () => {
        const M = model();
        await M.createMany([
          { id: 'u1', email: 'Ada@X.io', tenant: 't1', handle: 'Ada', owner: 'o{1}', born: new Date(10), nick: 'Ab' },
          { id: 'u2', email: 'bob@x.io', tenant: 't1', handle: 'Bob', owner: 'o{1}', born: new Date(20), nick: 'aC' },
          { id: 'u3', tenant: 't2', handle: 'ada', owner: 'o2', born: new Date(30), nick: 'ab' },
          { id: 'u4', owner: 'o{1}', nick: 'b' },
        ]);
        expect(await find(M, { owner: 'o{1}', born: { gte: new Date(15) } })).toEqual(['u2']);
        // Conditions from separate where() calls and $and meet in one AND, so the compound still applies.
        expect(await query(M, { owner: 'o{1}' }).where({ $and: [{ born: { gte: new Date(15) } }] }).ids()).toEqual(['u2']);
        expect(await find(M, { owner: { in: ['o{1}', 'o2'] }, born: { lt: new Date(25) } })).toEqual(['u1', 'u2']);
        expect(await find(M, { owner: 'o{1}', nick: { prefix: 'A' } })).toEqual(['u1', 'u2']);
        expect(await find(M, { owner: 'o{1}', nick: 'AB' })).toEqual(['u1']);
        expect(await find(M, { $not: { owner: 'o{1}', born: new Date(10) } })).toEqual(['u2', 'u3', 'u4']);
        const w = query(M, { owner: 'o{1}', born: { gte: new Date(15) } }).plan().query.w;
        expect(w).toMatchObject({ t: 'cx', n: 'byOwnerBorn', o: 'n', v: [['o{1}']], r: [{ a: '15', ae: 0, b: '+inf' }] });
        expect(query(M, { owner: 'o{1}', nick: { prefix: 'A' } }).plan().query.w).toMatchObject({ t: 'cx', n: 'byOwnerNick', h: ['owner'], lh: '$t:nick', o: 'l', r: [{ p: 'a' }] });
        // with several partitions the unique values live outside them: looked up first, then checked per object
        expect(await find(M, { email: 'ADA@x.IO' })).toEqual(['u1']);
        expect(await find(M, { email: { in: ['bob@X.io', 'nobody@x.io'] } })).toEqual(['u2']);
        expect(await find(M, { tenant: 't1', handle: 'ADA' })).toEqual(['u1']);
        expect(await find(M, { $or: [{ email: 'bob@x.io' }, { tenant: 't2', handle: 'ADA' }] })).toEqual(['u2', 'u3']);
        expect(await find(M, { $not: { email: 'bob@x.io' } })).toEqual(['u1', 'u3', 'u4']);
        expect(await query(M, { email: 'ada@x.io' }).count()).toBe(1);
        expect(query(M, { tenant: 't1', handle: 'ADA' }).plan().query.w).toEqual({ t: partitions === 1 ? 'uq' : 'uo', n: 'tenantHandle', h: ['tenant', '$t:handle'], v: ['t1:ada'] });
        expect(await query(M, { email: { ne: 'ada@x.io' } }).count()).toBe(3);
        await M.update('u2', { email: 'robert@x.io' });
        expect(await find(M, { email: { in: ['bob@x.io', 'robert@x.io'] } })).toEqual(['u2']);
        expect(await find(M, { email: 'bob@x.io' })).toEqual([]);
        if (partitions > 1) {
          // an owner entry whose object does not hold the value (a writer that crashed) finds nothing
          await redis.client.hset(uniqueValueKeys(M.internals, 'email', 'ghost@x.io').owners, 'ghost@x.io', '00ff:u4');
          expect(await find(M, { email: 'ghost@x.io' })).toEqual([]);
          expect(await query(M, { email: 'ghost@x.io' }).count()).toBe(0);
        }
      });

      it('walks a compound index for a sort by its last field, then the objects without it', async () => {
        const M = model();
        await M.createMany(Array.from({ length: 60 }, (_, i) => ({ id: `c${String(i).padStart(2, '0')}`, city: i % 3 === 0 ? 'Oslo' : 'Rome', ...(i % 10 === 0 ? {} : { score: i % 7 }) })));
        const q = query(M, { city: 'Oslo' }).sortBy('score', 'desc').limit(4);
        expect(q.plan().query.s).toEqual({ k: 'n', d: 'd', f: 'score', h: 'score', x: { n: 'byCityScore', v: [['Oslo']] } });
        const explained = await q.explain('ids');
        expect(explained.partitions.every((p) => p.strategy.startsWith('walk:cx:byCityScore') || p.strategy === 'filter')).toBe(true);
        const oslo = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3 === 0);
        const expected = [...oslo.filter((i) => i % 10 !== 0).sort((a, b) => (b % 7) - (a % 7) || a - b), ...oslo.filter((i) => i % 10 === 0)].map((i) => `c${String(i).padStart(2, '0')}`);
        expect(await query(M, { city: 'Oslo' }).sortBy('score', 'desc').ids()).toEqual(expected);
        // Cursor paging crosses from the sorted objects to those without a score.
        const walked: string[] = [];
        let page = await q.page();
        for (;;) {
          walked.push(...page.items.map((r) => r.id));
          if (page.nextCursor === null) break;
          page = await q.after(page.nextCursor).page();
        }
        expect(walked).toEqual(expected);
        const high = oslo.filter((i) => i % 10 !== 0 && i % 7 >= 5).sort((a, b) => (a % 7) - (b % 7) || a - b);
        expect(await query(M, { city: 'Oslo', score: { gte: 5 } }).sortBy('score').ids()).toEqual(high.map((i) => `c${String(i).padStart(2, '0')}`));
        expect(query(M, { city: 'Oslo', score: { gte: 5 } }).plan().query.w).toMatchObject({ t: 'cx', n: 'byCityScore' });
      });

      it('pages with cursors, offset, limit, first and select', async () => {
        const M = model();
        await M.createMany(Array.from({ length: 250 }, (_, i) => ({ id: `p${String(i).padStart(3, '0')}`, score: i % 13, title: `t${String(i % 17)}`, name: 'n', note: 'x' })));
        const q = query(M, { name: 'n' }).sortBy('score', 'desc');
        const all = await q.ids();
        expect(all).toHaveLength(250);
        expect(await q.offset(10).limit(5).ids()).toEqual(all.slice(10, 15));
        expect(await q.limit(0).ids()).toEqual([]);
        expect((await q.first())?.id).toBe(all[0]);
        expect(await query(M, { name: 'nobody' }).first()).toBeNull();
        for (const size of [1, 7, 100, 250, 300]) {
          const walked: string[] = [];
          let page = await q.limit(size).page();
          for (;;) {
            walked.push(...page.items.map((r) => r.id));
            expect(page.items.length).toBeLessThanOrEqual(size);
            if (page.nextCursor === null) break;
            page = await q.limit(size).after(page.nextCursor).page();
          }
          expect(walked, `page size ${String(size)}`).toEqual(all);
        }
        const [row] = await q.select(['title', 'score']).limit(1).all();
        expect(row).toEqual({ id: all[0], score: 12, title: expect.any(String) as string });
        expect(await q.select([]).limit(2).all()).toEqual(all.slice(0, 2).map((id) => ({ id })));
        // A cursor belongs to its sort; a foreign or broken one is refused before anything is sent.
        const { nextCursor } = await q.limit(3).page();
        await expect(query(M).sortBy('title').after(nextCursor!).page()).rejects.toMatchObject({ field: 'after' });
        await expect(q.after('garbage').page()).rejects.toMatchObject({ field: 'after' });
        // Builders are immutable.
        const base = query(M, { score: 1 });
        const narrowed = base.where({ title: 't1' });
        expect((await base.ids()).length).toBeGreaterThan((await narrowed.ids()).length);
      });

      it('never returns or counts expired objects', async () => {
        const M = model();
        await M.createMany([{ id: 'k1', name: 'a', score: 1 }, { id: 'k2', name: 'a', score: 2 }, { id: 'k3', name: 'b', score: 3 }]);
        await M.create({ id: 'e1', name: 'a', score: 1.5, tags: ['t'] }, { ttl: '300ms' });
        await M.create({ id: 'e2', name: 'b', score: 0, tags: ['t'] }, { ttl: '300ms' });
        expect(await find(M, { name: 'a' })).toEqual(['e1', 'k1', 'k2']);
        expect(await query(M).count()).toBe(5);
        await sleep(400);
        expect(await find(M, { name: 'a' })).toEqual(['k1', 'k2']);
        expect(await query(M, { name: 'a' }).count()).toBe(2);
        expect(await query(M, { name: 'a', tags: 't' }).count()).toBe(0);
        expect(await query(M).count()).toBe(3);
        expect(await query(M, { $not: { name: 'b' } }).count()).toBe(2);
        expect(await query(M).sortBy('score').ids()).toEqual(['k1', 'k2', 'k3']);
        expect(await query(M).sortBy('score', 'desc').limit(1).page()).toMatchObject({ items: [{ id: 'k3' }] });
        expect(await query(M, { tags: 't' }).all()).toEqual([]);
        expect(await query(M, { tags: 't' }).count()).toBe(0);
        expect(await query(M, { score: { between: [0, 2] } }).count()).toBe(2);
        expect(await query(M, { score: { between: [0, 2] } }).ids()).toEqual(['k1', 'k2']);
        // one index leaf, every match: read from the index directly
        const direct = await query(M, { name: 'a' }).explain('count');
        expect(direct.plan.direct).toBe(true);
        expect(new Set(direct.partitions.map((p) => p.strategy))).toEqual(new Set(['direct:set']));
        // the planner's index count, less the expired objects it finds in the index
        expect(await query(M, { id: { gte: 'a' } }).count()).toBe(3);
        const explained = await query(M, { id: { gte: 'a' } }).explain('count');
        expect(explained.plan.direct).toBe(false);
        const strategies = explained.partitions.map((p) => p.strategy);
        if (partitions === 1) expect(strategies).toEqual(['count:index-expired']);
        else for (const s of strategies) expect(['count:index', 'count:index-expired', 'count:filter']).toContain(s);
      });

      it('rejects conditions no index can answer, naming the field, before anything is sent', () => {
        const M = model();
        let calls = 0;
        M.internals.context.scripts.onCall(() => calls++);
        const bad: [() => unknown, string, RegExp?][] = [
          [() => query(M, { nope: 1 } as never).plan(), 'where.nope', /not a field/],
          [() => query(M, { meta: { a: 1 } }).plan(), 'where.meta', /json/],
          [() => query(M, { note: 'x' }).plan(), 'where.note', /no index/],
          [() => query(M, { name: { gt: 'a' } }).plan(), 'where.name', /sortable/],
          [() => query(M, { name: { prefix: 'a' } }).plan(), 'where.name', /sortable/],
          [() => query(M, { score: { prefix: 'a' } } as never).plan(), 'where.score', /string/],
          [() => query(M, { active: { gt: true } } as never).plan(), 'where.active', /boolean/],
          [() => query(M, { tags: { gte: 'a' } }).plan(), 'where.tags', /array/],
          [() => query(M, { owner: 'o1' }).plan(), 'where.owner', /byOwnerBorn/],
          [() => query(M, { owner: { ne: 'o1' }, born: new Date(1) }).plan(), 'where.owner'],
          [() => query(M, { score: 'x' } as never).plan(), 'where.score', /number/],
          [() => query(M, { score: Number.NaN }).plan(), 'where.score', /finite/],
          [() => query(M, { score: { lt: Number.POSITIVE_INFINITY } }).plan(), 'where.score', /finite/],
          [() => query(M, { rank: 1.5 }).plan(), 'where.rank', /integer/],
          [() => query(M, { born: '2020' } as never).plan(), 'where.born', /Date/],
          [() => query(M, { name: 5 } as never).plan(), 'where.name', /string/],
          [() => query(M, { name: 'a\uD800' }).plan(), 'where.name', /surrogate/],
          [() => query(M, { name: null } as never).plan(), 'where.name', /null/],
          [() => query(M, { name: ['a'] } as never).plan(), 'where.name', /in:/],
          [() => query(M, { name: { like: 'a' } } as never).plan(), 'where.name', /unknown operator/],
          [() => query(M, { name: { in: 'a' } } as never).plan(), 'where.name', /array/],
          [() => query(M, { score: { between: [1] } } as never).plan(), 'where.score', /between/],
          [() => query(M, { id: '' }).plan(), 'where.id'],
          [() => query(M, { $or: {} } as never).plan(), 'where.$or'],
          [() => query(M).sortBy('name'), 'sortBy', /sortable/],
          [() => query(M).sortBy('nope' as never), 'sortBy'],
          [() => query(M).sortBy('score', 'up' as never), 'sortBy'],
          [() => query(M).limit(-1), 'limit'],
          [() => query(M).offset(1.5), 'offset'],
          [() => query(M).select(['nope' as never]), 'select'],
          [() => query(M).limit(0).plan('page'), 'limit'],
        ];
        for (const [run, field, reason] of bad) {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error, field).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe(field);
          if (reason) expect((error as ValidationError).reason).toMatch(reason);
        }
        expect(calls).toBe(0);
      });

      it('compiles to a frozen plan: one read-only single-slot call per partition, terms as data', () => {
        const M = model();
        const hostile = "'); redis.call('FLUSHALL') --";
        const q = query(M, { name: hostile, score: { gte: 1 } }).sortBy('title', 'desc').offset(2).limit(5).select(['name']);
        const plan = q.plan('page');
        expect(Object.isFrozen(plan)).toBe(true);
        expect(Object.isFrozen(plan.query.w)).toBe(true);
        expect(Object.isFrozen(plan.merge)).toBe(true);
        expect(plan.partitions).toHaveLength(partitions);
        plan.partitions.forEach((p, i) => {
          expect(p.script.readOnly).toBe(true);
          expect(p.script.source.startsWith('#!lua flags=no-writes')).toBe(true);
          expect(p.keys).toEqual([M.internals.partitions[i]!.ids, M.internals.partitions[i]!.expiry]);
          expect(new Set(p.keys.map((k) => clusterKeySlot(k))).size).toBe(1);
          expect(JSON.parse(p.args[0] as string)).toEqual(plan.query);
        });
        expect(plan.query).toEqual({
          m: 'rows',
          w: { t: 'and', c: [{ t: 'set', f: 'name', h: 'name', a: 0, v: [hostile] }, { t: 'num', f: 'score', h: 'score', r: [{ a: '1', ae: 0, b: '+inf', be: 0 }] }] },
          s: { k: 'l', d: 'd', f: 'title', h: 'title' },
          k: 8,
          sel: ['name'],
        });
        expect(plan.merge).toEqual({ combine: 'merge', order: { field: 'title', direction: 'desc', kind: 'lex' }, offset: 2, limit: 5, perPartition: 8, select: ['name'] });
        expect(query(M).plan('count').merge.combine).toBe('sum');
        expect(query(M).plan('all').merge.combine).toBe('sort');
      });

      it('chooses between walking the sort index and filtering by cardinality', async () => {
        const M = model();
        await M.createMany(Array.from({ length: 400 }, (_, i) => ({ id: `w${String(i)}`, score: i, name: i < 8 ? 'rare' : 'common', city: i % 2 ? 'a' : 'b' })));
        const walk = await query(M).sortBy('score', 'desc').limit(3).explain('ids');
        expect(walk.partitions.every((p) => p.strategy === 'walk:num:score' && p.examined <= 3)).toBe(true);
        const ranged = await query(M, { score: { gte: 100, lt: 110 } }).sortBy('score').limit(3).explain('ids');
        expect(ranged.partitions.every((p) => p.strategy === 'walk:num:score' && p.examined <= 3)).toBe(true);
        const filter = await query(M, { name: 'rare' }).sortBy('score').limit(3).explain('ids');
        expect(filter.partitions.every((p) => p.strategy === 'filter' && p.examined <= 8)).toBe(true);
        expect(await query(M, { name: 'rare' }).sortBy('score', 'desc').limit(3).ids()).toEqual(['w7', 'w6', 'w5']);
        // Few matches against a large sort index: filter, then keep the top k in a bounded heap.
        await M.createMany(Array.from({ length: 600 }, (_, i) => ({ id: `h${String(i).padStart(3, '0')}`, score: (i * 37) % 101, ...(i % 15 === 0 ? { title: 'few' } : {}) })));
        const few = Array.from({ length: 600 }, (_, i) => i).filter((i) => i % 15 === 0);
        const fewDesc = [...few].sort((a, b) => ((b * 37) % 101) - ((a * 37) % 101) || a - b).map((i) => `h${String(i).padStart(3, '0')}`);
        const fewAsc = [...few].sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101) || a - b).map((i) => `h${String(i).padStart(3, '0')}`);
        const heapQuery = query(M, { title: 'few' }).sortBy('score', 'desc');
        const heapPlan = await heapQuery.limit(3).explain('ids');
        expect(heapPlan.partitions.every((p) => p.strategy === 'filter')).toBe(true);
        expect(await heapQuery.limit(3).ids()).toEqual(fewDesc.slice(0, 3));
        expect(await heapQuery.offset(7).limit(5).ids()).toEqual(fewDesc.slice(7, 12));
        expect(await query(M, { title: 'few' }).sortBy('score').limit(4).ids()).toEqual(fewAsc.slice(0, 4));
        const counted = await query(M, { name: 'common', city: 'a' }).explain('count');
        expect(counted.partitions.every((p) => p.strategy === 'count:index' && p.examined === 0)).toBe(true);
        expect(await query(M, { name: 'common', city: 'a' }).count()).toBe(196);
        expect(await query(M, { name: { in: ['common', 'rare'] }, city: { in: ['a'] } }).count()).toBe(200);
      });

      it('pages through more than 10k objects with cursors', async () => {
        if (partitions === 1) return;
        const M = model();
        const total = 10_500;
        for (let i = 0; i < total; i += 3500) {
          await M.createMany(Array.from({ length: 3500 }, (_, j) => ({ score: (i + j) % 101, name: 'bulk' })));
        }
        expect(await query(M, { name: 'bulk' }).count()).toBe(total);
        const q = query(M).sortBy('score', 'desc').select(['score']).limit(4000);
        const seen = new Set<string>();
        let last = Number.POSITIVE_INFINITY;
        let page = await q.page();
        for (;;) {
          for (const row of page.items) {
            seen.add(row.id);
            expect(row.score!).toBeLessThanOrEqual(last);
            last = row.score!;
          }
          if (page.nextCursor === null) break;
          page = await q.after(page.nextCursor).page();
        }
        expect(seen.size).toBe(total);
        const high = Array.from({ length: total }, (_, k) => k % 101).filter((score) => score >= 50).length;
        expect(await query(M, { score: { gte: 50 } }).ids()).toHaveLength(high);
        expect(await query(M, { score: { gte: 50 } }).count()).toBe(high);
      });
    });
  }
}
