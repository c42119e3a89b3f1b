import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { BinlogSource } from './binlog-stream.js';
import type { SourceColumn, TableShape } from './source-tables.js';

/**
 * How both readers of the source (the snapshot's mysql2 connection and the binlog reader, which
 * honours the same options) give values, so that a row read either way is the same JS value:
 * dates and times as the server's text ('2026-03-29 02:30:00.123', TIMESTAMP in UTC), integers as
 * numbers unless beyond 2^53 (then exact strings), DECIMAL as exact strings, JSON as its text.
 */
export const SOURCE_VALUE_OPTIONS = Object.freeze({ dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, jsonStrings: true });

/** A connection to the source that reads values as SOURCE_VALUE_OPTIONS says. */
export function connectSource(source: BinlogSource): Promise<Connection> {
  const { host, port, user, password } = source;
  return createConnection({ host, port, user, password: password ?? '', ...SOURCE_VALUE_OPTIONS });
}

/** A source row: column name to value as the readers give it (see SOURCE_VALUE_OPTIONS). */
export type SourceRow = Readonly<Record<string, unknown>>;

/** An IPv6 address of 16 bytes in the form MariaDB prints (RFC 5952: lower case, longest zero run as '::', IPv4-mapped tail). */
function formatInet6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** The binlog's raw bytes of a MariaDB UUID / INET6 / INET4 column, as the text a SELECT gives. */
function binaryTypeText(column: SourceColumn, value: Buffer): string {
  if (column.dataType === 'uuid') {
    const hex = value.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  if (column.dataType === 'inet4') return [...value].join('.');
  return formatInet6(value);
}

const BINARY_TEXT_TYPES = new Set(['uuid', 'inet6', 'inet4']);

/** A binlog row in the form a snapshot SELECT gives the same row (MariaDB's UUID and INET types arrive as raw bytes). */
export function normalizeBinlogRow(shape: TableShape, row: SourceRow): SourceRow {
  let out: Record<string, unknown> | null = null;
  for (const column of shape.columns) {
    const value = row[column.name];
    if (BINARY_TEXT_TYPES.has(column.dataType) && Buffer.isBuffer(value)) {
      out ??= { ...row };
      out[column.name] = binaryTypeText(column, value);
    }
  }
  return out ?? row;
}
