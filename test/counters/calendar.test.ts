// Slot boundaries in IANA time zones against an independent reading of local time (Intl formatting
// of every instant), on DST days of 23 and 25 hours, half-hour zones and random instants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotCalendar } from '../../src/counters/calendar.js';
import type { SlotUnit, Weekday } from '../../src/counters/calendar.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { slotIdentity } from './slot-model.js';

const HOUR = 3_600_000;
const ZONES = ['America/New_York', 'Asia/Kolkata', 'Europe/Paris', 'Australia/Lord_Howe', 'America/Santiago', 'UTC', 'Pacific/Chatham'];
const UNITS: SlotUnit[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];

describe('SlotCalendar', () => {
  it('gives New York DST days 23 and 25 hours, and the repeated 1 a.m. two hour slots', () => {
    const ny = new SlotCalendar('America/New_York');
    const spring = ny.slotStart('day', Date.parse('2026-03-08T12:00:00Z'));
    expect(new Date(spring).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect((ny.nextSlotStart('day', spring) - spring) / HOUR).toBe(23);
    const fall = ny.slotStart('day', Date.parse('2026-11-01T12:00:00Z'));
    expect((ny.nextSlotStart('day', fall) - fall) / HOUR).toBe(25);
    const hours = ny.slotStarts('hour', fall, ny.nextSlotStart('day', fall) - 1);
    expect(hours).toHaveLength(25);
    expect(ny.slotStart('hour', Date.parse('2026-11-01T05:30:00Z'))).toBe(Date.parse('2026-11-01T05:00:00Z'));
    expect(ny.slotStart('hour', Date.parse('2026-11-01T06:30:00Z'))).toBe(Date.parse('2026-11-01T06:00:00Z'));
  });

  it('starts Kolkata hours at half past the UTC hour and honours the week start', () => {
    const sunday = new SlotCalendar('Asia/Kolkata', 0);
    expect(new Date(sunday.slotStart('hour', Date.parse('2026-06-01T10:10:00Z'))).toISOString()).toBe('2026-06-01T09:30:00.000Z');
    expect(new Date(sunday.slotStart('day', Date.parse('2026-06-01T10:10:00Z'))).toISOString()).toBe('2026-05-31T18:30:00.000Z');
    // Wednesday 3 June 2026: its week starts on Sunday 31 May (weekStart 0) or Monday 1 June (1)
    expect(new Date(sunday.slotStart('week', Date.parse('2026-06-03T10:10:00Z'))).toISOString()).toBe('2026-05-30T18:30:00.000Z');
    expect(new Date(new SlotCalendar('Asia/Kolkata', 1).slotStart('week', Date.parse('2026-06-03T10:10:00Z'))).toISOString()).toBe('2026-05-31T18:30:00.000Z');
  });

  it('starts a day whose midnight is skipped at the change (Santiago)', () => {
    const santiago = new SlotCalendar('America/Santiago');
    const days = santiago.slotStarts('day', Date.parse('2026-09-05T12:00:00Z'), Date.parse('2026-09-07T12:00:00Z')).map((s) => new Date(s).toISOString());
    expect(days).toEqual(['2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z']);
  });

  it('puts every instant in the slot of its local time, and consecutive slots end to end (random zones and instants)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 6 }), fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 11, 31) }), (zone, weekStart, ms) => {
        const calendar = new SlotCalendar(zone, weekStart as Weekday);
        for (const unit of UNITS) {
          const start = calendar.slotStart(unit, ms);
          const next = calendar.nextSlotStart(unit, start);
          expect(start).toBeLessThanOrEqual(ms);
          expect(next).toBeGreaterThan(ms);
          // the slot is exactly the instants of the same local slot: its first and last ms agree with ms, its neighbours do not
          const id = slotIdentity(zone, weekStart as Weekday, unit, ms);
          expect(slotIdentity(zone, weekStart as Weekday, unit, start)).toBe(id);
          expect(slotIdentity(zone, weekStart as Weekday, unit, next - 1)).toBe(id);
          expect(slotIdentity(zone, weekStart as Weekday, unit, start - 1)).not.toBe(id);
          expect(slotIdentity(zone, weekStart as Weekday, unit, next)).not.toBe(id);
          expect(calendar.slotStart(unit, next)).toBe(next);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('rejects unknown zones, bad week starts and instants out of range with the field named', () => {
    expect(() => new SlotCalendar('Mars/Olympus')).toThrow(InvalidArgumentError);
    expect(() => new SlotCalendar('UTC', 7 as Weekday)).toThrow(/weekStart/);
    expect(() => SlotCalendar.instant(Number.NaN)).toThrow(/at/);
    expect(() => SlotCalendar.instant(-5)).toThrow(InvalidArgumentError);
  });
});
