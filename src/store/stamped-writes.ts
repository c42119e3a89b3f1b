import { partitionOf } from '../core/keys.js';
import type { ScriptPlan } from '../core/script.js';
import { ValidationError, storeScriptErrors } from './errors.js';
import { atEntry, checkId, fullObjectOps, storedName } from './input.js';
import type { WriteOp } from './input.js';
import type { PartitionKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import type { ModelSchema } from './schema.js';
import { stampedApplyScript, stampedSweepScript } from './scripts/index.generated.js';

/**
 * Where a change stands in its stream: `epoch` counts full copies of the source (each starts a new
 * one), `ordinal` orders transactions within an epoch, `index` orders changes within a transaction.
 * Every part is a safe non-negative integer.
 */
export interface Stamp {
  readonly epoch: number;
  readonly ordinal: number;
  readonly index: number;
}

/** What stamped writes need of a model (any `Model` is one). */
export interface StampedModel {
  readonly name: string;
  readonly schema: ModelSchema;
  readonly internals: ModelInternals;
}

/** One stamped change: the whole object after it (its fields, validated like a create's input), or `null` when the object is deleted. */
export interface StampedChange {
  readonly id: string;
  readonly stamp: Stamp;
  readonly row: Readonly<Record<string, unknown>> | null;
}

/** How many changes were applied and how many were skipped as not newer than the object. */
export interface StampedReport {
  applied: number;
  skipped: number;
}

/** Changes per script call: enough to share a call's cost, few enough to keep Redis responsive. */
const CHANGES_PER_CALL = 200;

/** The stamp's text form ('epoch:ordinal:index'), as the scripts compare it. */
export function formatStamp(stamp: Stamp, field = 'stamp'): string {
  for (const part of ['epoch', 'ordinal', 'index'] as const) {
    const value = stamp[part];
    if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${field}.${part}`, 'must be a non-negative safe integer');
  }
  return `${String(stamp.epoch)}:${String(stamp.ordinal)}:${String(stamp.index)}`;
}

/** Fails unless every unique constraint of the model lives in its one partition (stamped writes cannot take cross-partition claims). */
export function checkStampable(model: StampedModel): void {
  if (model.schema.partitions > 1 && model.schema.uniques.length > 0) {
    throw new ValidationError('model', `${model.name} has unique constraints across ${String(model.schema.partitions)} partitions; stamped writes need partitions: 1 for them`);
  }
}

/** The stored fields of a validated row, flat (name, value, ...) as the apply script takes them. */
function storedFields(ops: readonly WriteOp[]): string[] {
  return ops.flatMap(([op, field, value]) => [storedName(op, field), value]);
}

/**
 * Applies stamped changes (a sync's row changes): each object ends as its newest change made it,
 * whatever the order the changes come in and however often one is repeated. Every row is validated
 * before anything is written (errors name `changes[i].<field>`). `prune` drops tombstones of
 * deletes older than it (the caller's checkpoint: no change before it will come again).
 */
export async function applyStamped(model: StampedModel, changes: readonly StampedChange[], prune?: Stamp): Promise<StampedReport> {
  checkStampable(model);
  const prepared = changes.map((change, i): [string, string, string[] | 0] =>
    atEntry('changes', i, () => {
      const id = checkId(change.id);
      const stamp = formatStamp(change.stamp);
      return [id, stamp, change.row === null ? 0 : storedFields(fullObjectOps(model.schema, change.row).ops)];
    }),
  );
  const pruneArg = prune === undefined ? '' : formatStamp(prune, 'prune');
  const byPartition = new Map<number, [string, string, string[] | 0][]>();
  for (const change of prepared) {
    const p = partitionOf(change[0], model.schema.partitions);
    const list = byPartition.get(p);
    if (list) list.push(change);
    else byPartition.set(p, [change]);
  }
  const scripts = model.internals.context.scripts;
  const plans: ScriptPlan[] = [];
  for (const [p, list] of byPartition) {
    const keys = model.internals.partitions[p] as PartitionKeys;
    for (let start = 0; start < list.length; start += CHANGES_PER_CALL) {
      const batch = JSON.stringify(list.slice(start, start + CHANGES_PER_CALL));
      plans.push(scripts.plan(stampedApplyScript, { ids: keys.ids, expiry: keys.expiry }, { spec: model.schema.spec, batch, prune: start === 0 ? pruneArg : '' }));
    }
  }
  const report: StampedReport = { applied: 0, skipped: 0 };
  for (const result of await scripts.execMany(plans, storeScriptErrors)) {
    if (!result.ok) throw result.error;
    const [applied, skipped] = result.value as [number, number];
    report.applied += applied;
    report.skipped += skipped;
  }
  return report;
}

/** Deletes every object of the model whose stamp is older than `before` or missing (after a full copy stamped `before`); returns how many. */
export async function sweepOlderThan(model: StampedModel, before: Stamp, batch = 500): Promise<number> {
  const scripts = model.internals.context.scripts;
  const stamp = formatStamp(before, 'before');
  let deleted = 0;
  for (const keys of model.internals.partitions) {
    let after = '';
    for (;;) {
      const [last, removed] = (await scripts.run(stampedSweepScript, { ids: keys.ids, expiry: keys.expiry }, { spec: model.schema.spec, before: stamp, after, limit: batch })) as [string, number];
      deleted += removed;
      if (last === '') break;
      after = last;
    }
  }
  return deleted;
}
