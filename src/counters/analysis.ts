import { InvalidArgumentError } from '../core/errors.js';
import { combine, popcount } from './bit-batch.js';
import { SlotCalendar, checkSlotUnit } from './calendar.js';
import type { SlotUnit } from './calendar.js';
import { UnsupportedCounterOperationError } from './errors.js';
import type { EvaluateOptions, SlotSet } from './expression.js';
import { scratchKey, slotKey } from './keys.js';
import { funnelScript, retentionScript } from './scripts/index.generated.js';
import type { UniqueCounter } from './unique-counter.js';

/** A retention table's question: who of each cohort slot came back in the slots after it. */
export interface RetentionOptions<Id extends string | number> {
  /** The counter whose slots are the cohorts (e.g. sign-ups). */
  readonly cohort: UniqueCounter<Id>;
  /** The counter whose slots say who came back (e.g. visits); the cohort counter when omitted. */
  readonly activity?: UniqueCounter<Id>;
  /** The unit of cohorts and periods (both counters count it). */
  readonly unit: SlotUnit;
  /** The first cohort: the slot holding this instant. */
  readonly from: number | Date;
  /** The last cohort: the slot holding this instant. */
  readonly to: number | Date;
  /** Periods after each cohort slot (column 0 is the cohort's own slot). */
  readonly periods: number;
  /** Only the ids of this set count (a segment, e.g. `country.slot('year', at)`). */
  readonly segment?: SlotSet<Id>;
  /** How the segment is evaluated (its kept result). */
  readonly segmentOptions?: EvaluateOptions;
}

/** One cohort of a retention table. */
export interface RetentionRow {
  /** Where the cohort's slot starts. */
  readonly start: Date;
  /** Ids in the cohort (in the segment, when there is one). */
  readonly size: number;
  /** Per period from 0: how many of the cohort the activity counter has in that slot. */
  readonly counts: readonly number[];
  /** counts / size (0 for an empty cohort). */
  readonly rates: readonly number[];
}

/** A funnel's question: who did each step in order, within a window of slots. */
export interface FunnelOptions<Id extends string | number> {
  /** The steps, in order: one counter per step (all counting `unit`, in one id space). */
  readonly steps: readonly UniqueCounter<Id>[];
  /** The slot unit of the window. */
  readonly unit: SlotUnit;
  /** The window's first slot: the one holding this instant. */
  readonly from: number | Date;
  /** The number of slots in the window. */
  readonly window: number;
}

/** One step of a funnel. */
export interface FunnelStep {
  /** The step's counter. */
  readonly counter: string;
  /** Ids that reached this step in order. */
  readonly count: number;
  /** count / the previous step's count (1 for the first step; 0 after an empty step). */
  readonly conversion: number;
  /** count / the first step's count. */
  readonly overall: number;
}

const MAX_CELLS = 100_000;

function checkCount(value: number, field: string, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new InvalidArgumentError(field, `must be an integer from 0 to ${String(max)}`);
  return value;
}

function sameCalendar(a: UniqueCounter<string> | UniqueCounter, b: UniqueCounter<string> | UniqueCounter, unit: SlotUnit, field: string): void {
  if (!a.slots.includes(unit)) throw new InvalidArgumentError(field, `counter ${a.name} does not count ${unit} slots`);
  if (!b.slots.includes(unit)) throw new InvalidArgumentError(field, `counter ${b.name} does not count ${unit} slots`);
  if (a.calendar.timeZone !== b.calendar.timeZone || a.calendar.weekStart !== b.calendar.weekStart) {
    throw new InvalidArgumentError(field, `counters ${a.name} and ${b.name} have different time zones or week starts, so their slots differ`);
  }
  if (a.approximate || b.approximate) throw new UnsupportedCounterOperationError('retention and funnels need exact counters (approximate ones are HyperLogLogs)');
  if (a.internals.space !== b.internals.space) throw new UnsupportedCounterOperationError(`counters ${a.name} and ${b.name} are of different id spaces`);
}

/** `count` slot starts from the one holding `from`. */
function nextStarts(counter: UniqueCounter<string> | UniqueCounter, unit: SlotUnit, from: number, count: number): number[] {
  const out: number[] = [];
  for (let s = counter.calendar.slotStart(unit, from); out.length < count; s = counter.calendar.nextSlotStart(unit, s)) out.push(s);
  return out;
}

async function bitmaps(counter: UniqueCounter<string> | UniqueCounter, keys: readonly string[]): Promise<Buffer[]> {
  const { client } = counter.internals.context;
  return Promise.all(keys.map(async (key) => (await client.getBuffer(key)) ?? Buffer.alloc(0)));
}

/**
 * A retention (cohort) table: for each cohort slot from `from` to `to`, its size and how many of it
 * the activity counter has in each of the `periods` slots after it (and in its own, column 0).
 * Counters of one group: one script call computes every cell; else the bitmaps are fetched and
 * combined in the process.
 */
