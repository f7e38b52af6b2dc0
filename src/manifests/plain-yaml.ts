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

// Features left to the full parser. A false positive only costs the slower
// parse; each entry is here because js-yaml reads it differently from
// `yaml`, or accepts what `yaml` reports as an error (a differential fuzzer
// over a million inputs found them).
const NEEDS_FULL_PARSER: readonly RegExp[] = [
  // An anchor or alias (`&name`, `*name`) or a tag (`!…`) after a separator;
  // merge keys (they need `merge: true`); directives.
  /(?:^|[\s[\]{},:])(?:[&*][^ \t\r\n[\]{},]|!)|<<|^%/m,
  // An empty sequence entry (`-` alone): js-yaml can attach what follows to the wrong list.
  /^[ \t]*(?:-[ \t]+)*-[ \t]*(?:#.*)?\r?$/m,
  // Collections as keys (`[a]: 1`, `{[0]}`) and explicit `?` keys.
  /[\]}][ \t]*:(?=[\s,\]}]|$)|(?:^|[\s[{,])\?(?=\s|$)|[{,][ \t]*[[{]/m,
  // A document marker glued to content (`---foo`, `--- a: b`).
  /^(?:---|\.\.\.)(?:[^ \t\r\n]|[ \t]+[^ \t\r\n#])/m,
  // A byte-order mark, a lone carriage return, a tab in indentation.
  /\uFEFF|\r(?!\n)|^ *\t/m,
  // Block scalars whose trailing or leading blank lines the two read
  // differently: an explicit indentation indicator, a header followed by a
  // whitespace-only line, a whitespace-only last line, a top-level block scalar.
  /[|>][-+]?[1-9][-+]?[ \t]*(?:#.*)?\r?$|^[|>]/m,
  /[|>][-+1-9]*[ \t]*(?:#.*)?\r?\n(?:[ \t]*\r?\n)*[ \t]+\r?\n|\n[ \t]+$/,
  // A comment right after a closing bracket or quote (`"x"#c`), which yaml refuses.
  /[\]}]#|"(?:[^"\\\n]|\\.)*"#|'(?:[^'\n]|'')*'#/,
  // A comment between an empty `key:` and a plain value on a later line,
  // which yaml reads as a second implicit key.
  /:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)+[ \t]+(?![-?](?:[ \t]|\r?$))[^ \t\r\n#](?:(?!:(?:[ \t]|\r?$)|[ \t]#).)*\r?$/m,
  // A `\U` escape past U+10FFFF, which yaml refuses and js-yaml mangles.
  /\\U(?!000[0-9a-fA-F]{5}|0010[0-9a-fA-F]{4})/,
];

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

/** Thrown inside the fast path to hand the file to the full parser. */
class NotPlain extends Error {}

/** The documents of a plain YAML file, or undefined when the full parser must read it. */
export function loadPlainDocuments(text: string): PlainDocument[] | undefined {
  if (NEEDS_FULL_PARSER.some((re) => re.test(text))) return undefined;
  const documents: PlainDocument[] = [];
  try {
    for (const chunk of documentChunks(text)) {
      const value = jsyaml.load(chunk.text, { schema: CORE_SCHEMA, listener: singleLineFlowAndQuotes() });
      if (hasNullLikeKey(value)) return undefined;
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
      // `...` closing nothing is a document of its own to yaml.
      if (firstLine === undefined && !explicit) throw new NotPlain();
      yield { text: text.slice(chunkStart, end), firstLine, explicit };
      chunkStart = end;
      firstLine = undefined;
      explicit = false;
    } else if (firstLine === undefined && isContentLine(text, at, end)) {
      firstLine = lineNumber;
    }
    // yaml refuses an implicit key longer than 1024 characters: a long line
    // passes only with its key indicator early and none late.
    if (end - at > 1000 && (!/:(?:[ \t\r\n]|$)/.test(text.slice(at, at + 1000)) || /:(?:[ \t\r\n]|$)/.test(text.slice(at + 1000, end)))) {
      throw new NotPlain();
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
  const rest = yamlTrim(text.slice(from, end));
  return rest !== "" && !rest.startsWith("#");
}

function isContentLine(text: string, start: number, end: number): boolean {
  const line = yamlTrim(text.slice(start, end));
  return line !== "" && !line.startsWith("#");
}

/** Only YAML's own white space: `trim()` would also take U+00A0 and U+2028, which are content. */
function yamlTrim(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
}

/**
 * js-yaml accepts a flow collection or quoted scalar continued on a line
 * indented less than YAML requires, which yaml refuses; one that spans
 * lines at all is left to the full parser.
 */
function singleLineFlowAndQuotes(): (event: "open" | "close", state: jsyaml.State) => void {
  // Per open node: its line and what it starts with, for the check at its close.
  const opened: Array<{ line: number; starts: "flow" | "quote" } | undefined> = [];
  return (event, state) => {
    if (event === "open") {
      const first = firstNodeChar(state.input, state.position);
      const starts = first === 91 || first === 123 ? "flow" : first === 34 || first === 39 ? "quote" : undefined;
      opened.push(starts && { line: state.line, starts });
    } else {
      const node = opened.pop();
      if (node === undefined || node.line === state.line) return;
      // A block mapping whose first key is quoted also starts with a quote.
      const isFlowOrQuoted = node.starts === "flow" ? state.kind !== "scalar" : state.kind === "scalar";
      if (isFlowOrQuoted) throw new NotPlain();
    }
  };
}

/** The first character of the node at `from`, past blanks and comments. */
function firstNodeChar(input: string, from: number): number {
  let at = from;
  for (;;) {
    const c = input.charCodeAt(at);
    if (c === 32 || c === 9 || c === 10 || c === 13) at++;
    else if (c === 35) {
      const newline = input.indexOf("\n", at);
      if (newline === -1) return -1;
      at = newline + 1;
    } else return c;
  }
}

/** yaml turns a null key into "" and js-yaml into "null": leave both to the full parser. */
function hasNullLikeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasNullLikeKey);
  if (value === null || typeof value !== "object") return false;
  for (const key in value) {
    if (key === "" || key === "null" || hasNullLikeKey((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
