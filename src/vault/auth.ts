// Logging in to Vault with one of cert-manager's auth methods. The request
// shapes are cert-manager's (internal/vault/vault.go): AppRole at
// /v1/auth/<path>/login, kubernetes and cert at <mountPath>/login with the
// mount path written in full (`/v1/auth/kubernetes`).
import { answerError, callLabel, joinPath, vaultRequest, type VaultCall } from "./api.ts";
import { VaultError, VaultErrorCode } from "./errors.ts";
import type { VaultAuth, VaultServer } from "./types.ts";

export interface LoginResult {
  token: string;
  /** Seconds the token lives; 0 when it does not expire. */
  leaseSeconds: number;
}

/** Every credential an auth method carries, for redaction. */
export function authSecrets(auth: VaultAuth): string[] {
  switch (auth.method) {
    case "token": return [auth.token];
    case "appRole": return [auth.secretId];
    case "clientCertificate": return auth.keyPem ? [auth.keyPem] : [];
    case "kubernetes": return [];
  }
}

/** What identifies a login, for the token cache (secrets included: a rotated secret is a new login). */
export function authIdentity(auth: VaultAuth): string[] {
  switch (auth.method) {
    case "token": return ["token", auth.token];
    case "appRole": return ["appRole", auth.path, auth.roleId, auth.secretId];
    case "clientCertificate": return ["clientCertificate", auth.mountPath, auth.name, auth.certPem ?? ""];
    case "kubernetes": return ["kubernetes", auth.mountPath, auth.role];
  }
}

export async function login(server: VaultServer, auth: Exclude<VaultAuth, { method: "token" }>): Promise<LoginResult> {
  const call = await loginCall(auth);
  const res = await vaultRequest(server, call);
  const what = `Vault ${auth.method} login`;
  if (res.status < 200 || res.status >= 300) throw answerError(VaultErrorCode.LoginFailed, call, res, what);
  const authBlock = (res.json as { auth?: { client_token?: unknown; lease_duration?: unknown } } | undefined)?.auth;
  const token = authBlock?.client_token;
  if (typeof token !== "string" || token === "") {
    throw new VaultError(VaultErrorCode.LoginFailed, `${what}: Vault ${callLabel(call)} answered ${res.status} without a token`, { atCA: true, status: res.status });
  }
  const lease = typeof authBlock?.lease_duration === "number" ? authBlock.lease_duration : 0;
  return { token, leaseSeconds: lease };
}

async function loginCall(auth: Exclude<VaultAuth, { method: "token" }>): Promise<VaultCall> {
  switch (auth.method) {
    case "appRole":
      return {
        method: "POST",
        path: joinPath("/v1", "auth", auth.path || "approle", "login"),
        body: { role_id: auth.roleId.trim(), secret_id: auth.secretId.trim() },
        namespaced: true,
        secrets: [auth.secretId, auth.secretId.trim()],
      };
    case "clientCertificate":
      return {
        method: "POST",
        path: joinPath(auth.mountPath || "/v1/auth/cert", "login"),
        body: { name: auth.name },
        namespaced: true,
        ...(auth.certPem && auth.keyPem ? { clientCertificate: { certPem: auth.certPem, keyPem: auth.keyPem } } : {}),
        secrets: auth.keyPem ? [auth.keyPem] : [],
      };
    case "kubernetes": {
      let jwt: string;
      try {
        jwt = (await auth.jwt()).trim();
      } catch (err) {
        throw new VaultError(VaultErrorCode.InvalidRequest, `Vault kubernetes login: no service account token: ${err instanceof Error ? err.message : String(err)}`, { atCA: false });
      }
      return {
        method: "POST",
        path: joinPath(auth.mountPath || "/v1/auth/kubernetes", "login"),
        body: { role: auth.role, jwt },
        namespaced: true,
        secrets: [jwt],
      };
    }
  }
}
