// A Cloudflare v4 API test double speaking the documented wire format under
// /client/v4: the {success, errors, messages, result, result_info} envelope,
// page/per_page pagination, GET /zones?name=, the dns_records list / create /
// delete, Bearer-token or X-Auth-Email + X-Auth-Key authentication, and the
// API's error codes (10000 authentication, 7003 bad identifier, 81044 no
// such record, 81058 identical record).
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { startHttpDouble } from "../helpers.ts";
import type { HttpDouble } from "../helpers.ts";

export const TEST_TOKEN = "cf-test-token-0123456789abcdefABCDEF_-";
export const TEST_EMAIL = "admin@example.test";
export const TEST_GLOBAL_KEY = "0123456789abcdef0123456789abcdef01234";

export interface CfZone {
  id: string;
  name: string;
  status: "active" | "pending";
  account: string;
}

export interface CfRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
}

export interface CloudflareDouble extends HttpDouble {
  zones: CfZone[];
  records: CfRecord[];
  /** Largest page the double serves, whatever per_page asks for. */
  maxPerPage: number;
  /** The next POST /dns_records fails with this error instead. */
  failNextCreate?: { status: number; code: number; message: string };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: number, message: string): void {
  send(res, status, { success: false, errors: [{ code, message }], messages: [], result: null });
}

function paged<T>(res: ServerResponse, items: T[], params: URLSearchParams, maxPerPage: number): void {
  const page = Math.max(1, Number(params.get("page") ?? 1));
  const perPage = Math.min(Number(params.get("per_page") ?? 20), maxPerPage);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  send(res, 200, {
    success: true,
    errors: [],
    messages: [],
    result: slice,
    result_info: { page, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) },
  });
}

export async function startCloudflareDouble(zones: CfZone[]): Promise<CloudflareDouble> {
  let double: CloudflareDouble;
  const http = await startHttpDouble((req, res) => {
    const h = req.headers;
    const byToken = h.authorization === `Bearer ${TEST_TOKEN}` && h["x-auth-key"] === undefined;
    const byKey = h["x-auth-email"] === TEST_EMAIL && h["x-auth-key"] === TEST_GLOBAL_KEY && h.authorization === undefined;
    if (!byToken && !byKey) return fail(res, 403, 10000, "Authentication error");

    const url = new URL(req.url, "http://double");
    const q = url.searchParams;
    let m: RegExpExecArray | null;
    if (!url.pathname.startsWith("/client/v4/")) return fail(res, 404, 7000, "No route for that URI");
    const path = url.pathname.slice("/client/v4".length);

    if (req.method === "GET" && path === "/zones") {
      const name = q.get("name");
      return paged(res, double.zones.filter((z) => !name || z.name === name), q, double.maxPerPage);
    }
    if ((m = /^\/zones\/([0-9a-f]+)\/dns_records(?:\/([0-9a-f]+))?$/.exec(path))) {
      const zone = double.zones.find((z) => z.id === m![1]);
      if (!zone) return fail(res, 404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
      const recordId = m[2];
      if (req.method === "GET" && !recordId) {
        const list = double.records.filter(
          (r) =>
            r.zone_id === zone.id &&
            (!q.get("type") || r.type === q.get("type")) &&
            (!q.get("name") || r.name === q.get("name")) &&
            (!q.get("content") || r.content === q.get("content")),
        );
        return paged(res, list, q, double.maxPerPage);
      }
      if (req.method === "POST" && !recordId) {
        if (!String(h["content-type"] ?? "").startsWith("application/json")) return fail(res, 400, 6003, "Invalid request headers");
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(req.body) as Record<string, unknown>;
        } catch {
          return fail(res, 400, 9207, "Request body is invalid.");
        }
        const { type, name, content, ttl } = body;
        if (typeof type !== "string" || typeof name !== "string" || typeof content !== "string" || typeof ttl !== "number") {
          return fail(res, 400, 9005, "DNS record type, name, content and ttl are required");
        }
        if (name.endsWith(".") || !(name === zone.name || name.endsWith(`.${zone.name}`))) return fail(res, 400, 9007, "Content for record name is invalid.");
        if (double.failNextCreate) {
          const f = double.failNextCreate;
          double.failNextCreate = undefined;
          return fail(res, f.status, f.code, f.message);
        }
        if (double.records.some((r) => r.zone_id === zone.id && r.type === type && r.name === name && r.content === content)) {
          return fail(res, 400, 81058, "An identical record already exists.");
        }
        const record: CfRecord = { id: randomBytes(16).toString("hex"), zone_id: zone.id, zone_name: zone.name, type, name, content, ttl };
        double.records.push(record);
        return send(res, 200, { success: true, errors: [], messages: [], result: record });
      }
      if (req.method === "DELETE" && recordId) {
        const i = double.records.findIndex((r) => r.zone_id === zone.id && r.id === recordId);
        if (i < 0) return fail(res, 404, 81044, "Record does not exist.");
        double.records.splice(i, 1);
        return send(res, 200, { success: true, errors: [], messages: [], result: { id: recordId } });
      }
    }
    return fail(res, 405, 10405, `Method ${req.method} not allowed for ${path}`);
  });
  double = Object.assign(http, { zones, records: [] as CfRecord[], maxPerPage: 50, failNextCreate: undefined });
  return double;
}
