import { InvalidArgumentError } from '../core/errors.js';

/** The time slots a counter can count in. */
export type SlotUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** Every slot unit, shortest first. */
export const SLOT_UNITS: readonly SlotUnit[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];

/** A day of the week: 0 Sunday .. 6 Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Offsets are read once per block of this many ms and trusted when equal at both ends. */
const BLOCK = 15 * MINUTE;
/** Earliest and latest instants accepted (years 1971-9999), so every slot start stays a safe integer of seconds. */
const MIN_TIME = Date.UTC(1971, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 1);

/** Local calendar fields of an instant in a time zone. */
interface LocalTime {
  /** The instant's local wall-clock time as if it were UTC (ms). */
  readonly local: number;
  /** local - instant: the zone's offset then (ms). */
  readonly offset: number;
}

/**
 * Slot boundaries of one IANA time zone: where a minute, hour, day, week, month or year that
 * holds an instant starts, in UTC milliseconds. Local days follow the zone's rules, so a day of a
 * DST change lasts 23 or 25 hours; a local hour repeated when clocks go back is two hour slots; a
 * local time skipped when they go forward starts its slot at the change. Offsets come from
 * Intl.DateTimeFormat and are remembered per 15-minute block.
 */
export class SlotCalendar {
  /** The IANA time zone. */
  readonly timeZone: string;
  /** The first day of a week slot (0 Sunday .. 6 Saturday). */
  readonly weekStart: Weekday;
  readonly #format: Intl.DateTimeFormat;
  readonly #offsets = new Map<number, number | null>();
  readonly #dayStarts = new Map<number, number>();

  constructor(timeZone = 'UTC', weekStart: Weekday = 1) {
    if (typeof timeZone !== 'string' || timeZone === '') throw new InvalidArgumentError('timeZone', 'must be an IANA time zone name such as "Europe/Paris"');
    try {
      this.#format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch (error) {
      throw new InvalidArgumentError('timeZone', `"${timeZone}" is not a time zone this runtime knows`, { cause: error });
    }
    if (!Number.isInteger(weekStart) || weekStart < 0 || weekStart > 6) throw new InvalidArgumentError('weekStart', 'must be 0 (Sunday) to 6 (Saturday)');
    this.timeZone = this.#format.resolvedOptions().timeZone;
    this.weekStart = weekStart;
  }

  /** Throws unless `at` is a usable instant; returns it in ms. */
  static instant(at: number | Date | undefined, field = 'at'): number {
    const ms = at === undefined ? Date.now() : at instanceof Date ? at.getTime() : at;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) {
      throw new InvalidArgumentError(field, 'must be a Date or epoch milliseconds between 1971 and 9999');
    }
    return Math.floor(ms);
  }

  /** The zone's offset (local - UTC, ms) at instant ms, read from Intl. */
  #readOffset(ms: number): number {
    const parts = this.#format.formatToParts(new Date(ms));
    const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return local - (ms - (((ms % 1000) + 1000) % 1000));
  }

  /** The zone's offset at instant ms: remembered per block when it is the same at both ends. */
  offset(ms: number): number {
    const block = Math.floor(ms / BLOCK);
    let known = this.#offsets.get(block);
    if (known === undefined) {
      const start = this.#readOffset(block * BLOCK);
      known = start === this.#readOffset(block * BLOCK + BLOCK - 1) ? start : null;
      this.#offsets.set(block, known);
    }
    return known ?? this.#readOffset(ms);
  }

  #localTime(ms: number): LocalTime {
    const offset = this.offset(ms);
    return { local: ms + offset, offset };
  }

  /** The earliest instant whose local time is at or past `local` (a local time skipped by a change starts at the change). */
  #firstInstantAt(local: number): number {
    const before = this.offset(local - 18 * HOUR);
    const after = this.offset(local + 18 * HOUR);
    let best = Number.POSITIVE_INFINITY;
    for (const o of [before, after, this.offset(local)]) {
      const u = local - o;
      if (u + this.offset(u) === local && u < best) best = u;
    }
    if (best !== Number.POSITIVE_INFINITY) return best;
    // skipped: binary search the first instant whose local time passes `local`
    let lo = local - Math.max(before, after) - DAY;
    let hi = local - Math.min(before, after) + DAY;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (mid + this.offset(mid) >= local) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Where local day (y, m0, d) starts (m0 from 0; overflowing days roll over like Date.UTC). */
  #dayStart(y: number, m0: number, d: number): number {
    const local = Date.UTC(y, m0, d);
    let start = this.#dayStarts.get(local);
    if (start === undefined) {
      start = this.#firstInstantAt(local);
      this.#dayStarts.set(local, start);
    }
    return start;
  }

  /** The start (UTC ms) of the `unit` slot that holds instant ms. */
  slotStart(unit: SlotUnit, ms: number): number {
    if (unit === 'minute') return ms - (((ms % MINUTE) + MINUTE) % MINUTE);
    const { local, offset } = this.#localTime(ms);
    if (unit === 'hour') {
      const start = ms - (((local % HOUR) + HOUR) % HOUR);
      if (this.offset(start) === offset) return start;
      // the offset changed inside this local hour (a half-hour shift): the slot starts at the change
      let lo = start;
      let hi = ms;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.offset(mid) === offset) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    const date = new Date(local);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth();
    const d = date.getUTCDate();
    let start: number;
    if (unit === 'day') start = this.#dayStart(y, m, d);
    else if (unit === 'week') start = this.#dayStart(y, m, d - ((date.getUTCDay() - this.weekStart + 7) % 7));
    else if (unit === 'month') start = this.#dayStart(y, m, 1);
    else start = this.#dayStart(y, 0, 1);
    // a day that starts at a skipped time starts at the change, which may come after ms's own local midnight
    return start <= ms ? start : this.slotStart(unit, start - 1);
  }

  /** The start of the slot after the `unit` slot that starts at `start`. */
  nextSlotStart(unit: SlotUnit, start: number): number {
    if (unit === 'minute') return start + MINUTE;
    if (unit === 'hour') {
      // the first minute past `start` that is in another hour slot (slots end on whole minutes)
      let next = start + MINUTE - (((start % MINUTE) + MINUTE) % MINUTE);
      while (this.slotStart('hour', next) === start) next += MINUTE;
      return this.slotStart('hour', next);
    }
    const date = new Date(this.#localTime(start).local);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth();
    const d = date.getUTCDate();
    if (unit === 'day') return this.#dayStart(y, m, d + 1);
    if (unit === 'week') return this.#dayStart(y, m, d + 7);
    if (unit === 'month') return this.#dayStart(y, m + 1, 1);
    return this.#dayStart(y + 1, 0, 1);
  }

  /** The starts of every `unit` slot from the one holding `from` to the one holding `to`, in order. */
  slotStarts(unit: SlotUnit, from: number, to: number, most = 100_000): number[] {
    const out: number[] = [];
    for (let s = this.slotStart(unit, from); s <= to; s = this.nextSlotStart(unit, s)) {
      if (out.length >= most) throw new InvalidArgumentError('to', `spans more than ${String(most)} ${unit} slots`);
      out.push(s);
    }
    return out;
  }
}

/** Throws unless `unit` is a slot unit. */
export function checkSlotUnit(unit: unknown, field = 'slot'): SlotUnit {
  if (typeof unit !== 'string' || !(SLOT_UNITS as readonly string[]).includes(unit)) {
    throw new InvalidArgumentError(field, `must be one of ${SLOT_UNITS.join(', ')}`);
  }
  return unit as SlotUnit;
}
