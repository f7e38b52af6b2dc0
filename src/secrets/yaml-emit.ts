// YAML out the way sops writes it: go-yaml v3's block emitter with
// Encoder.SetIndent(n) (stores/yaml/store.go), so a file gitcert encrypts is
// laid out byte for byte as `sops -e` would lay it out, `stores.yaml.indent`
// included. Two rules of v3 differ from the `yaml` package's stringifier:
//  - indentation snaps to multiples of n, except that content inside a
//    sequence item starts 2 columns after its `- ` (so with n = 4 a literal
//    block in a list item sits 2 columns deeper than its key, not 4);
//  - scalar style is chosen from the text alone (libyaml's analysis): plain
//    when it reads back as the same string, else single-quoted, else
//    double-quoted with v3's escapes; strings with a newline are literal
//    blocks.
// Lines are never folded: sops' encoder has no line width.
import { Scalar, isMap, isScalar, isSeq } from "yaml";
import type { Node as YamlNode, YAMLMap, YAMLSeq } from "yaml";
import { secretsError } from "./errors.ts";
import { RawText } from "./yaml-nodes.ts";
import { plainWouldRetype } from "./yaml-resolve.ts";

/** go-yaml's `check_simple_key`: longer keys are written as `? key`. */
const MAX_SIMPLE_KEY = 128;

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

const isBreak = (c: string) => c === "\n" || c === "\r" || c === "\u0085" || c === "\u2028" || c === "\u2029";
const isSpace = (c: string) => c === " ";
const isBlank = (c: string | undefined) => c === undefined || c === " " || c === "\t" || isBreak(c);

/** libyaml `is_printable`, per code point. */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The analysis of printable ASCII without whitespace (ENC[] values, base64,
 * names), the bulk of a sops file, without walking it character by
 * character: only its first and last characters can make it non-plain.
 */
function analyzeVisibleAscii(value: string): Analysis {
  const first = value[0]!;
  const indicator =
    "#,[]{}&*!|>'\"%@`".includes(first) ||
    (value.length === 1 && "?:-".includes(first)) ||
    value.endsWith(":") ||
    value.startsWith("---") ||
    value.startsWith("...");
  return { multiline: false, blockPlain: !indicator, singleQuoted: true, block: true };
}

const PRINTABLE_ASCII_OR_BREAK = /^[\x20-\x7e\n]*$/;

/**
 * Lines of printable ASCII, none starting or ending with a space (an age
 * armor block): a line break rules out plain, and with no tab, special
 * character or space beside a break nothing else rules out single quotes
 * or a literal block, which needs no indentation indicator.
 */
function isPlainLines(value: string): boolean {
  return (
    value.includes("\n") &&
    PRINTABLE_ASCII_OR_BREAK.test(value) &&
    value[0] !== " " &&
    value[0] !== "\n" &&
    !value.endsWith(" ") &&
    !value.includes(" \n") &&
    !value.includes("\n ")
  );
}

/** libyaml `yaml_emitter_analyze_scalar`, the parts that decide a block-context style. */
function analyze(value: string): Analysis {
  if (value === "") return { multiline: false, blockPlain: true, singleQuoted: true, block: false };
  if (VISIBLE_ASCII.test(value)) return analyzeVisibleAscii(value);
  if (isPlainLines(value)) return { multiline: true, blockPlain: false, singleQuoted: true, block: true };
  const chars = [...value];
  let blockIndicators = value.startsWith("---") || value.startsWith("...");
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  for (const [i, c] of chars.entries()) {
    const followedByWhitespace = isBlank(chars[i + 1]);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(c)) blockIndicators = true;
      else if ((c === "?" || c === ":" || c === "-") && followedByWhitespace) blockIndicators = true;
    } else if (c === ":" && followedByWhitespace) blockIndicators = true;
    else if (c === "#" && precededByWhitespace) blockIndicators = true;

    if (c === "\t") tabs = true;
    else if (!isPrintable(c.codePointAt(0)!)) special = true;
    const last = i === chars.length - 1;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c);
  }
  const blockPlain = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak || breakSpace || spaceBreak || tabs || special || lineBreaks || blockIndicators);
  const singleQuoted = !(breakSpace || spaceBreak || tabs || special);
  const block = !(trailingSpace || spaceBreak || special);
  return { multiline: lineBreaks, blockPlain, singleQuoted, block };
}

