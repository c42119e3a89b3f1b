// One pass over every component's main operations (writes, reads, queries, maintenance, Pub/Sub),
// with a few checks of the results: the reliability tests run it over TLS and under a restricted
// ACL user, where any command or key the library needs and may not use fails it.
import { expect } from 'vitest';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';

const DAY = Date.UTC(2026, 11, 2);

/** Runs every component on `kr`; `other` is a second instance of the same prefix (another process's view, for the cache bus). */
export async function exerciseEveryComponent(kr: Kickass, other: Kickass): Promise<void> {
  // store: models with every index kind, uniques across partitions, TTL, queries, maintenance
  const User = kr.model('user', { name: t.string().index(), email: t.string().unique(), score: t.number().sortable(), bio: t.text(), home: t.geo(), tags: t.array(t.string()).index() }, { partitions: 3, indexes: { byNameScore: { fields: ['name', 'score'] } } });
  const ada = await User.create({ name: 'ada', email: 'ada@x.io', score: 3, bio: 'counts engines', home: { lon: 2.35, lat: 48.85 }, tags: ['math'] });
  await User.createMany([{ name: 'bob', email: 'bob@x.io', score: 1, bio: 'builds bridges', home: { lon: 13.4, lat: 52.5 } }]);
  await User.update(ada.id, { score: 4 });
  await User.increment(ada.id, 'score', 1);
  await User.expire(ada.id, '1h');
  expect((await User.find({ name: 'ada' }).all()).map((u) => u.score)).toEqual([5]);
  expect((await User.find().search('bridges').all()).map((u) => u.name)).toEqual(['bob']);
  expect((await User.nearest('home', { lon: 2.3, lat: 48.8 }, { limit: 1 }))[0]?.row.name).toBe('ada');
  expect(await User.find({ home: { match: { lon: 2.35, lat: 48.85, radius: 10_000 } } }).count()).toBe(1);
  expect((await User.find().sortBy('score', 'desc').limit(1).all())[0]?.name).toBe('ada');
  expect((await User.verify()).ok).toBe(true);
  await User.reindex();
  await User.sweepExpired();
  await User.delete(ada.id);
  expect(await User.drop()).toBeGreaterThan(0);

  // ids
  expect(await kr.idGenerator('orders').next()).toBe(1);
  const eventIds = kr.timeOrderedIds('events');
  expect(typeof (await eventIds.next())).toBe('bigint');

  // search without models
  const docs = kr.textIndex('docs', { fields: { title: { weight: 2 }, body: {} } });
  await docs.add({ id: 'd1', title: 'Redis sync', body: 'binlog to models' });
  expect((await docs.search('binlog')).hits.map((h) => h.id)).toEqual(['d1']);
  const shops = kr.geoIndex('shops');
  await shops.add('s1', { lon: 2.35, lat: 48.85 });
  expect((await shops.nearest({ lon: 2.3, lat: 48.8 }, { limit: 1 })).map((h) => h.id)).toEqual(['s1']);
  const cities = kr.suggester('cities');
  await cities.add('Paris', 10);
  expect((await cities.suggest('par')).map((s) => s.text)).toEqual(['Paris']);

  // counters
  const active = kr.uniqueCounter('active', { slots: ['day'], ids: { map: 'users' } });
  await active.addMany(['u1', 'u2', 'u1'].map((id) => ({ id, at: DAY })));
  expect(await active.count('day', DAY)).toBe(2);
  const views = kr.hierarchicalCounter('views', { resolutions: ['day'] });
  await views.incrMany([{ path: ['fr', 'paris'], at: DAY }, { path: ['fr', 'lyon'], at: DAY }]);
  await views.flush();
  expect((await views.get(['fr'], 'day', DAY)).sum).toBe(2);
  expect((await views.children(['fr'], 'day', DAY, { top: 5 })).children.length).toBe(2);

  // cache: read-through, the bus between two instances, tags, clear
  const cache = kr.cache({ namespace: 'c', ttl: '1m', l1: { max: 100 } });
  const otherCache = other.cache({ namespace: 'c', ttl: '1m' });
  await expect.poll(() => cache.connected && otherCache.connected, { timeout: 5000 }).toBe(true);
  expect(await cache.getOrSet({ key: 'k', tags: ['t'], factory: () => 'v1' })).toBe('v1');
  await otherCache.set('k', 'v2');
  await expect.poll(() => cache.stats().busMessages, { timeout: 5000 }).toBeGreaterThan(0);
  expect(await cache.get('k')).toBe('v2');
  await cache.invalidateTags(['t']);
  await cache.clear();
  expect(await cache.get('k')).toBeUndefined();
}
