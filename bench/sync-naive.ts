/**
 * The hand-built sync the sync bench compares with: what a team writes in an afternoon on the same
 * libraries. The copy reads the table in primary-key pages and writes one HSET per row (pipelined
 * per page, no index, no checkpoint); the stream reads the binlog with the same reader and writes
 * one HSET or DEL per row change (pipelined per round of transactions, no index upkeep, no
 * exactly-once: a restart repeats or loses changes).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Redis } from 'ioredis';
import { BinlogStream } from '../src/sync/binlog-stream.js';
import type { BinlogSource } from '../src/sync/binlog-stream.js';

/** A column value as hash field text. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Writes the rows of one page as hashes `<prefix>:<id>`. */
function writeRows(redis: Redis, prefix: string, rows: readonly Record<string, unknown>[]): Promise<unknown> {
  const pipeline = redis.pipeline();
  for (const row of rows) {
    const fields: string[] = [];
    for (const [name, value] of Object.entries(row)) if (value !== null && value !== undefined) fields.push(name, text(value));
    pipeline.hset(`${prefix}:${text(row.id)}`, ...fields);
  }
  return pipeline.exec();
}

/** Copies `schema.table` (primary key `id`) page by page. */
export async function naiveCopy(connection: Connection, redis: Redis, table: string, prefix: string, page = 1000): Promise<number> {
  let after = -1;
  let copied = 0;
  for (;;) {
    const [rows] = await connection.query<RowDataPacket[]>(`SELECT * FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`, [after, page]);
    if (rows.length === 0) return copied;
    await writeRows(redis, prefix, rows);
    copied += rows.length;
    after = Number(rows[rows.length - 1]?.id);
  }
}

/** Streams the binlog from `from` into hashes until stop(); `onRound` hears when each round is written. */
export class NaiveStream {
  readonly #stream: BinlogStream;
  readonly done: Promise<void>;

  constructor(source: BinlogSource, from: string, redis: Redis, prefix: string, onRound: (position: string, changes: number) => void) {
    this.#stream = new BinlogStream(source, { from, serverId: 4242 });
    this.done = this.#pump(redis, prefix, onRound);
  }

  async #pump(redis: Redis, prefix: string, onRound: (position: string, changes: number) => void): Promise<void> {
    for (;;) {
      const batch = await this.#stream.takeBatch(5000);
      if (batch.length === 0) return;
      const pipeline = redis.pipeline();
      let changes = 0;
      for (const transaction of batch) {
        for (const change of transaction.changes) {
          const row = change.after ?? change.before;
          if (row === null) continue;
          changes++;
          if (change.after === null) pipeline.del(`${prefix}:${text(row.id)}`);
          else {
            if (change.before !== null && change.before.id !== change.after.id) pipeline.del(`${prefix}:${text(change.before.id)}`);
            const fields: string[] = [];
            for (const [name, value] of Object.entries(change.after)) if (value !== null && value !== undefined) fields.push(name, text(value));
            pipeline.del(`${prefix}:${text(row.id)}`).hset(`${prefix}:${text(row.id)}`, ...fields);
          }
        }
      }
      await pipeline.exec();
      onRound((batch.at(-1) as { position: string }).position, changes);
    }
  }

  /** Stops reading and waits for the last round. */
  async stop(): Promise<void> {
    await this.#stream.stop();
    await this.done;
  }
}
