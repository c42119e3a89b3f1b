import { BinlogGapError, BinlogStream } from './binlog-stream.js';
import type { BinlogSource, BinlogTransaction } from './binlog-stream.js';
import { ModelWrites } from './model-writes.js';
import type { InvalidRowPolicy } from './model-writes.js';
import type { SyncMappingError } from './errors.js';
import { normalizeBinlogRow } from './source-values.js';
import { positionOrdinal } from './sync-state.js';
import type { SyncState } from './sync-state.js';
import type { CompiledMapping } from './table-mapping.js';

/** One applied round of transactions, as the 'applied' event reports it. */
export interface AppliedRound {
  readonly transactions: number;
  /** Row changes written and skipped (already applied: a replay after a restart). */
  readonly applied: number;
  readonly skipped: number;
  /** The position after the round's last transaction. */
  readonly position: string;
  /** When the source committed the last transaction (ms; whole seconds). */
  readonly committedAt: number;
  /** When the first transaction of the round was read, and when the round was written. */
  readonly receivedAt: number;
  readonly appliedAt: number;
}

/** What the stream needs from its sync. */
export interface StreamContext {
  readonly source: BinlogSource;
  readonly serverId: number;
  /** The mappings by `schema.table` (replaced by the sync when a DDL statement changes a table). */
  mappings(): ReadonlyMap<string, CompiledMapping>;
  readonly maxChanges: number;
  readonly policy: InvalidRowPolicy;
  readonly onInvalid: (error: SyncMappingError) => void;
  readonly onApplied: (round: AppliedRound) => void;
  /** A DDL statement (after every change before it is applied): 'resnapshot' asks for a new copy. */
  readonly onStatement: (statement: string) => Promise<'continue' | 'resnapshot'>;
  readonly save: (state: SyncState) => Promise<void>;
  /** Resolves once the sync is asked to stop. */
  readonly stopped: Promise<void>;
}

/** Why the stream ended. */
export type StreamEnd = { readonly reason: 'stopped'; readonly state: SyncState } | { readonly reason: 'resnapshot'; readonly state: SyncState; readonly cause: string };

/**
 * Streams the binlog from the state's position and applies it, a round of queued transactions at
 * a time: every row change becomes a stamped write of its model (stamp: epoch, the transaction's
 * binlog ordinal, the row's place in it), the models are written, then the checkpoint moves past
 * the round. A purged position or a binlog that went backwards (reset, another server) ends the
 * stream with 'resnapshot'.
 */
export async function streamChanges(context: StreamContext, start: SyncState): Promise<StreamEnd> {
  const mappings = context.mappings();
  const schemas: Record<string, string[]> = {};
  for (const mapping of mappings.values()) (schemas[mapping.shape.schema] ??= []).push(mapping.shape.table);
  const stream = new BinlogStream(context.source, { from: start.position.gtid, serverId: context.serverId, tables: schemas });
  void context.stopped.then(() => stream.stop());
  let state = start;
  let lastOrdinal = positionOrdinal(start.position.file, start.position.offset);
  try {
    for (;;) {
      let batch: BinlogTransaction[];
      try {
        batch = await stream.takeBatch(context.maxChanges);
      } catch (error) {
        if (error instanceof BinlogGapError) return { reason: 'resnapshot', state, cause: error.message };
        throw error;
      }
      if (batch.length === 0) return { reason: 'stopped', state };
      const receivedAt = Date.now();
      let writes = new ModelWrites(context.policy, context.onInvalid);
      let pending: BinlogTransaction[] = [];
      const flush = async (): Promise<void> => {
        const last = pending.at(-1);
        if (last === undefined) return;
        // tombstones up to the checkpoint go: no change at or before it comes again
        const report = await writes.flush({ epoch: state.epoch, ordinal: positionOrdinal(state.position.file, state.position.offset) + 1, index: 0 });
        state = {
          ...state,
          position: { gtid: last.position, file: last.file, offset: last.offset },
          transactions: state.transactions + pending.length,
          changes: state.changes + report.applied,
          committedAt: last.timestamp,
          appliedAt: Date.now(),
        };
        await context.save(state);
        context.onApplied({ transactions: pending.length, applied: report.applied, skipped: report.skipped, position: last.position, committedAt: last.timestamp, receivedAt, appliedAt: state.appliedAt });
        writes = new ModelWrites(context.policy, context.onInvalid);
        pending = [];
      };
      for (const transaction of batch) {
        const ordinal = positionOrdinal(transaction.file, transaction.offset);
        if (ordinal <= lastOrdinal) {
          await flush();
          return { reason: 'resnapshot', state, cause: `the source's binlog went back from ${state.position.file}:${String(state.position.offset)} to ${transaction.file}:${String(transaction.offset)} (reset, or another server)` };
        }
        lastOrdinal = ordinal;
        const current = context.mappings();
        transaction.changes.forEach((change, i) => {
          const mapping = current.get(`${change.schema}.${change.table}`);
          if (mapping === undefined) return;
          const stamp = { epoch: state.epoch, ordinal, index: i };
          const before = change.before === null ? null : normalizeBinlogRow(mapping.shape, change.before);
          const after = change.after === null ? null : normalizeBinlogRow(mapping.shape, change.after);
          if (after === null) {
            if (before !== null) writes.delete(mapping, before, stamp);
          } else {
            writes.write(mapping, after, stamp, before);
          }
        });
        pending.push(transaction);
        if (transaction.statement !== null) {
          await flush();
          if ((await context.onStatement(transaction.statement)) === 'resnapshot') return { reason: 'resnapshot', state, cause: `DDL: ${transaction.statement.slice(0, 200)}` };
        }
      }
      await flush();
    }
  } finally {
    await stream.stop();
  }
}
