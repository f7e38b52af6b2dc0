// DNS-01 on AWS Route 53 through its REST/XML API (version 2013-04-01),
// signed with SigV4; the config block is cert-manager's route53 solver
// (schema.ts).
//
// UPSERT replaces a whole record set, so present and cleanup read the TXT set
// first and add or remove only their own value: a wildcard and its apex
// share `_acme-challenge.<apex>` and may be solved at the same time. Changes
// to one name are serialized within this process for the same reason.
import { GitcertError } from "../../../../diagnostics.ts";
import { readCredential } from "../../credentials.ts";
import type { Dns01Context, Dns01Provider, Dns01Record } from "../../types.ts";
import { canonicalName, parentName } from "../../wire.ts";
import { route53Schema, type Route53Config } from "./schema.ts";
import { signRequest } from "./sigv4.ts";
import type { AwsCredentials } from "./sigv4.ts";
import { xmlElements, xmlEscape, xmlText } from "./xml.ts";

const API = "/2013-04-01";
const XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/";
/** cert-manager's TTL for the challenge record. */
const TXT_TTL = 10;

/** Route 53 is global; only the partition decides the endpoint and the signing region. */
function partition(region: string): { endpoint: string; signingRegion: string } {
  if (region.startsWith("cn-")) return { endpoint: "https://route53.amazonaws.com.cn", signingRegion: "cn-northwest-1" };
  if (region.startsWith("us-gov-")) return { endpoint: "https://route53.us-gov.amazonaws.com", signingRegion: "us-gov-west-1" };
  return { endpoint: "https://route53.amazonaws.com", signingRegion: "us-east-1" };
}

class Route53Error extends GitcertError {
  readonly apiCode: string;

  constructor(
    apiCode: string,
    message: string,
  ) {
    super("Dns01ProviderError", message);
    this.apiCode = apiCode;
  }
}

interface Client {
  request(method: "GET" | "POST", path: string, body?: string): Promise<string>;
}

