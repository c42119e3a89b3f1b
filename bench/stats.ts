import type { BenchRow } from './types.js';

/** The median of a non-empty list (mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid]!;
  return sorted.length % 2 === 1 ? upper : (sorted[mid - 1]! + upper) / 2;
}

/** The p50 of a non-empty list of latencies: the upper middle value, one that was measured. */
export function p50(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Smallest and largest value of a non-empty list. */
export function spread(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) throw new Error('spread of an empty list');
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** Runs `fn` once and returns how long it took, in seconds. */
export async function seconds(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Operations per second of `count` operations done by `fn`. */
export async function throughput(count: number, fn: () => Promise<void>): Promise<number> {
  return count / (await seconds(fn));
}

/** What a scenario knows about a figure; {@link makeRow} adds the medians and the ratio. */
export interface RowInput {
  metric: string;
  unit: string;
  /** Our raw value of every run. */
  ours: readonly number[];
  /** What we are compared against; omit (with `theirs`) when there is no competitor. */
  competitor?: string;
  /** The competitor's raw value of every run, same order and length as `ours`. */
  theirs?: readonly number[];
  goal?: string;
  /** 'higher' for throughputs (the default), 'lower' for latencies and sizes. */
  better?: 'higher' | 'lower';
}

/** Builds a {@link BenchRow}: medians of the runs and a ratio where bigger is better. */
export function makeRow(input: RowInput): BenchRow {
  const { ours, theirs } = input;
  if (ours.length === 0) throw new Error(`${input.metric}: no runs`);
  if (theirs !== undefined && theirs.length !== ours.length) {
    throw new Error(`${input.metric}: ${String(ours.length)} runs of ours but ${String(theirs.length)} of theirs`);
  }
  if ((theirs === undefined) !== (input.competitor === undefined)) {
    throw new Error(`${input.metric}: give both competitor and theirs, or neither`);
  }
  const oursMedian = median(ours);
  const theirsMedian = theirs === undefined ? null : median(theirs);
  let ratio: number | null = null;
  if (theirsMedian !== null) ratio = input.better === 'lower' ? theirsMedian / oursMedian : oursMedian / theirsMedian;
  return {
    metric: input.metric,
    unit: input.unit,
    ours: oursMedian,
    competitor: input.competitor ?? null,
    theirs: theirsMedian,
    ratio,
    goal: input.goal ?? null,
    runs: ours.map((value, i) => ({ ours: value, theirs: theirs?.[i] ?? null })),
  };
}

/** A measured value for a table: whole numbers with thousands separators from 100 up, 3 significant digits below. */
export function formatValue(value: number | null): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (value === 0) return '0';
  return value.toPrecision(3);
}

/** A ratio for a table, e.g. '41.8x' or '0.874x'. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '-';
  if (!Number.isFinite(ratio)) return String(ratio);
  return ratio >= 100 ? `${Math.round(ratio).toLocaleString('en-US')}x` : `${ratio.toPrecision(3)}x`;
}
