// What the vault room needs to reach one Vault server, as plain data: the
// issuer resolves spec.vault and its Secrets into this; the room never reads
// a Secret itself.
import type { TlsOptions } from "../http/index.ts";

export interface VaultServer {
  /** spec.vault.server: `https://vault.example.com:8200`, a path prefix allowed. */
  url: string;
  /** spec.vault.namespace: sent as X-Vault-Namespace on login and sign, never on sys/health. */
  namespace?: string;
  /** caBundle / caBundleSecretRef, serverName, clientCertSecretRef + clientKeySecretRef. */
  tls?: TlsOptions;
  timeoutMs?: number;
}

/** How to get a token, one of cert-manager's spec.vault.auth methods. */
export type VaultAuth =
  | { method: "token"; token: string }
  /** POST /v1/auth/<path>/login {role_id, secret_id}. */
  | { method: "appRole"; path: string; roleId: string; secretId: string }
  /**
   * POST <mountPath>/login {name} over TLS with a client certificate: the
   * one given here (auth.clientCertificate.secretName), else the mTLS one of
   * the server settings.
   */
  | { method: "clientCertificate"; mountPath: string; name: string; certPem?: string; keyPem?: string }
  /** POST <mountPath>/login {role, jwt}; the JWT is fetched only when a login is needed. */
  | { method: "kubernetes"; mountPath: string; role: string; jwt: () => Promise<string> };

export type VaultAuthMethod = VaultAuth["method"];
