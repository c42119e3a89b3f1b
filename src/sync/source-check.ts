import type { Connection, RowDataPacket } from 'mysql2/promise';
import { SyncSourceError } from './errors.js';

/** What the sync learned about its source server. */
export interface SourceInfo {
  /** 'mariadb' or 'mysql'. */
  readonly flavor: 'mariadb' | 'mysql';
  /** `SELECT VERSION()`. */
  readonly version: string;
  /** The server's server_id. */
  readonly serverId: number;
  /** Where the binlog is now: a MariaDB GTID position ('0-1-42') or a MySQL executed GTID set. */
  readonly gtidPosition: string;
}

/** Variables the check reads. */
const VARIABLES = ['log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'server_id', 'gtid_mode', 'gtid_binlog_pos', 'gtid_executed'];

/** Global privileges that cover what the sync needs (a binlog dump, and reading the binlog's state). */
const DUMP = ['ALL PRIVILEGES', 'REPLICATION SLAVE', 'REPLICATION REPLICA'];
const MONITOR = ['ALL PRIVILEGES', 'REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER'];

function fix(setting: string, needed: string): string {
  return `set ${setting}=${needed} in the server's configuration (or SET GLOBAL ${setting}=${needed} where it is dynamic) and start the sync again`;
}

/** Whether the server is MariaDB or MySQL, and its version. */
export async function sourceFlavor(connection: Connection): Promise<Pick<SourceInfo, 'flavor' | 'version'>> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
  const version = String(rows[0]?.version ?? '');
  return { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version };
}

/**
 * Checks that a source server can feed the sync: binary logging on, in ROW format with full row
 * images and FULL row metadata (so that column names and types come with each event, and added or
 * dropped columns keep decoding), a server_id, GTIDs (MySQL: gtid_mode=ON), and the privileges of
 * a replica. Throws SyncSourceError naming the first setting that is missing.
 */
export async function checkSource(connection: Connection): Promise<SourceInfo> {
  const { flavor, version } = await sourceFlavor(connection);
  const [rows] = await connection.query<RowDataPacket[]>(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => '?').join(', ')})`, VARIABLES);
  const vars = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
  const logBin = vars.get('log_bin') ?? 'OFF';
  if (logBin.toUpperCase() !== 'ON') throw new SyncSourceError('log_bin', logBin, 'ON', `The source server's binary log is off (log_bin=${logBin}): start it with --log-bin (and a server_id) so that the sync can read its changes.`);
  const required: [string, string][] = [
    ['binlog_format', 'ROW'],
    ['binlog_row_image', 'FULL'],
    ['binlog_row_metadata', 'FULL'],
  ];
  for (const [setting, needed] of required) {
    const found = vars.get(setting);
    if (found === undefined) throw new SyncSourceError(setting, null, needed, `The source server (${version}) has no ${setting} setting: the sync needs MariaDB 10.5 or MySQL 8.0.1 or newer, with ${setting}=${needed}.`);
    if (found.toUpperCase() !== needed) throw new SyncSourceError(setting, found, needed, `The source server has ${setting}=${found}; the sync needs ${setting}=${needed}: ${fix(setting, needed)}.`);
  }
  const serverId = Number(vars.get('server_id') ?? '0');
  if (serverId === 0) throw new SyncSourceError('server_id', '0', 'a non-zero id', `The source server has server_id=0: ${fix('server_id', '1')} (any id unused by its replicas).`);
  if (flavor === 'mysql' && (vars.get('gtid_mode') ?? 'OFF').toUpperCase() !== 'ON') {
    const found = vars.get('gtid_mode') ?? 'OFF';
    throw new SyncSourceError('gtid_mode', found, 'ON', `The source server has gtid_mode=${found}; the sync resumes by GTID and needs gtid_mode=ON (with enforce_gtid_consistency=ON): ${fix('gtid_mode', 'ON')}.`);
  }
  const [grantRows] = await connection.query<RowDataPacket[]>('SHOW GRANTS FOR CURRENT_USER()');
  // global grants only ("... ON *.* TO ..."): what a binlog dump needs
  const global = grantRows.map((row) => String(Object.values(row)[0])).filter((grant) => /\bON \*\.\* TO\b/i.test(grant)).join(' ').toUpperCase();
  const has = (names: readonly string[]): boolean => names.some((name) => global.includes(name));
  if (!has(DUMP)) throw new SyncSourceError('REPLICATION SLAVE', null, 'REPLICATION SLAVE', "The sync's database user lacks the REPLICATION SLAVE privilege (needed to read the binlog): GRANT REPLICATION SLAVE ON *.* TO that user.");
  if (!has(MONITOR)) throw new SyncSourceError(flavor === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT', null, 'REPLICATION CLIENT', `The sync's database user lacks the ${flavor === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'} privilege (needed to read the binlog's position): GRANT ${flavor === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'} ON *.* TO that user.`);
  const gtidPosition = flavor === 'mariadb' ? (vars.get('gtid_binlog_pos') ?? '') : (vars.get('gtid_executed') ?? '');
  return { flavor, version, serverId, gtidPosition };
}
