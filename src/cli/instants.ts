import type { SlotCalendar, SlotUnit } from '../counters/calendar.js';
import { SLOT_UNITS } from '../counters/calendar.js';
import { UsageError, optionValue } from './args.js';
import type { ParsedArgs } from './args.js';

const APPROXIMATE_MS: Readonly<Record<SlotUnit, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_629_800_000, year: 31_557_600_000 };

/** Where named parameters come from (command-line options, a query string) and how a bad one is reported. */
export interface Parameters {
  /** The text given for `name`, or undefined. */
  get(name: string): string | undefined;
  /** The error for a bad value of `name` (`reason` says what it must be). */
  invalid(name: string, reason: string): Error;
}

/** The `--name value` options of a command line, whose mistakes are UsageErrors. */
export function cliParameters(args: ParsedArgs): Parameters {
  return { get: (name) => optionValue(args, name), invalid: (name, reason) => new UsageError(`--${name} ${reason}`) };
}

/** A date or time (ISO, or epoch ms) as epoch ms; undefined when not given or `now` / `today`. */
export function optionalInstantParam(params: Parameters, name: string): number | undefined {
  const text = params.get(name);
  if (text === undefined || text === '' || text === 'now' || text === 'today') return undefined;
  const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(at)) throw params.invalid(name, `must be a date such as 2026-11-30 or 2026-11-30T12:00:00Z, got ${text}`);
  return at;
}

/** Like {@link optionalInstantParam}, with `fallback` in place of undefined. */
export function instantParam(params: Parameters, name: string, fallback: number): number {
  return optionalInstantParam(params, name) ?? fallback;
}

/** A whole number from 1 to `max`; nothing gives `fallback`. */
export function countParam(params: Parameters, name: string, fallback: number, max: number): number {
  const text = params.get(name);
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw params.invalid(name, `must be a whole number from 1 to ${String(max)}, got ${text}`);
  return n;
}

/** A slot unit among those `allowed` (what `what` counts); nothing gives day, or the first allowed. */
export function unitParam(params: Parameters, name: string, allowed: readonly SlotUnit[], what: string): SlotUnit {
  const text = params.get(name) ?? (allowed.includes('day') ? 'day' : allowed[0]);
  const unit = SLOT_UNITS.find((u) => u === text);
  if (unit === undefined || !allowed.includes(unit)) throw params.invalid(name, `must be one of the units ${what} counts: ${allowed.join(', ')}${text === undefined ? '' : `, got ${text}`}`);
  return unit;
}

/** The start of the slot `n` slots before the one holding `at`. */
export function slotsBefore(calendar: SlotCalendar, unit: SlotUnit, at: number, n: number): number {
  let start = calendar.slotStart(unit, at);
  // step back a slot at a time from the middle of the one before, so that DST or month lengths never skip or repeat one
  for (let i = 0; i < n; i++) start = calendar.slotStart(unit, start - APPROXIMATE_MS[unit] / 2);
  return start;
}

/** How many periods of a cohort starting at `start` have begun by `now` (column 0 included), at most `columns`. */
export function periodsBegun(calendar: SlotCalendar, unit: SlotUnit, start: Date | number, now: number, columns: number): number {
  return Math.min(columns, calendar.slotStarts(unit, new Date(start).getTime(), now, columns + 1).length);
}
