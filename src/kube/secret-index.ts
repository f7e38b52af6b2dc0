// The Secret index resolve checks Issuers against, with the cluster's
// Secrets added: for each Secret an issuer needs that the repository does
// not hold, one GET by name (the same narrow RBAC as issuance uses), and only
// its key names are kept. What the cluster would not show (forbidden,
// unreachable) is said in the "looked in" text, so a blocked Issuer's
// diagnostic names the RBAC to add rather than calling the Secret missing.
import type { SecretKey } from "../issuers/types.ts";
import { secretKey, type KnownSecret, type SecretIndex } from "../manifests/index.ts";
import type { ClusterSecrets } from "./secrets.ts";

export async function withClusterSecrets(repository: SecretIndex, needed: readonly SecretKey[], secrets: ClusterSecrets, origin: string): Promise<SecretIndex> {
  const wanted = new Map<string, SecretKey>();
  for (const key of needed) {
    const id = secretKey(key.namespace, key.name);
    if (!repository.secrets.has(id)) wanted.set(id, key);
  }
  const known = new Map<string, KnownSecret>(repository.secrets);
  const refused: string[] = [];
  for (const [id, found] of await secrets.keys([...wanted.values()])) {
    if (found.found) known.set(id, { keys: found.keys, where: `the cluster (${origin})` });
    else if (found.refused) refused.push(`${id}: ${found.reason}`);
  }
  const lookedIn = `the repository or the cluster (${origin})${refused.length ? `; the cluster would not show ${refused.join("; ")}` : ""}`;
  return { secrets: known, lookedIn, ...(repository.makers ? { makers: repository.makers } : {}) };
}
