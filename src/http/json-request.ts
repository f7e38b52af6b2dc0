// JSON over HTTP(S) for the CA APIs that are plain REST (Vault, Venafi):
// node's own http/https, with the TLS trust, client certificate and server
// name of one issuer per request, a bounded body and a timeout. The answer
// comes back whatever its status; the caller knows what a status means for
// its API. Only a failure to get an answer at all throws, as
// UnreachableError, because that is the one case every caller treats alike.
import type { IncomingHttpHeaders } from "node:http";
import { nodeHttp } from "./node-http.ts";
import { request as httpsRequest } from "node:https";

export interface TlsOptions {
  /** PEM roots that replace the system's (an issuer's caBundle). */
  caPem?: string;
  /** Client certificate and key, PEM, for mutual TLS. */
  certPem?: string;
  keyPem?: string;
  /** The name to verify the server certificate against (and send as SNI). */
  serverName?: string;
}

export interface JsonRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  tls?: TlsOptions;
  timeoutMs?: number;
}

export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** No HTTP answer: refused, reset, timed out, name not found, TLS failed. */
export class UnreachableError extends Error {
  /** node's error code (`ECONNREFUSED`, `ETIMEDOUT`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …). */
  readonly code: string;
  /** The TLS handshake failed: usually a caBundle or serverName that does not fit the server. */
  readonly tls: boolean;
  /** What went wrong, without the request line. */
  readonly reason: string;

  constructor(where: string, reason: string, code: string, tls: boolean) {
    super(`${where}: ${reason}`);
    this.name = "UnreachableError";
    this.code = code;
    this.tls = tls;
    this.reason = reason;
  }
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO)/;

export function requestJson(req: JsonRequest): Promise<JsonResponse> {
  const url = new URL(req.url);
  const isHttps = url.protocol === "https:";
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { accept: "application/json", ...req.headers };
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  const tls = req.tls ?? {};
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `${req.method} ${url.origin}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const options = {
      method: req.method,
      headers,
      timeout: timeoutMs,
      ...(isHttps
        ? {
            ...(tls.caPem ? { ca: tls.caPem } : {}),
            ...(tls.certPem && tls.keyPem ? { cert: tls.certPem, key: tls.keyPem } : {}),
            // node verifies the certificate against `servername` when it is
            // set, as Go's tls.Config.ServerName does.
            ...(tls.serverName ? { servername: tls.serverName } : {}),
          }
        : {}),
    };
    const request = (isHttps ? httpsRequest : nodeHttp.request)(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.destroy(new UnreachableError(where, `the answer is larger than ${MAX_BODY_BYTES} bytes`, "EBODYTOOLARGE", false));
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = text === "" ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    request.on("timeout", () => request.destroy(new UnreachableError(where, `no answer within ${timeoutMs} ms`, "ETIMEDOUT", false)));
    request.on("error", (err: NodeJS.ErrnoException) => {
      if (err instanceof UnreachableError) return reject(err);
      const code = err.code ?? "EUNKNOWN";
      // node appends advice about --use-system-ca, which is not ours to give.
      const reason = err.message.replace(/; if the root CA is installed locally.*$/, "");
      reject(new UnreachableError(where, `${reason} (${code})`, code, TLS_CODES.test(code)));
    });
    request.end(payload);
  });
}
