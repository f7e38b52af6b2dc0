// Go RE2 patterns (sops' encrypted_regex & co., `.sops.yaml` path_regex) as
// JavaScript RegExps with the same match/no-match answer. The syntaxes
// overlap but differ in ways that silently change results: RE2's `\s` has
// no \v, `.` excludes only \n, a leading `]` in a class is literal, `(?i)`
// is a flag group, `(?P<n>…)` names a group, and lookarounds and
// backreferences do not exist. Patterns RE2 rejects are reported as
// invalid (sops treats a crypt regex that fails to compile as "no match");
// valid RE2 we cannot express in JavaScript is reported as unsupported so
// the caller can refuse instead of guessing.

export type Re2Translation =
  | { ok: true; regex: RegExp }
  | { ok: false; reason: "invalid" | "unsupported"; detail: string };

class Re2Error extends Error {
  readonly reason: "invalid" | "unsupported";

  constructor(
    reason: "invalid" | "unsupported",
    detail: string,
  ) {
    super(detail);
    this.reason = reason;
  }
}

const invalid = (detail: string): never => {
  throw new Re2Error("invalid", detail);
};
const unsupported = (detail: string): never => {
  throw new Re2Error("unsupported", detail);
};

const SYNTAX_OUTSIDE = new Set([..."^$\\.*+?()[]{}|/"]);
const SYNTAX_INSIDE = new Set([..."\\]^-["]);

const cp = (code: number): string => `\\u{${code.toString(16)}}`;

