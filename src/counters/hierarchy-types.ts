import type { Duration } from '../core/durations.js';
import type { SlotUnit, Weekday } from './calendar.js';
import type { BufferOptions } from './hierarchy-buffer.js';
import type { CounterPath } from './hierarchy-path.js';

/** Options of a hierarchical counter. */
export interface HierarchicalCounterOptions {
  /** The time resolutions every increment is counted in. @defaultValue ['minute', 'hour', 'day', 'month'] */
  readonly resolutions?: readonly SlotUnit[];
  /** IANA time zone of slot boundaries (a day is a local day). @defaultValue 'UTC' */
  readonly timeZone?: string;
  /** First day of a week: 0 Sunday .. 6 Saturday. @defaultValue 1 (Monday) */
  readonly weekStart?: Weekday;
  /** How long a slot is kept after it ends, per resolution; resolutions not given are kept. */
  readonly retention?: Partial<Readonly<Record<SlotUnit, Duration>>>;
  /**
   * Resolutions whose breakdowns are kept ranked by sum (a sorted set per node and slot), so that
   * `children()` reads the top ones directly; other resolutions sort a node's children when asked.
   * @defaultValue every resolution but minute
   */
  readonly ranked?: readonly SlotUnit[];
  /** Keep the smallest and largest increment of every node and slot too. @defaultValue false */
  readonly minMax?: boolean;
  /** Count unique ids per node and slot (HyperLogLog, about 0.81% standard error): every increment then needs an `id`. @defaultValue false */
  readonly unique?: boolean;
  /** Merge increments in the process for `ms` and write them in one go (see {@link BufferOptions}); off by default. */
  readonly buffer?: BufferOptions;
}

/** One increment: a path, by how much (1 when omitted), when (now when omitted) and, counting unique ids, whose. */
export interface CounterIncrement {
  readonly path: CounterPath;
  readonly by?: number;
  readonly at?: number | Date;
  readonly id?: string | number;
}

/** What a node added up in a slot (or a range): sum and count of its increments; min and max with `minMax`, unique ids with `unique`. */
export interface NodeValue {
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
  readonly unique?: number;
}

/** A node's value in one slot of a series. */
export interface SlotValue extends NodeValue {
  /** Where the slot starts. */
  readonly start: Date;
}

/** One child in a breakdown. */
export interface ChildValue extends NodeValue {
  /** Its last segment. */
  readonly segment: string;
  /** Its path. */
  readonly path: readonly string[];
}

/** A breakdown one level down. */
export interface Children {
  /** How many children the node has in the slot. */
  readonly total: number;
  /** The first `top` of them in the order asked. */
  readonly children: readonly ChildValue[];
}

/** Options of `HierarchicalCounter.children()`. */
export interface ChildrenOptions {
  /** How many children. @defaultValue 10 */
  readonly top?: number;
  /** The statistic to order by (min and max need `minMax`). @defaultValue 'sum' */
  readonly order?: 'sum' | 'count' | 'min' | 'max';
  /** Largest first ('desc') or smallest first. @defaultValue 'desc' */
  readonly direction?: 'desc' | 'asc';
}
