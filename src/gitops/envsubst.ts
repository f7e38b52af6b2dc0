// Flux's post-build substitution language (kustomize-controller runs
// fluxcd/pkg/envsubst, a fork of drone/envsubst, over each rendered object):
//
// - `${name}` and bash-like functions inside the braces; a bare `$name` is
//   text. `$$` is one `$`, so `$${name}` is the text `${name}`.
// - An unset variable is an error for `${name}` and every operator that reads
//   the value (kustomize-controller's StrictPostBuildSubstitutions, on by
//   default); the default operators (`=`, `:=`, `:-`, `:?`, `:+`) tolerate it
//   and, as in Flux, all of them mean "the value, or the word when it is
//   empty".
// - A `${` that does not parse (no closing brace, no name) fails the object.
//
// Written for gitcert from Flux's documented behaviour and its test tables;
// values gitcert cannot see (an encrypted Secret in `plan`, a ConfigMap that
// lives only in the cluster) are reported by name instead of guessed.

/** What the lookup knows of a variable. */
export type VariableValue =
  | { kind: "value"; value: string }
  /** Defined, but its value cannot be read here (a SOPS-encrypted Secret in `plan`). */
  | { kind: "sealed" }
  /** Not defined in anything gitcert can read; it may be defined where gitcert cannot look. */
  | { kind: "unseen" };

export interface SubstitutionResult {
  /** The text with every expression evaluated; absent when it failed to parse. */
  text?: string;
  /** Why the text does not parse as Flux reads it. */
  error?: string;
  /** Variables that were read (set or not). */
  used: string[];
  /** Read without a default, and defined nowhere: Flux would fail this object. */
  missing: string[];
  /** Read, and defined where gitcert cannot read the value. */
  sealed: string[];
  /** Read, defined in nothing gitcert can see, and possibly defined elsewhere. */
  unseen: string[];
}

/** Flux validates the names of the variables it is given with this. */
export const VARIABLE_NAME = /^[_\p{L}][_\p{L}\p{Nd}]*$/u;

/** Could `text` change under substitution at all? (`${` or `$$`.) */
export function mayNeedSubstitution(text: string): boolean {
  return text.includes("$");
}

export function substitute(text: string, lookup: (name: string) => VariableValue | undefined): SubstitutionResult {
  const used = new Set<string>();
  const missing = new Set<string>();
  const sealed = new Set<string>();
  const unseen = new Set<string>();
  const read = (name: string): { value: string; known: boolean; set: boolean } => {
    used.add(name);
    const v = lookup(name);
    if (v === undefined) return { value: "", known: true, set: false };
    if (v.kind === "sealed") {
      sealed.add(name);
      return { value: "", known: false, set: true };
    }
    if (v.kind === "unseen") {
      unseen.add(name);
      return { value: "", known: false, set: false };
    }
    return { value: v.value, known: true, set: true };
  };
  const result = (extra: Partial<SubstitutionResult>): SubstitutionResult => ({
    used: [...used],
    missing: [...missing],
    sealed: [...sealed],
    unseen: [...unseen],
    ...extra,
  });
  try {
    const parser = new Parser(text);
    const nodes = parser.parseTop();
    const out = nodes.map((n) => evaluate(n, read, missing)).join("");
    return result({ text: out });
  } catch (err) {
    if (err instanceof SubstitutionSyntaxError) return result({ error: err.message });
    throw err;
  }
}

class SubstitutionSyntaxError extends Error {}

type Node = { text: string } | Expression;

interface Expression {
  name: string;
  /** "" for `${name}`; otherwise the operator as written (`:=`, `^^`, `/`, `#`…). */
  op: string;
  args: Node[][];
}

/** The operators that supply their own value for an unset variable. */
const DEFAULT_OPS: ReadonlySet<string> = new Set(["=", ":=", ":-", ":?", ":+"]);