async function client(ctx: Dns01Context<Route53Config>, timeoutMs: number): Promise<Client> {
  const s = ctx.config;
  const credentials: AwsCredentials = {
    accessKeyId: "value" in s.accessKeyId ? s.accessKeyId.value : await readCredential(ctx, s.accessKeyId.ref, "route53 accessKeyIDSecretRef"),
    secretAccessKey: await readCredential(ctx, s.secretAccessKeyRef, "route53 secretAccessKeySecretRef"),
  };
  const { endpoint, signingRegion } = partition(s.region);
  const base = (s.endpoint ?? endpoint).replace(/\/+$/, "");
  return {
    async request(method, path, body) {
      const url = `${base}${path}`;
      const headers = signRequest({
        method,
        url,
        headers: body === undefined ? {} : { "content-type": "application/xml" },
        body: body ?? "",
        region: signingRegion,
        service: "route53",
        credentials,
      });
      // undici sets Host from the URL itself; the value signed is the same.
      delete headers.host;
      let res: Response;
      try {
        res = await ctx.fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        throw new Route53Error("Network", `Route 53 ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const text = await res.text();
      if (res.ok) return text;
      // <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error></ErrorResponse>, or for a
      // rejected batch <InvalidChangeBatch><Messages><Message>…</Message></Messages></InvalidChangeBatch>.
      const root = /<([A-Za-z]+)[\s>]/.exec(text.replace(/^<\?xml[^>]*\?>\s*/, ""))?.[1];
      const code = xmlText(text, "Code") ?? (root && root !== "ErrorResponse" ? root : `HTTP${res.status}`);
      const messages = xmlElements(text, "Message").map((m) => xmlText(`<m>${m}</m>`, "m") ?? "");
      throw new Route53Error(code, `Route 53 ${method} ${path} failed: HTTP ${res.status} ${code}${messages.length ? `: ${messages.join("; ")}` : ""}`);
    },
  };
}

function stripPrefix(id: string, prefix: string): string {
  return id.startsWith(prefix) ? id.slice(prefix.length) : id;
}

/** Public hosted zone for the nearest enclosing name, following ListHostedZonesByName pages. */
async function findHostedZone(api: Client, fqdn: string): Promise<string> {
  const privateOnly: string[] = [];
  for (let name: string | undefined = canonicalName(fqdn); name && name.split(".").length > 2; name = parentName(name)) {
    const matches: { id: string; private: boolean }[] = [];
    let dnsname = name;
    let hostedzoneid: string | undefined;
    for (let page = 0; page < 20; page++) {
      const query = `dnsname=${encodeURIComponent(dnsname.replace(/\.$/, ""))}${hostedzoneid ? `&hostedzoneid=${encodeURIComponent(hostedzoneid)}` : ""}&maxitems=100`;
      const xml = await api.request("GET", `${API}/hostedzonesbyname?${query}`);
      let past = false;
      for (const zone of xmlElements(xml, "HostedZone")) {
        if (canonicalName(xmlText(zone, "Name") ?? "") !== name) {
          past = true;
          continue;
        }
        matches.push({ id: stripPrefix(xmlText(zone, "Id") ?? "", "/hostedzone/"), private: xmlText(zone, "PrivateZone") === "true" });
      }
      const next = xmlText(xml, "NextDNSName");
      if (past || xmlText(xml, "IsTruncated") !== "true" || !next || canonicalName(next) !== name) break;
      dnsname = next;
      hostedzoneid = xmlText(xml, "NextHostedZoneId");
    }
    const publics = matches.filter((m) => !m.private);
    if (publics.length === 1) return publics[0]!.id;
    if (publics.length > 1) {
      throw new GitcertError(
        "Dns01ZoneNotFound",
        `Route 53 has ${publics.length} public hosted zones named ${name} (${publics.map((p) => p.id).join(", ")}): set hostedZoneID`,
      );
    }
    if (matches.length) privateOnly.push(name);
  }
  const note = privateOnly.length ? ` (only private hosted zones for ${privateOnly.join(", ")}, which the ACME server cannot see)` : "";
  throw new GitcertError("Dns01ZoneNotFound", `no public Route 53 hosted zone encloses ${canonicalName(fqdn)}${note}; set hostedZoneID or check the credentials' route53:ListHostedZonesByName permission`);
}

async function txtSet(api: Client, zoneId: string, fqdn: string): Promise<{ ttl: number; values: string[] } | undefined> {
  const xml = await api.request("GET", `${API}/hostedzone/${encodeURIComponent(zoneId)}/rrset?name=${encodeURIComponent(fqdn)}&type=TXT&maxitems=1`);
  // The list starts at name/type, so the first set may be the next name over.
  const set = xmlElements(xml, "ResourceRecordSet")[0];
  if (!set || canonicalName(xmlText(set, "Name") ?? "") !== fqdn || xmlText(set, "Type") !== "TXT") return undefined;
  const values = xmlElements(set, "Value").map((v) => xmlText(`<v>${v}</v>`, "v") ?? "");
  return { ttl: Number(xmlText(set, "TTL") ?? TXT_TTL), values };
}

function changeBatch(action: "UPSERT" | "DELETE", fqdn: string, ttl: number, values: string[]): string {
  const records = values.map((v) => `<ResourceRecord><Value>${xmlEscape(v)}</Value></ResourceRecord>`).join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Comment>gitcert DNS-01 challenge</Comment><Changes><Change>` +
    `<Action>${action}</Action><ResourceRecordSet><Name>${xmlEscape(fqdn)}</Name><Type>TXT</Type><TTL>${ttl}</TTL>` +
    `<ResourceRecords>${records}</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
  );
}

async function change(api: Client, zoneId: string, action: "UPSERT" | "DELETE", fqdn: string, ttl: number, values: string[]): Promise<string> {
  const xml = await api.request("POST", `${API}/hostedzone/${encodeURIComponent(zoneId)}/rrset/`, changeBatch(action, fqdn, ttl, values));
  return stripPrefix(xmlText(xml, "Id") ?? "", "/change/");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitInsync(api: Client, changeId: string, intervalMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = "PENDING";
  while (Date.now() < deadline) {
    status = xmlText(await api.request("GET", `${API}/change/${encodeURIComponent(changeId)}`), "Status") ?? "UNKNOWN";
    if (status === "INSYNC") return;
    await sleep(intervalMs);
  }
  throw new GitcertError("Dns01ProviderTimeout", `Route 53 change ${changeId} is still ${status} after ${Math.round(timeoutMs / 1000)} s`);
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call with the same key has settled. */
async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = locks.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

export interface Route53Options {
  /** GetChange polling after present. cert-manager: every 4 s for up to 120 s. */
  changePollIntervalMs?: number;
  changeTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function createRoute53Provider(options: Route53Options = {}): Dns01Provider<Route53Config> {
  const pollMs = options.changePollIntervalMs ?? 4000;
  const changeTimeoutMs = options.changeTimeoutMs ?? 120_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;

  async function setup(record: Dns01Record, ctx: Dns01Context<Route53Config>) {
    const api = await client(ctx, requestTimeoutMs);
    const fqdn = canonicalName(record.fqdn);
    const { hostedZoneId } = ctx.config;
    const zoneId = hostedZoneId ? stripPrefix(hostedZoneId, "/hostedzone/") : await findHostedZone(api, fqdn);
    return { api, fqdn, zoneId, quoted: `"${record.value}"` };
  }

  return {
    name: "route53",
    schema: route53Schema,
    secrets: (config) => [
      ...("ref" in config.accessKeyId ? [{ ref: config.accessKeyId.ref, purpose: "AWS access key ID", field: "accessKeyIDSecretRef" }] : []),
      { ref: config.secretAccessKeyRef, purpose: "AWS secret access key", field: "secretAccessKeySecretRef" },
    ],
    async present(record, ctx) {
      const { api, fqdn, zoneId, quoted } = await setup(record, ctx);
      await serialized(`${zoneId} ${fqdn}`, async () => {
        const existing = await txtSet(api, zoneId, fqdn);
        if (existing?.values.includes(quoted)) return;
        const id = await change(api, zoneId, "UPSERT", fqdn, existing?.ttl ?? TXT_TTL, [...(existing?.values ?? []), quoted]);
        await waitInsync(api, id, pollMs, changeTimeoutMs);
      });
    },
    async cleanUp(record, ctx) {
      const { api, fqdn, zoneId, quoted } = await setup(record, ctx);
      await serialized(`${zoneId} ${fqdn}`, async () => {
        const existing = await txtSet(api, zoneId, fqdn);
        if (!existing?.values.includes(quoted)) return;
        const rest = existing.values.filter((v) => v !== quoted);
        try {
          if (rest.length) await change(api, zoneId, "UPSERT", fqdn, existing.ttl, rest);
          else await change(api, zoneId, "DELETE", fqdn, existing.ttl, existing.values);
        } catch (err) {
          // Deleted in the meantime (by hand, or another replica): the goal is reached.
          if (!(err instanceof Route53Error && err.apiCode === "InvalidChangeBatch" && /not found/i.test(err.message))) throw err;
        }
      });
    },
  };
}

export const route53Provider = createRoute53Provider();
