/** One CSV record with the 1-based line number it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: comma separated, `"` quoting with `""` escapes, quoted fields may span lines, CRLF or LF.
 * Blank lines are skipped. Unterminated quotes are reported as an error record (fields = null).
 */
export function parseCsv(text: string): { records: CsvRecord[]; unterminatedQuoteLine: number | null } {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = "";
    let inQuotes = false;
    let quoteStartLine = 0;
    let endOfRecord = false;
    let sawAny = false;
    while (i < n && !endOfRecord) {
      const c = text[i]!;
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            inQuotes = false;
            i++;
          }
        } else {
          if (c === "\n") line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"') {
        inQuotes = true;
        quoteStartLine = line;
        sawAny = true;
        i++;
      } else if (c === ",") {
        fields.push(field);
        field = "";
        sawAny = true;
        i++;
      } else if (c === "\r" || c === "\n") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        i++;
        line++;
        endOfRecord = true;
      } else {
        field += c;
        sawAny = true;
        i++;
      }
    }
    if (inQuotes) return { records, unterminatedQuoteLine: quoteStartLine };
    if (!sawAny && field === "") continue; // blank line
    fields.push(field);
    records.push({ line: startLine, fields });
  }
  return { records, unterminatedQuoteLine: null };
}
