import { describe, expect, it } from 'vitest';
import { ValidationError, NotFoundError, ObjectExistsError, UniqueViolationError, VersionConflictError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { NASTY_STRINGS, everyIndexFields, everyIndexOptions } from './fixtures.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`Model writes (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);
      const model = () => redis.kickass().model('user', everyIndexFields, { ...everyIndexOptions, partitions });

      it('creates, reads, updates, increments and deletes, returning what is stored', async () => {
        const User = model();
        const born = new Date('1815-12-10T00:00:00Z');
        const ada = await User.create({ name: 'Ada', email: 'Ada@Example.io', score: 3.5, rank: 1, born, active: true, tags: ['math', 'poet'], meta: { a: [1, 2] } });
        expect(ada).toEqual({ id: ada.id, name: 'Ada', email: 'Ada@Example.io', score: 3.5, rank: 1, born, active: true, tags: ['math', 'poet'], meta: { a: [1, 2] } });
        expect(await User.get(ada.id)).toEqual(ada);
        const updated = await User.update(ada.id, { score: 4, tags: ['math'], meta: null });
        expect(updated).toEqual({ ...ada, score: 4, tags: ['math'], meta: undefined });
        expect('meta' in updated).toBe(false);
        expect(await User.increment(ada.id, 'score', 0.25)).toBe(4.25);
        expect(await User.increment(ada.id, 'rank', -3)).toBe(-2);
        expect(await User.get(ada.id)).toEqual({ ...updated, score: 4.25, rank: -2 });
        expect(await User.delete(ada.id)).toBe(true);
        expect(await User.delete(ada.id)).toBe(false);
        expect(await User.get(ada.id)).toBeNull();
        expect((await keysWithPrefix(redis.client, redis.prefix)).filter((k) => !k.endsWith(':seq'))).toEqual([]);
      });

      it('stores and returns hostile strings and 1 MB values exactly, with user-chosen ids', async () => {
        const User = model();
        const big = 'x'.repeat(1024 * 1024);
        for (const [i, text] of NASTY_STRINGS.entries()) {
          const id = `${text}#${String(i)}`;
          const row = await User.create({ id, name: text, handle: text, title: text, tags: [text, `${text}2`], note: big, owner: text });
          expect(await User.get(id)).toEqual(row);
        }
        const keys = await keysWithPrefix(redis.client, redis.prefix);
        for (const key of keys) expect(key.startsWith(`{${redis.prefix}:obj:user`)).toBe(true);
      });

      it('rejects bad input with a typed error naming the field, and writes nothing', async () => {
        const User = model();
        const before = (await keysWithPrefix(redis.client, redis.prefix)).length;
        const cases: [() => Promise<unknown>, string][] = [
          [() => User.create({ score: Number.NaN }), 'score'],
          [() => User.create({ score: Number.POSITIVE_INFINITY }), 'score'],
          [() => User.create({ rank: 1.5 }), 'rank'],
          [() => User.create({ born: new Date('nope') }), 'born'],
          [() => User.create({ name: 42 as unknown as string }), 'name'],
          [() => User.create({ tags: ['a', 3 as unknown as string] }), 'tags[1]'],
          [() => User.create({ nope: 1 } as never), 'nope'],
          [() => User.create({ id: '' }), 'id'],
          [() => User.create({ name: 'a\uD800' }), 'name'],
          [() => User.update('1', { id: '2' } as never), 'id'],
          [() => User.increment('1', 'score', Number.NaN), 'by'],
          [() => User.increment('1', 'name' as never, 1), 'name'],
        ];
        for (const [run, field] of cases) {
          const error = await run().then(() => undefined, (e: unknown) => e);
          expect(error, field).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe(field);
        }
        const Strict = redis.kickass().model('strict', { name: t.string().required(), age: t.integer().validate((v) => v >= 0, 'must not be negative') }, { partitions });
        await expect(Strict.create({} as never)).rejects.toMatchObject({ field: 'name', reason: 'is required' });
        await expect(Strict.create({ name: 'a', age: -1 })).rejects.toMatchObject({ field: 'age', reason: 'must not be negative' });
        const s = await Strict.create({ name: 'a', age: 1 });
        await expect(Strict.update(s.id, { name: null } as never)).rejects.toMatchObject({ field: 'name' });
        expect((await keysWithPrefix(redis.client, redis.prefix)).length).toBe(before + 3); // only the valid strict object: its seq, ids, hash
      });

      it('enforces unique constraints (case-insensitive, multi-field) and writes nothing on violation', async () => {
        const User = model();
        const a = await User.create({ email: 'a@x.io', tenant: 't1', handle: 'Ann' });
        const b = await User.create({ email: 'b@x.io', tenant: 't1', handle: 'Bob' });
        const violation = await User.create({ email: 'A@X.IO', name: 'dup' }).then(() => undefined, (e: unknown) => e);
        expect(violation).toBeInstanceOf(UniqueViolationError);
        expect(violation).toMatchObject({ constraint: 'email', existingId: a.id });
        await expect(User.update(b.id, { tenant: 't1', handle: 'ANN' })).rejects.toMatchObject({ constraint: 'tenantHandle', existingId: a.id });
        expect(await User.get(b.id)).toEqual(b);
        await User.update(b.id, { tenant: 't2', handle: 'ann' }); // another tenant: allowed
        await User.update(a.id, { email: 'a2@x.io' }); // frees a@x.io
        await User.create({ email: 'a@x.io' });
        await User.update(a.id, { email: 'A2@x.io' }); // same folded value, same object
        await expect(User.create({ email: 'a2@X.io' })).rejects.toBeInstanceOf(UniqueViolationError);
      });

      it('supports optimistic concurrency, create-only ids and update-only objects', async () => {
        const User = model();
        const u = await User.create({ id: 'fixed', name: 'x' });
        await expect(User.create({ id: 'fixed', name: 'y' })).rejects.toBeInstanceOf(ObjectExistsError);
        await expect(User.update('missing', { name: 'y' })).rejects.toBeInstanceOf(NotFoundError);
        await User.update(u.id, { name: 'v2' }, { expectedVersion: 1 });
        const conflict = await User.update(u.id, { name: 'v3' }, { expectedVersion: 1 }).then(() => undefined, (e: unknown) => e);
        expect(conflict).toBeInstanceOf(VersionConflictError);
        expect((conflict as VersionConflictError).currentVersion).toBe(2);
        await expect(User.delete(u.id, { expectedVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
        expect(await User.delete(u.id, { expectedVersion: 2 })).toBe(true);
        expect(await User.upsert('new', { name: 'made' })).toMatchObject({ id: 'new', name: 'made' });
        await User.save({ id: 'new', score: 1 });
        expect(await User.get('new')).toEqual({ id: 'new', score: 1 });
      });

      it('expires objects: reads miss them, writes treat them as gone, sweeps remove their keys', async () => {
        const Session = redis.kickass().model('session', { user: t.string().index(), at: t.number().sortable() }, { partitions, ttl: '300ms' });
        const s = await Session.create({ user: 'u1', at: 1 });
        const kept = await Session.create({ user: 'u1', at: 2 }, { ttl: null });
        expect(await Session.expire(kept.id, '1h')).toBe(true);
        expect(await Session.expire(kept.id, null)).toBe(true);
        expect(await Session.get(s.id)).toEqual(s);
        await sleep(400);
        expect(await Session.get(s.id)).toBeNull();
        expect(await Session.get(kept.id)).toEqual(kept);
        await expect(Session.update(s.id, { at: 3 })).rejects.toBeInstanceOf(NotFoundError);
        expect(await Session.expire(s.id, '1h')).toBe(false);
        const again = await Session.create({ id: s.id, user: 'u2' });
        expect(await Session.get(s.id)).toEqual(again);
        await Session.create({ user: 'u3' });
        await sleep(400);
        expect(await Session.sweepExpired()).toBe(2);
        const keys = await keysWithPrefix(redis.client, redis.prefix);
        expect(keys.some((k) => k.includes(':eq:user:u3') || k.includes(':eq:user:u2'))).toBe(false);
      });

      it('increments stay in range and keep the score index in step', async () => {
        const User = model();
        const u = await User.create({ rank: Number.MAX_SAFE_INTEGER - 1 });
        expect(await User.increment(u.id, 'rank')).toBe(Number.MAX_SAFE_INTEGER);
        await expect(User.increment(u.id, 'rank')).rejects.toMatchObject({ field: 'rank' });
        const v = await User.create({ score: 0.1 });
        expect(await User.increment(v.id, 'score', 0.2)).toBe(0.1 + 0.2);
        const p = User.keysOf(v.id);
        expect(Number(await redis.client.zscore(p.score('score'), v.id))).toBe(0.1 + 0.2);
        expect(await User.increment(v.id, 'score', -1e308)).toBe(0.1 + 0.2 - 1e308);
        await expect(User.increment(v.id, 'score', -1e308)).rejects.toMatchObject({ field: 'score' });
      });

      it('createMany / getMany / deleteMany validate everything first and work across partitions', async () => {
        const User = model();
        await expect(User.createMany([{ name: 'ok' }, { score: Number.NaN }])).rejects.toMatchObject({ field: 'inputs[1].score' });
        expect((await keysWithPrefix(redis.client, redis.prefix)).filter((k) => !k.endsWith(':seq'))).toEqual([]);
        const rows = await User.createMany(Array.from({ length: 200 }, (_, i) => ({ name: `n${String(i % 7)}`, score: i })));
        const read = await User.getMany([...rows.map((r) => r.id), 'missing']);
        expect(read).toEqual([...rows, null]);
        const changed = await User.updateMany(rows.slice(0, 100).map((r) => ({ id: r.id, patch: { score: -(r.score ?? 0) } })));
        expect(changed.map((r) => r.score)).toEqual(rows.slice(0, 100).map((r) => -(r.score ?? 0)));
        await expect(User.updateMany([{ id: rows[0]!.id, patch: { score: 1 } }, { id: rows[1]!.id, patch: { rank: 0.5 } }])).rejects.toMatchObject({ field: 'changes[1].rank' });
        expect((await User.get(rows[0]!.id))?.score).toBe(-(rows[0]!.score ?? 0));
        await expect(User.updateMany([{ id: 'missing', patch: { score: 1 } }])).rejects.toBeInstanceOf(NotFoundError);
        expect(await User.deleteMany(rows.slice(0, 50).map((r) => r.id))).toBe(50);
        expect((await User.getMany(rows.slice(0, 60).map((r) => r.id))).filter((r) => r !== null)).toHaveLength(10);
      });
    });
  }
}
