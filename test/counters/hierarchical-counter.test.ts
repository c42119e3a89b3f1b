// Hierarchical counters against a brute-force model (a Map per node and slot, slots named by an
// independent reading of local time), on random paths of depth 1-5 with hostile segments and random
// increments around a DST change and month ends, on both topologies; buffering, expiry, bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SlotUnit, Weekday } from '../../src/counters/calendar.js';
import type { NodeValue } from '../../src/counters/hierarchy-types.js';
import { InvalidArgumentError, ScriptError, StateError } from '../../src/core/errors.js';
import { Kickass } from '../../src/kickass.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { slotIdentity } from './slot-model.js';

const UNITS: SlotUnit[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];

interface ModelCell {
  sum: number;
  count: number;
  min: number;
  max: number;
  ids: Set<string>;
}

/** Sum, count, min, max and ids per node and slot, by path and slot identity. */
class HierarchyModel {
  readonly cells = new Map<string, ModelCell>();
  /** Children ever seen, by parent path. */
  readonly children = new Map<string, Set<string>>();
  constructor(
    readonly zone: string,
    readonly weekStart: Weekday,
    readonly units: readonly SlotUnit[] = UNITS,
  ) {}

  readonly #names = new Map<string, string>();

  key(path: readonly string[], unit: SlotUnit, at: number): string {
    // a slot's name depends on the minute only (boundaries fall on whole minutes)
    const minute = `${unit} ${String(Math.floor(at / 60_000))}`;
    let name = this.#names.get(minute);
    if (name === undefined) this.#names.set(minute, (name = slotIdentity(this.zone, this.weekStart, unit, at)));
    return `${JSON.stringify(path)} ${unit} ${name}`;
  }

  add(path: readonly string[], by: number, at: number, id: string): void {
    for (let depth = 0; depth <= path.length; depth++) {
      const node = path.slice(0, depth);
      if (depth > 0) {
        const parent = JSON.stringify(path.slice(0, depth - 1));
        let set = this.children.get(parent);
        if (set === undefined) this.children.set(parent, (set = new Set()));
        set.add(path[depth - 1] as string);
      }
      for (const unit of this.units) {
        const key = this.key(node, unit, at);
        let cell = this.cells.get(key);
        if (cell === undefined) this.cells.set(key, (cell = { sum: 0, count: 0, min: by, max: by, ids: new Set() }));
        cell.sum += by;
        cell.count++;
        cell.min = Math.min(cell.min, by);
        cell.max = Math.max(cell.max, by);
        cell.ids.add(id);
      }
    }
  }

  value(path: readonly string[], unit: SlotUnit, at: number): { sum: number; count: number; min?: number; max?: number; unique: number } {
    const cell = this.cells.get(this.key(path, unit, at));
    if (cell === undefined) return { sum: 0, count: 0, unique: 0 };
    return { sum: cell.sum, count: cell.count, min: cell.min, max: cell.max, unique: cell.ids.size };
  }
}

/** HyperLogLog counts: exact or within 3% (at least 1). */
function expectUnique(actual: number | undefined, expected: number, what: string): void {
  expect(Math.abs((actual ?? -1) - expected), what).toBeLessThanOrEqual(Math.max(1, Math.ceil(expected * 0.03)));
}

function expectValue(actual: NodeValue, expected: ReturnType<HierarchyModel['value']>, what: string): void {
  expect({ sum: actual.sum, count: actual.count, min: actual.min, max: actual.max }, what).toEqual({ sum: expected.sum, count: expected.count, min: expected.min, max: expected.max });
  expectUnique(actual.unique, expected.unique, `${what} unique`);
}

/** Segments that share prefixes, with characters that must never reach a key name raw. */
const segmentArb = fc.constantFrom('us', 'ca', 'sf', '/home', 'a:b', '{tag}', 'x*?[', 'ü', '日本', ' ', 'fr');
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 5 });
/** Instants within 3 days of a DST change (New York, 1 November 2026) or a month and year end. */
const atArb = fc.oneof(fc.integer({ min: Date.UTC(2026, 9, 30), max: Date.UTC(2026, 10, 3) }), fc.integer({ min: Date.UTC(2026, 11, 30), max: Date.UTC(2027, 0, 2) }));

