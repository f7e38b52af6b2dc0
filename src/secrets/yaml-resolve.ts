// A port of go-yaml v3 `resolve()` (resolve.go). sops types every scalar
// with it, and the type decides both the `type:` of an ENC[] value and the
// bytes hashed into the MAC, so YAML 1.2-core typing (what the `yaml` npm
// package does) is not good enough: `0777` is 511, `1_000` is 1000,
// `2024-01-01` is a time, and `yes` stays a string.
import { INT64_MAX, INT64_MIN, UINT64_MAX, parseYamlTimestamp } from "./go-values.ts";
import type { SopsValue } from "./go-values.ts";

/** What yaml.v3 makes of a scalar; `uint64` is a value sops cannot walk. */
export type Resolved = SopsValue | { type: "uint64"; value: bigint };

/** Short yaml.v3 tags a scalar may carry explicitly. */
export type ResolvableTag = "" | "str" | "int" | "float" | "bool" | "null" | "timestamp";

const RESOLVE_MAP = new Map<string, SopsValue>();
for (const s of ["true", "True", "TRUE"]) RESOLVE_MAP.set(s, { type: "bool", value: true });
for (const s of ["false", "False", "FALSE"]) RESOLVE_MAP.set(s, { type: "bool", value: false });
for (const s of ["", "~", "null", "Null", "NULL"]) RESOLVE_MAP.set(s, { type: "null" });
for (const s of [".nan", ".NaN", ".NAN"]) RESOLVE_MAP.set(s, { type: "float", value: NaN });
for (const s of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]) RESOLVE_MAP.set(s, { type: "float", value: Infinity });
for (const s of ["-.inf", "-.Inf", "-.INF"]) RESOLVE_MAP.set(s, { type: "float", value: -Infinity });

/** resolve.go `resolveTable`: the first byte decides what a scalar may be. */
function hintOf(s: string): "S" | "D" | "M" | "." | "N" | undefined {
  if (s === "") return "N";
  const c = s[0]!;
  if (c === "+" || c === "-") return "S";
  if (c >= "0" && c <= "9") return "D";
  if ("yYnNtTfFoO~".includes(c)) return "M";
  if (c === ".") return ".";
  return undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)` syntax, any size. */
function parseGoIntBase0(s: string): { value: bigint; signed: boolean } | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return undefined;
  let v: bigint;
  if (m[2] !== undefined) v = BigInt(`0x${m[2]}`);
  else if (m[3] !== undefined) v = BigInt(`0o${m[3]}`);
  else if (m[4] !== undefined) v = BigInt(`0b${m[4]}`);
  else if (m[5] !== undefined) v = m[5] === "" ? 0n : BigInt(`0o${m[5]}`);
  else v = BigInt(m[6]!);
  return { value: m[1] === "-" ? -v : v, signed: m[1] !== "" };
}

/** Go `strconv.ParseFloat(s, 64)` for decimal syntax; overflow is an error there. */
function goFloat(s: string): number | undefined {
  const f = Number(s);
  return Number.isFinite(f) ? f : undefined;
}

/**
 * Go `underscoreOK`: ParseFloat accepts `_` between digits (`.5_0` is 0.5),
 * which matters for scalars starting with `.`, the one path where yaml.v3
 * hands ParseFloat the text before removing underscores.
 */
function underscoresBetweenDigits(s: string): boolean {
  return !/(^|[^0-9])_|_($|[^0-9])/.test(s);
}

/** yaml.v3 `resolve(tag, in)` without the tag check that follows it. */
function resolveRaw(tag: ResolvableTag, input: string): Resolved {
  const hint = hintOf(input);
  if (hint !== undefined && tag !== "str") {
    const mapped = RESOLVE_MAP.get(input);
    if (mapped) return mapped;
    switch (hint) {
      case ".": {
        const digits = input.replaceAll("_", "");
        if (underscoresBetweenDigits(input) && /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(digits)) {
          const f = goFloat(digits);
          if (f !== undefined) return { type: "float", value: f };
        }
        break;
      }
      case "D":
      case "S": {
        if (tag === "" || tag === "timestamp") {
          const t = /^[0-9]{4}-/.test(input) ? parseYamlTimestamp(input) : undefined;
          if (t !== undefined) return { type: "time", value: t };
        }
        const plain = input.replaceAll("_", "");
        const int = parseGoIntBase0(plain);
        if (int && int.value >= INT64_MIN && int.value <= INT64_MAX) return { type: "int", value: int.value };
        if (int && !int.signed && int.value <= UINT64_MAX) return { type: "uint64", value: int.value };
        if (YAML_STYLE_FLOAT.test(plain)) {
          const f = goFloat(plain);
          if (f !== undefined) return { type: "float", value: f };
        }
        // The explicit 0b/0o fallbacks in resolve.go accept nothing that
        // base-0 ParseInt above has not already accepted.
        break;
      }
      default:
        break;
    }
  }
  return { type: "str", value: input };
}

/** The type an untagged plain scalar gets. */
export function resolvePlain(input: string): Resolved {
  return resolveRaw("", input);
}

/**
 * The type of a scalar with an explicit tag (`!!int 5`, `!!str 0777`), or
 * undefined when yaml.v3 would refuse to decode it ("cannot decode !!str
 * `x` as a !!int").
 */
export function resolveTagged(tag: Exclude<ResolvableTag, "">, input: string): Resolved | undefined {
  const r = resolveRaw(tag, input);
  const rtag = r.type === "time" ? "timestamp" : r.type === "uint64" ? "int" : r.type;
  if (tag === "str" || rtag === tag) return r;
  if (tag === "float" && r.type === "int") return { type: "float", value: Number(r.value) };
  return undefined;
}

// Strings other YAML readers would retype even though yaml.v3 does not:
// YAML 1.1 booleans (kubectl's sigs.k8s.io/yaml reads `on` as true),
// sexagesimal numbers, anything that looks like a date, and YAML 1.2-core
// numbers yaml.v3 leaves alone (`1e400`). yaml.v3's own encoder quotes most
// of these too.
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const YAML11_BOOL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const SEXAGESIMAL = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const DATE_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/;

/** True when a string must be quoted to be read back as that same string. */
export function plainWouldRetype(s: string): boolean {
  if (resolvePlain(s).type !== "str") return true;
  return YAML11_BOOL.test(s) || SEXAGESIMAL.test(s) || DATE_LIKE.test(s) || CORE_FLOAT.test(s) || s === "<<";
}
