import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, DeleteRowsEvent, QueryEvent, RowData, UpdateRowsEvent, WriteRowsEvent } from '@vlasky/zongji';
import { KickassError } from '../core/errors.js';

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
  /** The position right after it: resuming from here streams what came next. */
  readonly position: string;
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

  constructor(source: BinlogSource, options: { readonly from: string; readonly serverId: number; readonly tables?: Readonly<Record<string, readonly string[] | true>> }) {
    this.#reader = new ZongJi({ host: source.host, port: source.port, user: source.user, password: source.password ?? '' });
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
      this.#commit(null);
      return;
    }
    if (name === 'query') {
      const statement = (event as QueryEvent).query.trim();
      // BEGIN opens a transaction; COMMIT (non-transactional tables) and DDL close one
      if (/^BEGIN\b/i.test(statement)) return;
      this.#commit(/^COMMIT\b/i.test(statement) ? null : statement);
    }
  }

  #commit(statement: string | null): void {
    const position = this.#reader.gtidSet ?? '';
    this.#queue.push({ position, changes: this.#pending, statement });
    this.#pending = [];
    this.#wake?.();
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    this.#wake?.();
  }

  /** The transactions as they commit; throws the reader's failure (BinlogGapError for a purged position). */
  async *[Symbol.asyncIterator](): AsyncIterator<BinlogTransaction> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#failure !== null) throw this.#failure;
      if (this.#stopped) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }

  /** Stops reading (the iteration ends once the transactions already read are handed out). */
  stop(): void {
    this.#stopped = true;
    this.#reader.stop();
    this.#wake?.();
  }
}
