// One record of Go's encoding/csv (cert-manager's SplitWithEscapeCSV), so
// `"10 Downing Street, Westminster",Manchester` is two values. Values are
// not trimmed, as in Go.
export function parseCsvRecord(text: string): { ok: true; values: string[] } | { ok: false; error: string } {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const input = text.replace(/\r\n/g, "\n");
  let atLineStart = true;
  while (i <= input.length) {
    if (atLineStart && input[i] === "\n") {
      i++; // Go skips empty lines
      continue;
    }
    if (i === input.length) break;
    atLineStart = false;
    let field = "";
    if (input[i] === '"') {
      i++;
      for (;;) {
        if (i >= input.length) return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: extraneous or missing " in quoted-field` };
        if (input[i] === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += input[i];
        i++;
      }
      if (i < input.length && input[i] !== "," && input[i] !== "\n") {
        return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: extraneous or missing " in quoted-field` };
      }
    } else {
      while (i < input.length && input[i] !== "," && input[i] !== "\n") {
        if (input[i] === '"') return { ok: false, error: `failed to parse ${JSON.stringify(text)} as CSV: bare " in non-quoted-field` };
        field += input[i];
        i++;
      }
    }
    record.push(field);
    if (input[i] === ",") {
      i++;
      if (i === input.length || input[i] === "\n") {
        record.push("");
      } else continue;
    }
    records.push(record);
    record = [];
    atLineStart = true;
    if (input[i] === "\n") i++;
  }
  if (records.length === 0) return { ok: false, error: `no values found after parsing ${JSON.stringify(text)}` };
  if (records.length > 1) return { ok: false, error: `refusing to use ${JSON.stringify(text)} as it parses as multiple lines of CSV` };
  return { ok: true, values: records[0]! };
}