describe.each(TOPOLOGIES)('hierarchical counters on %s', (topology) => {
  const redis = useTopology(topology);

  it('every node, resolution, series, total and breakdown equals a brute-force model (property)', async () => {
    const kr = redis.kickass();
    const zones = ['America/New_York', 'Asia/Kolkata', 'Europe/Paris', 'UTC'];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.record({ path: pathArb, by: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constant(1)), at: atArb, id: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 80 }),
        async (zone, weekStart, events) => {
          // every other counter ranks other resolutions, so that both ways of reading a breakdown are checked
          const ranked: SlotUnit[] | undefined = run % 2 === 0 ? undefined : ['minute', 'week'];
          const counter = kr.hierarchicalCounter(`p${String(run++)}`, { resolutions: UNITS, ranked, timeZone: zone, weekStart: weekStart as Weekday, minMax: true, unique: true });
          const model = new HierarchyModel(zone, weekStart as Weekday);
          for (const e of events) model.add(e.path, e.by, e.at, `u${String(e.id)}`);
          const increments = events.map((e) => ({ path: e.path, by: e.by, at: e.at, id: `u${String(e.id)}` }));
          // one by one, then the rest in one call
          for (const e of increments.slice(0, 3)) await counter.incr(e.path, { by: e.by, at: e.at, id: e.id });
          await counter.incrMany(increments.slice(3));
          for (const e of events.slice(0, 8)) {
            for (let depth = 0; depth <= e.path.length; depth++) {
              const node = e.path.slice(0, depth);
              for (const unit of UNITS) expectValue(await counter.get(node, unit, e.at), model.value(node, unit, e.at), `${zone} ${JSON.stringify(node)} ${unit} ${new Date(e.at).toISOString()}`);
            }
          }
          // a breakdown is every child the model has in that slot; a parent is the sum of its children and its own increments
          const e0 = events[0] as (typeof events)[number];
          for (let depth = 0; depth < e0.path.length; depth++) {
            const node = e0.path.slice(0, depth);
            for (const unit of ['minute', 'hour', 'day', 'week'] as const) {
              const { total, children } = await counter.children(node, unit, e0.at, { top: 100 });
              const expected = [...(model.children.get(JSON.stringify(node)) ?? [])].map((s) => ({ s, v: model.value([...node, s], unit, e0.at) })).filter((c) => c.v.count > 0);
              expect(total).toBe(expected.length);
              expect(children.map((c) => c.sum)).toEqual(expected.map((c) => c.v.sum).sort((a, b) => b - a));
              for (const child of children) expectValue(child, model.value(child.path, unit, e0.at), `child ${JSON.stringify(child.path)}`);
              const direct = events.filter((e) => JSON.stringify(e.path) === JSON.stringify(node) && slotIdentity(zone, weekStart as Weekday, unit, e.at) === slotIdentity(zone, weekStart as Weekday, unit, e0.at)).reduce((n, e) => n + e.by, 0);
              const parent = await counter.get(node, unit, e0.at);
              expect(children.reduce((n, c) => n + c.sum, 0) + direct).toBe(parent.sum);
              // other orders: the smallest counts first, the largest max first, the first two only
              const byCount = await counter.children(node, unit, e0.at, { top: 2, order: 'count', direction: 'asc' });
              expect(byCount.children.map((c) => c.count)).toEqual(expected.map((c) => c.v.count).sort((a, b) => a - b).slice(0, 2));
              const byMax = await counter.children(node, unit, e0.at, { top: 2, order: 'max' });
              expect(byMax.children.map((c) => c.max)).toEqual(expected.map((c) => c.v.max as number).sort((a, b) => b - a).slice(0, 2));
            }
          }
          // a series is zero-filled; a total adds the slots up
          const from = Date.UTC(2026, 9, 30);
          const to = Date.UTC(2027, 0, 2);
          for (const unit of ['day', 'week'] as const) {
            const path = e0.path.slice(0, 1);
            const series = await counter.series(path, unit, from, to);
            for (const s of series) expectValue(s, model.value(path, unit, s.start.getTime()), `series ${unit} ${s.start.toISOString()}`);
            const total = await counter.total(path, unit, from, to);
            expect(total.sum).toBe(series.reduce((n, s) => n + s.sum, 0));
            expect(total.count).toBe(events.filter((e) => e.path[0] === path[0] && series.some((s) => model.key(path, unit, s.start.getTime()) === model.key(path, unit, e.at))).length);
          }
          const descendants = await counter.descendants([], 5);
          const expectedNodes = new Set(events.flatMap((e) => e.path.map((_, d) => JSON.stringify(e.path.slice(0, d + 1)))));
          expect(new Set(descendants.map((d) => JSON.stringify(d)))).toEqual(expectedNodes);
        },
      ),
      { numRuns: 12, seed: 606 },
    );
    // hostile segments stayed inside the prefix
    for (const key of await keysWithPrefix(redis.client, kr.prefix)) expect(key.startsWith(`{${kr.prefix}:hc:`)).toBe(true);
  });

  it('merges a big batch like a naive per-event model: 20,000 increments over 500 leaves of depth 4', async () => {
    const kr = redis.kickass();
    const counter = kr.hierarchicalCounter('big', { resolutions: ['minute', 'hour', 'day', 'month'] });
    const leaves = Array.from({ length: 500 }, (_, i) => [`c${String(i % 5)}`, `r${String(i % 17)}`, `t${String(i % 41)}`, `p${String(i)}`]);
    const events = fc.sample(fc.record({ leaf: fc.integer({ min: 0, max: 499 }), at: fc.integer({ min: Date.UTC(2026, 2, 31, 23), max: Date.UTC(2026, 3, 1, 1) }), by: fc.integer({ min: 1, max: 9 }) }), { numRuns: 20_000, seed: 9 });
    await counter.incrMany(events.map((e) => ({ path: leaves[e.leaf] as string[], by: e.by, at: e.at })));
    const model = new HierarchyModel('UTC', 1, ['minute', 'hour', 'day', 'month']);
    for (const e of events) model.add(leaves[e.leaf] as string[], e.by, e.at, '');
    for (const e of events.slice(0, 30)) {
      const leaf = leaves[e.leaf] as string[];
      for (let depth = 0; depth <= 4; depth++) {
        for (const unit of ['minute', 'hour', 'day', 'month'] as const) {
          const v = await counter.get(leaf.slice(0, depth), unit, e.at);
          const m = model.value(leaf.slice(0, depth), unit, e.at);
          expect([v.sum, v.count], `${JSON.stringify(leaf.slice(0, depth))} ${unit}`).toEqual([m.sum, m.count]);
        }
      }
    }
    const top = await counter.children(['c0'], 'day', Date.UTC(2026, 3, 1, 1), { top: 3, order: 'count' });
    const all = [...(model.children.get(JSON.stringify(['c0'])) ?? [])].map((s) => model.value(['c0', s], 'day', Date.UTC(2026, 3, 1, 1)).count).sort((a, b) => b - a);
    expect(top.children.map((c) => c.count)).toEqual(all.slice(0, 3));
  });

  it('stays exact when several writers add to the same nodes and slots at once (merges on the server)', async () => {
    const [a, b] = [redis.kickass(), redis.kickass()];
    const options = { resolutions: ['minute', 'hour', 'day'] as SlotUnit[], minMax: true };
    const writers = [a.hierarchicalCounter('shared', options), b.hierarchicalCounter('shared', options), a.hierarchicalCounter('shared', options)];
    const base = Date.UTC(2026, 4, 1, 10);
    const events = fc.sample(fc.record({ path: pathArb, by: fc.integer({ min: -3, max: 9 }), at: fc.integer({ min: base, max: base + 5 * 60_000 }) }), { numRuns: 3_000, seed: 12 });
    // every writer sends its share in small calls, all at once: the same minutes' values are merged again and again
    await Promise.all(writers.map(async (writer, w) => {
      const mine = events.filter((_, i) => i % writers.length === w);
      for (let i = 0; i < mine.length; i += 50) await writer.incrMany(mine.slice(i, i + 50));
    }));
    const model = new HierarchyModel('UTC', 1, ['minute', 'hour', 'day']);
    for (const e of events) model.add(e.path, e.by, e.at, '');
    const reader = writers[1] as (typeof writers)[number];
    for (const e of events.slice(0, 40)) {
      for (let depth = 0; depth <= e.path.length; depth++) {
        for (const unit of ['minute', 'hour', 'day'] as const) {
          const v = await reader.get(e.path.slice(0, depth), unit, e.at);
          const m = model.value(e.path.slice(0, depth), unit, e.at);
          expect([v.sum, v.count, v.min, v.max], `${JSON.stringify(e.path.slice(0, depth))} ${unit}`).toEqual([m.sum, m.count, m.min, m.max]);
        }
      }
    }
  });

  it('buffers increments, writes them on flush, when full, on its timer and on close; loses nothing on a graceful stop', async () => {
    const writer = new Kickass({ prefix: redis.prefix, connection: redis.client });
    const errors: Error[] = [];
    const counter = writer.hierarchicalCounter('buffered', { resolutions: ['day'], buffer: { ms: 60_000, maxEvents: 1_000, onError: (e) => errors.push(e) } });
    const reader = redis.kickass().hierarchicalCounter('buffered', { resolutions: ['day'] });
    const at = Date.UTC(2026, 5, 1);
    for (let i = 0; i < 10; i++) await counter.incr(['a', `b${String(i % 3)}`], { at });
    expect((await reader.get(['a'], 'day', at)).count).toBe(0);
    await counter.flush();
    expect((await reader.get(['a'], 'day', at)).count).toBe(10);
    // the call that fills the buffer waits for its write
    await counter.incrMany(Array.from({ length: 1_000 }, () => ({ path: ['a'], at })));
    expect((await reader.get(['a'], 'day', at)).count).toBe(1_010);
    // increments buffered and never flushed by hand are written by close()
    await Promise.all(Array.from({ length: 250 }, (_, i) => counter.incr(['a', 'b1', String(i)], { at, by: 2 })));
    await writer.close();
    expect(await reader.get(['a'], 'day', at)).toEqual({ sum: 1_510, count: 1_260 });
    expect((await reader.children(['a', 'b1'], 'day', at, { top: 1000 })).total).toBe(250);
    await expect(counter.incr(['a'], { at })).rejects.toBeInstanceOf(StateError);
    // a short timer writes by itself
    const timed = redis.kickass().hierarchicalCounter('timed', { resolutions: ['day'], buffer: { ms: 20 } });
    await timed.incr(['t'], { at });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await reader.get([], 'day', at)).count).toBe(1_260);
    expect((await redis.kickass().hierarchicalCounter('timed', { resolutions: ['day'] }).get(['t'], 'day', at)).count).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reports a failed buffered write to onError, or by the next flush, once, without retrying it', async () => {
    const kr = redis.kickass();
    const at = Date.UTC(2026, 6, 1, 12);
    // the top tag's values for that day are not a hash: the script fails on them
    await redis.client.set(`{${kr.prefix}:hc:broken}:v:d:${String(Date.UTC(2026, 6, 1) / 1000)}`, 'not a hash');
    const errors: Error[] = [];
    const handled = kr.hierarchicalCounter('broken', { resolutions: ['day'], buffer: { ms: 10, onError: (e) => errors.push(e) } });
    await handled.incr(['a'], { at });
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ScriptError);
    const kept = kr.hierarchicalCounter('broken', { resolutions: ['day'], buffer: { ms: 10 } });
    await kept.incr(['a'], { at });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(kept.flush()).rejects.toBeInstanceOf(ScriptError);
    await expect(kept.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('expires each slot at its end plus its retention, the list of children with the last of them', async () => {
    const kr = redis.kickass();
    const counter = kr.hierarchicalCounter('kept', { resolutions: ['minute', 'hour', 'day'], retention: { minute: '1h', hour: '2d', day: '400d' } });
    const at = Date.now() - 3_600_000;
    await counter.incr(['a', 'b'], { at });
    const keys = await keysWithPrefix(redis.client, kr.prefix);
    expect(keys.length).toBeGreaterThan(0);
    const hourEnd = Math.floor(at / 3_600_000) * 3_600_000 + 3_600_000;
    const dayEnd = Math.floor(at / 86_400_000) * 86_400_000 + 86_400_000;
    for (const key of keys) {
      const expireAt = await redis.client.pexpiretime(key);
      if (/:k(:|$)/.test(key)) expect(expireAt, key).toBe(dayEnd + 400 * 86_400_000);
      else if (/:b:i:/.test(key)) expect(expireAt, key).toBe(Math.floor(at / 60_000) * 60_000 + 60_000 + 3_600_000);
      else if (/:[vr]:h:/.test(key)) expect(expireAt, key).toBe(hourEnd + 2 * 86_400_000);
      else expect(expireAt, key).toBe(dayEnd + 400 * 86_400_000);
    }
  });

  it('rejects bad paths, increments and options with typed errors naming the field, writing nothing', async () => {
    const kr = redis.kickass();
    const counter = kr.hierarchicalCounter('bad', { resolutions: ['day'], unique: true });
    const ok = { path: ['a'], id: 'u' };
    const bad: [unknown, string][] = [
      [{ path: [], id: 'u' }, 'increments[1].path'],
      [{ path: ['a', ''], id: 'u' }, 'increments[1].path[1]'],
      [{ path: ['a', 'x'.repeat(257)], id: 'u' }, 'increments[1].path[1]'],
      [{ path: ['ü'.repeat(129)], id: 'u' }, 'increments[1].path[0]'],
      [{ path: Array.from({ length: 17 }, () => 'a'), id: 'u' }, 'increments[1].path'],
      [{ path: ['a', 7], id: 'u' }, 'increments[1].path[1]'],
      [{ path: ['\ud800'], id: 'u' }, 'increments[1].path[0]'],
      [{ path: 'a/b', id: 'u' }, 'increments[1].path'],
      [{ path: ['a'], by: Number.NaN, id: 'u' }, 'increments[1].by'],
      [{ path: ['a'], by: '1', id: 'u' }, 'increments[1].by'],
      [{ path: ['a'], at: 'yesterday', id: 'u' }, 'increments[1].at'],
      [{ path: ['a'] }, 'increments[1].id'],
      [{ path: ['a'], id: '' }, 'increments[1].id'],
    ];
    for (const [increment, field] of bad) {
      const error = await counter.incrMany([ok, increment as never]).then(() => null, (e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).context.field, JSON.stringify(increment)).toBe(field);
    }
    expect(await keysWithPrefix(redis.client, kr.prefix)).toEqual([]);
    expect(() => kr.hierarchicalCounter('bad name')).toThrow(InvalidArgumentError);
    expect(() => kr.hierarchicalCounter('x', { resolutions: ['fortnight' as never] })).toThrow(InvalidArgumentError);
    expect(() => kr.hierarchicalCounter('x', { retention: { day: 'soon' as never } })).toThrow(InvalidArgumentError);
    expect(() => kr.hierarchicalCounter('x', { buffer: { ms: 0 } })).toThrow(InvalidArgumentError);
    const plain = kr.hierarchicalCounter('plain', { resolutions: ['day'] });
    await expect(plain.incr(['a'], { id: 'u' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(plain.get(['a'], 'hour')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(plain.children(['a'], 'day', 0, { top: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(plain.children(['a'], 'day', 0, { order: 'max' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(plain.descendants(['a'], 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await keysWithPrefix(redis.client, kr.prefix)).toEqual([]);
  });

  it('drops every key of a counter and no other', async () => {
    const kr = redis.kickass();
    const a = kr.hierarchicalCounter('a', { resolutions: ['day'], unique: true });
    const ab = kr.hierarchicalCounter('ab', { resolutions: ['day'] });
    await a.incrMany([{ path: ['x', 'y'], id: 1 }, { path: ['z'], id: 2 }]);
    await ab.incr(['x']);
    const before = await keysWithPrefix(redis.client, kr.prefix);
    expect(await a.drop()).toBe(before.filter((k) => k.startsWith(`{${kr.prefix}:hc:a}`) || k.startsWith(`{${kr.prefix}:hc:a:`)).length);
    const after = await keysWithPrefix(redis.client, kr.prefix);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((k) => k.startsWith(`{${kr.prefix}:hc:ab`))).toBe(true);
    expect((await ab.get(['x'], 'day')).count).toBe(1);
  });
});
