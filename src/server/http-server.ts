// gitcert's HTTP side while it serves: health and readiness for the kubelet,
// /metrics for Prometheus, push webhooks and an authenticated API to trigger
// work, and (when mounted here) the ACME HTTP-01 answers. One or two
// listeners: health and metrics can live on their own port, away from the
// webhook port a forge reaches. Nothing is read from a request before it is
// bounded (headers by Node, bodies here), and no work starts before the
// sender is authenticated.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { nodeHttp } from "../http/node-http.ts";
import type { AddressInfo } from "node:net";
import { judgeWebhook, sameSecret, type WebhookVerdict } from "./webhooks.ts";

export type Route = "health" | "metrics" | "webhook" | "api" | "acme";

export interface Endpoint {
  /** Empty: every interface. */
  address: string;
  /** 0: a free port (tests). */
  port: number;
  routes: ReadonlySet<Route>;
}

export interface Check {
  ok: boolean;
  detail: string;
}

export interface TriggerRequest {
  trigger: "webhook" | "api" | "renew";
  /** `renew`: `namespace/name` of Certificates to renew now, or all of them. */
  forceRenew?: readonly string[] | "all";
}

export interface TriggerReply {
  status: number;
  body: unknown;
}

/**
 * `elsewhere`: another process does the work (a standby handed it to the
 * leader); the reply says so, and no result can be waited for here.
 */
export type TriggerAnswer =
  | { accepted: false; status: number; reason: string }
  | { accepted: true; done: Promise<TriggerReply> }
  | { accepted: true; elsewhere: Promise<TriggerReply> };

