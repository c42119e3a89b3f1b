import type { Connection, RowDataPacket } from 'mysql2/promise';
import { quoteIdentifier, quoteTable } from './sql.js';

/** A table as the snapshot reads it: in primary-key order, a chunk at a time. */
export interface SnapshotTable {
  readonly schema: string;
  readonly table: string;
  /** The primary key's columns, in key order. */
  readonly primaryKey: readonly string[];
  /** The select list (SQL text built from quoted identifiers). @defaultValue '*' */
  readonly select?: string;
}

/** Where a consistent snapshot stands in the binlog: its changes start right after it. */
export interface SnapshotPosition {
  /** A MariaDB GTID position ('0-1-42') or a MySQL executed GTID set. */
  readonly gtid: string;
  /** The binlog file and offset (MariaDB; MySQL: from SHOW MASTER STATUS under the read lock). */
  readonly file: string;
  readonly offset: number;
}

/**
 * A consistent snapshot of the source: one REPEATABLE READ transaction started WITH CONSISTENT
 * SNAPSHOT, and the binlog position its reads correspond to, so that streaming the binlog from
 * that position after copying the rows misses nothing and repeats nothing. MariaDB reports the
 * position of the snapshot itself (binlog_snapshot_file/position); MySQL needs a brief global read
 * lock around the start. Rows are read in primary-key order, `size` at a time (keyset paging, so
 * a copy can resume after the last key it wrote, in a new snapshot: rows copied from an older one
 * are then brought up to date by streaming from the older position, since every row event carries
 * the full row).
 */
export class Snapshot {
  private constructor(
    readonly connection: Connection,
    /** Where the snapshot stands. */
    readonly position: SnapshotPosition,
  ) {}

  /** Starts a snapshot on `connection` (which it keeps until close()). */
  static async open(connection: Connection, flavor: 'mariadb' | 'mysql'): Promise<Snapshot> {
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    if (flavor === 'mariadb') {
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const [status] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const values = new Map(status.map((row) => [String(row.Variable_name), String(row.Value)]));
      const file = values.get('Binlog_snapshot_file') ?? '';
      const offset = Number(values.get('Binlog_snapshot_position') ?? 'NaN');
      const [gtidRows] = await connection.query<RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [file, offset]);
      return new Snapshot(connection, { gtid: String(gtidRows[0]?.gtid ?? ''), file, offset });
    }
    await connection.query('FLUSH TABLES WITH READ LOCK');
    try {
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const [gtidRows] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_executed AS gtid');
      const [master] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
      return new Snapshot(connection, { gtid: String(gtidRows[0]?.gtid ?? ''), file: String(master[0]?.File ?? ''), offset: Number(master[0]?.Position ?? 0) });
    } finally {
      await connection.query('UNLOCK TABLES');
    }
  }

  /** The table's rows in primary-key order, `size` per chunk, after the key `after` (its primary-key values) when given. */
  async *chunks(table: SnapshotTable, options: { readonly size: number; readonly after?: readonly unknown[] }): AsyncGenerator<RowDataPacket[]> {
    const key = table.primaryKey.map(quoteIdentifier);
    const order = key.join(', ');
    const from = quoteTable(table.schema, table.table);
    let after = options.after;
    for (;;) {
      const where = after === undefined ? '' : `WHERE (${order}) > (${key.map(() => '?').join(', ')}) `;
      const [rows] = await this.connection.query<RowDataPacket[]>(`SELECT ${table.select ?? '*'} FROM ${from} ${where}ORDER BY ${order} LIMIT ?`, [...(after ?? []), options.size]);
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < options.size) return;
      const last = rows[rows.length - 1] as RowDataPacket;
      after = table.primaryKey.map((column) => last[column] as unknown);
    }
  }

  /** Ends the snapshot's transaction (the connection stays open). */
  async close(): Promise<void> {
    await this.connection.query('COMMIT');
  }
}