function literal(ch: string, inClass: boolean): string {
  const set = inClass ? SYNTAX_INSIDE : SYNTAX_OUTSIDE;
  if (set.has(ch)) return `\\${ch}`;
  const code = ch.codePointAt(0)!;
  return code < 0x20 || code === 0x7f ? cp(code) : ch;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\u{0}-\\u{7f}",
  blank: "\\t ",
  cntrl: "\\u{0}-\\u{1f}\\u{7f}",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\u{b}\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

// RE2 Perl classes are ASCII-only; JavaScript's \s also matches \v and
// Unicode spaces, so it is spelled out.
const RE2_SPACE = "\\t\\n\\f\\r ";

class Translator {
  private readonly chars: string[];
  private i = 0;
  private dotAll = false;
  private flags = "u";

  constructor(pattern: string) {
    this.chars = Array.from(pattern);
  }

  run(): RegExp {
    this.leadingFlags();
    let out = "";
    while (this.i < this.chars.length) out += this.term();
    return new RegExp(out, this.flags);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.i + offset];
  }

  private rest(): string {
    return this.chars.slice(this.i).join("");
  }

  /** `(?ims)` at the very start maps onto RegExp flags; anywhere else it has no JS equivalent. */
  private leadingFlags(): void {
    const m = /^\(\?([imsU]+)\)/.exec(this.rest());
    if (!m) return;
    for (const f of new Set(m[1]!)) {
      // Ungreedy changes which match is found, never whether one is: a no-op here.
      if (f === "U") continue;
      if (f === "s") this.dotAll = true;
      else this.flags += f;
    }
    this.i += m[0].length;
  }

  private term(): string {
    const c = this.chars[this.i++]!;
    switch (c) {
      case "\\":
        return this.escape(false);
      case "[":
        return this.charClass();
      case "(":
        return this.group();
      case ".":
        return this.dotAll ? "[^]" : "[^\\n]";
      case "{": {
        const m = /^(\d+)(?:(,)(\d*))?\}/.exec(this.rest());
        if (!m) return "\\{";
        const min = Number(m[1]);
        const max = m[3] ? Number(m[3]) : min;
        if (min > 1000 || max > 1000 || (m[3] && max < min)) invalid("bad repetition count");
        this.i += m[0].length;
        return `{${m[1]}${m[2] ?? ""}${m[3] ?? ""}}`;
      }
      case "}":
      case "]":
      case "/":
        return `\\${c}`;
      default:
        return c;
    }
  }

  private group(): string {
    if (this.peek() !== "?") return "(";
    const rest = this.rest();
    if (rest.startsWith("?:")) {
      this.i += 2;
      return "(?:";
    }
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      this.i += named[0].length;
      return `(?<${named[1]}>`;
    }
    if (/^\?(?:=|!|<=|<!|P=)/.test(rest)) invalid("lookaround and backreferences are not RE2");
    if (/^\?[-imsU]+[:)]/.test(rest)) unsupported("flag groups other than a leading (?i), (?m), (?s)");
    return invalid("unknown group syntax");
  }

  private escape(inClass: boolean): string {
    const c = this.chars[this.i++];
    if (c === undefined) return invalid("trailing backslash");
    if (c >= "0" && c <= "7") {
      // RE2: \0, \0d, \0dd, and \ddd with at least two octal digits; a
      // single \1-\7 would be a backreference, which RE2 rejects.
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? "")) digits += this.chars[this.i++];
      if (c !== "0" && digits.length === 1) invalid("backreference");
      return cp(parseInt(digits, 8));
    }
    switch (c) {
      case "8":
      case "9":
        return invalid("backreference");
      case "a":
        return cp(7);
      case "f":
        return "\\f";
      case "t":
        return "\\t";
      case "n":
        return "\\n";
      case "r":
        return "\\r";
      case "v":
        return cp(0xb);
      case "x": {
        const m = /^(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(this.rest());
        if (!m) return invalid("bad \\x escape");
        this.i += m[0].length;
        const code = parseInt(m[1] ?? m[2]!, 16);
        if (code > 0x10ffff) invalid("code point out of range");
        return cp(code);
      }
      case "d":
      case "D":
      case "w":
      case "W":
        return `\\${c}`;
      case "s":
        return inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      case "S":
        return inClass ? unsupported("\\S inside a character class") : `[^${RE2_SPACE}]`;
      case "b":
      case "B":
        return inClass ? invalid("\\b in a class") : `\\${c}`;
      case "A":
        return inClass ? invalid("\\A in a class") : "(?<![^])";
      case "z":
        return inClass ? invalid("\\z in a class") : "(?![^])";
      case "Q": {
        const end = this.rest().indexOf("\\E");
        const quoted = end < 0 ? this.rest() : this.rest().slice(0, end);
        const chars = Array.from(quoted);
        this.i += chars.length + (end < 0 ? 0 : 2);
        return chars.map((ch) => literal(ch, inClass)).join("");
      }
      case "p":
      case "P":
        return this.unicodeClass(c === "P", inClass);
      default: {
        const code = c.codePointAt(0)!;
        // RE2 lets any ASCII punctuation be escaped; letters and digits
        // not handled above are errors.
        if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return literal(c, inClass);
        return invalid(`unknown escape \\${c}`);
      }
    }
  }

  private unicodeClass(negated: boolean, inClass: boolean): string {
    const m = /^(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(this.rest());
    if (!m) return invalid("bad \\p escape");
    this.i += m[0].length;
    const neg = negated !== (m[1] === "^");
    const name = m[2] ?? m[3]!;
    if (name === "Any") {
      if (inClass) return neg ? unsupported("\\P{Any} in a class") : "\\u{0}-\\u{10ffff}";
      return neg ? "[^\\u{0}-\\u{10ffff}]" : "[\\u{0}-\\u{10ffff}]";
    }
    // One- and two-letter names are general categories; the rest are scripts.
    const prop = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
    return `\\${neg ? "P" : "p"}{${prop}}`;
  }

  private charClass(): string {
    let out = "[";
    if (this.peek() === "^") {
      out += "^";
      this.i++;
    }
    // A `]` right after `[` or `[^` is a literal in RE2, an empty class in JS.
    if (this.peek() === "]") {
      out += "\\]";
      this.i++;
    }
    for (;;) {
      const c = this.chars[this.i++];
      if (c === undefined) return invalid("missing closing ]");
      if (c === "]") return `${out}]`;
      if (c === "\\") {
        out += this.escape(true);
        continue;
      }
      if (c === "[" && this.peek() === ":") {
        const m = /^:(\^?)([a-z]+):\]/.exec(this.rest());
        if (m) {
          const body = POSIX_CLASSES[m[2]!];
          if (body === undefined) return invalid(`unknown POSIX class ${m[2]}`);
          if (m[1]) return unsupported("a negated POSIX class inside a class");
          this.i += m[0].length;
          out += body;
          continue;
        }
      }
      out += c === "-" ? "-" : literal(c, true);
    }
  }
}

export function translateRe2(pattern: string): Re2Translation {
  try {
    return { ok: true, regex: new Translator(pattern).run() };
  } catch (err) {
    if (err instanceof Re2Error) return { ok: false, reason: err.reason, detail: err.message };
    // What JavaScript cannot compile after translation (`a**`, `(`, `x{2}{3}`)
    // RE2 rejects too.
    return { ok: false, reason: "invalid", detail: err instanceof Error ? err.message : String(err) };
  }
}
