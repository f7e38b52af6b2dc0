// A service account's token from the TokenRequest API, for issuers that log
// in with one (Vault's kubernetes auth with serviceAccountRef, as
// cert-manager does it). gitcert needs `create` on `serviceaccounts/token`
// for that service account in the Issuer's namespace; the token is handed
// to the issuer, never stored or logged.
import { GitcertError } from "../diagnostics.ts";
import type { ServiceAccountTokenRequest } from "../issuers/types.ts";
import { KubeApiError, type Cluster } from "./client.ts";

export async function serviceAccountToken(cluster: Cluster, request: ServiceAccountTokenRequest): Promise<string> {
  const { namespace, name, audiences, expirationSeconds } = request;
  const what = `create a token for ServiceAccount ${namespace}/${name}`;
  try {
    const answer = await cluster.call(what, () =>
      cluster.core.createNamespacedServiceAccountToken({
        name,
        namespace,
        body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences, expirationSeconds } },
      }),
    );
    const token = answer.status?.token;
    if (!token) throw new GitcertError("KubeInvalid", `${what}: the API server answered without a token`);
    return token;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) {
      throw new GitcertError(
        "KubeForbidden",
        `${err.message}. Allow gitcert's service account "create" on serviceaccounts/token with resourceNames [${name}] in namespace ${namespace}, as cert-manager's Vault documentation does for its own`,
      );
    }
    throw err;
  }
}
