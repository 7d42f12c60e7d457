/** A plain-text table with aligned columns; numbers right-aligned. Pure. */
export function renderTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? cell.toLocaleString('en-US') : cell)))];
  const numeric = header.map((_, col) => rows.length > 0 && rows.every((row) => typeof row[col] === 'number'));
  const widths = header.map((_, col) => Math.max(...cells.map((row) => String(row[col] ?? '').length)));
  const line = (row: (string | number)[]) =>
    row
      .map((cell, col) => (numeric[col] ? String(cell).padStart(widths[col] ?? 0) : String(cell).padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...cells.slice(1).map(line)].join('\n');
}
