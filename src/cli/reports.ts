import { funnel, retention } from '../counters/analysis.js';
import type { FunnelStep, RetentionRow } from '../counters/analysis.js';
import type { SlotUnit } from '../counters/calendar.js';
import type { HierarchicalCounter } from '../counters/hierarchical-counter.js';
import type { ChildValue, NodeValue } from '../counters/hierarchy-types.js';
import { analysable } from './catalog.js';
import type { AnyUniqueCounter } from './catalog.js';
import { periodsBegun, slotsBefore } from './instants.js';

/** A retention table as the CLI and the dashboard show it. */
export interface CohortReport {
  readonly cohort: string;
  readonly activity: string;
  readonly unit: SlotUnit;
  /** Each cohort's row, with how many of its periods have begun (the others are not known yet). */
  readonly rows: readonly (RetentionRow & { readonly begun: number })[];
}

/** The `cohorts` cohorts of `cohort` up to the slot holding `to`, followed in `activity` for `periods` slots after each. */
export async function cohortReport(cohort: AnyUniqueCounter, activity: AnyUniqueCounter, unit: SlotUnit, to: number, cohorts: number, periods: number): Promise<CohortReport> {
  const rows = await retention({ cohort: analysable(cohort), activity: analysable(activity), unit, from: slotsBefore(cohort.calendar, unit, to, cohorts - 1), to, periods });
  const now = Math.max(Date.now(), to);
  return { cohort: cohort.name, activity: activity.name, unit, rows: rows.map((r) => ({ ...r, begun: periodsBegun(cohort.calendar, unit, r.start, now, periods + 1) })) };
}

/** A funnel as the CLI and the dashboard show it. */
export interface FunnelReport {
  readonly unit: SlotUnit;
  /** The start of the window's first slot. */
  readonly from: Date;
  readonly window: number;
  readonly steps: readonly FunnelStep[];
}

/** Who did `steps` in order within `window` slots from the one holding `from` (default: the window ending now). */
export async function funnelReport(steps: readonly AnyUniqueCounter[], unit: SlotUnit, window: number, from: number | undefined): Promise<FunnelReport> {
  const [first] = steps;
  if (first === undefined) throw new Error('funnelReport needs steps');
  const start = first.calendar.slotStart(unit, from ?? slotsBefore(first.calendar, unit, Date.now(), window - 1));
  return { unit, from: new Date(start), window, steps: await funnel({ steps: steps.map(analysable), unit, from: start, window }) };
}

/** A node of a hierarchical counter and its largest children in one slot. */
export interface TopReport {
  readonly counter: string;
  readonly path: readonly string[];
  readonly resolution: SlotUnit;
  /** The start of the slot. */
  readonly slot: Date;
  readonly node: NodeValue;
  /** How many children the node has in the slot. */
  readonly total: number;
  /** The first `limit` of them, largest sum first. */
  readonly children: readonly ChildValue[];
}

/** The node at `path` and its `limit` largest children in the `resolution` slot holding `at`. */
export async function topReport(counter: HierarchicalCounter, path: readonly string[], resolution: SlotUnit, at: number, limit: number): Promise<TopReport> {
  const [node, children] = await Promise.all([counter.get(path, resolution, at), counter.children(path, resolution, at, { top: limit })]);
  return { counter: counter.name, path, resolution, slot: new Date(counter.calendar.slotStart(resolution, at)), node, total: children.total, children: children.children };
}
