/** Rows under a header for people to read: columns as wide as their widest cell, two spaces apart, a dashed rule under the header. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
