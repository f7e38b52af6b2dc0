// Reading a provider's config block: the fields are cert-manager's, typed
// loosely in YAML, so each reader returns the value or a `field: problem`.
import { GitcertError } from "../../diagnostics.ts";
import type { Dns01Context } from "./types.ts";

export interface SecretRef {
  name: string;
  key: string;
}

export function optionalString(config: Record<string, unknown>, field: string, problems: string[]): string | undefined {
  const value = config[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    problems.push(`${field}: must be a string`);
    return undefined;
  }
  return value;
}

export function requiredString(config: Record<string, unknown>, field: string, problems: string[]): string | undefined {
  const value = optionalString(config, field, problems);
  if (value === undefined && !problems.some((p) => p.startsWith(`${field}:`))) problems.push(`${field}: is required`);
  return value;
}

/** A `{name, key}` SecretKeySelector; cert-manager lets `key` be omitted for some refs, gitcert never does. */
export function optionalSecretRef(config: Record<string, unknown>, field: string, problems: string[]): SecretRef | undefined {
  const value = config[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${field}: must be an object with name and key`);
    return undefined;
  }
  const ref = value as Record<string, unknown>;
  const before = problems.length;
  if (typeof ref.name !== "string" || ref.name === "") problems.push(`${field}.name: is required`);
  if (typeof ref.key !== "string" || ref.key === "") problems.push(`${field}.key: is required`);
  return problems.length === before ? { name: ref.name as string, key: ref.key as string } : undefined;
}

/**
 * A credential from a Secret, as text without the trailing newline that
 * `kubectl create secret --from-file` and editors leave. Anything else that
 * could not be an HTTP header value is refused, by name only.
 */
export async function readCredential(ctx: Dns01Context, ref: SecretRef, what: string): Promise<string> {
  const text = (await ctx.readSecretKey(ref)).toString("utf8").trim();
  if (text === "") throw new GitcertError("Dns01InvalidCredential", `${what} in Secret ${ref.name} key ${ref.key} is empty`);
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new GitcertError(
      "Dns01InvalidCredential",
      `${what} in Secret ${ref.name} key ${ref.key} contains control characters (a newline in the middle?)`,
    );
  }
  return text;
}

/** Throws the problems of `validate` as one error, for present/cleanUp called without validation. */
export function assertValid(provider: string, problems: string[]): void {
  if (problems.length) throw new GitcertError("Dns01InvalidConfig", `invalid dns01.${provider} config: ${problems.join("; ")}`);
}
