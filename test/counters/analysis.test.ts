// Retention tables and funnels against a brute-force model (JS Sets per counter and day), with the
// counters in one group (one script) and in several (combined in the process), on both topologies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { funnel, retention } from '../../src/counters/analysis.js';
import { UnsupportedCounterOperationError } from '../../src/counters/errors.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { slotIdentity } from './slot-model.js';

const ZONE = 'America/New_York';
/** 12 days around the New York DST change of 1 November 2026 (one day of 25 hours). */
const FROM = Date.UTC(2026, 9, 27, 12);
const DAYS = 12;
const DAY = 86_400_000;

interface Event {
  readonly id: number;
  readonly at: number;
}

/** Ids per local day (by an independent reading of local time). */
function byDay(events: readonly Event[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const e of events) {
    const day = slotIdentity(ZONE, 1, 'day', e.at);
    if (!out.has(day)) out.set(day, new Set());
    out.get(day)?.add(e.id);
  }
  return out;
}

/** The local day `n` days after the one holding FROM (noon to noon, so DST never shifts it). */
const dayName = (n: number): string => slotIdentity(ZONE, 1, 'day', FROM + n * DAY);
const eventsArb = (seed: number, count: number): Event[] =>
  fc.sample(fc.record({ id: fc.integer({ min: 0, max: 600 }), at: fc.integer({ min: FROM - DAY / 2, max: FROM + DAYS * DAY }) }), { numRuns: count, seed });

describe.each(TOPOLOGIES)('retention and funnels on %s', (topology) => {
  const redis = useTopology(topology);

  it.each([
    ['one group', 'g', 'g'],
    ['two groups', 'g', 'h'],
  ] as const)('a retention table equals the model (%s), with and without a segment', async (_label, cohortGroup, activityGroup) => {
    const kr = redis.kickass();
    const signups = kr.uniqueCounter('signup', { slots: ['day'], timeZone: ZONE, group: cohortGroup });
    const visits = kr.uniqueCounter('visit', { slots: ['day', 'month'], timeZone: ZONE, group: activityGroup });
    const paid = kr.uniqueCounter('paid', { slots: ['month'], timeZone: ZONE, group: cohortGroup });
    const signupEvents = eventsArb(1, 800);
    const visitEvents = eventsArb(2, 4000);
    const paidEvents = fc.sample(fc.integer({ min: 0, max: 600 }), { numRuns: 200, seed: 3 }).map((id) => ({ id, at: FROM }));
    await signups.addMany(signupEvents);
    await visits.addMany(visitEvents);
    await paid.addMany(paidEvents);
    const cohorts = byDay(signupEvents);
    const active = byDay(visitEvents);
    const segment = new Set(paidEvents.map((e) => e.id));
    for (const withSegment of [false, true]) {
      const table = await retention({ cohort: signups, activity: visits, unit: 'day', from: FROM, to: FROM + 7 * DAY, periods: 4, ...(withSegment ? { segment: paid.slot('month', FROM) } : {}) });
      expect(table).toHaveLength(8);
      table.forEach((row, r) => {
        const cohort = [...(cohorts.get(dayName(r)) ?? [])].filter((id) => !withSegment || segment.has(id));
        expect(slotIdentity(ZONE, 1, 'day', row.start.getTime())).toBe(dayName(r));
        expect(row.size).toBe(cohort.length);
        expect(row.counts).toEqual(Array.from({ length: 5 }, (_, p) => cohort.filter((id) => active.get(dayName(r + p))?.has(id) === true).length));
        row.rates.forEach((rate, p) => {
          expect(rate).toBeCloseTo(cohort.length === 0 ? 0 : (row.counts[p] as number) / cohort.length, 12);
        });
      });
    }
    // scratch keys never outlive a call
    expect((await keysWithPrefix(redis.client, kr.prefix)).filter((k) => k.includes(':t:'))).toEqual([]);
  });

  it.each([
    ['one group', ['g', 'g', 'g']],
    ['several groups', ['g', 'h', 'g']],
  ] as const)('a funnel counts the ids that did each step in order within the window (%s)', async (_label, groups) => {
    const kr = redis.kickass();
    const steps = (['view', 'cart', 'buy'] as const).map((name, i) => kr.uniqueCounter(name, { slots: ['day'], timeZone: ZONE, group: groups[i] }));
    const perStep = steps.map((_, i) => eventsArb(10 + i, 1500));
    for (const [i, step] of steps.entries()) await step.addMany(perStep[i] as Event[]);
    const days = perStep.map((events) => byDay(events));
    for (const [start, window] of [
      [0, 5],
      [2, 1],
      [3, 8],
    ] as const) {
      // model: reached[k] = ids that did step k on some day d of the window after reaching step k-1 by d
      const counts: number[] = [];
      let previous: Set<number>[] = [];
      for (const [k] of steps.entries()) {
        const now: Set<number>[] = [];
        for (let d = 0; d < window; d++) {
          const here = [...((days[k] as Map<string, Set<number>>).get(dayName(start + d)) ?? [])].filter((id) => k === 0 || (previous[d] as Set<number>).has(id));
          now.push(new Set([...(d > 0 ? (now[d - 1] as Set<number>) : []), ...here]));
        }
        previous = now;
        counts.push((now[window - 1] as Set<number>).size);
      }
      const result = await funnel({ steps: steps, unit: 'day', from: FROM + start * DAY, window });
      expect(result.map((s) => s.count)).toEqual(counts);
      expect(result.map((s) => s.counter)).toEqual(['view', 'cart', 'buy']);
      expect(result[0]?.conversion).toBe(1);
      if ((counts[0] as number) > 0) expect(result[2]?.overall).toBeCloseTo((counts[2] as number) / (counts[0] as number), 12);
    }
    expect((await keysWithPrefix(redis.client, kr.prefix)).filter((k) => k.includes(':t:'))).toEqual([]);
  });

  it('refuses counters of other zones, approximate counters and oversized tables', async () => {
    const kr = redis.kickass();
    const a = kr.uniqueCounter('a', { slots: ['day'], timeZone: ZONE });
    const b = kr.uniqueCounter('b', { slots: ['day'], timeZone: 'Europe/Paris' });
    const h = kr.uniqueCounter('h', { slots: ['day'], timeZone: ZONE, approximate: true });
    await expect(retention({ cohort: a, activity: b, unit: 'day', from: FROM, to: FROM, periods: 3 })).rejects.toThrow(/time zones/);
    await expect(retention({ cohort: a, activity: h, unit: 'day', from: FROM, to: FROM, periods: 3 })).rejects.toThrow(UnsupportedCounterOperationError);
    await expect(retention({ cohort: a, unit: 'week', from: FROM, to: FROM, periods: 3 })).rejects.toThrow(/week/);
    await expect(retention({ cohort: a, unit: 'day', from: FROM, to: FROM + 400 * DAY, periods: 400 })).rejects.toThrow(InvalidArgumentError);
    await expect(funnel({ steps: [], unit: 'day', from: FROM, window: 3 })).rejects.toThrow(/steps/);
    await expect(funnel({ steps: [a, a], unit: 'day', from: FROM, window: 0 })).rejects.toThrow(/window/);
  });
});
