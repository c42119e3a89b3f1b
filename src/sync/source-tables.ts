import type { Connection, RowDataPacket } from 'mysql2/promise';
import { quoteIdentifier, quoteTable } from './sql.js';

/** A column of a source table, as information_schema describes it. */
export interface SourceColumn {
  readonly name: string;
  /** The base type in lower case: 'int', 'varchar', 'decimal', 'datetime', 'json', 'uuid', ... */
  readonly dataType: string;
  /** The full type: 'int(10) unsigned', 'enum('a','b')', 'tinyint(1)', ... */
  readonly columnType: string;
}

/** A source table's columns (in order) and primary key. */
export interface TableShape {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly SourceColumn[];
  /** The primary key's columns in key order (empty when the table has none). */
  readonly primaryKey: readonly string[];
}

/** The shapes of the named tables (`schema.table`), or null for a table that does not exist. */
export async function readTableShapes(connection: Connection, names: readonly { schema: string; table: string }[]): Promise<(TableShape | null)[]> {
  return Promise.all(
    names.map(async ({ schema, table }) => {
      const [columns] = await connection.query<RowDataPacket[]>(
        'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, COLUMN_KEY AS columnKey FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [schema, table],
      );
      if (columns.length === 0) return null;
      const [keys] = await connection.query<RowDataPacket[]>(
        "SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
        [schema, table],
      );
      // MariaDB's JSON is LONGTEXT with a json_valid() check: the check tells it apart
      const [checks] = await connection.query<RowDataPacket[]>(
        'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
        [schema, table],
      ).catch(() => [[] as RowDataPacket[]] as const);
      const json = new Set(checks.flatMap((c) => /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(c.clause).trim())?.[1]?.replaceAll('``', '`') ?? []));
      return {
        schema,
        table,
        columns: columns.map((c) => {
          const name = String(c.name);
          const dataType = String(c.dataType).toLowerCase();
          return { name, dataType: dataType === 'longtext' && json.has(name) ? 'json' : dataType, columnType: String(c.columnType).toLowerCase() };
        }),
        primaryKey: keys.map((k) => String(k.name)),
      };
    }),
  );
}

/**
 * The select list that reads a table's rows as the binlog gives them: FLOAT columns as DOUBLE (the
 * text protocol would print them rounded to 6 digits; the binlog holds the exact single).
 */
export function selectList(shape: TableShape): string {
  return shape.columns.map((c) => (c.dataType === 'float' ? `CAST(${quoteIdentifier(c.name)} AS DOUBLE) AS ${quoteIdentifier(c.name)}` : quoteIdentifier(c.name))).join(', ');
}

/** `schema`.`table` of a shape, quoted. */
export function shapeTable(shape: TableShape): string {
  return quoteTable(shape.schema, shape.table);
}
