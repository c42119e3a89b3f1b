import type { RowDataPacket } from 'mysql2/promise';
import type { KickassContext } from '../core/context.js';
import { SyncConfigError } from './errors.js';
import { sourceFlavor } from './source-check.js';
import { connectSource } from './source-values.js';
import { parseSource } from './sync-options.js';
import type { SyncSourceOptions } from './sync-options.js';
import { loadState, positionOrdinal } from './sync-state.js';
import type { SnapshotProgress, StreamPosition } from './sync-state.js';

/** A sync's state as saved in Redis, against where its source's binlog is now (what `kickass sync status` prints). */
export interface SavedSyncStatus {
  readonly name: string;
  /** 'new' before the first start. */
  readonly phase: 'new' | 'snapshot' | 'sweep' | 'stream';
  readonly epoch: number;
  /** Where the stream resumes (after the last transaction applied). */
  readonly position: StreamPosition | null;
  readonly snapshot: SnapshotProgress | null;
  /** The source's binlog now. */
  readonly source: StreamPosition;
  /** The sync has applied every transaction the source has written. */
  readonly caughtUp: boolean;
  /** Binlog bytes written after the position (null when the files differ). */
  readonly behindBytes: number | null;
  /** Time from the commit of the last transaction applied to now while behind, else 0 (ms; the binlog keeps whole seconds). */
  readonly lagMs: number;
  readonly transactions: number;
  readonly changes: number;
  readonly committedAt: number;
  readonly appliedAt: number;
}

/** A GTID position with its domains in order, to compare two. */
export function normalizeGtid(position: string): string {
  return position.split(',').map((p) => p.trim()).filter(Boolean).sort().join(',');
}

/** Reads a sync's checkpoint from Redis and the source's binlog position, and compares them. */
export async function readSyncStatus(context: KickassContext, name: string, source: string | SyncSourceOptions): Promise<SavedSyncStatus> {
  if (typeof name !== 'string' || name === '') throw new SyncConfigError('name', 'must be a non-empty string');
  const connection = await connectSource(parseSource(source));
  let now: StreamPosition;
  try {
    const [master] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
    const variable = (await sourceFlavor(connection)).flavor === 'mariadb' ? 'gtid_binlog_pos' : 'gtid_executed';
    const [gtid] = await connection.query<RowDataPacket[]>(`SELECT @@GLOBAL.${variable} AS gtid`);
    now = { gtid: String(gtid[0]?.gtid ?? ''), file: String(master[0]?.File ?? ''), offset: Number(master[0]?.Position ?? 0) };
  } finally {
    await connection.end();
  }
  const state = await loadState(context, name);
  if (state === null) {
    return { name, phase: 'new', epoch: 0, position: null, snapshot: null, source: now, caughtUp: false, behindBytes: null, lagMs: 0, transactions: 0, changes: 0, committedAt: 0, appliedAt: 0 };
  }
  const streaming = state.phase === 'stream';
  const caughtUp = streaming && normalizeGtid(state.position.gtid) === normalizeGtid(now.gtid);
  const sameFile = streaming && state.position.file === now.file;
  return {
    name,
    phase: state.phase,
    epoch: state.epoch,
    position: state.position,
    snapshot: state.snapshot,
    source: now,
    caughtUp,
    behindBytes: sameFile ? Math.max(0, positionOrdinal(now.file, now.offset) - positionOrdinal(state.position.file, state.position.offset)) : null,
    lagMs: caughtUp || state.committedAt === 0 ? 0 : Math.max(0, Date.now() - state.committedAt),
    transactions: state.transactions,
    changes: state.changes,
    committedAt: state.committedAt,
    appliedAt: state.appliedAt,
  };
}
