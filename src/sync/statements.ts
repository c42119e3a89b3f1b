/** What a standalone statement of the binlog (DDL and the like) means for the mapped tables. */
export type StatementKind = 'other' | 'truncate' | 'ddl';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * 'other' when the statement names none of the tables (as a word, backticks ignored), 'truncate'
 * for a TRUNCATE of one (rows go without row events), else 'ddl' (the columns may have changed).
 */
export function classifyStatement(statement: string, tables: readonly string[]): StatementKind {
  const text = statement.toLowerCase().replaceAll('`', '');
  const touched = tables.some((table) => new RegExp(`(^|[^\\w$])${escapeRegExp(table.toLowerCase())}($|[^\\w$])`).test(text));
  if (!touched) return 'other';
  return /^\s*truncate\b/.test(text) ? 'truncate' : 'ddl';
}