type Style = "plain" | "single" | "double" | "literal";

/** go-yaml's `stringv` (what style it asks for) then `select_scalar_style` (what the emitter allows). */
function styleOf(value: string, forceQuotes: boolean, simpleKey: boolean): Style {
  const a = analyze(value);
  let style: Style = value.includes("\n") ? "literal" : forceQuotes ? "double" : "plain";
  if (simpleKey && a.multiline) style = "double";
  if (style === "plain" && !a.blockPlain) style = "single";
  if (style === "single" && !a.singleQuoted) style = "double";
  if (style === "literal" && (!a.block || simpleKey)) style = "double";
  return style;
}

const ESCAPES: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\v": "v",
  "\f": "f",
  "\r": "r",
  "\x1b": "e",
  '"': '"',
  "\\": "\\",
  "\u0085": "N",
  "\u00a0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

function doubleQuoted(value: string): string {
  // go-yaml's is_bom looks at the string's first character whatever the
  // position asked about, so after a leading BOM every character is escaped.
  const bom = value.startsWith("\ufeff");
  let out = '"';
  for (const c of value) {
    const cp = c.codePointAt(0)!;
    if (bom || !isPrintable(cp) || isBreak(c) || c === '"' || c === "\\") {
      const short = ESCAPES[c];
      if (short) out += `\\${short}`;
      else if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
    } else out += c;
  }
  return out + '"';
}

/**
 * Text across line breaks, as libyaml writes it inside a scalar: a break is
 * written as itself, and the text after it resumes at `indent`.
 */
function acrossBreaks(chars: Iterable<string>, indent: number, write: (c: string) => string): { text: string; atLineStart: boolean } {
  let text = "";
  let atLineStart = false;
  for (const c of chars) {
    if (isBreak(c)) {
      text += c;
      atLineStart = true;
      continue;
    }
    if (atLineStart) text += " ".repeat(indent);
    atLineStart = false;
    text += write(c);
  }
  return { text, atLineStart };
}

/** Only breaks other than \n (U+2028/9) reach here: a string with \n is a literal block. */
function singleQuoted(value: string, indent: number): string {
  return `'${acrossBreaks(value, indent, (c) => (c === "'" ? "''" : c)).text}'`;
}

/** A literal block of isPlainLines text, line by line. */
function literalOfPlainLines(value: string, indent: number): string {
  const head = !value.endsWith("\n") ? "|-" : value.length === 1 || value.endsWith("\n\n") ? "|+" : "|";
  const pad = " ".repeat(indent);
  const body = value
    .split("\n")
    .map((line) => (line === "" ? "" : pad + line))
    .join("\n");
  return `${head}\n${body}${value.endsWith("\n") ? "" : "\n"}`;
}

/** `|` with v3's hints, then the lines at `indent`; ends with a newline. */
function literal(value: string, indent: number, bestIndent: number): string {
  if (isPlainLines(value)) return literalOfPlainLines(value, indent);
  const chars = [...value];
  let head = "|";
  if (chars.length > 0 && (isSpace(chars[0]!) || isBreak(chars[0]!))) head += String(bestIndent);
  const last = chars.at(-1);
  if (last === undefined || !isBreak(last)) head += "-";
  else if (chars.length === 1 || isBreak(chars.at(-2)!)) head += "+";
  // The header line ends in a break, so the first line starts indented.
  const body = acrossBreaks(["\n", ...chars], indent, (c) => c);
  return head + body.text + (body.atLineStart ? "" : "\n");
}

/** One scalar's text; a literal block comes with its own lines and final newline. */
function scalarText(node: Scalar, indent: number, bestIndent: number, simpleKey: boolean): string {
  const value: unknown = node.value;
  if (value instanceof RawText) return value.text;
  if (typeof value !== "string") throw secretsError("SopsUnsupportedValue", "internal: a YAML scalar to emit is not a string");
  const style = styleOf(value, node.type === Scalar.QUOTE_DOUBLE || plainWouldRetype(value), simpleKey);
  switch (style) {
    case "plain":
      return value;
    case "single":
      return singleQuoted(value, indent);
    case "double":
      return doubleQuoted(value);
    case "literal":
      return literal(value, indent, bestIndent);
  }
}

class Emitter {
  private out = "";
  private readonly n: number;

