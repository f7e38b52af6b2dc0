// HTTP for ACME: node's own http/https with a keep-alive agent per server,
// trusting the issuer's caBundle when it has one. acme-client's requests are
// routed through here (client.ts), so TLS trust is per issuer rather than
// process-wide, a problem document arrives as an AcmeProblemError with its
// type intact, and no request is retried behind our back: rate limits and
// Retry-After are decided in one place (client.ts).
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { nodeHttp } from "../http/node-http.ts";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { AT_CA, GitcertError } from "../diagnostics.ts";
import { AcmeProblemError, isProblem, ProblemType } from "./problem.ts";
import { parseRetryAfter } from "./retry-after.ts";

export interface TransportOptions {
  /** PEM bundle that replaces the system roots (the issuer's caBundle). */
  caPem?: string;
  /** The issuer's skipTLSVerify, for private ACME servers that ask for it. */
  skipTLSVerify?: boolean;
  userAgent?: string;
  timeoutMs?: number;
  /** Called after every answer (metrics: cert-manager's certmanager_http_acme_client_request_*). */
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestEvent {
  method: string;
  url: string;
  status: number;
  durationMs: number;
  /** The problem type of an error answer. */
  problem?: string;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for JSON content types, otherwise the body as text. */
  data: unknown;
  /** Every Link header entry, URLs made absolute. */
  links: Array<{ url: string; rel: string }>;
}

const USER_AGENT = "gitcert/0.1 (acme-client/5.4.0)";
const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ETIMEDOUT"]);

export class Transport {
  private readonly https: HttpsAgent;
  private readonly http = new nodeHttp.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly onRequest?: (event: RequestEvent) => void;

  constructor(options: TransportOptions = {}) {
    this.https = new HttpsAgent({
      keepAlive: true,
      maxSockets: 16,
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(options.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    });
    this.userAgent = options.userAgent ?? USER_AGENT;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onRequest = options.onRequest;
  }

  /**
   * One request. A 4xx/5xx answer throws: AcmeProblemError for a problem
   * document, except badNonce, which is returned so acme-client can retry
   * with the fresh nonce it carries.
   */
  async request(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const started = Date.now();
    let res: HttpResponse | undefined;
    // A keep-alive socket the server closed fails the first write; one retry
    // on a new socket is enough. Replaying a JWS is harmless: its nonce is spent.
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await this.once(url, method, body, headers);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt > 0 || !code || !TRANSIENT.has(code)) {
          // No answer: status 999, as cert-manager's metrics count it.
          this.onRequest?.({ method: method.toUpperCase(), url, status: 999, durationMs: Date.now() - started });
          throw wrapNetworkError(err, method, url);
        }
        await sleep(100);
      }
    }
    if (this.onRequest) {
      const problem = isProblem(res.data) ? res.data.type : undefined;
      this.onRequest({ method: method.toUpperCase(), url, status: res.status, durationMs: Date.now() - started, ...(problem ? { problem } : {}) });
    }
    return check(res);
  }

  close(): void {
    this.https.destroy();
    this.http.destroy();
  }

  private once(url: string, method: string, body: unknown, headers: Record<string, string>): Promise<HttpResponse> {
    const target = new URL(url);
    const isHttps = target.protocol === "https:";
    const payload = body === undefined || body === null ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = (isHttps ? httpsRequest : nodeHttp.request)(
        target,
        {
          method: method.toUpperCase(),
          agent: isHttps ? this.https : this.http,
          headers: {
            "user-agent": this.userAgent,
            accept: "application/json, application/problem+json, application/pem-certificate-chain;q=0.9, */*;q=0.1",
            ...headers,
            ...(payload !== undefined ? { "content-length": String(Buffer.byteLength(payload)) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => resolve(toResponse(url, res, Buffer.concat(chunks))));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer in ${this.timeoutMs} ms`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end(payload);
    });
  }
}

function toResponse(url: string, res: IncomingMessage, raw: Buffer): HttpResponse {
  const type = String(res.headers["content-type"] ?? "");
  const text = raw.toString("utf8");
  let data: unknown = text;
  if (/json/i.test(type) && text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { url, status: res.statusCode ?? 0, headers: res.headers, data, links: parseLinks(res.rawHeaders, url) };
}

function check(res: HttpResponse): HttpResponse {
  if (res.status < 400) return res;
  const retryAfter = parseRetryAfter(res.headers["retry-after"], new Date());
  if (isProblem(res.data)) {
    if (res.data.type === ProblemType.badNonce) return res;
    throw new AcmeProblemError(res.data, res.status, res.url, retryAfter);
  }
  const snippet = typeof res.data === "string" ? res.data.slice(0, 200).replace(/\s+/g, " ").trim() : "";
  throw new AcmeProblemError({ type: "about:blank", detail: `HTTP ${res.status}${snippet ? ` ${snippet}` : ""}`, status: res.status }, res.status, res.url, retryAfter);
}

/** Link: <url>;rel="alternate", <url2>;rel="up" — possibly over several header lines. */
export function parseLinks(rawHeaders: readonly string[], base: string): Array<{ url: string; rel: string }> {
  const links: Array<{ url: string; rel: string }> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== "link") continue;
    for (const m of rawHeaders[i + 1]!.matchAll(/<([^>]*)>([^<]*)/g)) {
      const rel = /rel\s*=\s*"?([^";,]+)"?/i.exec(m[2]!)?.[1];
      if (!rel) continue;
      try {
        links.push({ url: new URL(m[1]!, base).href, rel: rel.trim() });
      } catch {
        // An unparseable link is the server's problem; the others still count.
      }
    }
  }
  return links;
}

function wrapNetworkError(err: unknown, method: string, url: string): unknown {
  if (err instanceof GitcertError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ""}` : e.message;
  const tls = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(e.code ?? "");
  const hint = tls ? "; the server's certificate is not trusted: set spec.acme.caBundle to the CA of a private ACME server" : "";
  // An untrusted certificate is fixed in the issuer (caBundle), not waited out.
  return new GitcertError(tls ? "AcmeServerUntrusted" : "AcmeServerUnreachable", `${method.toUpperCase()} ${url} failed: ${what}${hint}`, {}, { atCA: !tls });
}
