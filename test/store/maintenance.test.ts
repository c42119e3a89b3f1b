import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/core/connection.js';
import { partitionOf } from '../../src/core/keys.js';
import { scanKeys } from '../../src/core/scan.js';
import { t } from '../../src/store/fields.js';
import type { PartitionKeys } from '../../src/store/keys.js';
import { drop, reindex, reindexProgressKey, verify } from '../../src/store/maintenance.js';
import type { MaintenanceProgress, Problem } from '../../src/store/maintenance.js';
import type { Model } from '../../src/store/model.js';
import type { ModelInternals } from '../../src/store/model-internals.js';
import { lexMember } from '../../src/store/new-entries.js';
import { foldCase } from '../../src/store/schema.js';
import { uniqueValueKeys } from '../../src/store/keys.js';
import { TOPOLOGIES, deletePrefix, keysWithPrefix, useTopology } from '../harness/topologies.js';
import type { TopologyFixture } from '../harness/topologies.js';

const fields = {
  name: t.string().index(),
  handle: t.string().index({ caseInsensitive: true }),
  email: t.string().unique({ caseInsensitive: true }),
  title: t.string().sortable(),
  score: t.number().sortable(),
  born: t.date().sortable(),
  tags: t.array(t.string()).index(),
  owner: t.string(),
  tenant: t.string(),
  note: t.string(),
};
const options = {
  indexes: { byOwnerScore: { fields: ['owner', 'score'] as ('owner' | 'score')[] }, byOwnerTitle: { fields: ['owner', 'title'] as ('owner' | 'title')[] } },
  unique: { tenantHandle: ['tenant', 'handle'] as ('tenant' | 'handle')[] },
};
type Thing = Model<typeof fields>;

const TEXTS = ['ada', 'Bob', 'Ünïcödé café', '{x}', 'a:b', '*', 'a\0b', '😀', '%41', ' '];
const OWNERS = ['u1', 'u:2', 'ü3'];

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): { int: (n: number) => number; pick: <T>(list: readonly T[]) => T; chance: (p: number) => boolean } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { int, pick: (list) => list[int(list.length)] as (typeof list)[number], chance: (p) => next() < p };
}

type Rng = ReturnType<typeof random>;
let counter = 0;
const unique = (tag: string): string => `${tag}${String(++counter)}`;

function fullRow(rng: Rng): Record<string, unknown> {
  return {
    name: rng.pick(TEXTS),
    handle: unique(rng.chance(0.5) ? 'Hd' : 'hD'),
    email: `${unique('Mail')}@X.io`,
    title: rng.pick(TEXTS),
    score: rng.int(2000) / 8 - 100,
    born: new Date(rng.int(4e12)),
    tags: [rng.pick(TEXTS), rng.pick(TEXTS)],
    owner: rng.pick(OWNERS),
    tenant: rng.pick(['t1', 't2']),
    note: rng.pick(TEXTS),
  };
}

function randomPatch(rng: Rng): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (rng.chance(0.4)) patch.name = rng.chance(0.2) ? null : rng.pick(TEXTS);
  if (rng.chance(0.3)) patch.title = rng.chance(0.2) ? null : rng.pick(TEXTS);
  if (rng.chance(0.4)) patch.score = rng.chance(0.2) ? null : rng.int(2000) / 8 - 100;
  if (rng.chance(0.3)) patch.tags = [rng.pick(TEXTS)];
  if (rng.chance(0.3)) patch.owner = rng.chance(0.2) ? null : rng.pick(OWNERS);
  if (rng.chance(0.2)) patch.handle = unique('hd');
  if (rng.chance(0.2)) patch.email = rng.chance(0.2) ? null : `${unique('MAIL')}@x.io`;
  if (rng.chance(0.2)) patch.born = new Date(rng.int(4e12));
  return patch;
}

