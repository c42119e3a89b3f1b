// Every options argument of the public surface given something that is not an options object
// (null, a number, a string, an array, a function): a typed KickassError naming the argument, thrown
// or rejected before anything is written (the prefix stays empty), never a TypeError from reading a
// property of null.
import { describe, expect, it } from 'vitest';
import { KickassError } from '../../src/core/errors.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';

const NOT_OPTIONS: readonly unknown[] = [null, 42, 'fast', [], () => ({})];
const DAY = Date.UTC(2026, 11, 2);

type Call = (kr: Kickass, bad: never) => unknown;

const model = (kr: Kickass) => kr.model('user', { name: t.string().index(), score: t.number().sortable(), home: t.geo(), bio: t.text() });

/** Each public call with an options parameter, the bad value in that position. */
const CALLS: Record<string, Call> = {
  'kickass(options)': (_, bad) => kickass(bad),
  'kr.idGenerator': (kr, bad) => kr.idGenerator('a', bad),
  'kr.timeOrderedIds': (kr, bad) => kr.timeOrderedIds('a', bad),
  'kr.model': (kr, bad) => kr.model('m', { a: t.string() }, bad),
  'kr.textIndex': (kr, bad) => kr.textIndex('x', bad),
  'kr.geoIndex': (kr, bad) => kr.geoIndex('g', bad),
  'kr.uniqueCounter': (kr, bad) => kr.uniqueCounter('u', bad),
  'kr.hierarchicalCounter': (kr, bad) => kr.hierarchicalCounter('h', bad),
  'kr.cache': (kr, bad) => kr.cache(bad),
  'kr.sync': (kr, bad) => kr.sync(bad),
  'kr.waitForReplicas': (kr, bad) => kr.waitForReplicas(bad),
  't.string().index': (_, bad) => t.string().index(bad),
  't.string().unique': (_, bad) => t.string().unique(bad),
  't.text': (_, bad) => t.text(bad),
  'model.create': (kr, bad) => model(kr).create({ name: 'a', score: 1 }, bad),
  'model.save': (kr, bad) => model(kr).save({ id: 'x', name: 'a', score: 1 }, bad),
  'model.update': (kr, bad) => model(kr).update('x', { score: 2 }, bad),
  'model.upsert': (kr, bad) => model(kr).upsert('x', { name: 'a', score: 2 }, bad),
  'model.increment': (kr, bad) => model(kr).increment('x', 'score', 1, bad),
  'model.delete': (kr, bad) => model(kr).delete('x', bad),
  'model.nearest': (kr, bad) => model(kr).nearest('home', { lon: 0, lat: 0 }, bad),
  'model.verify': (kr, bad) => model(kr).verify(bad),
  'model.reindex': (kr, bad) => model(kr).reindex(bad),
  'query.search': (kr, bad) => model(kr).find().search('a', bad).all(),
  'textIndex.search': (kr, bad) => kr.textIndex('x', { fields: { title: {} } }).search('a', bad),
  'textIndex.count': (kr, bad) => kr.textIndex('x', { fields: { title: {} } }).count('a', bad),
  'geoIndex.within': (kr, bad) => kr.geoIndex('g').within({ lon: 0, lat: 0, radius: 10 }, bad),
  'geoIndex.nearest': (kr, bad) => kr.geoIndex('g').nearest({ lon: 0, lat: 0 }, bad),
  'suggester.suggest': (kr, bad) => kr.suggester('s').suggest('a', bad),
  'hierarchicalCounter.incr': (kr, bad) => kr.hierarchicalCounter('h').incr(['a'], bad),
  'hierarchicalCounter.children': (kr, bad) => kr.hierarchicalCounter('h', { resolutions: ['day'] }).children(['a'], 'day', DAY, bad),
  'slotSet.count': (kr, bad) => kr.uniqueCounter('u', { slots: ['day'] }).slot('day', DAY).count(bad),
  'slotSet.bitmap': (kr, bad) => kr.uniqueCounter('u', { slots: ['day'] }).slot('day', DAY).bitmap(bad),
  'slotSet.keyIn': (kr, bad) => kr.uniqueCounter('u', { slots: ['day'] }).slot('day', DAY).keyIn('t', bad),
  'cache.set': (kr, bad) => kr.cache({ namespace: 'c', ttl: '1m' }).set('k', 1, bad),
  'cache.getOrSet': (kr, bad) => kr.cache({ namespace: 'c', ttl: '1m' }).getOrSet(bad),
};

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    if (result instanceof Promise) await result;
    return 'accepted';
  } catch (error) {
    return error;
  }
}

describe.each(TOPOLOGIES)('options arguments that are not objects (%s)', (topology) => {
  const redis = useTopology(topology);

  it.each(Object.keys(CALLS))('%s', async (name) => {
    const kr = redis.kickass();
    const call = CALLS[name];
    if (call === undefined) throw new Error(name);
    for (const bad of NOT_OPTIONS) {
      const error = await outcome(() => call(kr, bad as never));
      expect(error, `${name}(${typeof bad === 'function' ? 'a function' : JSON.stringify(bad)})`).toBeInstanceOf(KickassError);
    }
    expect(await keysWithPrefix(redis.client, redis.prefix)).toEqual([]);
  });
});
