// The common case, fast: block YAML with no anchors, aliases, tags, merge
// keys or directives, read by js-yaml — about ten times faster than `yaml`
// on Kubernetes manifests, and parsing is nearly all of a scan's cost.
//
// Anything the fast path is not sure of returns undefined, and the full
// parser in parse.ts reads the file as it always has: every error, alias
// limit and line number still comes from one place.
import jsyaml from "js-yaml";

export interface PlainDocument {
  /** 1-based line of the document's first content line (its first key). */
  line: number;
  value: unknown;
}

// Features left to the full parser: an anchor or alias (`&name`, `*name`)
// or a tag (`!…`) after a separator, merge keys (they need `merge: true`),
// directives. A false positive (a `&x` inside a quoted string) only costs
// the slower parse; a false negative cannot happen, as js-yaml would need
// one of these in such a position to build an alias.
const NEEDS_FULL_PARSER = /(?:^|[\s[\]{},:])(?:[&*][^\s[\]{},]|!)|<<|^%/m;

// The YAML 1.2 core schema exactly as `yaml` resolves plain scalars, so
// both paths give the same values: js-yaml's own int and float also take
// `0b…` and `1_000`, which YAML 1.2 reads as strings.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+)|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const nullType = new jsyaml.Type("tag:yaml.org,2002:null", {
  kind: "scalar",
  resolve: (data: unknown) => data === null || (typeof data === "string" && NULL.test(data)),
  construct: () => null,
});

const boolType = new jsyaml.Type("tag:yaml.org,2002:bool", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && BOOL.test(data),
  construct: (data: string) => data.toLowerCase() === "true",
});

const intType = new jsyaml.Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && INT.test(data),
  construct: (data: string) =>
    data.startsWith("0o") ? parseInt(data.slice(2), 8) : data.startsWith("0x") ? parseInt(data.slice(2), 16) : parseInt(data, 10),
});

const floatType = new jsyaml.Type("tag:yaml.org,2002:float", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && FLOAT.test(data),
  construct: (data: string) => {
    const lower = data.toLowerCase();
    if (lower.endsWith("nan")) return NaN;
    if (lower.endsWith("inf")) return data.startsWith("-") ? -Infinity : Infinity;
    return parseFloat(data);
  },
});

const CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/** The documents of a plain YAML file, or undefined when the full parser must read it. */
export function loadPlainDocuments(text: string): PlainDocument[] | undefined {
  if (NEEDS_FULL_PARSER.test(text)) return undefined;
  const documents: PlainDocument[] = [];
  try {
    for (const chunk of documentChunks(text)) {
      const value = jsyaml.load(chunk.text, { schema: CORE_SCHEMA });
      // An explicit empty document (`---` alone) is a null document, as the
      // full parser counts it; a stream of comments alone has none.
      if (value === undefined || (chunk.firstLine === undefined && !chunk.explicit)) continue;
      documents.push({ line: chunk.firstLine ?? 1, value });
    }
  } catch {
    // Syntax errors, duplicate keys, absurd nesting: the full parser says
    // where and why.
    return undefined;
  }
  return documents;
}

interface Chunk {
  text: string;
  firstLine: number | undefined;
  /** Opened by a `---` marker. */
  explicit: boolean;
}

/**
 * Splits a stream at its document markers. `---` and `...` at the start of
 * a line always are markers in YAML, even inside a block scalar, so the
 * split agrees with any conforming parser.
 */
function* documentChunks(text: string): Generator<Chunk> {
  let chunkStart = 0;
  let firstLine: number | undefined;
  let explicit = false;
  let lineNumber = 0;
  let at = 0;
  while (at < text.length) {
    lineNumber++;
    const newline = text.indexOf("\n", at);
    const end = newline === -1 ? text.length : newline + 1;
    const marker = documentMarker(text, at, end);
    if (marker === "start") {
      if (at > chunkStart) yield { text: text.slice(chunkStart, at), firstLine, explicit };
      chunkStart = at;
      explicit = true;
      firstLine = hasContentAfterMarker(text, at + 3, end) ? lineNumber : undefined;
    } else if (marker === "end") {
      yield { text: text.slice(chunkStart, end), firstLine, explicit };
      chunkStart = end;
      firstLine = undefined;
      explicit = false;
    } else if (firstLine === undefined && isContentLine(text, at, end)) {
      firstLine = lineNumber;
    }
    at = end;
  }
  if (chunkStart < text.length) yield { text: text.slice(chunkStart), firstLine, explicit };
}

function documentMarker(text: string, start: number, end: number): "start" | "end" | undefined {
  const head = text.startsWith("---", start) ? "start" : text.startsWith("...", start) ? "end" : undefined;
  if (head === undefined) return undefined;
  const next = start + 3 < end ? text.charCodeAt(start + 3) : 10;
  return next === 32 || next === 9 || next === 10 || next === 13 ? head : undefined;
}

function hasContentAfterMarker(text: string, from: number, end: number): boolean {
  const rest = text.slice(from, end).trim();
  return rest !== "" && !rest.startsWith("#");
}

function isContentLine(text: string, start: number, end: number): boolean {
  const line = text.slice(start, end).replace(/^\uFEFF/, "").trim();
  return line !== "" && !line.startsWith("#");
}
