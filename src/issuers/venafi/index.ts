// Venafi: certificates from CyberArk Certificate Manager (TPP, self-hosted)
// or its SaaS (Cloud) through cert-manager's `spec.venafi`; the protocol is
// the venafi room's. What the zone changed against the request comes back
// as warnings on the Certificate. TPP OAuth tokens are cached per registry.
import { TokenCache } from "../../http/index.ts";
import type { IssuerResource } from "../../manifests/types.ts";
import { venafiClient, type VenafiConnection } from "../../venafi/index.ts";
import { GitcertError } from "../../diagnostics.ts";
import { asIssuer, checkReadiness } from "../issuer-error.ts";
import { issuerLabel, secretNamespace, specOf } from "../read.ts";
import { secretData, secretValue } from "../secret-value.ts";
import type { Issuer, IssuerEnv, SecretNeed } from "../types.ts";
import { venafiSchema, type VenafiIssuerSpec } from "./schema.ts";

export interface VenafiIssuerOptions {
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Between two "not issued yet" answers (default 2 s, as vcert). */
  pollIntervalMs?: number;
  /** How long one run waits for issuance (default 60 s, as cert-manager). */
  maxWaitMs?: number;
  /**
   * Roots to trust for Cloud instead of the system's (spec.venafi.cloud has
   * no caBundle): an endpoint behind a TLS-inspecting proxy.
   */
  cloudCaPem?: string;
}

function venafiSecrets(spec: VenafiIssuerSpec, namespace: string): SecretNeed[] {
  if (spec.platform === "cloud") {
    const ref = spec.cloud.apiTokenSecretRef;
    return [{ namespace, name: ref.name, keys: [ref.key], purpose: "Venafi Cloud API key", field: "spec.venafi.cloud.apiTokenSecretRef" }];
  }
  // access-token, or username and password: which one is known only once it is read.
  const needs: SecretNeed[] = [{ namespace, name: spec.tpp.credentialsRef.name, keys: [], purpose: "Venafi TPP credentials", field: "spec.venafi.tpp.credentialsRef" }];
  const ca = spec.tpp.caBundleSecretRef;
  if (ca) needs.push({ namespace, name: ca.name, keys: [ca.key], purpose: "Venafi TPP CA bundle", field: "spec.venafi.tpp.caBundleSecretRef" });
  return needs;
}

async function connection(resource: IssuerResource, spec: VenafiIssuerSpec, env: IssuerEnv, options: VenafiIssuerOptions): Promise<VenafiConnection> {
  const namespace = secretNamespace(resource, env.clusterResourceNamespace);
  const waits = {
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.maxWaitMs ? { maxWaitMs: options.maxWaitMs } : {}),
  };
  if (spec.platform === "cloud") {
    const apiKey = await secretValue(env, { namespace, ...spec.cloud.apiTokenSecretRef, purpose: "Venafi Cloud API key, spec.venafi.cloud.apiTokenSecretRef" });
    return { platform: "cloud", zone: spec.zone, apiKey, ...(spec.cloud.url ? { url: spec.cloud.url } : {}), ...(options.cloudCaPem ? { caPem: options.cloudCaPem } : {}), ...waits };
  }
  const tpp = spec.tpp;
  const caPem = tpp.caBundlePem ?? (tpp.caBundleSecretRef && (await secretValue(env, { namespace, ...tpp.caBundleSecretRef, purpose: "Venafi TPP CA bundle, spec.venafi.tpp.caBundleSecretRef" })));
  const purpose = "Venafi TPP credentials, spec.venafi.tpp.credentialsRef";
  const data = await secretData(env, { namespace, name: tpp.credentialsRef.name, purpose });
  const text = (key: string) => data[key]?.toString("utf8").trim() || undefined;
  const accessToken = text("access-token");
  const username = text("username");
  const password = text("password");
  let credentials: { accessToken: string } | { username: string; password: string };
  if (accessToken) credentials = { accessToken };
  else if (username && password) credentials = { username, password };
  else throw new GitcertError("IssuerSecretInvalid", `Secret ${namespace}/${tpp.credentialsRef.name} (${purpose}) has neither "access-token" nor "username" and "password"`);
  return { platform: "tpp", url: tpp.url, zone: spec.zone, credentials, ...(caPem ? { caPem } : {}), ...waits };
}

export function createVenafiIssuer(options: VenafiIssuerOptions = {}): Issuer<VenafiIssuerSpec> {
  const tokens = new TokenCache();

  const issuer: Issuer<VenafiIssuerSpec> = {
    type: "venafi",
    schema: venafiSchema,
    secrets: (spec, { namespace }) => venafiSecrets(spec, namespace),

    async sign(request, env) {
      const spec = specOf(issuer, request.issuer);
      return asIssuer(request.issuer, async () => {
        const client = venafiClient(await connection(request.issuer, spec, env, options), { tokens, now: env.now });
        const issued = await client.issue({ csrPem: request.csrPem, durationSeconds: request.certificate.spec.duration });
        // cert-manager takes what the zone changed silently; a user should know.
        const warnings = issued.overrides.map((change) => ({
          code: "VenafiZoneOverride",
          message: `${issuerLabel(request.issuer)}: the Venafi zone "${spec.zone}" changed the certificate against the request: ${change}`,
        }));
        return { chainPem: issued.chain.chainPem, ...(issued.chain.caPem ? { caPem: issued.chain.caPem } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
      });
    },

    // cert-manager's Setup: the credentials work (TPP also answers its ping).
    ready: (resource, env) =>
      checkReadiness(async () => {
        const spec = specOf(issuer, resource);
        return asIssuer(resource, async () => {
          await venafiClient(await connection(resource, spec, env, options), { tokens, now: env.now }).verify();
          return `Venafi ${spec.platform === "tpp" ? "TPP" : "Cloud"} verified: the credentials work for zone "${spec.zone}"`;
        });
      }),
  };
  return issuer;
}