function evaluate(node: Node, read: (name: string) => { value: string; known: boolean; set: boolean }, missing: Set<string>): string {
  if ("text" in node) return node.text;
  const args = node.args.map((parts) => parts.map((p) => evaluate(p, read, missing)).join(""));
  const v = read(node.name);
  if (v.known && !v.set && !DEFAULT_OPS.has(node.op)) missing.add(node.name);
  return apply(node.op, v.value, args);
}

function apply(op: string, s: string, args: string[]): string {
  switch (op) {
    case "":
      return s;
    case "=":
    case ":=":
    case ":-":
    case ":?":
    case ":+":
      return s === "" ? args.join("") : s;
    case "^":
      return s.slice(0, 1).toUpperCase() + s.slice(1);
    case "^^":
      return s.toUpperCase();
    case ",":
      return s.slice(0, 1).toLowerCase() + s.slice(1);
    case ",,":
      return s.toLowerCase();
    case "len":
      return String([...s].length);
    case ":":
      return substring(s, args);
    case "#":
      return trimPrefix(s, args[0] ?? "", false);
    case "##":
      return trimPrefix(s, args[0] ?? "", true);
    case "%":
      return trimSuffix(s, args[0] ?? "", false);
    case "%%":
      return trimSuffix(s, args[0] ?? "", true);
    case "/":
      return replace(s, args[0] ?? "", args[1] ?? "", "first");
    case "//":
      return replace(s, args[0] ?? "", args[1] ?? "", "all");
    case "/#":
      return replace(s, args[0] ?? "", args[1] ?? "", "prefix");
    case "/%":
      return replace(s, args[0] ?? "", args[1] ?? "", "suffix");
    default:
      return s;
  }
}

function substring(s: string, args: string[]): string {
  const offset = Number.parseInt(args[0] ?? "", 10);
  if (!Number.isFinite(offset) || offset < 0 || offset > s.length) return s;
  if (args.length < 2) return s.slice(offset);
  const length = Number.parseInt(args[1] ?? "", 10);
  if (!Number.isFinite(length) || length < 0) return s.slice(offset);
  return s.slice(offset, offset + length);
}

