// Vault: certificates signed by a Vault PKI role through cert-manager's
// `spec.vault` (the protocol itself is the vault room's). Logins are cached
// per issuer registry, so a reconcile with many Certificates logs in once.
import { TokenCache, VaultClient } from "../../vault/index.ts";
import type { IssuerResource } from "../../manifests/types.ts";
import { asIssuer, checkReadiness } from "../issuer-error.ts";
import { specOf } from "../read.ts";
import type { Issuer, IssuerEnv, SecretNeed } from "../types.ts";
import { vaultAuth, vaultServer } from "./connection.ts";
import { vaultSchema, type VaultIssuerSpec } from "./schema.ts";

export interface VaultIssuerOptions {
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/** The Secrets the spec names: those of the auth method that is used, and of TLS. */
function vaultSecrets(spec: VaultIssuerSpec, namespace: string): SecretNeed[] {
  const needs: SecretNeed[] = [];
  const auth = spec.auth;
  if (auth.method === "token") {
    needs.push({ namespace, name: auth.secretRef.name, keys: [auth.secretRef.key], purpose: "Vault token", field: "spec.vault.auth.tokenSecretRef" });
  } else if (auth.method === "appRole") {
    needs.push({ namespace, name: auth.secretRef.name, keys: [auth.secretRef.key], purpose: "Vault AppRole secret ID", field: "spec.vault.auth.appRole.secretRef" });
  } else if (auth.method === "clientCertificate" && auth.secretName) {
    needs.push({ namespace, name: auth.secretName, keys: ["tls.crt", "tls.key"], purpose: "Vault client certificate", field: "spec.vault.auth.clientCertificate.secretName" });
  } else if (auth.method === "kubernetes" && auth.secretRef) {
    needs.push({ namespace, name: auth.secretRef.name, keys: [auth.secretRef.key], purpose: "service account token for Vault", field: "spec.vault.auth.kubernetes.secretRef" });
  }
  const tls = { caBundleSecretRef: "Vault CA bundle", clientCertSecretRef: "Vault client certificate", clientKeySecretRef: "Vault client key" } as const;
  for (const [field, purpose] of Object.entries(tls) as Array<[keyof typeof tls, string]>) {
    const ref = spec[field];
    if (ref) needs.push({ namespace, name: ref.name, keys: [ref.key], purpose, field: `spec.vault.${field}` });
  }
  return needs;
}

export function createVaultIssuer(options: VaultIssuerOptions = {}): Issuer<VaultIssuerSpec> {
  const tokens = new TokenCache();

  async function connect(resource: IssuerResource, spec: VaultIssuerSpec, env: IssuerEnv): Promise<VaultClient> {
    const [server, auth] = await Promise.all([vaultServer(resource, spec, env, options.timeoutMs), vaultAuth(resource, spec, env)]);
    return new VaultClient({ server, auth, tokens, now: env.now });
  }

  const issuer: Issuer<VaultIssuerSpec> = {
    type: "vault",
    schema: vaultSchema,
    secrets: (spec, { namespace }) => vaultSecrets(spec, namespace),

    async sign(request, env) {
      const spec = specOf(issuer, request.issuer);
      return asIssuer(request.issuer, async () => {
        const client = await connect(request.issuer, spec, env);
        const bundle = await client.sign({ path: spec.path, csrPem: request.csrPem, durationSeconds: request.certificate.spec.duration });
        return { chainPem: bundle.chainPem, ...(bundle.caPem ? { caPem: bundle.caPem } : {}) };
      });
    },

    // cert-manager's Setup: log in, then sys/health.
    ready: (resource, env) =>
      checkReadiness(async () => {
        const spec = specOf(issuer, resource);
        return asIssuer(resource, async () => {
          const client = await connect(resource, spec, env);
          await client.authenticate();
          const health = await client.health();
          return `Vault verified: ${spec.server} is initialized and unsealed (sys/health answered ${health.status}); auth: ${spec.auth.method}`;
        });
      }),
  };
  return issuer;
}
