export { checkSource } from './source-check.js';
export type { SourceInfo } from './source-check.js';
export { SyncSourceError } from './errors.js';
export { Snapshot } from './snapshot.js';
export type { SnapshotPosition, SnapshotTable } from './snapshot.js';
export { BinlogGapError, BinlogStream } from './binlog-stream.js';
export type { BinlogSource, BinlogTransaction, RowChange } from './binlog-stream.js';
