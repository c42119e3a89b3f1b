import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Stamp } from '../store/stamped-writes.js';
import { ModelWrites } from './model-writes.js';
import type { InvalidRowPolicy } from './model-writes.js';
import type { SyncMappingError } from './errors.js';
import { Snapshot } from './snapshot.js';
import { selectList, shapeTable } from './source-tables.js';
import { positionOrdinal } from './sync-state.js';
import type { SnapshotProgress, SyncState } from './sync-state.js';
import type { CompiledMapping } from './table-mapping.js';

/** Snapshot rows take this index (scaled by ModelWrites): newer than any change of a transaction at the snapshot's position. */
export const SNAPSHOT_INDEX = 2 ** 40;

/** Progress of a copy, as the 'snapshot' event reports it. */
export interface CopyProgress {
  /** `schema.table` being copied. */
  readonly table: string;
  /** Rows of that table copied so far, and its row count at the snapshot. */
  readonly tableRows: number;
  readonly tableTotal: number;
  /** Rows copied in this epoch (every table). */
  readonly rows: number;
}

/** What the copy needs from its sync. */
export interface CopyContext {
  readonly connection: Connection;
  readonly flavor: 'mariadb' | 'mysql';
  readonly mappings: readonly CompiledMapping[];
  readonly chunkSize: number;
  readonly policy: InvalidRowPolicy;
  readonly onInvalid: (error: SyncMappingError) => void;
  readonly onProgress: (progress: CopyProgress) => void;
  /** Saves the checkpoint once the writes before it are acknowledged. */
  readonly save: (state: SyncState) => Promise<void>;
  /** True once the sync is asked to stop: the copy ends after the chunk in hand (resumable). */
  readonly stopping: () => boolean;
}

/**
 * Copies the mapped tables in one consistent snapshot, a primary-key chunk at a time, saving
 * after each chunk the last key written: a copy cut short resumes in a new snapshot after that
 * key. The epoch's first snapshot fixes where the stream starts; rows of a later (resumed) one
 * carry its newer stamp, so the stream's older changes pass over them. Returns the state after
 * the last chunk (phase 'sweep' when every table is copied).
 */
export async function copyTables(context: CopyContext, start: SyncState): Promise<SyncState> {
  const snapshot = await Snapshot.open(context.connection, context.flavor);
  try {
    const ordinal = positionOrdinal(snapshot.position.file, snapshot.position.offset);
    // the epoch's first snapshot fixes where the stream starts; a resumed copy keeps it
    const position = start.snapshot === null ? snapshot.position : start.position;
    let progress: SnapshotProgress = start.snapshot ?? { firstOrdinal: ordinal, table: 0, after: null, rows: 0 };
    let state: SyncState = { ...start, position, snapshot: progress };
    const save = async (next: SnapshotProgress, phase: SyncState['phase'] = 'snapshot'): Promise<void> => {
      progress = next;
      state = { ...state, phase, snapshot: progress };
      await context.save(state);
    };
    const stamp: Stamp = { epoch: state.epoch, ordinal, index: SNAPSHOT_INDEX };
    for (let t = progress.table; t < context.mappings.length; t++) {
      const mapping = context.mappings[t] as CompiledMapping;
      const shape = mapping.shape;
      const [count] = await context.connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${shapeTable(shape)}`);
      const tableTotal = Number(count[0]?.n ?? 0);
      const after = progress.table === t ? progress.after : null;
      let tableRows = 0;
      const chunks = snapshot.chunks({ schema: shape.schema, table: shape.table, primaryKey: shape.primaryKey, select: selectList(shape) }, { size: context.chunkSize, ...(after === null ? {} : { after }) });
      const iterator = chunks[Symbol.asyncIterator]();
      // the next chunk is read from the source while this one is written to Redis
      let next = iterator.next();
      for (;;) {
        const step = await next;
        if (step.done === true) break;
        const rows = step.value;
        next = iterator.next();
        const writes = new ModelWrites(context.policy, context.onInvalid);
        for (const row of rows) writes.write(mapping, row, stamp);
        await writes.flush().catch(async (error: unknown) => {
          await next.catch(() => undefined);
          throw error;
        });
        const last = rows[rows.length - 1] as RowDataPacket;
        tableRows += rows.length;
        await save({ ...progress, table: t, after: shape.primaryKey.map((c) => last[c] as unknown), rows: progress.rows + rows.length });
        context.onProgress({ table: mapping.name, tableRows, tableTotal, rows: progress.rows });
        if (context.stopping()) {
          await next.catch(() => undefined);
          return state;
        }
      }
      await save({ ...progress, table: t + 1, after: null });
      context.onProgress({ table: mapping.name, tableRows, tableTotal, rows: progress.rows });
      if (context.stopping()) return state;
    }
    await save(progress, 'sweep');
    return state;
  } finally {
    await snapshot.close().catch(() => undefined);
  }
}
