// Field types of a Certificate spec: Go durations, and names, labels and
// annotations checked with the rules Kubernetes applies to them.
import { z } from "zod";
import { describeValue, stringMap } from "../../schema/index.ts";
import { parseDuration } from "../duration.ts";
import { labelValueProblem, qualifiedNameProblem } from "../validate-names.ts";

/** A Go duration string (`2160h`, `1h30m`), in seconds. */
export function goDuration() {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : `must be a Go duration string such as "2160h", not ${describeValue(issue.input)}`) })
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (parsed.ok) return parsed.seconds;
      ctx.issues.push({ code: "custom", message: parsed.error, input: text });
      return z.NEVER;
    });
}

/** Labels: keys are qualified names, values at most 63 characters of [A-Za-z0-9-_.]. */
export function labelMap() {
  return stringMap((key, value, report) => {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) report(`${JSON.stringify(key)} is not a valid label key: ${keyProblem}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) report(`${JSON.stringify(value)} is not a valid label value: ${valueProblem}`);
  });
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
