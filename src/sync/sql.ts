/** A MySQL/MariaDB identifier (schema, table or column name) quoted for SQL text: backticks, inner ones doubled. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\u0000')) throw new TypeError('an SQL identifier must be a non-empty string without NUL');
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `schema`.`table`, quoted. */
export function quoteTable(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
