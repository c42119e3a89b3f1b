import { describe, expect, it } from 'vitest';
import { UniqueViolationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, connect, useTopology } from '../harness/topologies.js';
import { closeClient } from '../../src/core/connection.js';
import { Kickass } from '../../src/kickass.js';
import { keysWithPrefix } from '../harness/topologies.js';
import { uniqueValueKeys } from '../../src/store/keys.js';
import { claimUniqueScript, settleUniqueScript } from '../../src/store/scripts/index.generated.js';

const fields = { email: t.string().unique({ caseInsensitive: true }), name: t.string().index(), team: t.string(), seat: t.integer() };
const options = { partitions: 4, unique: { teamSeat: ['team', 'seat'] as ('team' | 'seat')[] } };

for (const topology of TOPOLOGIES) {
  describe(`unique values across partitions (${topology})`, () => {
    const redis = useTopology(topology);

    it('exactly one of many concurrent writers racing for the same value wins, every round', async () => {
      const clients = Array.from({ length: 6 }, () => connect(topology));
      try {
        const models = clients.map((client) => new Kickass({ connection: client, prefix: redis.prefix }).model('user', fields, options));
        for (let round = 0; round < 10; round++) {
          const email = `race${String(round)}@x.io`;
          const outcomes = await Promise.allSettled(
            Array.from({ length: 24 }, (_, i) => (models[i % models.length] as (typeof models)[number]).create({ email: i % 2 ? email : email.toUpperCase(), seat: i })),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          expect(won).toHaveLength(1);
          for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(UniqueViolationError);
        }
        // Racing updates of existing objects onto one multi-field value.
        const User = models[0] as (typeof models)[number];
        const rows = await User.createMany(Array.from({ length: 12 }, (_, i) => ({ team: 'a', seat: 100 + i })));
        const outcomes = await Promise.allSettled(rows.map((row, i) => (models[i % models.length] as (typeof models)[number]).update(row.id, { seat: 7 })));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const seven = (await User.getMany(rows.map((r) => r.id))).filter((r) => r?.seat === 7);
        expect(seven).toHaveLength(1);
      } finally {
        await Promise.all(clients.map((c) => closeClient(c)));
      }
    });

    it('keeps the owner of a value through overlapping writes of one object that give it up and take it back', async () => {
      const clients = Array.from({ length: 4 }, () => connect(topology));
      try {
        const models = clients.map((client) => new Kickass({ connection: client, prefix: redis.prefix }).model('user', fields, options));
        const User = models[0] as (typeof models)[number];
        const ids = (await User.createMany(Array.from({ length: 6 }, (_, i) => ({ email: `flip${String(i)}a@x.io` })))).map((r) => r.id);
        // every object flips between its two values, from one lane per client at once, many times over
        const lanes = ids.flatMap((id, n) =>
          models.map(async (model, lane) => {
            for (let round = 0; round < 25; round++) {
              await model.update(id, { email: `flip${String(n)}${(round + lane) % 2 === 0 ? 'a' : 'b'}@x.io` });
            }
          }),
        );
        await Promise.all(lanes);
        expect((await User.verify()).problems).toEqual([]);
        for (const row of await User.getMany(ids)) {
          await expect(User.create({ email: (row?.email ?? '').toUpperCase() })).rejects.toBeInstanceOf(UniqueViolationError);
        }
      } finally {
        await Promise.all(clients.map((c) => closeClient(c)));
      }
    });

    it('ignores a late release from a write that a later write of the same object superseded', async () => {
      const kr = redis.kickass();
      const User = kr.model('user', fields, options);
      const a = await User.create({ email: 'one@x.io' });
      const owners = uniqueValueKeys(User.internals, 'email', 'one@x.io');
      const first = await redis.client.hget(owners.owners, 'one@x.io');
      expect(first).toMatch(new RegExp(`^[0-9a-f]{16}:${a.id}$`));
      await User.update(a.id, { email: 'two@x.io' });
      await User.update(a.id, { email: 'one@x.io' });
      const second = await redis.client.hget(owners.owners, 'one@x.io');
      expect(second).not.toBe(first);
      // the release of the first write's value, arriving only now
      const late = await User.internals.context.scripts.run(settleUniqueScript, owners, {
        action: 'release',
        term: 'one@x.io',
        id: a.id,
        token: (first ?? '').split(':')[0] ?? '',
      });
      expect(late).toBe(0);
      expect(await redis.client.hget(owners.owners, 'one@x.io')).toBe(second);
      await expect(User.create({ email: 'ONE@x.io' })).rejects.toMatchObject({ constraint: 'email', existingId: a.id });
      expect((await User.verify()).ok).toBe(true);
    });

    it('drops the owner entry of a value that an unconfirmed write re-took and a later write gave up', async () => {
      // found by the multi-process concurrency test under load: W1 holds the value (entry t1:a);
      // W3 re-takes the same value (claim t3, the object stores t3) but is slow to confirm; W4
      // changes the value and releases it with the object's token t3; W3's confirm comes last
      const kr = redis.kickass();
      const User = kr.model('user', fields, options);
      const a = await User.create({ email: 'one@x.io' });
      const keys = uniqueValueKeys(User.internals, 'email', 'one@x.io');
      const settle = (action: string, token: string): Promise<unknown> =>
        User.internals.context.scripts.run(settleUniqueScript, keys, { action, term: 'one@x.io', id: a.id, token });
      const t3 = 'c0ffee00c0ffee00';
      const claimed = await User.internals.context.scripts.run(claimUniqueScript, keys, { term: 'one@x.io', id: a.id, token: t3, ttl: 10_000 });
      expect(claimed[0]).toBe('ok');
      // a plain release of that claim (the object does not hold the value with t3: a crashed
      // writer's claim) keeps the entry of the write the object does hold it from
      const entry = await redis.client.hget(keys.owners, 'one@x.io');
      expect(await settle('release', t3)).toBe(1);
      expect(await redis.client.hget(keys.owners, 'one@x.io')).toBe(entry);
      await User.internals.context.scripts.run(claimUniqueScript, keys, { term: 'one@x.io', id: a.id, token: t3, ttl: 10_000 });
      await redis.client.hset(User.keysOf(a.id).object(a.id), '$u:email', t3); // W3's write landed
      await User.update(a.id, { email: 'two@x.io' }); // W4 gives one@x.io up, with t3
      expect(await settle('confirm', t3)).toBe(0); // W3's confirm, too late
      expect(await redis.client.hget(keys.owners, 'one@x.io')).toBeNull();
      expect((await User.create({ email: 'ONE@x.io' })).email).toBe('ONE@x.io');
      expect((await User.verify()).ok).toBe(true);
    });

    it('frees values on update and delete, and evicts owners or claims left by a crashed writer', async () => {
      const kr = redis.kickass();
      const User = kr.model('user', fields, options);
      const a = await User.create({ email: 'a@x.io', team: 'x', seat: 1 });
      await expect(User.create({ email: 'A@x.io' })).rejects.toMatchObject({ constraint: 'email', existingId: a.id });
      await User.update(a.id, { email: 'a2@x.io' });
      const b = await User.create({ email: 'a@x.io' });
      await User.delete(b.id);
      const c = await User.create({ email: 'a@x.io', team: 'x', seat: 2 });
      await expect(User.update(c.id, { seat: 1 })).rejects.toMatchObject({ constraint: 'teamSeat', existingId: a.id });

      // A crash after the object changed but before its old value was released leaves a stale owner:
      // simulate by pointing the owner of 'ghost@x.io' at c, which does not hold it.
      const keys = await keysWithPrefix(redis.client, redis.prefix);
      const ownerKeys = keys.filter((k) => k.endsWith(':owners:email'));
      expect(ownerKeys.length).toBeGreaterThan(0);
      for (const key of ownerKeys) await redis.client.hset(key, 'ghost@x.io', c.id);
      const ghost = await User.create({ email: 'ghost@x.io' });
      expect(ghost.email).toBe('ghost@x.io');

      // A crash after claiming but before writing leaves a live claim that expires; an expired claim
      // whose object does not hold the value is taken over.
      const claimKeys = keys.filter((k) => k.endsWith(':claims:email'));
      for (const key of claimKeys.length ? claimKeys : ownerKeys.map((k) => k.replace(':owners:', ':claims:'))) {
        await redis.client.hset(key, 'late@x.io', `1:abcd:${a.id}`);
      }
      expect((await User.create({ email: 'late@x.io' })).email).toBe('late@x.io');
      await expect(User.create({ email: 'LATE@x.io' })).rejects.toBeInstanceOf(UniqueViolationError);
    });
  });
}
