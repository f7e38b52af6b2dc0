// DNS-01 on Cloudflare through the v4 API; the config block is
// cert-manager's cloudflare solver (schema.ts).
//
// The zone is the nearest enclosing name Cloudflare knows (cert-manager's
// FindNearestZoneForFQDN). Each challenge value is its own TXT record, so a
// wildcard and its apex never clobber each other; cleanup deletes only
// records carrying this value. Cloudflare's API now documents TXT content as
// quoted character-strings, so values are sent quoted (as lego does since
// 2025) and matched with or without quotes, which also finds records that
// older clients, cert-manager among them, created unquoted.
import { GitcertError } from "../../../../diagnostics.ts";
import { redact, redactedExcerpt } from "../../../../redact.ts";
import { readCredential } from "../../credentials.ts";
import type { Dns01Context, Dns01Provider, Dns01Record } from "../../types.ts";
import { canonicalName, parentName } from "../../wire.ts";
import { cloudflareSchema, type CloudflareConfig } from "./schema.ts";

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";
/** cert-manager's TTL for the challenge record. */
const TXT_TTL = 120;
/** "The record already exists." / "An identical record already exists." */
const ALREADY_EXISTS = [81057, 81058];
/** "Record does not exist." */
const NO_SUCH_RECORD = 81044;

interface Envelope {
  success?: boolean;
  errors?: { code?: number; message?: string; error_chain?: { code?: number; message?: string }[] }[];
  result?: unknown;
  result_info?: { page?: number; total_pages?: number };
}

class CloudflareError extends GitcertError {
  readonly apiCodes: number[];

  constructor(
    apiCodes: number[],
    message: string,
  ) {
    super("Dns01ProviderError", message);
    this.apiCodes = apiCodes;
  }
}

interface Zone {
  id: string;
  name: string;
  status?: string;
}

interface TxtRecord {
  id: string;
  name: string;
  content: string;
}

type Api = (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) => Promise<Envelope>;

async function api(ctx: Dns01Context<CloudflareConfig>, base: string, timeoutMs: number): Promise<Api> {
  const auth: Record<string, string> = {};
  const c = ctx.config;
  if ("tokenRef" in c) auth.authorization = `Bearer ${await readCredential(ctx, c.tokenRef, "cloudflare apiTokenSecretRef")}`;
  else {
    auth["x-auth-email"] = c.email;
    auth["x-auth-key"] = await readCredential(ctx, c.keyRef, "cloudflare apiKeySecretRef");
  }
  const secrets = Object.values(auth).map((value) => value.replace(/^Bearer /, ""));
  return async (method, path, body) => {
    const headers: Record<string, string> = { ...auth, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await ctx.fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CloudflareError([], redact(`Cloudflare ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`, secrets));
    }
    const text = await res.text();
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      // A proxy in the way may echo the request, credentials included.
      const excerpt = redactedExcerpt(text, secrets, 200);
      throw new CloudflareError([], `Cloudflare ${method} ${path}: HTTP ${res.status} with a body that is not JSON: ${excerpt}`);
    }
    if (envelope.success === true && res.ok) return envelope;
    const errors = envelope.errors ?? [];
    const detail = errors
      .map((e) => [`${e.code}: ${e.message}`, ...(e.error_chain ?? []).map((c) => `${c.code}: ${c.message}`)].join(" <- "))
      .join("; ");
    throw new CloudflareError(
      errors.map((e) => e.code ?? 0),
      redact(`Cloudflare ${method} ${path} failed: HTTP ${res.status}${detail ? ` ${detail}` : ""}`, secrets),
    );
  };
}

/** Every item of a paged list (`result_info.total_pages`), bounded. */
async function allPages<T>(call: Api, path: string): Promise<T[]> {
  const items: T[] = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let page = 1; page <= 50; page++) {
    const env = await call("GET", `${path}${sep}page=${page}`);
    items.push(...((env.result as T[] | undefined) ?? []));
    if (page >= (env.result_info?.total_pages ?? 1)) break;
  }
  return items;
}

async function findZone(call: Api, fqdn: string): Promise<Zone> {
  for (let name: string | undefined = canonicalName(fqdn); name && name.split(".").length > 2; name = parentName(name)) {
    const bare = name.replace(/\.$/, "");
    const zones = (await allPages<Zone>(call, `/zones?name=${encodeURIComponent(bare)}&per_page=50`)).filter(
      (z) => canonicalName(z.name) === name,
    );
    // A zone name can be on several accounts (a pending copy while another
    // account holds it active); only the active one is served.
    const zone = zones.find((z) => z.status === "active") ?? zones[0];
    if (zone) return zone;
  }
  throw new GitcertError(
    "Dns01ZoneNotFound",
    `no Cloudflare zone encloses ${canonicalName(fqdn)}: check the domain and that the credentials have Zone:Read on its zone`,
  );
}

const unquote = (content: string) => content.replace(/^"(.*)"$/, "$1");

async function findRecords(call: Api, zone: Zone, fqdn: string, value: string): Promise<TxtRecord[]> {
  const name = fqdn.replace(/\.$/, "");
  const records = await allPages<TxtRecord>(call, `/zones/${zone.id}/dns_records?type=TXT&name=${encodeURIComponent(name)}&per_page=100`);
  return records.filter((r) => canonicalName(r.name) === fqdn && unquote(r.content) === value);
}

export interface CloudflareOptions {
  /** The v4 API root; tests point it at a local double. */
  apiBaseURL?: string;
  requestTimeoutMs?: number;
}

export function createCloudflareProvider(options: CloudflareOptions = {}): Dns01Provider<CloudflareConfig> {
  const base = (options.apiBaseURL ?? CLOUDFLARE_API).replace(/\/+$/, "");
  const timeoutMs = options.requestTimeoutMs ?? 30_000;

  async function setup(record: Dns01Record, ctx: Dns01Context<CloudflareConfig>) {
    const call = await api(ctx, base, timeoutMs);
    const fqdn = canonicalName(record.fqdn);
    return { call, fqdn, zone: await findZone(call, fqdn) };
  }

  return {
    name: "cloudflare",
    schema: cloudflareSchema,
    secrets: (config) =>
      "tokenRef" in config
        ? [{ ref: config.tokenRef, purpose: "Cloudflare API token", field: "apiTokenSecretRef" }]
        : [{ ref: config.keyRef, purpose: "Cloudflare API key", field: "apiKeySecretRef" }],
    async present(record, ctx) {
      const { call, fqdn, zone } = await setup(record, ctx);
      if ((await findRecords(call, zone, fqdn, record.value)).length) return;
      try {
        await call("POST", `/zones/${zone.id}/dns_records`, {
          type: "TXT",
          name: fqdn.replace(/\.$/, ""),
          content: `"${record.value}"`,
          ttl: TXT_TTL,
        });
      } catch (err) {
        // Another replica, or a retry whose first answer was lost, got there first.
        if (!(err instanceof CloudflareError && err.apiCodes.some((c) => ALREADY_EXISTS.includes(c)))) throw err;
      }
    },
    async cleanUp(record, ctx) {
      const { call, fqdn, zone } = await setup(record, ctx);
      for (const r of await findRecords(call, zone, fqdn, record.value)) {
        try {
          await call("DELETE", `/zones/${zone.id}/dns_records/${r.id}`);
        } catch (err) {
          if (!(err instanceof CloudflareError && err.apiCodes.includes(NO_SUCH_RECORD))) throw err;
        }
      }
    },
  };
}

export const cloudflareProvider = createCloudflareProvider();
