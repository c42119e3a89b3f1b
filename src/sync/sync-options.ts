import type { BinlogSource } from './binlog-stream.js';
import { SyncConfigError } from './errors.js';
import type { InvalidRowPolicy } from './model-writes.js';
import type { TableMapping } from './table-mapping.js';

/** How to reach the source server. */
export interface SyncSourceOptions {
  readonly host: string;
  /** @defaultValue 3306 */
  readonly port?: number;
  readonly user: string;
  readonly password?: string;
}

/** Options of {@link Sync} (`kr.sync(options)`). */
export interface SyncOptions {
  /** Names the sync's checkpoint in Redis: one name per sync. */
  readonly name: string;
  /** The source MySQL/MariaDB server: `mysql://user:password@host:port` or its settings. The user needs REPLICATION SLAVE, BINLOG MONITOR (MySQL: REPLICATION CLIENT) and SELECT on the tables. */
  readonly source: string | SyncSourceOptions;
  /** `'schema.table'` to how its rows become objects of a model. */
  readonly tables: Readonly<Record<string, TableMapping>>;
  /** The replica id the binlog reader announces; unique among the source's replicas. @defaultValue derived from `name` */
  readonly serverId?: number;
  /** Rows per snapshot chunk. @defaultValue 1000 */
  readonly chunkSize?: number;
  /** Most row changes applied in one round. @defaultValue 5000 */
  readonly maxChanges?: number;
  /** Attempts after a lost connection (source or Redis) before run() rejects; each waits longer, up to `retryDelayMs`. @defaultValue Infinity */
  readonly retries?: number;
  /** The longest wait between attempts (ms). @defaultValue 30000 */
  readonly retryDelayMs?: number;
  /** A row that does not fit its model stops the sync ('stop'), or is left out and reported ('skip'). @defaultValue 'stop' */
  readonly invalidRows?: InvalidRowPolicy;
}

/** The source settings of a URL or an object; throws SyncConfigError naming `source`. */
export function parseSource(source: string | SyncSourceOptions): BinlogSource {
  if (typeof source === 'string') {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new SyncConfigError('source', 'must be a mysql://user:password@host:port URL');
    }
    if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw new SyncConfigError('source', 'must be a mysql:// or mariadb:// URL');
    if (url.username === '') throw new SyncConfigError('source', 'must name a user (mysql://user:password@host:port)');
    return { host: url.hostname, port: url.port === '' ? 3306 : Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  const given = source as unknown as Record<string, unknown> | null;
  if (typeof given !== 'object' || given === null || typeof given.host !== 'string' || typeof given.user !== 'string') {
    throw new SyncConfigError('source', 'must be a URL or { host, port, user, password }');
  }
  const port = source.port ?? 3306;
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new SyncConfigError('source.port', 'must be a port number');
  return { host: source.host, port, user: source.user, ...(source.password === undefined ? {} : { password: source.password }) };
}

/** The schema and table of a `'schema.table'` name; throws SyncConfigError naming it. */
export function tableName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.includes('\0')) throw new SyncConfigError(`tables['${name}']`, "must be named 'schema.table'");
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** Checks the options' shape and ranges (the mappings are checked against the source at start); throws SyncConfigError naming the option. */
export function checkSyncOptions(options: SyncOptions): void {
  const given = options as unknown as Record<string, unknown> | null;
  if (typeof given !== 'object' || given === null) throw new SyncConfigError('options', 'must be an object');
  if (typeof given.name !== 'string' || given.name === '' || given.name.length > 200) throw new SyncConfigError('name', 'must be a non-empty string of at most 200 characters');
  if (typeof given.tables !== 'object' || given.tables === null || Object.keys(given.tables).length === 0) throw new SyncConfigError('tables', "must map at least one 'schema.table' to a model");
  for (const name of Object.keys(options.tables)) tableName(name);
  for (const [field, value] of [['chunkSize', options.chunkSize], ['maxChanges', options.maxChanges]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1 || value > 100_000)) throw new SyncConfigError(field, 'must be an integer from 1 to 100000');
  }
  if (options.retries !== undefined && options.retries !== Infinity && (!Number.isSafeInteger(options.retries) || options.retries < 0)) throw new SyncConfigError('retries', 'must be a non-negative integer or Infinity');
  if (options.retryDelayMs !== undefined && (!Number.isSafeInteger(options.retryDelayMs) || options.retryDelayMs < 10 || options.retryDelayMs > 3_600_000)) throw new SyncConfigError('retryDelayMs', 'must be an integer from 10 to 3600000');
  if (options.serverId !== undefined && (!Number.isSafeInteger(options.serverId) || options.serverId < 1 || options.serverId >= 2 ** 32)) throw new SyncConfigError('serverId', 'must be an integer from 1 to 2^32 - 1');
  if (given.invalidRows !== undefined && given.invalidRows !== 'stop' && given.invalidRows !== 'skip') throw new SyncConfigError('invalidRows', "must be 'stop' or 'skip'");
}
