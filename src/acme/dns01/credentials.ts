// Credentials from the Secrets a provider's config names.
import { GitcertError } from "../../diagnostics.ts";
import type { SecretKeySelector } from "../../schema/index.ts";
import type { Dns01Context } from "./types.ts";

/**
 * A credential from a Secret, as text without the trailing newline that
 * `kubectl create secret --from-file` and editors leave. Anything else that
 * could not be an HTTP header value is refused, by name only.
 */
export async function readCredential(ctx: Pick<Dns01Context, "readSecretKey">, ref: SecretKeySelector, what: string): Promise<string> {
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