/** A shell pattern (`*`, `?`, `[…]`) as a regular expression body. */
function globSource(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += "[\\s\\S]*";
    else if (c === "?") out += "[\\s\\S]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) out += "\\[";
      else {
        let set = pattern.slice(i + 1, end);
        if (set.startsWith("!")) set = "^" + set.slice(1);
        out += `[${set.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

function trimPrefix(s: string, pattern: string, longest: boolean): string {
  const re = new RegExp(`^(?:${globSource(pattern)})$`);
  const ends = [...Array(s.length + 1).keys()];
  for (const end of longest ? ends.reverse() : ends) if (re.test(s.slice(0, end))) return s.slice(end);
  return s;
}

function trimSuffix(s: string, pattern: string, longest: boolean): string {
  const re = new RegExp(`^(?:${globSource(pattern)})$`);
  const starts = [...Array(s.length + 1).keys()];
  for (const start of longest ? starts : starts.reverse()) if (re.test(s.slice(start))) return s.slice(0, start);
  return s;
}

function replace(s: string, pattern: string, replacement: string, where: "first" | "all" | "prefix" | "suffix"): string {
  if (pattern === "") return s;
  const body = globSource(pattern);
  const re =
    where === "prefix" ? new RegExp(`^(?:${body})`) : where === "suffix" ? new RegExp(`(?:${body})$`) : new RegExp(body, where === "all" ? "g" : "");
  return s.replace(re, () => replacement);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** A recursive-descent reader of Flux's grammar; positions are code units. */
class Parser {
  private readonly src: string;
  private pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  parseTop(): Node[] {
    const nodes: Node[] = [];
    let text = "";
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === "$" && this.src[this.pos + 1] === "$") {
        // `$$` is one literal `$`, and whatever follows is text (`$${x}` is `${x}`).
        text += "$";
        this.pos += 2;
        if (this.src[this.pos] === "{") {
          text += "{";
          this.pos++;
        }
        continue;
      }
      if (c === "$" && this.src[this.pos + 1] === "{") {
        if (text) nodes.push({ text });
        text = "";
        this.pos += 2;
        nodes.push(this.parseExpression());
        continue;
      }
      text += c;
      this.pos++;
    }
    if (text) nodes.push({ text });
    return nodes;
  }

  private fail(what: string): never {
    throw new SubstitutionSyntaxError(`${what} in ${JSON.stringify(this.excerpt())}`);
  }

  private excerpt(): string {
    const start = this.src.lastIndexOf("${", this.pos);
    return this.src.slice(Math.max(0, start), Math.min(this.src.length, Math.max(0, start) + 40));
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  private name(): string {
    let name = "";
    for (;;) {
      const c = this.src.codePointAt(this.pos);
      if (c === undefined) break;
      const ch = String.fromCodePoint(c);
      if (!NAME_CHAR.test(ch)) break;
      name += ch;
      this.pos += ch.length;
    }
    return name;
  }

  private close(): void {
    if (this.peek() !== "}") this.fail("missing closing brace");
    this.pos++;
  }

  /** After `${`: one expression up to and including its `}`. */
  private parseExpression(): Expression {
    if (this.peek() === "#") {
      this.pos++;
      const name = this.name();
      if (!name) this.fail("unable to parse variable name");
      this.close();
      return { name, op: "len", args: [] };
    }
    const name = this.name();
    if (!name) this.fail("unable to parse variable name");
    const c = this.peek();
    if (c === "}") {
      this.pos++;
      return { name, op: "", args: [] };
    }
    if (c === ":") {
      const next = this.peek(1);
      if (next === "=" || next === "-" || next === "?" || next === "+") {
        this.pos += 2;
        return { name, op: `:${next}`, args: [this.word()] };
      }
      this.pos++;
      const offset = this.parseWord((ch) => ch === ":");
      if (offset.closed) return { name, op: ":", args: [offset.nodes] };
      this.pos++;
      return { name, op: ":", args: [offset.nodes, this.word()] };
    }
    if (c === "=") {
      this.pos++;
      return { name, op: "=", args: [this.word()] };
    }
    if (c === "^" || c === ",") {
      const op = this.peek(1) === c ? c + c : c;
      this.pos += op.length;
      this.close();
      return { name, op, args: [] };
    }
    if (c === "#" || c === "%") {
      const op = this.peek(1) === c ? c + c : c;
      this.pos += op.length;
      return { name, op, args: [this.word()] };
    }
    if (c === "/") {
      const second = this.peek(1);
      const op = second === "/" || second === "#" || second === "%" ? `/${second}` : "/";
      this.pos += op.length;
      const pattern = this.parseWord((ch) => ch === "/", true);
      if (pattern.closed) this.fail("bad substitution");
      this.pos++;
      return { name, op, args: [pattern.nodes, this.word(true)] };
    }
    // Flux reads any other character after the name as a missing `}`.
    this.fail("missing closing brace");
  }

  /** Text up to and including the closing brace. */
  private word(escapes = false): Node[] {
    return this.parseWord(() => false, escapes).nodes;
  }

  /**
   * Text up to the closing brace (consumed: `closed`) or a delimiter `stop`
   * accepts (left in place), with nested `${…}` expressions inside it.
   */
  private parseWord(stop: (ch: string) => boolean, escapes = false): { nodes: Node[]; closed: boolean } {
    const nodes: Node[] = [];
    let text = "";
    let closed = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("missing closing brace");
      if (c === "}") {
        this.pos++;
        closed = true;
        break;
      }
      if (stop(c)) break;
      if (c === "$" && this.peek(1) === "{") {
        if (text) nodes.push({ text });
        text = "";
        this.pos += 2;
        nodes.push(this.parseExpression());
        continue;
      }
      if (escapes && c === "\\" && (this.peek(1) === "/" || this.peek(1) === "\\")) {
        text += this.peek(1);
        this.pos += 2;
        continue;
      }
      text += c;
      this.pos++;
    }
    if (text) nodes.push({ text });
    return { nodes, closed };
  }
}
