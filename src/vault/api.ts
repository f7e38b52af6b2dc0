// One call to the Vault HTTP API: the URL as Vault's Go client builds it,
// the headers it sends, and an error that names the call and quotes Vault's
// answer with every credential of the call redacted.
import { posix } from "node:path";
import { requestJson, UnreachableError, type JsonResponse } from "../http/index.ts";
import { redactedExcerpt } from "../redact.ts";
import { VaultError, VaultErrorCode } from "./errors.ts";
import type { VaultServer } from "./types.ts";

export interface VaultCall {
  method: "GET" | "POST" | "PUT";
  /** Request path as cert-manager writes it: `/v1/pki/sign/web`, `/v1/auth/kubernetes/login`. */
  path: string;
  body?: Record<string, string>;
  token?: string;
  /** Send spec.vault.namespace (everything except sys/health). */
  namespaced: boolean;
  /** Client certificate for this call only (cert auth login). */
  clientCertificate?: { certPem: string; keyPem: string };
  /** Credentials to keep out of any message. */
  secrets: readonly string[];
}

const EXCERPT_CHARS = 400;

/** Go's path.Join: cleaned, no trailing slash, always absolute here. */
export function joinPath(...parts: string[]): string {
  const joined = posix.normalize(posix.join("/", ...parts));
  return joined.length > 1 && joined.endsWith("/") ? joined.slice(0, -1) : joined;
}

export function callLabel(call: Pick<VaultCall, "method" | "path">): string {
  return `${call.method} ${call.path}`;
}

/** The answer, whatever its status; throws only when there is none. */
export async function vaultRequest(server: VaultServer, call: VaultCall): Promise<JsonResponse> {
  const base = new URL(server.url);
  const url = new URL(joinPath(base.pathname, call.path), base.origin);
  const headers: Record<string, string> = { "x-vault-request": "true" };
  if (call.token) headers["x-vault-token"] = call.token;
  if (call.namespaced && server.namespace) headers["x-vault-namespace"] = server.namespace;
  const tls = { ...server.tls, ...(call.clientCertificate ? { certPem: call.clientCertificate.certPem, keyPem: call.clientCertificate.keyPem } : {}) };
  try {
    return await requestJson({ method: call.method, url: url.href, headers, body: call.body, tls, timeoutMs: server.timeoutMs });
  } catch (err) {
    if (!(err instanceof UnreachableError)) throw err;
    const where = `Vault ${callLabel(call)} at ${base.origin}`;
    const reason = redactedExcerpt(err.reason, call.secrets, EXCERPT_CHARS);
    // A server we do not trust is ours to fix (caBundle, serverName), not
    // the CA's failure: no backoff, tried again as soon as it is fixed.
    if (err.tls) {
      throw new VaultError(VaultErrorCode.Untrusted, `${where}: TLS with the server failed: ${reason}; check spec.vault.caBundle / caBundleSecretRef, serverName, and clientCertSecretRef if the server asks for a client certificate`, { atCA: false });
    }
    throw new VaultError(VaultErrorCode.Unreachable, `${where}: no answer: ${reason}`, { atCA: true });
  }
}

/** Vault's `{"errors": [...]}` joined, else the body itself. */
export function vaultErrorText(res: JsonResponse): string {
  const errors = (res.json as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(String).join("; ");
  return res.text || "(empty body)";
}

export function answerError(code: VaultErrorCode, call: VaultCall, res: JsonResponse, what: string): VaultError {
  const answer = redactedExcerpt(vaultErrorText(res), call.secrets, EXCERPT_CHARS);
  const sealed = res.status === 503 && /\bsealed\b/i.test(answer) ? VaultErrorCode.Sealed : code;
  return new VaultError(sealed, `${what}: Vault ${callLabel(call)} answered ${res.status}: ${answer}`, { atCA: true, status: res.status });
}
