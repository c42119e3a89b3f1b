import { KickassError } from '../core/errors.js';

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
