// A Secret an issuer asked to keep (an ACME account key): an Opaque Secret
// beside the manifest it is kept for, SOPS-encrypted like every other.
import { posix } from "node:path";
import { GitcertError, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import type { SecretKey } from "../issuers/types.ts";
import { chartOfTemplate } from "../manifests/parse.ts";
import { ANNOTATION } from "../plan/index.ts";
import { dns1123SubdomainProblem } from "../manifests/validate-names.ts";
import type { Written } from "./carried.ts";
import type { ExecuteContext } from "./execute.ts";
import type { KustomizationEdit } from "./outcome.ts";
import { secretTarget } from "./write-secret.ts";

export interface StoredSecret {
  secret: ObjectRef;
  /** Repository-relative path of its file. */
  path: string;
  /** The manifest it is kept for (the Issuer's). */
  near: SourceRef;
  kustomization?: KustomizationEdit;
}

export async function storeSecret(
  key: SecretKey,
  data: Record<string, Buffer>,
  near: SourceRef,
  ctx: Pick<ExecuteContext, "tree" | "encryption" | "store" | "charts">,
): Promise<{ stored: StoredSecret; written: Written }> {
  if (dns1123SubdomainProblem(key.name) !== undefined) {
    throw new GitcertError("InvalidSecretName", `Secret name ${JSON.stringify(key.name)} cannot be used in a file name`, { source: near });
  }
  // Beside a chart, not in its templates/ folder: Helm would render the file and apply it still encrypted.
  const chart = chartOfTemplate(near.file, new Set(ctx.charts ?? []));
  // Named like a Certificate's Secret would be: a name the repository's .sops.yaml rules match.
  const { path } = await ctx.encryption.place({ dir: chart ?? posix.dirname(near.file), namespace: key.namespace, name: key.name, secretName: key.name });
  const content = { name: key.name, namespace: key.namespace, type: "Opaque", annotations: { [ANNOTATION.storedFor]: near.file }, labels: {}, data };
  await (await secretTarget(path, key, false, ctx)).write(content);
  ctx.store.remember(key, data);
  return { stored: { secret: { kind: "Secret", ...key }, path, near }, written: { content, near } };
}
