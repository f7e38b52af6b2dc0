// One call to TPP or Cloud: the error names the platform and the call and
// quotes the server's own error text, every credential redacted.
import { requestJson, UnreachableError, type JsonResponse, type TlsOptions } from "../http/index.ts";
import { redactedExcerpt } from "../redact.ts";
import { VenafiError, VenafiErrorCode } from "./errors.ts";

export interface VenafiCall {
  method: "GET" | "POST";
  /** Path under the base URL, without the leading slash: `vedsdk/certificates/request`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Endpoint {
  /** `TPP` or `Cloud`, for messages. */
  platform: string;
  /** Normalized base URL ending in `/`. */
  base: string;
  tls?: TlsOptions;
  timeoutMs?: number;
  secrets: readonly string[];
}

const EXCERPT_CHARS = 400;

export const callLabel = (call: VenafiCall) => `${call.method} /${call.path.replace(/\?.*$/, "")}`;

export async function venafiRequest(endpoint: Endpoint, call: VenafiCall): Promise<JsonResponse> {
  try {
    return await requestJson({ method: call.method, url: endpoint.base + call.path, headers: call.headers, body: call.body, tls: endpoint.tls, timeoutMs: endpoint.timeoutMs });
  } catch (err) {
    if (!(err instanceof UnreachableError)) throw err;
    const where = `Venafi ${endpoint.platform} ${callLabel(call)} at ${new URL(endpoint.base).origin}`;
    const reason = redactedExcerpt(err.reason, endpoint.secrets, EXCERPT_CHARS);
    // A server we do not trust is ours to fix, not the CA's failure: no backoff.
    if (err.tls) {
      const hint =
        endpoint.platform === "TPP"
          ? "check spec.venafi.tpp.caBundle / caBundleSecretRef"
          : "spec.venafi.cloud has no caBundle: the system's roots (and NODE_EXTRA_CA_CERTS) must trust it";
      throw new VenafiError(VenafiErrorCode.Untrusted, `${where}: TLS with the server failed: ${reason}; ${hint}`, { atCA: false });
    }
    throw new VenafiError(VenafiErrorCode.Unreachable, `${where}: no answer: ${reason}`, { atCA: true });
  }
}

/** TPP's `Error`, OAuth's `error_description`, Cloud's `errors[].message`, else the body. */
export function serverErrorText(res: JsonResponse): string {
  const json = (res.json ?? {}) as Record<string, unknown>;
  if (Array.isArray(json.errors)) {
    const messages = json.errors.map((e) => (e && typeof e === "object" ? String((e as Record<string, unknown>).message ?? JSON.stringify(e)) : String(e)));
    if (messages.length > 0) return messages.join("; ");
  }
  for (const key of ["Error", "error_description", "error", "message"]) {
    if (typeof json[key] === "string" && json[key]) return json[key];
  }
  return res.text || "(empty body)";
}

export function answerError(endpoint: Endpoint, code: VenafiErrorCode, call: VenafiCall, res: JsonResponse, what: string): VenafiError {
  const answer = redactedExcerpt(serverErrorText(res), endpoint.secrets, EXCERPT_CHARS);
  return new VenafiError(code, `${what}: Venafi ${endpoint.platform} ${callLabel(call)} answered ${res.status}: ${answer}`, { atCA: true, status: res.status });
}

/** https (vcert talks TLS only) and a trailing slash, as vcert's NormalizeUrl. */
export function normalizeBase(url: string): string {
  let out = url.trim();
  out = /^https?:\/\//i.test(out) ? out.replace(/^https?:\/\//i, "https://") : `https://${out}`;
  return out.endsWith("/") ? out : `${out}/`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
