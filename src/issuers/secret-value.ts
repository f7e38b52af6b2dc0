// One value of a Secret an issuer's spec names (a Vault token, a Venafi API
// key, a CA bundle), read through IssuerEnv. `resolve` has already blocked
// Certificates whose issuer lacks the Secret or the key, so a miss here is a
// Secret that changed under us: a local failure, never one at the CA.
import { GitcertError } from "../diagnostics.ts";
import type { IssuerEnv, SecretKey } from "./types.ts";

export interface SecretValueRef extends SecretKey {
  key: string;
  /** What it holds and the field naming it: `Vault token, spec.vault.auth.tokenSecretRef`. */
  purpose: string;
}

/** The whole Secret; throws IssuerSecretNotFound when there is none. */
export async function secretData(env: IssuerEnv, ref: SecretKey & { purpose: string }): Promise<Record<string, Buffer>> {
  const data = await env.readSecret(ref);
  if (!data) throw new GitcertError("IssuerSecretNotFound", `Secret ${ref.namespace}/${ref.name} (${ref.purpose}) was not found`);
  return data;
}

/** One key's value as text, trimmed as cert-manager trims tokens; throws when absent or empty. */
export async function secretValue(env: IssuerEnv, ref: SecretValueRef): Promise<string> {
  const value = (await secretData(env, ref))[ref.key]?.toString("utf8").trim();
  if (!value) throw new GitcertError("IssuerSecretInvalid", `Secret ${ref.namespace}/${ref.name} (${ref.purpose}) has no value for key ${JSON.stringify(ref.key)}`);
  return value;
}