/** Random creates (single and batched), updates and deletes; returns the ids still alive. */
async function workload(model: Thing, rng: Rng, operations: number, ids: string[] = []): Promise<string[]> {
  const alive = [...ids];
  const many = await model.createMany(Array.from({ length: Math.ceil(operations / 2) }, () => fullRow(rng)));
  alive.push(...many.map((r) => r.id));
  for (let i = 0; i < operations; i++) {
    const roll = rng.int(10);
    if (roll < 3 || alive.length === 0) {
      alive.push((await model.create(fullRow(rng))).id);
    } else if (roll < 8) {
      const id = rng.pick(alive);
      if (await model.get(id)) await model.update(id, randomPatch(rng));
    } else {
      const at = rng.int(alive.length);
      await model.delete(alive[at] as string);
      alive.splice(at, 1);
    }
  }
  return alive;
}

/** Every key of a model (partitions and unique buckets, not claims) with its members, the model's key name replaced by `*`. */
async function snapshot(client: RedisClient, internals: ModelInternals): Promise<Map<string, string[]>> {
  const start = internals.context.keys.slot('obj', internals.schema.keyName).tag.slice(0, -1);
  const out = new Map<string, string[]>();
  for await (const keys of scanKeys(client, `${start}:*`)) {
    for (const key of keys) {
      if (key.includes(':claims:')) continue;
      const type = await client.type(key);
      let entries: string[] = [type];
      if (type === 'set') entries = (await client.smembersBuffer(key)).map((m) => m.toString('hex'));
      if (type === 'zset') {
        const flat = await client.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
        entries = [];
        for (let i = 0; i < flat.length; i += 2) entries.push(`${(flat[i] as Buffer).toString('hex')}|${String(Number((flat[i + 1] as Buffer).toString()))}`);
      }
      if (type === 'hash') {
        const flat = await client.hgetallBuffer(key);
        // versions and unique-write tokens are random per write (verify() checks that owners and objects agree on them)
        const owners = key.includes(':owners:');
        entries = Object.entries(flat).flatMap(([field, value]) => {
          if (field === '$v' || field.startsWith('$u:')) return [];
          const text = owners ? Buffer.from(value.toString().replace(/^[0-9a-f]*:/, '')) : value;
          return [`${Buffer.from(field).toString('hex')}=${text.toString('hex')}`];
        });
      }
      out.set(`*${key.slice(start.length)}`, entries.sort());
    }
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The same objects written afresh by a model of another key name: what every index must hold. */
async function freshCopy(redis: TopologyFixture, model: Thing): Promise<Map<string, string[]>> {
  const copy = redis.kickass().model(unique('copy'), fields, { ...options, partitions: model.schema.partitions });
  const ids = (await Promise.all(model.internals.partitions.map((p) => redis.client.zrange(p.ids, '0', '-1')))).flat();
  const rows = (await model.getMany(ids)).filter((r) => r !== null);
  for (let i = 0; i < rows.length; i += 500) await copy.createMany(rows.slice(i, i + 500));
  return snapshot(redis.client, copy.internals);
}

const line = (p: Problem): string => `${p.kind} ${'id' in p ? p.id : '-'} ${p.key}`;
const lines = (problems: readonly Problem[]): string[] => problems.map(line).sort();

/** The stale entries verify must report once object `id`'s hash is gone: every member of an index that names it. */
function entriesNaming(before: Map<string, string[]>, internals: ModelInternals, id: string): string[] {
  const hexId = Buffer.from(id).toString('hex');
  const start = internals.context.keys.slot('obj', internals.schema.keyName).tag.slice(0, -1);
  const found: string[] = [];
  for (const [key, entries] of before) {
    if (!/:(eq|num|lex|cx|uq|owners):/.test(`${key}:`)) continue;
    const names = entries.some((e) => {
      const [member = ''] = e.split('|');
      return member === hexId || member.endsWith(`00${hexId}`) || e.endsWith(`=${hexId}`);
    });
    if (names) found.push(`stale-entry ${id} ${start}${key.slice(1)}`);
  }
  return found;
}

async function createModel(redis: TopologyFixture, partitions: number): Promise<{ model: Thing; alive: string[] }> {
  const model = redis.kickass().model('thing', fields, { ...options, partitions });
  const alive = await workload(model, random(partitions * 7919), 400);
  return { model, alive };
}

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`verify / reindex / drop (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('finds exactly the corruptions made by hand, and reindex() repairs them to what a fresh write makes', async () => {
        const { model } = await createModel(redis, partitions);
        const healthy = await verify(model.internals, { batchSize: 37 });
        expect(healthy.problems).toEqual([]);
        expect(healthy.ok).toBe(true);
        expect(healthy.objects).toBeGreaterThan(200);
        expect(await snapshot(redis.client, model.internals)).toEqual(await freshCopy(redis, model));

        const rng = random(99);
        const victims = ['cA', 'cB', 'cC', 'cD', 'cE', 'cF', 'cG', 'cH', 'cI'];
        for (const id of victims) await model.create({ ...fullRow(rng), id });
        const row = async (id: string): Promise<Record<string, unknown>> => (await model.get(id)) as Record<string, unknown>;
        const k = (id: string): PartitionKeys => model.keysOf(id);
        const c = redis.client;
        const before = await snapshot(c, model.internals);
        const [a, d, e, g, h] = await Promise.all(['cA', 'cD', 'cE', 'cG', 'cH'].map(row));
        const emailKey = (term: string): string => (partitions === 1 ? k('cE').unique('email') : uniqueValueKeys(model.internals, 'email', term).owners);
        const emailE = foldCase(e?.email as string);
        const ghost = 'ghost';
        const ghostKeys = model.internals.partitions[partitionOf(ghost, partitions)] as PartitionKeys;

        await c.srem(k('cA').eq('name', a?.name as string), 'cA'); // drop an eq member
        await c.sadd(k('cB').eq('name', 'not-its-name'), 'cB'); // add a stale member
        await c.zadd(k('cC').score('score'), 123456, 'cC'); // wrong score
        await c.zrem(k('cD').lex('title'), lexMember(d?.title as string, 'cD')); // remove a lex member
        await c.hset(emailKey(emailE), emailE, 'cF'); // stale unique owner
        await c.zrem(k('cG').compound('byOwnerScore', [g?.owner as string]), 'cG'); // remove a compound entry
        await c.del(k('cH').object('cH')); // delete a hash behind the model's back
        await c.zadd(ghostKeys.ids, 0, ghost); // an id with no hash
        await c.zrem(k('cI').ids, 'cI'); // a hash without its id
        await c.zadd(ghostKeys.expiry, Date.now() + 3_600_000, 'ghost2'); // expiry of nothing
        await c.sadd(k('cA').eq('note', 'x'), 'cA'); // an index the schema does not define
        await c.set(k('cB').eq('name', 'a string'), 'x'); // an index key of the wrong type
        expect(h).not.toBeNull();

        const report = await verify(model.internals, { batchSize: 37 });
        const expected = [
          `missing-entry cA ${k('cA').eq('name', a?.name as string)}`,
          `stale-entry cB ${k('cB').eq('name', 'not-its-name')}`,
          `wrong-score cC ${k('cC').score('score')}`,
          `missing-entry cD ${k('cD').lex('title')}`,
          `wrong-unique-owner cE ${emailKey(emailE)}`,
          `stale-entry cF ${emailKey(emailE)}`,
          `missing-entry cG ${k('cG').compound('byOwnerScore', [g?.owner as string])}`,
          `orphan-id cH ${k('cH').ids}`,
          ...entriesNaming(before, model.internals, 'cH'),
          `orphan-id ghost ${ghostKeys.ids}`,
          `orphan-hash cI ${k('cI').object('cI')}`,
          `orphan-expiry ghost2 ${ghostKeys.expiry}`,
          `unknown-structure - ${k('cA').eq('note', 'x')}`,
          `unknown-structure - ${k('cB').eq('name', 'a string')}`,
        ].sort();
        expect(lines(report.problems)).toEqual(expected);
        expect(report.ok).toBe(false);
        expect(Object.values(report.counts).reduce((s, n) => s + n, 0)).toBe(expected.length);
        const wrong = report.problems.find((p) => p.kind === 'wrong-score');
        expect(wrong).toMatchObject({ kind: 'wrong-score', index: 'score', actual: 123456, expected: (await row('cC')).score });
        expect(report.problems.find((p) => p.kind === 'wrong-unique-owner')).toMatchObject({ owner: 'cF', index: 'email', term: emailE });

        const limited = await verify(model.internals, { maxProblems: 3 });
        expect(limited.problems).toHaveLength(3);
        expect(limited.truncated).toBe(true);
        expect(limited.counts).toEqual(report.counts);

        const repaired = await reindex(model.internals, { batchSize: 37 });
        expect(repaired.unresolved).toEqual([]);
        // the stale owner goes in the structures pass, so the objects pass finds the entry missing
        expect(lines(repaired.repairs)).toEqual(expected.map((l) => l.replace('wrong-unique-owner', 'missing-entry')).sort());
        expect(await verify(model.internals)).toMatchObject({ ok: true, problems: [] });
        expect(await c.exists(reindexProgressKey(model.internals))).toBe(0);
        const after = await snapshot(c, model.internals);
        expect(after).toEqual(await freshCopy(redis, model));
        // the same structures as before the corruption, less the object whose hash was deleted
        const gone = new Set(entriesNaming(before, model.internals, 'cH').map((l) => l.split(' ')[2]));
        for (const [key, entries] of before) {
          if (key.endsWith(':h:cH')) expect(after.has(key)).toBe(false);
          else if (!gone.has(key.replace('*', model.internals.context.keys.slot('obj', 'thing').tag.slice(0, -1))) && !key.endsWith(':ids')) expect(after.get(key)).toEqual(entries);
        }
        expect(await model.get('cH')).toBeNull();
        expect(await model.get('cI')).toMatchObject({ id: 'cI' });
      });

      it('reports two objects holding one unique value, which reindex() leaves for a person', async () => {
        const model = redis.kickass().model('thing', fields, { ...options, partitions });
        const x = await model.create({ id: 'x', email: 'X@a.io' });
        await model.create({ id: 'y', email: 'y@a.io' });
        await redis.client.hset(model.keysOf('x').object('x'), 'email', 'Y@a.io', '$t:email', 'y@a.io');
        const oldKey = partitions === 1 ? model.keysOf('x').unique('email') : uniqueValueKeys(model.internals, 'email', 'x@a.io').owners;
        const key = partitions === 1 ? oldKey : uniqueValueKeys(model.internals, 'email', 'y@a.io').owners;
        const expected = [`duplicate-unique x ${key}`, `stale-entry x ${oldKey}`].sort();
        expect(lines((await verify(model.internals)).problems)).toEqual(expected);
        const repaired = await reindex(model.internals);
        expect(repaired.unresolved.map(line)).toEqual([`duplicate-unique x ${key}`]);
        expect(lines((await verify(model.internals)).problems)).toEqual([`duplicate-unique x ${key}`]);
        expect(x.email).toBe('X@a.io');
      });

      it.skipIf(partitions === 1)('finds and settles lapsed unique-value claims', async () => {
        const model = redis.kickass().model('thing', fields, { ...options, partitions });
        await model.create({ id: 'x', email: 'x@a.io' });
        const c = redis.client;
        const free = uniqueValueKeys(model.internals, 'email', 'free@a.io');
        await c.hset(free.claims, 'free@a.io', '1:abcd:nobody'); // a write that never happened
        const held = uniqueValueKeys(model.internals, 'email', 'x@a.io');
        await c.hdel(held.owners, 'x@a.io');
        await c.hset(held.claims, 'x@a.io', '1:beef:x'); // a write that landed but was never confirmed
        const expected = [`stale-claim nobody ${free.claims}`, `stale-claim x ${held.claims}`, `missing-entry x ${held.owners}`].sort();
        expect(lines((await verify(model.internals)).problems)).toEqual(expected);
        expect(lines((await reindex(model.internals)).repairs)).toEqual(expected);
        expect(await verify(model.internals)).toMatchObject({ ok: true });
        const token = await c.hget(model.keysOf('x').object('x'), '$u:email');
        expect(token).toMatch(/^[0-9a-f]{16}$/);
        expect(await c.hget(held.owners, 'x@a.io')).toBe(`${token ?? ''}:x`);
        expect((await c.exists(free.claims)) + (await c.exists(held.claims))).toBe(0);
        await expect(model.create({ email: 'X@A.io' })).rejects.toMatchObject({ code: 'E_UNIQUE_VIOLATION' });
      });

      it('resumes an interrupted reindex from its last batch', async () => {
        const { model, alive } = await createModel(redis, partitions);
        for (const id of alive) await redis.client.del(model.keysOf(id).eq('name', String((await model.get(id))?.name)));
        const total = (await verify(model.internals)).objects;
        const stop = new Error('stop');
        const seen: MaintenanceProgress[] = [];
        await expect(
          reindex(model.internals, {
            batchSize: 20,
            onProgress: (p) => {
              seen.push(p);
              if (p.phase === 'objects') throw stop;
            },
          }),
        ).rejects.toBe(stop);
        expect(seen.at(-1)).toMatchObject({ phase: 'objects', partition: 0, done: 20 });
        expect(await redis.client.hget(reindexProgressKey(model.internals), 'cursor:0')).not.toBeNull();
        expect((await verify(model.internals)).ok).toBe(false);

        const events: MaintenanceProgress[] = [];
        const resumed = await reindex(model.internals, { batchSize: 20, onProgress: (p) => events.push(p) });
        expect(resumed.resumed).toBe(true);
        expect(resumed.objects).toBe(total - 20);
        expect(events.find((p) => p.phase === 'objects')).toMatchObject({ partition: 0, done: 40 });
        expect(events.some((p) => p.phase === 'indexes' && p.partition === 0)).toBe(false);
        expect(events.filter((p) => p.phase === 'objects').at(-1)).toMatchObject({ partition: partitions - 1 });
        expect(await verify(model.internals)).toMatchObject({ ok: true });
        expect(await snapshot(redis.client, model.internals)).toEqual(await freshCopy(redis, model));
        expect((await reindex(model.internals)).resumed).toBe(false);
      });

      it('loses and leaves unindexed no write made while reindex() runs; verify() reports nothing false meanwhile', async () => {
        const { model, alive } = await createModel(redis, partitions);
        let removed = 0;
        for (const id of alive.slice(0, 80)) removed += await redis.client.zrem(model.keysOf(id).score('score'), id);
        await redis.client.sadd(model.keysOf('1').eq('name', 'stale'), '1', '2', '3');
        expect(removed).toBeGreaterThan(40);
        expect((await verify(model.internals)).counts).toMatchObject({ 'missing-entry': removed, 'stale-entry': 3 });
        const state = { running: true };
        const writer = (async (): Promise<number> => {
          const rng = random(5);
          let rounds = 0;
          let ids = alive;
          while (state.running || rounds < 2) {
            ids = await workload(model, rng, 30, ids);
            rounds++;
          }
          return rounds;
        })();
        const repaired = await reindex(model.internals, { batchSize: 10 });
        state.running = false;
        expect(repaired.counts['missing-entry'] + repaired.counts['stale-entry']).toBeGreaterThan(0);
        expect(await writer).toBeGreaterThanOrEqual(2);
        expect(await verify(model.internals)).toMatchObject({ ok: true, problems: [] });
        expect(await snapshot(redis.client, model.internals)).toEqual(await freshCopy(redis, model));

        state.running = true;
        const writes = (async (): Promise<void> => {
          const rng = random(6);
          let ids = alive;
          while (state.running) ids = await workload(model, rng, 30, ids);
        })();
        const during = await verify(model.internals, { batchSize: 10 });
        state.running = false;
        await writes;
        expect(during.problems).toEqual([]);
      });

      it('backfills an index added to a model with objects, and removes one taken away', async () => {
        const plain = { name: t.string(), handle: t.string(), score: t.number(), tenant: t.string() };
        const indexed = {
          name: t.string().index(),
          handle: t.string().index({ caseInsensitive: true }),
          score: t.number().sortable(),
          tenant: t.string(),
        };
        const kr = redis.kickass();
        const before = kr.model('thing', plain, { partitions });
        const rows = await before.createMany(Array.from({ length: 120 }, (_, i) => ({ name: TEXTS[i % TEXTS.length] as string, handle: `Hä${String(i)}X`, score: i / 4, tenant: `t${String(i % 2)}` })));
        const after = kr.model('thing', indexed, { partitions, unique: { tenantHandle: ['tenant', 'handle'] } });
        const missing = await verify(after.internals);
        expect(missing.counts['missing-term']).toBe(120);
        expect(missing.counts['missing-entry']).toBe(240);
        const report = await reindex(after.internals, { batchSize: 25 });
        expect(report.counts['missing-term']).toBe(120);
        expect(report.counts['missing-entry']).toBe(120 * 4);
        expect(await verify(after.internals)).toMatchObject({ ok: true });
        for (const row of rows) {
          const keys = after.keysOf(row.id);
          expect(await redis.client.sismember(keys.eq('name', row.name as string), row.id)).toBe(1);
          expect(await redis.client.sismember(keys.eq('handle', foldCase(row.handle as string)), row.id)).toBe(1);
          expect(Number(await redis.client.zscore(keys.score('score'), row.id))).toBe(row.score);
        }
        expect(await after.getMany(rows.map((r) => r.id))).toEqual(rows);
        await expect(after.create({ handle: 'hä0x', tenant: 't0' })).rejects.toMatchObject({ code: 'E_UNIQUE_VIOLATION' });

        const again = kr.model('thing', plain, { partitions });
        const leftovers = await verify(again.internals);
        expect(leftovers.counts['unknown-structure']).toBeGreaterThan(0);
        expect(Object.values(leftovers.counts).reduce((s, n) => s + n, 0)).toBe(leftovers.counts['unknown-structure']);
        await reindex(again.internals);
        expect(await verify(again.internals)).toMatchObject({ ok: true });
        const left = (await keysWithPrefix(redis.client, redis.prefix)).filter((key) => /:(eq|num|uq|owners):/.test(key));
        expect(left).toEqual([]);
      });

      it('reports and sweeps objects past their expiry', async () => {
        const model = redis.kickass().model('thing', fields, { ...options, partitions });
        await model.create({ id: 'keep', name: 'k', email: 'k@a.io' });
        await model.create({ id: 'old', name: 'o', email: 'o@a.io', title: 'T' }, { ttl: 30 });
        await new Promise((resolve) => setTimeout(resolve, 80));
        const report = await verify(model.internals);
        const expected = [`expired-object old ${model.keysOf('old').object('old')}`];
        // with several partitions no sweep releases an expired object's unique values: their owner entries are stale
        if (partitions > 1) expected.push(`stale-entry old ${uniqueValueKeys(model.internals, 'email', 'o@a.io').owners}`);
        expect(lines(report.problems)).toEqual(expected.sort());
        const repaired = await reindex(model.internals);
        expect(lines(repaired.repairs)).toEqual(expected.sort());
        expect(await verify(model.internals)).toMatchObject({ ok: true });
        expect((await keysWithPrefix(redis.client, redis.prefix)).some((key) => key.includes(':h:old') || key.includes(':exp'))).toBe(false);
      });

      it('drop() removes exactly the keys of the model', async () => {
        const kr = redis.kickass();
        const other = redis.kickass({ prefix: `${redis.prefix}x` });
        const models = [kr.model('user', fields, { ...options, partitions }), kr.model('user2', fields, { ...options, partitions }), other.model('user', fields, { ...options, partitions })];
        for (const [i, m] of models.entries()) await workload(m, random(i + 1), 40);
        const own = models[0] as Thing;
        await redis.client.hset(reindexProgressKey(own.internals), 'schema', 'x');
        const all = async (): Promise<string[]> => [...(await keysWithPrefix(redis.client, redis.prefix)), ...(await keysWithPrefix(redis.client, `${redis.prefix}x`))].sort();
        const keys = await all();
        const mine = keys.filter((key) => key.startsWith(`{${redis.prefix}:obj:user:`) || key.startsWith(`{${redis.prefix}:obj:user}`));
        expect(mine.some((key) => key.endsWith('}:seq'))).toBe(true);
        expect(mine.length).toBeGreaterThan(20);
        expect(await drop(own.internals)).toBe(mine.length);
        expect(await all()).toEqual(keys.filter((key) => !mine.includes(key)));
        expect(await drop(own.internals)).toBe(0);
        await deletePrefix(redis.client, `${redis.prefix}x`);
      });
    });
  }
}
