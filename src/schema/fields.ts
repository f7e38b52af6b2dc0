// Building blocks for the schemas of cert-manager's specs, so every schema
// reads YAML the same way: a key set to null is unset (as for the
// Kubernetes API), an empty optional string is unset, and values that must
// follow a syntax say which rule they break.
import { z } from "zod";
import { describeValue } from "./messages.ts";
import { mapKey } from "./read.ts";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function dropNulls(v: unknown): unknown {
  if (!isRecord(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(v)) {
    if (value !== null) continue;
    out ??= { ...v };
    delete out[key];
  }
  return out ?? v;
}

/** A YAML mapping with known fields; unknown ones are dropped (callers may warn about them). */
export function mapping<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.preprocess(dropNulls, z.object(shape));
}

/** A YAML mapping whose unknown fields are kept, for a check that names them. */
export function looseMapping<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.preprocess(dropNulls, z.looseObject(shape));
}

/** A string that must be there and not be empty; checks added after it see only non-empty strings. */
export function requiredText() {
  return z.string().check(z.refine((s: string) => s !== "", { message: "is required", abort: true }));
}

/** A string that may be missing; empty counts as missing, as for cert-manager's `omitempty` fields. */
export function optionalText() {
  return z
    .string()
    .optional()
    .transform((s) => (s === "" ? undefined : s));
}

/** An absolute http:// or https:// URL (a CA's API). */
export function httpUrl() {
  return requiredText().check(
    z.superRefine((url: string, ctx) => {
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(url)} is not an http:// or https:// URL` });
    }),
  );
}

/**
 * cert-manager's `caBundle` ([]byte, so base64 in YAML): decoded to PEM,
 * which must hold at least one certificate. Empty is unset.
 */
export function pemBundle() {
  return optionalText().transform((bundle, ctx) => {
    if (bundle === undefined) return undefined;
    const pem = Buffer.from(bundle, "base64").toString("utf8");
    if (pem.includes("-----BEGIN CERTIFICATE-----")) return pem;
    ctx.issues.push({ code: "custom", message: "must be base64-encoded PEM certificates", input: bundle });
    return z.NEVER;
  });
}

/** An integer a Kubernetes int32 field can hold; checks added after it see only such integers. */
export function integer() {
  const error = (issue: { input?: unknown }) => `must be an integer, not ${describeValue(issue.input)}`;
  return z.number({ error }).check(z.refine((n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31, { error, abort: true }));
}

/** A list of strings; missing is empty. */
export function stringList() {
  return z.array(z.string()).default([]);
}

/** `"foo..bar" is not a valid DNS name: must not contain an empty label`, from a rule that returns the reason. */
export function validAs(problem: (value: string) => string | undefined, what: string) {
  return z.superRefine((value: string, ctx) => {
    const reason = problem(value);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${what}: ${reason}` });
  });
}

/**
 * A mapping of strings (labels, annotations), each entry named `["key"]` in
 * messages. `entry` reports what else is wrong with a key or value.
 */
export function stringMap(entry?: (key: string, value: string, report: (message: string) => void) => void) {
  return z
    .record(z.string(), z.unknown())
    .superRefine((map, ctx) => {
      for (const [key, value] of Object.entries(map)) {
        const report = (message: string) => ctx.addIssue({ code: "custom", message, path: [mapKey(key)], input: value });
        if (typeof value !== "string") report(`must be a string, not ${describeValue(value)} (quote it in YAML)`);
        else entry?.(key, value, report);
      }
    })
    .transform((map) => map as Record<string, string>);
}
