import type { KickassContext } from '../core/context.js';

/** Where a sync's stream starts or resumes: the position after the last transaction applied (or the first snapshot of the epoch). */
export interface StreamPosition {
  readonly gtid: string;
  readonly file: string;
  readonly offset: number;
}

/** How far the copy of an epoch has come. */
export interface SnapshotProgress {
  /** Ordinal of the epoch's first snapshot: objects older than it are swept once the copy is done. */
  readonly firstOrdinal: number;
  /** Index of the table being copied, in the sync's table order. */
  readonly table: number;
  /** The primary key of the last row copied of that table (null: none yet). */
  readonly after: readonly unknown[] | null;
  /** Rows copied in this epoch. */
  readonly rows: number;
}

/** A sync's checkpoint, saved in Redis after the writes it covers are acknowledged. */
export interface SyncState {
  /** Counts full copies: each starts a new epoch, whose stamps are newer than any of the last one. */
  readonly epoch: number;
  readonly phase: 'snapshot' | 'sweep' | 'stream';
  /** The tables the epoch copied (a different set of tables needs a new copy). */
  readonly tables: readonly string[];
  readonly position: StreamPosition;
  readonly snapshot: SnapshotProgress | null;
  /** Transactions and row changes applied from the stream in this epoch. */
  readonly transactions: number;
  readonly changes: number;
  /** When the source committed the last transaction applied (ms), and when it was applied. */
  readonly committedAt: number;
  readonly appliedAt: number;
}

const BUFFER = '$b';

function encodeKeyValue(value: unknown): unknown {
  return Buffer.isBuffer(value) ? { [BUFFER]: value.toString('hex') } : value;
}

function decodeKeyValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && BUFFER in value) return Buffer.from(String((value as Record<string, unknown>)[BUFFER]), 'hex');
  return value;
}

/** The Redis key of a sync's checkpoint. */
export function stateKey(context: KickassContext, name: string): string {
  return context.keys.slot('sync', name).key('state');
}

/** The sync's saved checkpoint, or null before its first start. */
export async function loadState(context: KickassContext, name: string): Promise<SyncState | null> {
  const text = await context.client.get(stateKey(context, name));
  if (text === null) return null;
  const state = JSON.parse(text) as SyncState;
  const snapshot = state.snapshot;
  return snapshot?.after ? { ...state, snapshot: { ...snapshot, after: snapshot.after.map(decodeKeyValue) } } : state;
}

/** Saves the checkpoint (call only once every write it covers is acknowledged). */
export async function saveState(context: KickassContext, name: string, state: SyncState): Promise<void> {
  const snapshot = state.snapshot;
  const stored = snapshot?.after ? { ...state, snapshot: { ...snapshot, after: snapshot.after.map(encodeKeyValue) } } : state;
  await context.client.set(stateKey(context, name), JSON.stringify(stored));
}

/** The number a binlog position orders by within one server's binlog: the file's sequence number, then the offset. */
export function positionOrdinal(file: string, offset: number): number {
  const sequence = Number(/(\d+)$/.exec(file)?.[1] ?? 'NaN');
  if (!Number.isSafeInteger(sequence) || !Number.isSafeInteger(offset) || offset < 0 || offset >= 2 ** 32) throw new RangeError(`not a binlog position: ${file}:${String(offset)}`);
  return sequence * 2 ** 32 + offset;
}
