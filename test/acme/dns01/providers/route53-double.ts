// A Route 53 test double speaking the documented REST/XML API (version
// 2013-04-01): ListHostedZonesByName with its dnsname/hostedzoneid paging,
// ListResourceRecordSets, ChangeResourceRecordSets (UPSERT, CREATE, DELETE
// with Route 53's rules: TXT values quoted, DELETE must match exactly),
// GetChange going PENDING → INSYNC, and AWS error documents. Every request
// must carry a well-formed SigV4 Authorization that verifies with the test
// secret over the headers and body the double actually received.
import type { ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { canonicalRequest, credentialScope, sha256Hex, signature, stringToSign } from "../../../../src/acme/dns01/providers/route53/sigv4.ts";
import { startHttpDouble } from "../helpers.ts";
import type { HttpDouble, RecordedRequest } from "../helpers.ts";

export const TEST_ACCESS_KEY = "AKIAGITCERTTEST00001";
export const TEST_SECRET_KEY = "gitcert/route53+double/SecretKeyForTests00";
const XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/";

export interface HostedZone {
  id: string;
  name: string;
  private?: boolean;
}

export interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

export interface Route53Double extends HttpDouble {
  zones: HostedZone[];
  /** Record sets by zone id. */
  records: Map<string, RecordSet[]>;
  /** ListHostedZonesByName returns at most this many zones per page. */
  maxZonesPerPage: number;
  /** GetChange answers PENDING this many times before INSYNC (Infinity: never). */
  pendingPolls: number;
  getChangeCalls: number;
  /** Why the last request was refused, for assertions. */
  rejections: string[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const abs = (n: string) => (n.endsWith(".") ? n : `${n}.`).toLowerCase();
/** Route 53 orders names by their labels reversed: com.example.www */
const sortKey = (n: string) => abs(n).slice(0, -1).split(".").reverse().join(".");

function tags(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1]!);
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
}

function invalidBatch(res: ServerResponse, message: string): void {
  send(res, 400, `<InvalidChangeBatch xmlns="${XMLNS}"><Messages><Message>${esc(message)}</Message></Messages><RequestId>${randomUUID()}</RequestId></InvalidChangeBatch>`);
}

/** Checks the SigV4 signature the way AWS does; returns why not, or undefined. */
function checkSignature(req: RecordedRequest, port: number): string | undefined {
  const auth = req.headers.authorization ?? "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `malformed Authorization header: ${JSON.stringify(auth)}`;
  const [, accessKey, date, region, service, signedHeaders, sig] = m;
  if (accessKey !== TEST_ACCESS_KEY) return "InvalidClientTokenId";
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return `bad x-amz-date ${amzDate}`;
  if (Math.abs(Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) - Date.now()) > 5 * 60_000) {
    return "request time too skewed";
  }
  if (region !== "us-east-1" || service !== "route53") return `wrong scope ${region}/${service}`;
  const names = signedHeaders!.split(";");
  for (const required of ["host", "x-amz-date"]) if (!names.includes(required)) return `${required} is not signed`;
  if (req.body && !names.includes("content-type")) return "content-type is not signed";
  const headers: Record<string, string> = {};
  for (const n of names) {
    const v = req.headers[n];
    if (v === undefined) return `signed header ${n} was not sent`;
    headers[n] = Array.isArray(v) ? v.join(",") : v;
  }
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  const { text } = canonicalRequest(req.method, url, headers, sha256Hex(req.body));
  const expected = signature(TEST_SECRET_KEY, date!, region!, service!, stringToSign(amzDate, credentialScope(date!, region!, service!), text));
  return expected === sig ? undefined : "SignatureDoesNotMatch";
}

