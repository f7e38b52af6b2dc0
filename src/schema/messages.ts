// How the reader words zod's issues: the vocabulary of the YAML a person
// wrote (a list, a mapping, true or false), each message naming the value
// that was found instead. Field-specific wording lives with the field.
import type { z } from "zod";

const EXPECTED: Readonly<Record<string, string>> = {
  string: "must be a string",
  boolean: "must be true or false",
  number: "must be a number",
  int: "must be an integer",
  array: "must be a list",
  object: "must be a mapping",
  record: "must be a mapping",
};

/** `the string "x"`, `number 3`, `a list`: what a message says was found. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** `A`, `A or B`, `A, B or C`. */
export function alternatives(values: readonly unknown[]): string {
  const words = values.map(String);
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/** The error map every read goes through; undefined leaves zod's own text (never reached by our schemas). */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `${EXPECTED[issue.expected] ?? `must be ${issue.expected}`}, not ${describeValue(issue.input)}`;
    case "invalid_value":
      if (issue.input === undefined) return "is required";
      return `${JSON.stringify(issue.input)} is not supported (use ${alternatives(issue.values)})`;
    case "too_small":
      return `must be at least ${String(issue.minimum)} (got ${JSON.stringify(issue.input)})`;
    case "too_big":
      return `must be at most ${String(issue.maximum)} (got ${JSON.stringify(issue.input)})`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  }
  return undefined;
}