  constructor(indent: number) {
    this.n = indent;
  }

  /** The next indentation v3 uses below `col`: the next multiple of n. */
  private deeper(col: number): number {
    return this.n * Math.floor((col + this.n) / this.n);
  }

  document(node: YamlNode): string {
    this.out = "";
    if (isMap(node) && node.items.length > 0) this.map(node, 0, false);
    else this.inlineValue(node, 0, true);
    return this.out;
  }

  entriesAt(map: YAMLMap, column: number): string {
    this.out = "";
    this.map(map, column, false);
    return this.out;
  }

  /** A node after `key:` / `- ` on the current line: a scalar, or `{}` / `[]`. Ends the line. */
  private inlineValue(node: unknown, indent: number, leading: boolean): void {
    const sep = leading ? "" : " ";
    if (isMap(node) || isSeq(node)) {
      this.out += `${sep}${isMap(node) ? "{}" : "[]"}\n`;
      return;
    }
    const scalar = isScalar(node) ? node : new Scalar(new RawText("null"));
    const text = scalarText(scalar, indent, this.n, false);
    this.out += text.endsWith("\n") ? `${sep}${text}` : `${sep}${text}\n`;
  }

  private isBlockCollection(node: unknown): node is YAMLMap | YAMLSeq {
    return (isMap(node) || isSeq(node)) && node.items.length > 0;
  }

  /** A block mapping at `col`; `inline`: its first key continues the current line (after `- `). */
  private map(map: YAMLMap, col: number, inline: boolean): void {
    for (const [i, pair] of map.items.entries()) {
      if (!(i === 0 && inline)) this.out += " ".repeat(col);
      if (!isScalar(pair.key)) throw secretsError("SopsUnsupportedValue", "internal: a mapping key to emit is not a scalar");
      const keyText = scalarText(pair.key, col, this.n, true);
      if (keyText.includes("\n")) throw secretsError("SopsUnsupportedValue", "a mapping key spanning several lines cannot be written");
      const simple = [...keyText].length <= MAX_SIMPLE_KEY;
      if (simple) this.out += `${keyText}:`;
      else this.out += `? ${keyText}\n${" ".repeat(col)}:`;
      this.value(pair.value, col, simple);
    }
  }

  private value(node: unknown, col: number, simpleKey: boolean): void {
    if (!this.isBlockCollection(node)) {
      this.inlineValue(node, this.deeper(col), false);
      return;
    }
    const child = this.deeper(col);
    // After `:` of a `? key`, v3 pads to the child's column on the same line.
    const pad = child - col - 1;
    if (!simpleKey && pad > 0) {
      this.out += " ".repeat(pad);
      this.collection(node, child, true);
      return;
    }
    this.out += "\n";
    this.collection(node, child, false);
  }

  private collection(node: YAMLMap | YAMLSeq, col: number, inline: boolean): void {
    if (isMap(node)) this.map(node, col, inline);
    else this.seq(node, col, inline);
  }

  /** A block sequence with its dashes at `col`. */
  private seq(seq: YAMLSeq, col: number, inline: boolean): void {
    for (const [i, item] of seq.items.entries()) {
      if (!(i === 0 && inline)) this.out += " ".repeat(col);
      this.out += "-";
      if (this.isBlockCollection(item)) {
        this.out += " ";
        this.collection(item, col + 2, true);
      } else this.inlineValue(item, col + 2, false);
    }
  }
}

/** Documents as `yaml.Encoder` writes a stream: `---` between them, none before the first. */
export function emitYamlStream(documents: readonly YamlNode[], indent: number): string {
  if (!Number.isInteger(indent) || indent < 1) throw secretsError("SopsConfigInvalid", `YAML indentation must be a positive whole number, not ${indent}`);
  // libyaml's emitter replaces an indent outside 2–9 with 2, and so does sops.
  const emitter = new Emitter(indent < 2 || indent > 9 ? 2 : indent);
  return documents.map((d) => emitter.document(d)).join("---\n");
}

/**
 * A block mapping's entries as they appear at column `column` of a file
 * laid out with `indent`: for rewriting one entry of a file in place.
 */
export function emitMappingAt(map: YAMLMap, column: number, indent: number): string {
  const emitter = new Emitter(indent < 2 || indent > 9 ? 2 : indent);
  return emitter.entriesAt(map, column);
}
