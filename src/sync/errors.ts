import { InvalidArgumentError, KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';

/** The source MySQL/MariaDB server lacks a setting or privilege the sync needs; the message says which and how to fix it. */
export class SyncSourceError extends KickassError {
  /** The server setting or privilege, e.g. 'binlog_format' or 'REPLICATION SLAVE'. */
  readonly setting: string;
  /** What the server has (null when it has nothing: a missing privilege, an unknown variable). */
  readonly found: string | null;
  /** What the sync needs. */
  readonly needed: string;

  constructor(setting: string, found: string | null, needed: string, message: string) {
    super('E_SYNC_SOURCE', message, { context: { setting, found, needed } });
    this.setting = setting;
    this.found = found;
    this.needed = needed;
  }
}

/** A sync configuration (or a table's mapping against the source's columns) is not usable; `field` names the option. */
export class SyncConfigError extends InvalidArgumentError {}

/** A source row does not fit its model (a value the mapping cannot convert, a required field left empty): the sync stops here. */
export class SyncMappingError extends KickassError {
  /** `schema.table` of the row. */
  readonly table: string;
  /** The object id the row maps to ('' when the key itself failed). */
  readonly id: string;
  /** The model field (or column) that failed. */
  readonly field: string;
  /** Why. */
  readonly reason: string;

  constructor(table: string, id: string, field: string, reason: string, options: KickassErrorOptions = {}) {
    super('E_SYNC_MAPPING', `Row ${id === '' ? '' : `${id} `}of ${table} does not fit its model: ${field} ${reason}`, { ...options, context: { table, id, field, reason } });
    this.table = table;
    this.id = id;
    this.field = field;
    this.reason = reason;
  }
}
