import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, DeleteRowsEvent, QueryEvent, RowData, UpdateRowsEvent, WriteRowsEvent } from '@vlasky/zongji';
import { KickassError } from '../core/errors.js';
import { SOURCE_VALUE_OPTIONS } from './source-values.js';

/** One row change of a transaction, with full row images (binlog_row_image=FULL). */
export interface RowChange {
  readonly schema: string;
  readonly table: string;
  readonly kind: 'insert' | 'update' | 'delete';
  /** The row before (update, delete). */
  readonly before: RowData | null;
  /** The row after (insert, update). */
  readonly after: RowData | null;
}

/** A committed transaction of the source, in binlog order. */
export interface BinlogTransaction {
  /** The GTID position right after it: resuming from here streams what came next. */
  readonly position: string;
  /** The binlog file it was read from and the offset of its end (orders transactions within a server's binlog). */
  readonly file: string;
  readonly offset: number;
  /** When the source committed it (ms; the binlog keeps whole seconds). */
  readonly timestamp: number;
  /** Its row changes (none for DDL and for transactions outside the filter). */
  readonly changes: readonly RowChange[];
  /** The statement text when it is DDL or another standalone statement (e.g. ALTER TABLE), else null. */
  readonly statement: string | null;
}

/** The source no longer has the binlog the position needs (purged, or a gap): a new snapshot is needed. */
export class BinlogGapError extends KickassError {
  /** The position the stream asked for. */
  readonly position: string;

  constructor(position: string, cause: unknown) {
    super('E_SYNC_BINLOG_GAP', `The source's binlog no longer holds position ${position} (purged or missing): the sync must take a new snapshot`, { cause, context: { position } });
    this.position = position;
  }
}

/** Connection settings of the binlog reader. */
export interface BinlogSource {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
}

/** Transactions read ahead before the reader pauses the connection (TCP then holds the source back), and the level it resumes at. */
const PAUSE_AT = 2000;
const RESUME_AT = 500;

/** The reader's binlog connection (zongji keeps a mysql2 connection, which can pause reading). */
type PausableReader = { readonly connection: { pause(): void; resume(): void } | null };

const ROW_EVENTS = { writerows: 'insert', updaterows: 'update', deleterows: 'delete' } as const;

/**
 * The source's binlog from a GTID position, as committed transactions (an async iterable). Row
 * events are gathered per transaction and handed out at its commit, with the position after it,
 * so that a consumer that applies a transaction and saves its position atomically resumes
 * exactly after it. Tables outside `tables` are filtered out by the reader.
 */
export class BinlogStream implements AsyncIterable<BinlogTransaction> {
  readonly #reader: ZongJi;
  readonly #queue: BinlogTransaction[] = [];
  #pending: RowChange[] = [];
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  #stopped = false;
  #paused = false;
  #stopping: Promise<void> | null = null;

  constructor(source: BinlogSource, options: { readonly from: string; readonly serverId: number; readonly tables?: Readonly<Record<string, readonly string[] | true>> }) {
    this.#reader = new ZongJi({ host: source.host, port: source.port, user: source.user, password: source.password ?? '', ...SOURCE_VALUE_OPTIONS });
    this.#reader.on('binlog', (event: AnyBinlogEvent) => {
      this.#receive(event);
    });
    this.#reader.on('error', (error: unknown) => {
      const code = (error as { code?: unknown; errno?: unknown }).errno ?? (error as { code?: unknown }).code;
      this.#fail(code === 1236 || code === 'ER_MASTER_FATAL_ERROR_READING_BINLOG' ? new BinlogGapError(options.from, error) : error);
    });
    this.#reader.start({
      gtidSet: options.from,
      serverId: options.serverId,
      includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'mariadbgtid', 'gtid', 'xid', 'query'],
      ...(options.tables === undefined ? {} : { includeSchema: Object.fromEntries(Object.entries(options.tables).map(([schema, list]) => [schema, list === true ? true : [...list]])) }),
    });
  }

  #receive(event: AnyBinlogEvent): void {
    const name = event.getEventName();
    if (name === 'mariadbgtid' || name === 'gtid') {
      this.#pending = [];
      return;
    }
    if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
      const rows = event as WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent;
      const table = rows.tableMap[rows.tableId];
      if (table === undefined) return;
      const kind = ROW_EVENTS[name];
      for (const row of rows.rows) {
        const [before, after] = kind === 'insert' ? [null, row as RowData] : kind === 'delete' ? [row as RowData, null] : [(row as { before: RowData }).before, (row as { after: RowData }).after];
        this.#pending.push({ schema: table.parentSchema, table: table.tableName, kind, before, after });
      }
      return;
    }
    if (name === 'xid') {
      this.#commit(null, event.timestamp);
      return;
    }
    if (name === 'query') {
      const statement = (event as QueryEvent).query.trim();
      // BEGIN opens a transaction; COMMIT (non-transactional tables) and DDL close one
      if (/^BEGIN\b/i.test(statement)) return;
      this.#commit(/^COMMIT\b/i.test(statement) ? null : statement, event.timestamp);
    }
  }

  #commit(statement: string | null, timestamp: number): void {
    const position = this.#reader.gtidSet ?? '';
    const { filename = '', position: offset = 0 } = this.#reader.options;
    this.#queue.push({ position, file: filename, offset, timestamp, changes: this.#pending, statement });
    this.#pending = [];
    if (this.#queue.length >= PAUSE_AT && !this.#paused) {
      this.#paused = true;
      (this.#reader as unknown as PausableReader).connection?.pause();
    }
    this.#wake?.();
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    this.#wake?.();
  }

  /** The transactions as they commit; throws the reader's failure (BinlogGapError for a purged position). */
  async *[Symbol.asyncIterator](): AsyncIterator<BinlogTransaction> {
    for (;;) {
      const batch = await this.takeBatch(1);
      if (batch.length === 0) return;
      yield* batch;
    }
  }

  /**
   * The transactions read so far (at least one: waits for it), up to about `maxChanges` row
   * changes; an empty list once stopped and drained. Throws the reader's failure.
   */
  async takeBatch(maxChanges: number): Promise<BinlogTransaction[]> {
    while (this.#queue.length === 0) {
      if (this.#failure !== null) throw this.#failure;
      if (this.#stopped) return [];
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
    const batch: BinlogTransaction[] = [];
    let changes = 0;
    while (this.#queue.length > 0 && (batch.length === 0 || changes + (this.#queue[0] as BinlogTransaction).changes.length <= maxChanges)) {
      const next = this.#queue.shift() as BinlogTransaction;
      batch.push(next);
      changes += next.changes.length;
    }
    this.#resumeWhenDrained();
    return batch;
  }

  #resumeWhenDrained(): void {
    if (this.#paused && this.#queue.length <= RESUME_AT) {
      this.#paused = false;
      (this.#reader as unknown as PausableReader).connection?.resume();
    }
  }

  /**
   * Stops reading (the iteration ends once the transactions already read are handed out); resolves
   * once the reader has closed its connection and asked the server to end its dump thread (a
   * server keeps the binlog files a live dump thread reads: PURGE skips them).
   */
  stop(): Promise<void> {
    if (this.#stopping === null) {
      this.#stopped = true;
      this.#stopping = new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 2000);
        this.#reader.once('stopped', () => {
          clearTimeout(done);
          resolve();
        });
      });
      this.#reader.stop();
      this.#wake?.();
    }
    return this.#stopping;
  }
}