export async function startRoute53Double(zones: HostedZone[]): Promise<Route53Double> {
  const changes = new Map<string, number>();
  let nextChange = 1;
  // The handler reads the double's fields at request time, so tests can change them.
  let state: Route53Double;

  const http = await startHttpDouble((req, res) => {
    const port = Number(new URL(http.url).port);
    const problem = checkSignature(req, port);
    if (problem) {
      state.rejections.push(problem);
      if (problem === "InvalidClientTokenId") return error(res, 403, problem, "The security token included in the request is invalid.");
      if (problem === "SignatureDoesNotMatch") {
        return error(res, 403, problem, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
      }
      return error(res, 403, "IncompleteSignature", problem);
    }
    const url = new URL(req.url, "http://double");
    const path = url.pathname;
    const q = url.searchParams;
    let m: RegExpExecArray | null;

    if (req.method === "GET" && path === "/2013-04-01/hostedzonesbyname") {
      const max = Math.min(Number(q.get("maxitems") ?? 100), state.maxZonesPerPage);
      const sorted = [...state.zones].sort((a, b) => sortKey(a.name).localeCompare(sortKey(b.name)) || a.id.localeCompare(b.id));
      const dnsname = q.get("dnsname");
      const zoneId = q.get("hostedzoneid");
      let start = 0;
      if (dnsname) {
        start = sorted.findIndex((z) => sortKey(z.name) > sortKey(dnsname) || (sortKey(z.name) === sortKey(dnsname) && (!zoneId || z.id >= zoneId)));
        if (start < 0) start = sorted.length;
      }
      const page = sorted.slice(start, start + max);
      const next = sorted[start + max];
      const body = page
        .map((z) => `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${abs(z.name)}</Name><CallerReference>${z.id}</CallerReference><Config><PrivateZone>${!!z.private}</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`)
        .join("");
      return send(
        res,
        200,
        `<ListHostedZonesByNameResponse xmlns="${XMLNS}"><HostedZones>${body}</HostedZones>${dnsname ? `<DNSName>${dnsname}</DNSName>` : ""}` +
          `<IsTruncated>${!!next}</IsTruncated>${next ? `<NextDNSName>${abs(next.name)}</NextDNSName><NextHostedZoneId>${next.id}</NextHostedZoneId>` : ""}<MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`,
      );
    }

    if ((m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(path))) {
      const sets = state.records.get(m[1]!);
      if (!sets) return error(res, 404, "NoSuchHostedZone", `No hosted zone found with ID: ${m[1]}`);
      if (req.method === "GET") {
        const name = q.get("name");
        const type = q.get("type") ?? "";
        const max = Number(q.get("maxitems") ?? 300);
        const sorted = [...sets].sort((a, b) => sortKey(a.name).localeCompare(sortKey(b.name)) || a.type.localeCompare(b.type));
        let start = name ? sorted.findIndex((s) => sortKey(s.name) > sortKey(name) || (sortKey(s.name) === sortKey(name) && s.type >= type)) : 0;
        if (start < 0) start = sorted.length;
        const page = sorted.slice(start, start + max);
        const body = page
          .map((s) => `<ResourceRecordSet><Name>${abs(s.name)}</Name><Type>${s.type}</Type><TTL>${s.ttl}</TTL><ResourceRecords>${s.values.map((v) => `<ResourceRecord><Value>${esc(v)}</Value></ResourceRecord>`).join("")}</ResourceRecords></ResourceRecordSet>`)
          .join("");
        return send(res, 200, `<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>${body}</ResourceRecordSets><IsTruncated>${start + max < sorted.length}</IsTruncated><MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`);
      }
      if (req.method === "POST") {
        if (!String(req.headers["content-type"] ?? "").includes("xml")) return error(res, 400, "InvalidInput", "expected an XML body");
        if (!req.body.includes(`<ChangeResourceRecordSetsRequest xmlns="${XMLNS}">`)) return error(res, 400, "InvalidInput", "not a ChangeResourceRecordSetsRequest");
        for (const change of tags(req.body, "Change")) {
          const action = tags(change, "Action")[0];
          const name = abs(unesc(tags(change, "Name")[0] ?? ""));
          const type = tags(change, "Type")[0] ?? "";
          const ttl = Number(tags(change, "TTL")[0]);
          const values = tags(change, "Value").map(unesc);
          if (type === "TXT" && values.some((v) => !/^".*"$/.test(v))) {
            return invalidBatch(res, `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${values[0]}''`);
          }
          const i = sets.findIndex((s) => abs(s.name) === name && s.type === type);
          if (action === "UPSERT") {
            if (i >= 0) sets.splice(i, 1);
            sets.push({ name, type, ttl, values });
          } else if (action === "CREATE") {
            if (i >= 0) return invalidBatch(res, `Tried to create resource record set [name='${name}', type='${type}'] but it already exists`);
            sets.push({ name, type, ttl, values });
          } else if (action === "DELETE") {
            if (i < 0) return invalidBatch(res, `Tried to delete resource record set [name='${name}', type='${type}'] but it was not found`);
            const cur = sets[i]!;
            if (cur.ttl !== ttl || [...cur.values].sort().join() !== [...values].sort().join()) {
              return invalidBatch(res, `Tried to delete resource record set [name='${name}', type='${type}'] but the values provided do not match the current values`);
            }
            sets.splice(i, 1);
          } else {
            return error(res, 400, "InvalidInput", `unknown action ${action}`);
          }
        }
        const id = `C${String(nextChange++).padStart(8, "0")}`;
        changes.set(id, 0);
        return send(res, 200, `<ChangeResourceRecordSetsResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/${id}</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`);
      }
    }

    if (req.method === "GET" && (m = /^\/2013-04-01\/change\/([^/]+)$/.exec(path))) {
      state.getChangeCalls++;
      const polls = changes.get(m[1]!);
      if (polls === undefined) return error(res, 404, "NoSuchChange", `A change with the specified change ID does not exist: ${m[1]}`);
      changes.set(m[1]!, polls + 1);
      const status = polls >= state.pendingPolls ? "INSYNC" : "PENDING";
      return send(res, 200, `<GetChangeResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/${m[1]}</Id><Status>${status}</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></GetChangeResponse>`);
    }

    return error(res, 404, "UnknownOperation", `${req.method} ${path}`);
  });

  state = Object.assign(http, {
    zones,
    records: new Map<string, RecordSet[]>(zones.map((z) => [z.id, []])),
    maxZonesPerPage: 100,
    pendingPolls: 1,
    getChangeCalls: 0,
    rejections: [] as string[],
  });
  return state;
}
