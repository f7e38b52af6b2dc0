// Secrets issuers reference (CA key pairs, EAB keys, DNS provider tokens) that
// are not SOPS files in the repository, read from the cluster: one GET per
// Secret an issuer names, never a list, so the RBAC that allows it can be
// `get` alone, on named Secrets, in the namespaces where issuers keep them.
// Values stay in memory for this run; only key names leave this module for
// planning.
import { GitcertError } from "../diagnostics.ts";
import { KubeApiError, type Cluster } from "./client.ts";

export interface SecretRef {
  namespace: string;
  name: string;
}

/** What the cluster says about one Secret, for resolve's SecretIndex: its keys, that it has none of that name, or why it would not say. */
export type ClusterSecretKeys = { found: true; keys: string[] } | { found: false; refused: false } | { found: false; refused: true; reason: string };

export class ClusterSecrets {
  private readonly cache = new Map<string, Promise<Record<string, Buffer> | undefined>>();
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  /**
   * The decoded data of a Secret; undefined when the cluster has none of
   * that name. Throws GitcertError when it exists but may not be read, or the
   * API server cannot be reached: the issuer then fails with that reason.
   */
  read(ref: SecretRef): Promise<Record<string, Buffer> | undefined> {
    const id = `${ref.namespace}/${ref.name}`;
    let pending = this.cache.get(id);
    if (!pending) {
      pending = this.fetch(ref);
      this.cache.set(id, pending);
    }
    return pending;
  }

  /** Key names of each Secret (never values), for planning; problems as reasons. */
  async keys(refs: readonly SecretRef[]): Promise<Map<string, ClusterSecretKeys>> {
    const out = new Map<string, ClusterSecretKeys>();
    await Promise.all(
      refs.map(async (ref) => {
        const id = `${ref.namespace}/${ref.name}`;
        try {
          const data = await this.read(ref);
          out.set(id, data ? { found: true, keys: Object.keys(data).sort() } : { found: false, refused: false });
        } catch (err) {
          const forbidden = err instanceof GitcertError && err.code === "SecretForbidden";
          out.set(id, { found: false, refused: true, reason: forbidden ? `gitcert may not read it (allow "get": deploy/controller/rbac.yaml, Role gitcert-issuer-secrets)` : (err as Error).message });
        }
      }),
    );
    return out;
  }

  private async fetch(ref: SecretRef): Promise<Record<string, Buffer> | undefined> {
    try {
      const secret = await this.cluster.call(`get Secret ${ref.namespace}/${ref.name}`, () => this.cluster.core.readNamespacedSecret(ref));
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64");
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v, "utf8");
      return data;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      if (err instanceof KubeApiError && err.status === 403) {
        throw new GitcertError(
          "SecretForbidden",
          `Secret ${ref.namespace}/${ref.name} is not in the repository, and gitcert may not read it from the cluster: ${err.message}. ` +
            `Allow "get" on it for gitcert's service account (deploy/controller/rbac.yaml, Role gitcert-issuer-secrets)`,
          { object: { kind: "Secret", namespace: ref.namespace, name: ref.name } },
        );
      }
      throw err;
    }
  }
}
