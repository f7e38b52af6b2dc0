// A bound on YAML nesting, checked before the `yaml` library composes a
// repository file. A few hundred kilobytes of `[[[[…` or `- - - …` make
// yaml 2.x exhaust V8's regular-expression zone and abort the whole process
// (a fatal OOM, not an exception), so one bad file would stop every
// certificate's renewal. yaml's lexer is linear and safe on such input, so
// the depth is measured on its tokens; nothing a Kubernetes manifest, a
// kustomization or a SOPS file needs comes near the limit.
import { Lexer } from "yaml";

export const MAX_YAML_NESTING = 500;

export interface NestingProblem {
  /** 1-based line where the limit is passed. */
  line: number;
  message: string;
}

/** Undefined when `text` nests no deeper than `limit`. */
export function yamlNestingProblem(text: string, limit = MAX_YAML_NESTING): NestingProblem | undefined {
  if (nestingCharacters(text) <= limit) return undefined;
  let line = 1;
  let flow = 0;
  // `- - - x` and `? ? x` nest on one line; indentation nests across lines
  // but needs quadratic space, so a file under the size limit cannot go far.
  let onLine = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "\n" || token === "\r\n") {
      line++;
      onLine = 0;
      continue;
    }
    if (token === "[" || token === "{") flow++;
    else if (token === "]" || token === "}") flow = Math.max(0, flow - 1);
    else if (token === "-" || token === "?") onLine++;
    else if (token.length > 1) line += newlines(token);
    if (flow + onLine > limit) {
      return { line, message: `YAML nested more than ${limit} levels deep at line ${line}; not read (a hostile or broken file?)` };
    }
  }
  return undefined;
}

function newlines(token: string): number {
  let count = 0;
  for (let at = token.indexOf("\n"); at !== -1; at = token.indexOf("\n", at + 1)) count++;
  return count;
}

/**
 * Every level of nesting the lexer counts is one of these characters, so a
 * text with few of them (most files, and every Secret gitcert writes) needs
 * no lexing at all.
 */
function nestingCharacters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b || c === 0x2d || c === 0x3f) count++;
  }
  return count;
}
