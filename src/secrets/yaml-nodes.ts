// YAML in and out on the `yaml` package's AST, with sops' (yaml.v3's) view
// of scalars. Documents are parsed with the failsafe schema so that every
// scalar arrives as its text plus its style and tag, and yaml-resolve.ts
// alone decides what it is. On the way out, scalars whose exact text
// matters (ints, floats, bools, null) are written verbatim through a private
// tag, and strings yaml.v3 would retype are double-quoted.
import { LineCounter, Scalar, isScalar, parseAllDocuments } from "yaml";
import type { Document, DocumentOptions, Node as YamlNode, Pair, ParseOptions, ScalarTag, SchemaOptions, ToStringOptions } from "yaml";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import { secretsError } from "./errors.ts";
import { floatYamlText } from "./go-values.ts";
import type { SopsValue } from "./go-values.ts";
import { plainWouldRetype, resolvePlain, resolveTagged } from "./yaml-resolve.ts";
import type { ResolvableTag, Resolved } from "./yaml-resolve.ts";

/** Scalar text written exactly as given, never quoted or re-typed by the emitter. */
export class RawText {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

const rawTextTag: ScalarTag = {
  tag: "tag:gitcert.dev,2025:raw-text",
  default: true,
  identify: (value) => value instanceof RawText,
  resolve: (text) => text,
  stringify: (item) => ((item as Scalar).value as RawText).text,
};

export const DOCUMENT_OPTIONS: DocumentOptions & SchemaOptions & ParseOptions = {
  schema: "failsafe",
  customTags: [rawTextTag],
  uniqueKeys: true,
  version: "1.2",
};

export function toStringOptions(indent: number): ToStringOptions {
  // lineWidth 0: yaml.v3 never folds, and a folded ENC[] would break every grep-based tool.
  return { indent, indentSeq: true, lineWidth: 0, minContentWidth: 0, blockQuote: "literal" };
}

export interface ParsedStream {
  docs: Document.Parsed[];
  lines: LineCounter;
}

/** Parse errors are reported by position and code only: the yaml package's own messages quote the source. */
export function parseYamlStream(text: string, what: string): ParsedStream {
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw secretsError("SopsInvalidYaml", `${what}: ${tooDeep.message}`);
  const lines = new LineCounter();
  const docs = [...parseAllDocuments(text, { ...DOCUMENT_OPTIONS, lineCounter: lines, prettyErrors: false })];
  for (const [i, doc] of docs.entries()) {
    const err = doc.errors[0];
    if (err) {
      const pos = lines.linePos(err.pos[0]);
      throw secretsError("SopsInvalidYaml", `${what}: document ${i + 1}: invalid YAML at line ${pos.line}, column ${pos.col} (${err.code})`);
    }
  }
  return { docs, lines };
}

/** 1-based line of a node, for messages. */
export function lineOf(node: YamlNode | null | undefined, lines: LineCounter): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

const YAML_TAG_PREFIX = "tag:yaml.org,2002:";
const RESOLVABLE = new Set<string>(["str", "int", "float", "bool", "null", "timestamp"]);

/** What yaml.v3 makes of a parsed scalar: plain ones are resolved, quoted and block ones are strings. */
export function scalarValue(node: Scalar, where: () => string): Resolved {
  const text = String(node.value ?? "");
  const tag = node.tag;
  if (!tag) return node.type === Scalar.PLAIN || node.type === undefined ? resolvePlain(text) : { type: "str", value: text };
  if (tag === "!") return { type: "str", value: text };
  const short = tag.startsWith(YAML_TAG_PREFIX) ? tag.slice(YAML_TAG_PREFIX.length) : undefined;
  if (short === undefined || !RESOLVABLE.has(short)) {
    throw secretsError("SopsUnsupportedValue", `${where()}: the YAML tag ${tag} is not supported`);
  }
  const r = resolveTagged(short as Exclude<ResolvableTag, "">, text);
  if (!r) throw secretsError("SopsInvalidYaml", `${where()}: the value cannot be read as !!${short}`);
  return r;
}

/** A mapping key, which sops requires to be a string. */
export function mapKey(pair: Pair, where: () => string): string {
  const key = pair.key;
  if (!isScalar(key)) throw secretsError("SopsInvalidYaml", `${where()}: a mapping key is not a scalar; only string keys are supported`);
  const r = scalarValue(key, where);
  if (r.type !== "str") {
    throw secretsError("SopsInvalidYaml", `${where()}: a mapping key is a ${r.type}, not a string; only string keys are supported`);
  }
  return r.value;
}

export function stringNode(s: string): Scalar {
  const node = new Scalar(s);
  if (plainWouldRetype(s)) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** YAML text yaml.v3 reads back as the same value (so the MAC over it holds). */
export function valueText(v: Exclude<SopsValue, { type: "str" }>): string {
  switch (v.type) {
    case "int":
      return v.value.toString();
    case "float":
      return floatYamlText(v.value);
    case "bool":
      return v.value ? "true" : "false";
    case "null":
      return "null";
    case "time":
      return v.value;
    case "bytes":
      return `!!binary ${Buffer.from(v.value).toString("base64")}`;
  }
}

export function valueNode(v: SopsValue): Scalar {
  return v.type === "str" ? stringNode(v.value) : new Scalar(new RawText(valueText(v)));
}

/** Rewrite a parsed scalar in place to hold a value. */
export function setScalar(node: Scalar, v: SopsValue): void {
  node.tag = undefined;
  if (v.type === "str") {
    node.value = v.value;
    node.type = plainWouldRetype(v.value) ? Scalar.QUOTE_DOUBLE : undefined;
  } else {
    node.value = new RawText(valueText(v));
    node.type = undefined;
  }
}

/** Documents joined the way yaml.v3's encoder writes a stream: `---` between, none before the first. */
export function stringifyStream(docs: Document[], indent: number): string {
  return docs
    .map((doc) => {
      if (doc.directives) {
        doc.directives.docStart = null;
        doc.directives.docEnd = false;
      }
      return doc.toString(toStringOptions(indent));
    })
    .join("---\n");
}