export interface ServerDeps {
  health(): Check;
  ready(): Check;
  metrics?: { text(): Promise<string>; contentType: string; webhook(forge: string, result: WebhookVerdict["result"]): void };
  trigger(request: TriggerRequest): TriggerAnswer;
  /** Read at each request, so a rotated Secret file takes effect without a restart. */
  webhookSecret(): string;
  apiToken(): string;
  branch: string;
  maxBodyBytes: number;
  /** The HTTP-01 listener in mounted mode: true when it answered the request. */
  acme?: (req: IncomingMessage, res: ServerResponse) => boolean;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface RunningServers {
  /** The address each endpoint listens on, in the order given. */
  addresses: AddressInfo[];
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

export const SERVER_NAME = "gitcert";

export async function startServers(endpoints: readonly Endpoint[], deps: ServerDeps): Promise<RunningServers> {
  const servers: Server[] = [];
  try {
    for (const endpoint of endpoints) {
      const server = nodeHttp.createServer((req, res) => {
        // `gitcert renew` tells a running gitcert from another program on the port by it.
        res.setHeader("server", SERVER_NAME);
        handle(endpoint.routes, req, res, deps).catch((err: unknown) => {
          deps.log?.warn({ err: (err as Error).message, path: req.url }, "request failed");
          if (!res.headersSent) reply(res, 500, { error: "internal error" });
          else res.destroy();
        });
      });
      // Slow or silent clients cannot hold a connection open for long.
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 5_000;
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(endpoint.port, endpoint.address || undefined, () => {
          server.off("error", reject);
          resolve();
        });
      });
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return {
    addresses: servers.map((s) => s.address() as AddressInfo),
    close: () => Promise.all(servers.map(closeServer)).then(() => undefined),
  };
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A scrape or webhook in flight gets a moment to finish, then is cut.
  const timer = setTimeout(() => server.closeAllConnections(), 2_000);
  await closed;
  clearTimeout(timer);
}

async function handle(routes: ReadonlySet<Route>, req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const path = (req.url ?? "/").split("?")[0]!;
  const method = req.method ?? "GET";
  if (routes.has("acme") && deps.acme && path.startsWith("/.well-known/acme-challenge/") && deps.acme(req, res)) return;

  if (routes.has("health") && (path === "/healthz" || path === "/livez" || path === "/readyz")) {
    if (method !== "GET" && method !== "HEAD") return reply(res, 405, { error: "GET only" });
    const check = path === "/readyz" ? deps.ready() : deps.health();
    res.writeHead(check.ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(`${check.ok ? "ok" : "not ok"}: ${check.detail}\n`);
    return;
  }
  if (routes.has("metrics") && deps.metrics && path === "/metrics") {
    if (method !== "GET" && method !== "HEAD") return reply(res, 405, { error: "GET only" });
    const text = await deps.metrics.text();
    res.writeHead(200, { "content-type": deps.metrics.contentType, "cache-control": "no-store" });
    res.end(text);
    return;
  }
  if (routes.has("webhook") && path === "/webhook") {
    if (method !== "POST") return reply(res, 405, { error: "POST only" });
    const body = await readBody(req, res, deps.maxBodyBytes);
    if (!body) return;
    const verdict = judgeWebhook(req.headers, body, deps.webhookSecret(), deps.branch);
    deps.metrics?.webhook(verdict.forge ?? "unknown", verdict.result);
    switch (verdict.result) {
      case "unauthorized":
        deps.log?.warn({ forge: verdict.forge, reason: verdict.reason }, "webhook refused");
        return reply(res, 401, { error: verdict.reason });
      case "rejected":
        return reply(res, 400, { error: verdict.reason });
      case "ignored":
        return reply(res, 202, { ignored: verdict.reason });
      case "trigger": {
        const answer = deps.trigger({ trigger: "webhook" });
        if (!answer.accepted) return reply(res, answer.status, { error: answer.reason });
        if ("elsewhere" in answer) return replyWith(res, await answer.elsewhere);
        deps.log?.info({ forge: verdict.forge }, "push webhook: reconcile queued");
        // The forge is answered at once; it does not wait for certificates.
        answer.done.catch(() => undefined);
        return reply(res, 202, { queued: true });
      }
    }
  }
  if (routes.has("api") && (path === "/reconcile" || path === "/renew")) {
    if (method !== "POST") return reply(res, 405, { error: "POST only" });
    const token = deps.apiToken();
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (token === "") return reply(res, 401, { error: "no API token is configured (serve.tokenFile)" });
    if (given === undefined || !sameSecret(given.trim(), token)) return reply(res, 401, { error: "a valid `Authorization: Bearer <token>` header is needed" });
    const body = await readBody(req, res, deps.maxBodyBytes);
    if (!body) return;
    let request: TriggerRequest = { trigger: "api" };
    if (path === "/renew") {
      const parsed = renewRequest(body);
      if ("error" in parsed) return reply(res, 400, { error: parsed.error });
      request = { trigger: "renew", forceRenew: parsed.forceRenew };
    }
    const answer = deps.trigger(request);
    if (!answer.accepted) return reply(res, answer.status, { error: answer.reason });
    if ("elsewhere" in answer) return replyWith(res, await answer.elsewhere);
    const wait = path === "/renew" || new URL(req.url ?? "/", "http://x").searchParams.get("wait") === "true";
    if (!wait) {
      answer.done.catch(() => undefined);
      return reply(res, 202, { queued: true });
    }
    return replyWith(res, await answer.done);
  }
  reply(res, 404, { error: `no ${method} ${path} here` });
}

function renewRequest(body: Buffer): { forceRenew: readonly string[] | "all" } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8") || "{}");
  } catch {
    return { error: "the body must be JSON: {\"certificates\": [\"namespace/name\", …]} or {\"all\": true}" };
  }
  const p = (parsed ?? {}) as { all?: unknown; certificates?: unknown };
  if (p.all === true) return { forceRenew: "all" };
  const list = p.certificates;
  if (Array.isArray(list) && list.length > 0 && list.every((c) => typeof c === "string" && /^[^/\s]+\/[^/\s]+$/.test(c))) return { forceRenew: list as string[] };
  return { error: "name the Certificates to renew: {\"certificates\": [\"namespace/name\", …]} or {\"all\": true}" };
}

/** The whole body, or undefined after answering 413 when it is larger than allowed. */
async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"]);
  try {
    if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new BodyTooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    res.setHeader("connection", "close");
    // The rest of the body is not read: the connection goes once the answer is out.
    res.once("finish", () => req.destroy());
    reply(res, 413, { error: `the body is larger than ${limit} bytes` });
    return undefined;
  }
}

function replyWith(res: ServerResponse, answer: TriggerReply): void {
  reply(res, answer.status, answer.body);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}
