// The one reader of untyped specs: a zod schema applied to what YAML gave,
// every problem as a value with the path of its field. Callers put the path
// in front of the message (`spec.dnsNames[1]: "a b" is not a valid DNS name`)
// and attach the object and file:line they know.
import type { z } from "zod";
import { issueMessage } from "./messages.ts";

export interface Problem {
  /** Field path below where the schema was applied: `["dnsNames", 1]`; a `[…]` segment is a map key. */
  path: readonly PropertyKey[];
  message: string;
}

export type Reading<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function read<S extends z.ZodType>(schema: S, input: unknown): Reading<z.output<S>> {
  const result = schema.safeParse(input, { error: issueMessage });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })) };
}

/** A path segment for a map key, so it reads `labels["team"]` rather than `labels.team`. */
export function mapKey(key: string): string {
  return `[${JSON.stringify(key)}]`;
}

/** `spec.dnsNames[1]` from the root `spec` and the path `["dnsNames", 1]`. */
export function pathText(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const name = String(segment);
      out += name.startsWith("[") || out === "" ? name : `.${name}`;
    }
  }
  return out;
}

/** `spec.acme.server: is required`. */
export function problemText(root: string, problem: Problem): string {
  const path = pathText(root, problem.path);
  return path === "" ? problem.message : `${path}: ${problem.message}`;
}
