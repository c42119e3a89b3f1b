/** A plain-text table: a header row, then rows; columns of numbers are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => /^[~\d.-]/.test(row[c] ?? '0')));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (numeric[c] === true ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** `12.3%`. */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** A horizontal bar of `ratio` (0..1) of `width` characters. */
export function bar(ratio: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, ratio)) * width);
  return '#'.repeat(filled) + '.'.repeat(width - filled);
}
