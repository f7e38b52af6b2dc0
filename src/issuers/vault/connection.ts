// From a Vault issuer's spec and its Secrets to what the vault room needs:
// the server (URL, namespace, TLS trust, mTLS, server name) and the auth
// method with its credentials. Secrets are read from the issuer's namespace
// (a ClusterIssuer's: the cluster resource namespace), as cert-manager does.
import { GitcertError } from "../../diagnostics.ts";
import type { IssuerResource } from "../../manifests/types.ts";
import type { VaultAuth, VaultServer } from "../../vault/index.ts";
import { secretNamespace } from "../read.ts";
import { secretData, secretValue } from "../secret-value.ts";
import type { IssuerEnv } from "../types.ts";
import type { VaultIssuerSpec } from "./schema.ts";

/** A TokenRequest lives 10 minutes, the least Kubernetes allows: it is used for one login. */
const TOKEN_REQUEST_SECONDS = 600;

export async function vaultServer(resource: IssuerResource, spec: VaultIssuerSpec, env: IssuerEnv, timeoutMs?: number): Promise<VaultServer> {
  const namespace = secretNamespace(resource, env.clusterResourceNamespace);
  const caPem =
    spec.caBundlePem ??
    (spec.caBundleSecretRef && (await secretValue(env, { namespace, ...spec.caBundleSecretRef, purpose: "Vault CA bundle, spec.vault.caBundleSecretRef" })));
  const mtls = spec.clientCertSecretRef && spec.clientKeySecretRef;
  const certPem = mtls && (await secretValue(env, { namespace, ...spec.clientCertSecretRef!, purpose: "Vault client certificate, spec.vault.clientCertSecretRef" }));
  const keyPem = mtls && (await secretValue(env, { namespace, ...spec.clientKeySecretRef!, purpose: "Vault client key, spec.vault.clientKeySecretRef" }));
  return {
    url: spec.server,
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    tls: {
      ...(caPem ? { caPem } : {}),
      ...(certPem && keyPem ? { certPem, keyPem } : {}),
      ...(spec.serverName ? { serverName: spec.serverName } : {}),
    },
    ...(timeoutMs ? { timeoutMs } : {}),
  };
}

export async function vaultAuth(resource: IssuerResource, spec: VaultIssuerSpec, env: IssuerEnv): Promise<VaultAuth> {
  const namespace = secretNamespace(resource, env.clusterResourceNamespace);
  const auth = spec.auth;
  switch (auth.method) {
    case "token":
      return { method: "token", token: await secretValue(env, { namespace, ...auth.secretRef, purpose: "Vault token, spec.vault.auth.tokenSecretRef" }) };
    case "appRole": {
      const secretId = await secretValue(env, { namespace, ...auth.secretRef, purpose: "Vault AppRole secret ID, spec.vault.auth.appRole.secretRef" });
      return { method: "appRole", path: auth.path, roleId: auth.roleId, secretId };
    }
    case "clientCertificate": {
      const base = { method: "clientCertificate" as const, mountPath: auth.mountPath ?? "", name: auth.name ?? "" };
      if (!auth.secretName) return base; // the mTLS certificate of the server settings logs in
      const purpose = "Vault client certificate, spec.vault.auth.clientCertificate.secretName";
      const data = await secretData(env, { namespace, name: auth.secretName, purpose });
      const certPem = data["tls.crt"]?.toString("utf8");
      const keyPem = data["tls.key"]?.toString("utf8");
      if (!certPem || !keyPem) throw new GitcertError("IssuerSecretInvalid", `Secret ${namespace}/${auth.secretName} (${purpose}) needs tls.crt and tls.key`);
      return { ...base, certPem, keyPem };
    }
    case "kubernetes": {
      const jwt = auth.secretRef
        ? () => secretValue(env, { namespace, ...auth.secretRef!, purpose: "service account token for Vault, spec.vault.auth.kubernetes.secretRef" })
        : () => requestServiceAccountToken(resource, spec.server, auth.serviceAccountRef!, env, namespace);
      return { method: "kubernetes", mountPath: auth.mountPath ?? "", role: auth.role, jwt };
    }
  }
}

/**
 * cert-manager's TokenRequest for serviceAccountRef: the user's audiences,
 * then `vault://<namespace>/<issuer>` (`vault://<issuer>` for a
 * ClusterIssuer) and the server URL, so a Vault role can insist on them.
 */
function requestServiceAccountToken(
  resource: IssuerResource,
  server: string,
  ref: { name: string; audiences: string[] },
  env: IssuerEnv,
  namespace: string,
): Promise<string> {
  if (!env.serviceAccountToken) {
    throw new GitcertError(
      "VaultNoCluster",
      `spec.vault.auth.kubernetes.serviceAccountRef needs a token for service account ${namespace}/${ref.name} from the cluster (TokenRequest), and no cluster is configured; use secretRef instead`,
    );
  }
  const own = resource.kind === "Issuer" ? `vault://${resource.namespace}/${resource.name}` : `vault://${resource.name}`;
  return env.serviceAccountToken({ namespace, name: ref.name, audiences: [...ref.audiences, own, server], expirationSeconds: TOKEN_REQUEST_SECONDS });
}
