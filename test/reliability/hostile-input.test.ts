// Hostile input at every public entry point that takes user data: random values of any type and
// adversarial strings (key syntax, Lua, JSON, huge, unpaired surrogates) into models, queries and
// the text query language, the text, geo and suggestion indexes, counters, the cache, id
// generators and sync options. A call either works or fails with a typed KickassError (never a
// script error or a plain exception); a refused call writes nothing; no key outside the prefix
// ever appears (a private server, scanned).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KickassError, ScriptError } from '../../src/core/errors.js';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';
import { usePrivateServer } from './private-server.js';
import { NASTY_STRINGS } from '../store/fixtures.js';

const PREFIX = 'fz';
const nasty = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS, '\uD800', 'a\uDFFFb', '{fz:obj:user:0}:h:1', '*', 'x'.repeat(70_000), '__proto__', 'constructor', '-inf', '+', '(', '[a', 'NaN'),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const anyValue = fc.oneof(nasty, fc.anything({ maxDepth: 2, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }), fc.double(), fc.constantFrom(NaN, -0, Infinity, -Infinity, 2 ** 53, -(2 ** 63), null, undefined));

type Call = (kr: Kickass, value: unknown, other: unknown) => Promise<unknown>;

/** Entry points that take user data, each given hostile values. */
const CALLS: Record<string, Call> = {
  'model.create': (kr, v) => model(kr).create(v as never),
  'model.create fields': (kr, v, w) => model(kr).create({ name: v, score: w, tags: [v], home: w } as never),
  'model.update': (kr, v, w) => model(kr).update(v as never, { name: w } as never),
  'model.get': (kr, v) => model(kr).get(v as never),
  'model.getMany': (kr, v) => model(kr).getMany(v as never),
  'model.find': (kr, v) => model(kr).find(v as never).all(),
  'model.find field': (kr, v, w) => model(kr).find({ name: v, score: { gte: w } } as never).all(),
  'model.sortBy': (kr, v, w) => model(kr).find().sortBy(v as never, w as never).limit(5).all(),
  'model.limit': (kr, v) => model(kr).find().limit(v as never).all(),
  'model.search': (kr, v) => model(kr).find().search(v as never).all(),
  'model.nearest': (kr, v, w) => model(kr).nearest('home', v as never, w as never),
  'model.delete': (kr, v) => model(kr).delete(v as never),
  'textIndex.add': (kr, v, w) => kr.textIndex('docs', { fields: { title: {} } }).add({ id: v, title: w } as never),
  'textIndex.search': (kr, v) => kr.textIndex('docs', { fields: { title: {} } }).search(v as never),
  'geoIndex.add': (kr, v, w) => kr.geoIndex('shops').add(v as never, w as never),
  'geoIndex.within': (kr, v) => kr.geoIndex('shops').within(v as never),
  'suggester.add': (kr, v, w) => kr.suggester('s').add(v as never, w as never),
  'suggester.suggest': (kr, v, w) => kr.suggester('s').suggest(v as never, w as never),
  'uniqueCounter.addMany': (kr, v, w) => kr.uniqueCounter('u', { slots: ['day'], ids: { map: 'm' } }).addMany([{ id: v, at: w }] as never),
  'uniqueCounter.count': (kr, v, w) => kr.uniqueCounter('u', { slots: ['day'], ids: { map: 'm' } }).count(v as never, w as never),
  'hierarchicalCounter.incr': (kr, v, w) => kr.hierarchicalCounter('h', { resolutions: ['day'] }).incr(v as never, w as never),
  'hierarchicalCounter.get': (kr, v, w) => kr.hierarchicalCounter('h', { resolutions: ['day'] }).get(v as never, 'day', w as never),
  'cache.getOrSet': (kr, v, w) => kr.cache({ namespace: 'c', ttl: '1m' }).getOrSet({ key: v, tags: w, factory: () => 1 } as never),
  'cache.set': (kr, v, w) => kr.cache({ namespace: 'c', ttl: '1m' }).set(v as never, w),
  'cache.invalidateTags': (kr, v) => kr.cache({ namespace: 'c', ttl: '1m' }).invalidateTags(v as never),
  'idGenerator.nextMany': (kr, v) => kr.idGenerator('ids').nextMany(v as never),
  'idGenerator options': (kr, v, w) => Promise.resolve(kr.idGenerator(v as never, { blockSize: w } as never)),
  'sync options': (kr, v, w) => Promise.resolve(kr.sync({ name: v, source: w, tables: { 'a.b': { model: model(kr) } } } as never)),
};

let cachedModel: ReturnType<typeof makeModel> | undefined;
function makeModel(kr: Kickass) {
  return kr.model('user', { name: t.string().index(), score: t.number().sortable(), tags: t.array(t.string()).index(), home: t.geo(), bio: t.text() }, { partitions: 2 });
}
function model(kr: Kickass): ReturnType<typeof makeModel> {
  cachedModel ??= makeModel(kr);
  return cachedModel;
}

describe('hostile input', () => {
  const fixture = usePrivateServer(PREFIX);

  beforeAll(async () => {
    await model(fixture.kr).create({ name: 'seed', score: 1 });
  });

  it.each(Object.keys(CALLS))('%s: works or fails typed, writes nothing when refused, stays in its prefix', async (name) => {
    const call = CALLS[name] as Call;
    await fc.assert(
      fc.asyncProperty(anyValue, anyValue, async (value, other) => {
        const before = await fixture.admin.dbsize();
        let refused: unknown = null;
        try {
          await call(fixture.kr, value, other);
        } catch (error) {
          refused = error;
        }
        if (refused !== null) {
          expect(refused, `${name} threw ${refused instanceof Error ? refused.message : typeof refused}`).toBeInstanceOf(KickassError);
          expect(refused).not.toBeInstanceOf(ScriptError);
          expect(await fixture.admin.dbsize()).toBe(before);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? '60') },
    );
    const outside = (await fixture.admin.keys('*')).filter((key) => !key.startsWith(`{${PREFIX}:`));
    expect(outside).toEqual([]);
  }, 120_000);
});
