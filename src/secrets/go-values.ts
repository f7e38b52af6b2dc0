// The Go values sops carries through its tree, and their canonical bytes.
// sops hashes and encrypts `ToBytes(value)` (sops.go, aes/cipher.go), so two
// implementations agree on a MAC only if they agree on these bytes exactly:
// Itoa for ints, FormatFloat(f,'f',-1,64) for floats, Title-case bools,
// RFC3339Nano for times.

export type SopsValue =
  | { type: "str"; value: string }
  | { type: "int"; value: bigint }
  | { type: "float"; value: number }
  | { type: "bool"; value: boolean }
  /** time.Time, kept as its RFC3339Nano text (what MarshalText gives). */
  | { type: "time"; value: string }
  | { type: "bytes"; value: Uint8Array }
  | { type: "null" };

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

const utf8 = new TextEncoder();

/** Go `sops.ToBytes`: the bytes hashed into the MAC and encrypted. */
export function toBytes(v: Exclude<SopsValue, { type: "null" }>): Uint8Array {
  switch (v.type) {
    case "str":
    case "time":
      return utf8.encode(v.value);
    case "int":
      return utf8.encode(v.value.toString());
    case "float":
      return utf8.encode(formatFloatGo(v.value));
    case "bool":
      return utf8.encode(v.value ? "True" : "False");
    case "bytes":
      return v.value;
  }
}

/**
 * Go `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest digits that round
 * trip (JavaScript's Number#toString picks the same digits), never an
 * exponent.
 */
export function formatFloatGo(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Infinity) return "+Inf";
  if (f === -Infinity) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const s = f.toString();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = "", expText] = m as unknown as [string, string, string, string | undefined, string];
  const digits = lead + frac;
  const point = 1 + Number(expText);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Plain YAML text that yaml.v3 reads back as the same float64 (so the MAC,
 * computed over the re-read value, is unchanged) and that still reads as a
 * float rather than an int.
 */
export function floatYamlText(f: number): string {
  if (Number.isNaN(f)) return ".nan";
  if (f === Infinity) return ".inf";
  if (f === -Infinity) return "-.inf";
  if (Object.is(f, -0)) return "-0.0";
  const s = f.toString();
  if (s.includes("e")) return s;
  return Number.isInteger(f) ? `${s}.0` : s;
}

/** Go `strconv.ParseInt(s, 10, 0)` (what `Atoi` does on 64-bit). */
export function parseGoDecimalInt(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** Go `strconv.ParseFloat(s, 64)` for the decimal and special forms sops writes. */
export function parseGoFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === "nan") return special[1] ? undefined : NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  const f = Number(s);
  // Go reports overflow as an error (ErrRange) rather than returning ±Inf.
  return Number.isFinite(f) ? f : undefined;
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

// yaml.v3 tries these layouts with time.Parse (resolve.go: allowedTimestampFormats):
//   2006-1-2T15:4:5.999999999Z07:00, the same with a lower-case t,
//   2006-1-2 15:4:5.999999999 (UTC), and 2006-1-2 (UTC).
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?))?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/**
 * A yaml.v3 timestamp, as the RFC3339Nano text Go's MarshalText gives for
 * it; undefined when time.Parse would reject it (yaml.v3 then keeps the
 * scalar a string). The zone offset is kept as written, `Z` when it is zero.
 */
export function parseYamlTimestamp(s: string): string | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  const zoned = m[4] !== undefined;
  const hour = Number((zoned ? m[5] : m[10]) ?? 0);
  const minute = Number((zoned ? m[6] : m[11]) ?? 0);
  const second = Number((zoned ? m[7] : m[12]) ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let frac = ((zoned ? m[8] : m[13]) ?? "").slice(0, 9).replace(/0+$/, "");
  let zone = "Z";
  if (zoned && m[9] !== "Z") {
    const z = m[9]!;
    const zh = Number(z.slice(1, 3));
    const zm = Number(z.slice(4, 6));
    if (zh > 24 || zm > 60) return undefined;
    zone = zh === 0 && zm === 0 ? "Z" : z;
  }
  frac = frac ? `.${frac}` : "";
  return `${m[1]}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}${frac}${zone}`;
}

/**
 * `time.Parse(time.RFC3339, s).Format(time.RFC3339)`: how sops rebuilds the
 * `lastmodified` AAD of the MAC. Fractional seconds are dropped, a zero
 * offset becomes `Z`.
 */
export function canonicalRfc3339(s: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const full = parseYamlTimestamp(s);
  if (full === undefined) return undefined;
  const zone = m[7] === "Z" || /^[+-]00:00$/.test(m[7]!) ? "Z" : m[7]!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`;
}

/** `lastmodified` for a new file: UTC, whole seconds, `Z`. */
export function formatLastModified(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}
