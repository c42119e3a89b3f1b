// Unique counters against a brute-force model (JS Sets keyed by an independent reading of local
// time), on generated events around DST changes and month ends, with integer and mapped ids, on
// both topologies; set algebra in one group (server side) and across groups (in the process).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SlotUnit, Weekday } from '../../src/counters/calendar.js';
import { IdOutOfRangeError, UnsupportedCounterOperationError } from '../../src/counters/errors.js';
import type { SlotSet} from '../../src/counters/expression.js';
import { and, not, or, xor } from '../../src/counters/expression.js';
import type { UniqueCounter } from '../../src/counters/unique-counter.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { slotIdentity } from './slot-model.js';

const UNITS: SlotUnit[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const DAY = 86_400_000;

/** Distinct ids per slot, by unit and slot identity. */
class CounterModel<Id> {
  readonly slots = new Map<string, Set<Id>>();
  constructor(
    readonly zone: string,
    readonly weekStart: Weekday,
  ) {}

  add(id: Id, at: number): void {
    for (const unit of UNITS) {
      const key = `${unit} ${slotIdentity(this.zone, this.weekStart, unit, at)}`;
      let set = this.slots.get(key);
      if (set === undefined) this.slots.set(key, (set = new Set()));
      set.add(id);
    }
  }

  of(unit: SlotUnit, at: number): Set<Id> {
    return this.slots.get(`${unit} ${slotIdentity(this.zone, this.weekStart, unit, at)}`) ?? new Set();
  }
}

const sorted = <T,>(values: Iterable<T>): T[] => [...values].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** Instants within 3 days of a DST change (New York, 1 November 2026) or a month and year end. */
const atArb = fc.oneof(fc.integer({ min: Date.UTC(2026, 9, 29), max: Date.UTC(2026, 10, 4) }), fc.integer({ min: Date.UTC(2026, 11, 29), max: Date.UTC(2027, 0, 2) }));

describe.each(TOPOLOGIES)('unique counters on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([
    ['America/New_York', 0, 'integer'],
    ['Asia/Kolkata', 1, 'mapped'],
  ] as const)('count, counts, has and members equal a brute-force model (%s, week from %i, %s ids)', async (zone, weekStart, kind) => {
    const kr = redis.kickass();
    const mapped = kind === 'mapped';
    const counter: UniqueCounter<string> | UniqueCounter = mapped
      ? kr.uniqueCounter('visits', { slots: UNITS, timeZone: zone, weekStart, ids: { map: 'users', expectedIds: 2000 } })
      : kr.uniqueCounter('visits', { slots: UNITS, timeZone: zone, weekStart, maxId: 100_000 });
    const idArb = mapped ? fc.integer({ min: 0, max: 299 }).map((n) => (n % 7 === 0 ? `ü-${String(n)}:{x}` : `user-${String(n)}`)) : fc.integer({ min: 0, max: 299 }).map((n) => n * 331);
    const events = fc.sample(fc.record({ id: idArb, at: atArb }), { numRuns: 3000, seed: mapped ? 31 : 32 }) as { id: string & number; at: number }[];
    const model = new CounterModel<string | number>(zone, weekStart);
    for (const e of events) model.add(e.id, e.at);
    for (const e of events.slice(0, 20)) await counter.add(e.id, e.at);
    for (let i = 20; i < events.length; i += 1000) await counter.addMany(events.slice(i, i + 1000));

    for (const e of events.slice(0, 150)) {
      for (const unit of UNITS) expect(await counter.count(unit, e.at), `${unit} ${new Date(e.at).toISOString()}`).toBe(model.of(unit, e.at).size);
    }
    for (const unit of ['hour', 'day', 'week'] as const) {
      const series = await counter.counts(unit, Date.UTC(2026, 9, 28), Date.UTC(2027, 0, 3));
      for (const { start, count } of series) expect(count, `${unit} ${start.toISOString()}`).toBe(model.of(unit, start.getTime()).size);
      expect(series.reduce((n, s) => n + s.count, 0)).toBeGreaterThan(0);
    }
    for (const e of events.slice(0, 40)) {
      expect(await counter.has(e.id, 'day', e.at)).toBe(true);
      const other = events[(events.indexOf(e) + 1500) % events.length] as { id: string & number; at: number };
      expect(await counter.has(other.id, 'hour', e.at)).toBe(model.of('hour', e.at).has(other.id));
      const day = sorted(await collect<string | number>(counter.members('day', e.at)));
      expect(day).toEqual(sorted(model.of('day', e.at)));
    }
    // an id never counted, and a slot with nothing
    expect(await counter.has(mapped ? ('nobody' as never) : (99_999 as never), 'day', events[0]?.at)).toBe(false);
    expect(await counter.count('day', Date.UTC(2030, 0, 1))).toBe(0);
  });

  it('adds a big batch like the model: several add calls, ids numbered ahead, the slot cache renewed between calls', async () => {
    const kr = redis.kickass();
    const zone = 'America/New_York';
    const counter = kr.uniqueCounter('big', { slots: ['hour', 'day', 'month'], timeZone: zone, ids: { map: 'big', expectedIds: 30_000, cacheSize: 5_000 } });
    // 130,000 events over 300 days: more than two add calls, and more distinct minutes than the slot cache keeps
    const [idArb, atArb300] = [fc.integer({ min: 0, max: 29_999 }), fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 1) + 300 * DAY })];
    const events = fc.sample(fc.record({ id: idArb.map((n) => `u-${String(n)}`), at: atArb300 }), { numRuns: 130_000, seed: 5 });
    await counter.addMany(events);
    const days = new Map<string, Set<string>>();
    for (const e of events) {
      const day = slotIdentity(zone, 1, 'day', e.at);
      let set = days.get(day);
      if (set === undefined) days.set(day, (set = new Set()));
      set.add(e.id);
    }
    const series = await counter.counts('day', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 300 * DAY);
    for (const { start, count } of series) expect(count, start.toISOString()).toBe(days.get(slotIdentity(zone, 1, 'day', start.getTime()))?.size ?? 0);
    expect(series.filter((s) => s.count > 0).length).toBeGreaterThan(290);
    for (const e of events.slice(0, 3)) expect(sorted(await collect(counter.members('day', e.at)))).toEqual(sorted(days.get(slotIdentity(zone, 1, 'day', e.at)) ?? []));
    const ids = new Set(events.map((e) => e.id));
    const months = Array.from({ length: 11 }, (_, m) => counter.slot('month', Date.UTC(2026, m, 15)));
    expect(await counter.slot('month', Date.UTC(2025, 11, 20)).or(...months).count()).toBe(ids.size);
  });

  it('counts like the model in random time zones, week starts and instants (property)', async () => {
    const kr = redis.kickass();
    const zones = ['America/New_York', 'Asia/Kolkata', 'Europe/Paris', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham', 'UTC'];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 40 }), at: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 11, 31) }) }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 4 * 86_400_000 }),
        async (zone, weekStart, spread, width) => {
          // events bunched within a few days of the first, so that slots hold several
          const base = (spread[0] as { at: number }).at;
          const events = spread.map((e, i) => ({ id: e.id, at: base + ((e.at - base) % (width + 1)) * (i % 2 === 0 ? 1 : -1) }));
          const counter = kr.uniqueCounter(`p${String(run++)}`, { slots: UNITS, timeZone: zone, weekStart: weekStart as Weekday });
          await counter.addMany(events);
          const model = new CounterModel<number>(zone, weekStart as Weekday);
          for (const e of events) model.add(e.id, e.at);
          for (const e of events.slice(0, 10)) {
            for (const unit of UNITS) expect(await counter.count(unit, e.at), `${zone} ${unit} ${new Date(e.at).toISOString()}`).toBe(model.of(unit, e.at).size);
          }
        },
      ),
      { numRuns: 25, seed: 77 },
    );
  });

  it('combines slots with and, or, xor and not like JS sets: one group on the server, several in the process', async () => {
    const kr = redis.kickass();
    const a = kr.uniqueCounter('a', { slots: ['day', 'week'], group: 'g' });
    const b = kr.uniqueCounter('b', { slots: ['day', 'week'], group: 'g' });
    const c = kr.uniqueCounter('c', { slots: ['day', 'week'], group: 'h' });
    const days = [Date.UTC(2026, 4, 4, 12), Date.UTC(2026, 4, 5, 12), Date.UTC(2026, 4, 12, 12)];
    const model = new Map<string, Set<number>>();
    const universes = new Map<string, Set<number>>([
      ['g', new Set()],
      ['h', new Set()],
    ]);
    const counters = [
      [a, 'g'],
      [b, 'g'],
      [c, 'h'],
    ] as const;
    for (const [i, [counter, group]] of counters.entries()) {
      const events = fc.sample(fc.record({ id: fc.integer({ min: 0, max: 400 }), at: fc.constantFrom(...days) }), { numRuns: 500, seed: 50 + i });
      await counter.addMany(events);
      for (const e of events) {
        universes.get(group)?.add(e.id);
        for (const unit of ['day', 'week'] as const) {
          const key = `${counter.name} ${unit} ${String(counter.calendar.slotStart(unit, e.at))}`;
          if (!model.has(key)) model.set(key, new Set());
          model.get(key)?.add(e.id);
        }
      }
    }
    type Tree = { op: 'slot'; counter: 0 | 1 | 2; unit: 'day' | 'week'; day: number } | { op: 'and' | 'or' | 'xor'; of: Tree[] } | { op: 'not'; of: Tree };
    const leaf = (cs: readonly (0 | 1 | 2)[]): fc.Arbitrary<Tree> => fc.record({ op: fc.constant('slot' as const), counter: fc.constantFrom(...cs), unit: fc.constantFrom('day' as const, 'week' as const), day: fc.integer({ min: 0, max: 2 }) });
    const treeArb = (cs: readonly (0 | 1 | 2)[]): fc.Arbitrary<Tree> =>
      fc.letrec<{ t: Tree }>((tie) => ({
        t: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          leaf(cs),
          fc.record({ op: fc.constantFrom('and' as const, 'or' as const, 'xor' as const), of: fc.array(tie('t'), { minLength: 1, maxLength: 3 }) }),
          fc.record({ op: fc.constant('not' as const), of: tie('t') }),
        ),
      })).t;
    const build = (t: Tree): SlotSet => {
      if (t.op === 'slot') return (counters[t.counter][0]).slot(t.unit, days[t.day]);
      if (t.op === 'not') return not(build(t.of));
      const sets = t.of.map(build);
      return t.op === 'and' ? and(...sets) : t.op === 'or' ? or(...sets) : xor(...sets);
    };
    const groupsOf = (t: Tree, out = new Set<string>()): Set<string> => {
      if (t.op === 'slot') out.add(counters[t.counter][1]);
      else if (t.op === 'not') groupsOf(t.of, out);
      else for (const x of t.of) groupsOf(x, out);
      return out;
    };
    const expected = (t: Tree, universe: Set<number>): Set<number> => {
      if (t.op === 'slot') {
        const counter = counters[t.counter][0];
        return model.get(`${counter.name} ${t.unit} ${String(counter.calendar.slotStart(t.unit, days[t.day] as number))}`) ?? new Set();
      }
      if (t.op === 'not') {
        const x = expected(t.of, universe);
        return new Set([...universe].filter((id) => !x.has(id)));
      }
      const sets = t.of.map((x) => expected(x, universe));
      if (t.op === 'and') return new Set([...(sets[0] ?? [])].filter((id) => sets.every((s) => s.has(id))));
      if (t.op === 'or') return new Set(sets.flatMap((s) => [...s]));
      const counts = new Map<number, number>();
      for (const s of sets) for (const id of s) counts.set(id, (counts.get(id) ?? 0) + 1);
      return new Set([...counts].filter(([, n]) => n % 2 === 1).map(([id]) => id));
    };
    for (const [label, cs, seed] of [
      ['one group', [0, 1] as const, 3],
      ['two groups', [0, 1, 2] as const, 4],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(treeArb(cs), async (t) => {
          const universe = new Set([...groupsOf(t)].flatMap((g) => [...(universes.get(g) ?? [])]));
          const want = expected(t, universe);
          const set = build(t);
          expect(await set.count(), label).toBe(want.size);
          expect(sorted(await collect<number>(set.members())), label).toEqual(sorted(want));
        }),
        { numRuns: 60, seed },
      );
    }
    // results are kept with a TTL and scratch keys never outlive a call
    const kept = (await keysWithPrefix(redis.client, kr.prefix)).filter((k) => /:(q|t):/.test(k));
    expect(kept.length).toBeGreaterThan(0);
    for (const key of kept) {
      expect(key, 'no scratch key left').toMatch(/:q:/);
      expect(await redis.client.pttl(key)).toBeGreaterThan(0);
    }
    // a fresh evaluation sees a new event; a kept one does not until asked
    const both = and(a.slot('day', days[0]), b.slot('day', days[0]));
    const before = await both.count();
    await a.add(401, days[0]);
    await b.add(401, days[0]);
    expect(await both.count()).toBe(before);
    expect(await both.count({ fresh: true })).toBe(before + 1);
  });

  it('expires each slot at its end plus its retention, and never the universe', async () => {
    const kr = redis.kickass();
    const counter = kr.uniqueCounter('r', { slots: ['hour', 'day'], retention: { hour: '2d' }, timeZone: 'Europe/Paris' });
    const at = Date.now();
    await counter.add(5, at);
    const keys = await keysWithPrefix(redis.client, kr.prefix);
    const hourKey = keys.find((k) => k.includes(':hour:'));
    const dayKey = keys.find((k) => k.includes(':day:'));
    const universe = keys.find((k) => k.includes(':u:'));
    const hourEnd = counter.calendar.nextSlotStart('hour', counter.calendar.slotStart('hour', at));
    const ttl = await redis.client.pttl(hourKey ?? '');
    expect(Math.abs(Date.now() + ttl - (hourEnd + 2 * DAY))).toBeLessThan(5_000);
    expect(await redis.client.pttl(dayKey ?? '')).toBe(-1);
    expect(await redis.client.pttl(universe ?? '')).toBe(-1);
    // an event older than its retention leaves no slot, but its id joins the group's universe
    const old = kr.uniqueCounter('old', { slots: ['day'], retention: { day: '1h' }, group: 'r' });
    await old.add(77, Date.UTC(2020, 0, 1));
    expect(await old.count('day', Date.UTC(2020, 0, 1))).toBe(0);
    expect(await not(counter.slot('day', at)).count()).toBe(1);
  });

  it('rejects bad ids, options and slots with typed errors, writing nothing', async () => {
    const kr = redis.kickass();
    const counter = kr.uniqueCounter('v', { slots: ['day'], maxId: 1000 });
    for (const id of [-1, 1001, 1.5, Number.NaN, '7' as unknown as number]) {
      await expect(counter.addMany([{ id: 3, at: 0 + Date.UTC(2026, 0, 1) }, { id }])).rejects.toThrow(IdOutOfRangeError);
    }
    await expect(counter.add(3, Number.NaN)).rejects.toThrow(InvalidArgumentError);
    expect(await keysWithPrefix(redis.client, kr.prefix)).toEqual([]);
    await expect(counter.count('hour')).rejects.toThrow(/does not count hour slots/);
    expect(() => kr.uniqueCounter('x', { slots: ['fortnight' as SlotUnit] })).toThrow(/slots\[0\]/);
    expect(() => kr.uniqueCounter('x', { timeZone: 'Nowhere/Else' })).toThrow(/timeZone/);
    expect(() => kr.uniqueCounter('x', { retention: { day: 'soon' } })).toThrow(/retention.day/);
    expect(() => kr.uniqueCounter('bad name')).toThrow(InvalidArgumentError);
    const mapped = kr.uniqueCounter('m', { ids: { map: 'people' } });
    await expect(mapped.add('')).rejects.toThrow(IdOutOfRangeError);
    await expect(mapped.add('x'.repeat(2000))).rejects.toThrow(IdOutOfRangeError);
    expect(await keysWithPrefix(redis.client, kr.prefix)).toEqual([]);
    // sets of different id spaces do not combine
    const plain = kr.uniqueCounter('p', { slots: ['day'] });
    expect(() => and(plain.slot('day') as unknown as SlotSet<string>, mapped.slot('day'))).not.toThrow();
    await expect(and(plain.slot('day') as unknown as SlotSet<string>, mapped.slot('day')).count()).rejects.toThrow(UnsupportedCounterOperationError);
  });

  it('counts approximately with HyperLogLog (within 2% on 5,000 ids) and refuses what needs bitmaps', async () => {
    const kr = redis.kickass();
    const hll = kr.uniqueCounter('approx', { slots: ['day'], approximate: true, group: 'web' });
    const other = kr.uniqueCounter('approx2', { slots: ['day'], approximate: true, group: 'web' });
    const at = Date.UTC(2026, 5, 1, 12);
    await hll.addMany(Array.from({ length: 5000 }, (_, i) => ({ id: i * 7, at })));
    await other.addMany(Array.from({ length: 5000 }, (_, i) => ({ id: i * 7 + 3, at })));
    const one = await hll.count('day', at);
    expect(Math.abs(one - 5000) / 5000).toBeLessThan(0.02);
    const union = await or(hll.slot('day', at), other.slot('day', at)).count();
    expect(Math.abs(union - 10_000) / 10_000).toBeLessThan(0.02);
    await expect(hll.has(7, 'day', at)).rejects.toThrow(UnsupportedCounterOperationError);
    await expect(collect(hll.members('day', at))).rejects.toThrow(UnsupportedCounterOperationError);
    await expect(and(hll.slot('day', at), other.slot('day', at)).count()).rejects.toThrow(UnsupportedCounterOperationError);
  });
});
