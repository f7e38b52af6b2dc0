// Go's time.ParseDuration and Duration.String(), because cert-manager's
// `duration`, `renewBefore` and the shim's duration annotations are Go
// durations: a manifest must mean the same here as in cert-manager, and a
// value cert-manager rejects (`90d`) must be rejected here too.

export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

const NS_PER_SECOND = 1_000_000_000n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // U+00B5 micro sign
  ["\u03bcs", 1_000n], // U+03BC Greek mu
  ["ms", 1_000_000n],
  ["s", NS_PER_SECOND],
  ["m", 60n * NS_PER_SECOND],
  ["h", 3600n * NS_PER_SECOND],
]);

// Go durations are int64 nanoseconds; anything larger is an overflow there.
const MAX_NS = (1n << 63n) - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Parses a Go duration (`2160h`, `1h30m`, `1.5h`, `300ms`, `-5m`) into nanoseconds. */
export function parseDurationNanos(text: string): { ok: true; nanos: bigint } | { ok: false; error: string } {
  const invalid = (why?: string) => ({
    ok: false as const,
    error: `${JSON.stringify(text)} is not a valid duration${why ? `: ${why}` : ""}`,
  });
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, nanos: 0n };
  if (s === "") return invalid('expected a number and a unit, e.g. "2160h" or "1h30m"');

  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return invalid();
    let i = 0;
    while (isDigit(s[i])) i++;
    const whole = s.slice(0, i);
    s = s.slice(i);
    let fraction = "";
    if (s.startsWith(".")) {
      s = s.slice(1);
      let j = 0;
      while (isDigit(s[j])) j++;
      fraction = s.slice(0, j);
      s = s.slice(j);
    }
    if (whole === "" && fraction === "") return invalid();

    let k = 0;
    while (k < s.length && s[k] !== "." && !isDigit(s[k])) k++;
    const unitName = s.slice(0, k);
    s = s.slice(k);
    if (unitName === "") return invalid('missing unit (one of "ns", "us", "ms", "s", "m", "h")');
    const unit = UNITS.get(unitName);
    if (unit === undefined) {
      if (unitName === "d" || unitName === "w" || unitName === "y") {
        const n = Number(whole);
        const hint = unitName === "d" && fraction === "" && Number.isSafeInteger(n) ? `; use "${n * 24}h" for ${n} day${n === 1 ? "" : "s"}` : "";
        return invalid(`Go durations have no "${unitName}" unit, the largest is "h"${hint}`);
      }
      return invalid(`unknown unit ${JSON.stringify(unitName)} (use "ns", "us", "ms", "s", "m" or "h")`);
    }

    let value = BigInt(whole || "0") * unit;
    if (fraction !== "") {
      // Exact where Go uses float64; the two agree to the nanosecond for any
      // value a manifest would carry.
      value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    }
    total += value;
    if (total > MAX_NS + (negative ? 1n : 0n)) return invalid("out of range");
  }
  return { ok: true, nanos: negative ? -total : total };
}

/** Parses a Go duration into seconds (fractions kept: `300ms` is 0.3). */
export function parseDuration(text: string): DurationResult {
  const r = parseDurationNanos(text);
  if (!r.ok) return r;
  const whole = r.nanos / NS_PER_SECOND;
  const rest = r.nanos % NS_PER_SECOND;
  return { ok: true, seconds: Number(whole) + Number(rest) / 1e9 };
}

/** Seconds as Go's Duration.String() prints them: `2160h0m0s`, `1.5s`, `300ms`. */
export function formatDuration(seconds: number): string {
  const whole = Math.trunc(seconds);
  const frac = Math.round((seconds - whole) * 1e9);
  return formatNanos(BigInt(whole) * NS_PER_SECOND + BigInt(frac));
}

export function formatNanos(nanos: bigint): string {
  const negative = nanos < 0n;
  let u = negative ? -nanos : nanos;
  let out: string;
  if (u < NS_PER_SECOND) {
    if (u === 0n) return "0s";
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    out = `${fraction(u % (60n * NS_PER_SECOND), 9)}s`;
    u /= 60n * NS_PER_SECOND;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** v / 10^prec with trailing zeros (and a bare point) dropped, as Go's fmtFrac. */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const int = v / scale;
  const frac = (v % scale).toString().padStart(prec, "0").replace(/0+$/, "");
  return frac === "" ? `${int}` : `${int}.${frac}`;
}
