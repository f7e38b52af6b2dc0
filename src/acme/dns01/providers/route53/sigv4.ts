// AWS Signature Version 4 for header-signed requests, with node:crypto only
// (the AWS SDK would be the one dependency of the Route 53 provider, and a
// large one). Pinned by AWS's published signature test suite in
// test/acme/dns01/providers/sigv4.test.ts.
import { createHash, createHmac } from "node:crypto";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  url: string | URL;
  /** Headers to send and sign besides host and x-amz-date (content-type, for one). */
  headers?: Record<string, string>;
  body?: string | Buffer;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now?: Date;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants it. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `2015-08-30T12:36:00.000Z` → `20150830T123600Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function canonicalUri(pathname: string): string {
  // Each segment decoded then encoded once: the path the server sees, in one spelling.
  return pathname
    .split("/")
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join("/") || "/";
}

function canonicalQuery(search: string): string {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw === "") return "";
  return raw
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [uriEncode(decodeURIComponent(key)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** The canonical request of task 1, given every header that is signed (host included). */
export function canonicalRequest(method: string, url: URL, headers: Record<string, string>, payloadHash: string): { text: string; signedHeaders: string } {
  const normalized = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const clean = value.trim().replace(/\s+/g, " ");
    normalized.set(key, normalized.has(key) ? `${normalized.get(key)},${clean}` : clean);
  }
  const names = [...normalized.keys()].sort();
  const signedHeaders = names.join(";");
  const text = [
    method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search),
    names.map((n) => `${n}:${normalized.get(n)}\n`).join(""),
    signedHeaders,
    payloadHash,
  ].join("\n");
  return { text, signedHeaders };
}

export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(timestamp: string, scope: string, canonical: string): string {
  return ["AWS4-HMAC-SHA256", timestamp, scope, sha256Hex(canonical)].join("\n");
}

export function signature(secretAccessKey: string, date: string, region: string, service: string, toSign: string): string {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, "aws4_request");
  return createHmac("sha256", kSigning).update(toSign, "utf8").digest("hex");
}

/**
 * The headers to send: the caller's, plus host, x-amz-date, authorization
 * (and x-amz-security-token for temporary credentials).
 */
export function signRequest(input: SignInput): Record<string, string> {
  const url = new URL(input.url);
  const timestamp = amzDate(input.now ?? new Date());
  const date = timestamp.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host: url.host, "x-amz-date": timestamp };
  if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;
  const { text, signedHeaders } = canonicalRequest(input.method, url, headers, sha256Hex(input.body ?? ""));
  const scope = credentialScope(date, input.region, input.service);
  const sig = signature(input.credentials.secretAccessKey, date, input.region, input.service, stringToSign(timestamp, scope, text));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return headers;
}