export async function retention<Id extends string | number>(options: RetentionOptions<Id>): Promise<RetentionRow[]> {
  const cohort = options.cohort as unknown as UniqueCounter;
  const activity = (options.activity ?? options.cohort) as unknown as UniqueCounter;
  const unit = checkSlotUnit(options.unit, 'unit');
  sameCalendar(cohort, activity, unit, 'activity');
  const periods = checkCount(options.periods, 'periods', 10_000);
  const rows = cohort.calendar.slotStarts(unit, SlotCalendar.instant(options.from, 'from'), SlotCalendar.instant(options.to, 'to'));
  if (rows.length * (periods + 1) > MAX_CELLS) throw new InvalidArgumentError('periods', `the table would have more than ${String(MAX_CELLS)} cells`);
  const columns = nextStarts(activity, unit, rows[0] ?? 0, rows.length + periods);
  const cohortKeys = rows.map((s) => slotKey(cohort.internals.slotKeys, cohort.name, unit, s, false));
  const activityKeys = columns.map((s) => slotKey(activity.internals.slotKeys, activity.name, unit, s, false));
  const tag = cohort.internals.slotKeys.tag;
  let counts: number[][];
  const segmentKey = options.segment === undefined ? undefined : await options.segment.keyIn(tag, options.segmentOptions);
  if (activity.internals.slotKeys.tag === tag && segmentKey !== null) {
    const { context, slotKeys } = cohort.internals;
    const cells = rows.map((_, r) => Array.from({ length: periods + 1 }, (_, p) => r + p + 1));
    const plan = context.scripts.plan(
      retentionScript,
      { scratch: scratchKey(slotKeys, 'retention', 0), cell: scratchKey(slotKeys, 'retention', 1), segment: segmentKey ?? scratchKey(slotKeys, 'retention', 2) },
      { rows: rows.length, cells: JSON.stringify(cells), segmented: segmentKey === undefined ? '0' : '1' },
    );
    const flat = await context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...cohortKeys, ...activityKeys]) }));
    counts = rows.map((_, r) => flat.slice(r * (periods + 2), (r + 1) * (periods + 2)));
  } else {
    const segment = options.segment === undefined ? null : await options.segment.bitmap(options.segmentOptions);
    const [cohorts, actives] = await Promise.all([bitmaps(cohort, cohortKeys), bitmaps(activity, activityKeys)]);
    counts = cohorts.map((bitmap, r) => {
      const base = segment === null ? bitmap : combine('and', [bitmap, segment]);
      return [popcount(base), ...Array.from({ length: periods + 1 }, (_, p) => popcount(combine('and', [base, actives[r + p] as Buffer])))];
    });
  }
  return rows.map((start, r) => {
    const [size = 0, ...cells] = counts[r] ?? [];
    return { start: new Date(start), size, counts: cells, rates: cells.map((n) => (size === 0 ? 0 : n / size)) };
  });
}

/**
 * A funnel: how many ids did each step in order within `window` slots from `from` (in order at slot
 * granularity: a step done in the same slot as the previous one counts). Counters of one group: one
 * script call; else the bitmaps are fetched and combined in the process.
 */
export async function funnel<Id extends string | number>(options: FunnelOptions<Id>): Promise<FunnelStep[]> {
  const list: unknown = options.steps;
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('steps', 'must be a non-empty list of counters');
  const steps = options.steps as unknown as readonly UniqueCounter[];
  const unit = checkSlotUnit(options.unit, 'unit');
  const first = steps[0] as UniqueCounter;
  steps.forEach((s, i) => {
    sameCalendar(first, s, unit, `steps[${String(i)}]`);
  });
  const window = checkCount(options.window, 'window', 10_000);
  if (window === 0) throw new InvalidArgumentError('window', 'must be at least 1 slot');
  if (window * steps.length > MAX_CELLS) throw new InvalidArgumentError('window', `steps x window must stay below ${String(MAX_CELLS)}`);
  const starts = nextStarts(first, unit, SlotCalendar.instant(options.from, 'from'), window);
  const keys = steps.map((s) => starts.map((start) => slotKey(s.internals.slotKeys, s.name, unit, start, false)));
  const tag = first.internals.slotKeys.tag;
  let counts: number[];
  if (steps.every((s) => s.internals.slotKeys.tag === tag)) {
    const { context, slotKeys } = first.internals;
    const scratch = Array.from({ length: 2 * window }, (_, i) => scratchKey(slotKeys, 'funnel', i));
    const plan = context.scripts.plan(funnelScript, { reached: scratch[0] as string }, { steps: steps.length, window });
    counts = await context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...scratch, ...keys.flat()]) }));
  } else {
    counts = [];
    let reached: Buffer[] = [];
    for (const [k, step] of steps.entries()) {
      const maps = await bitmaps(step, keys[k] as string[]);
      const now: Buffer[] = [];
      maps.forEach((here, s) => {
        const done = k === 0 ? here : combine('and', [reached[s] as Buffer, here]);
        now.push(s === 0 ? done : combine('or', [now[s - 1] as Buffer, done]));
      });
      reached = now;
      counts.push(popcount(now[window - 1] as Buffer));
    }
  }
  return steps.map((s, k) => {
    const count = counts[k] ?? 0;
    const previous = k === 0 ? count : (counts[k - 1] ?? 0);
    const top = counts[0] ?? 0;
    return { counter: s.name, count, conversion: k === 0 ? 1 : previous === 0 ? 0 : count / previous, overall: top === 0 ? 0 : count / top };
  });
}
