// ACME Renewal Information (RFC 9773). The CertID names a certificate to
// the server: base64url(authority key identifier) "." base64url(serial
// number, DER content octets). The server answers a suggested renewal
// window; renewal orders name the certificate they replace.
import { createHash, X509Certificate } from "node:crypto";
import { GitcertError } from "../diagnostics.ts";
import { describeProblem, AcmeProblemError } from "./problem.ts";
import { parseRetryAfter } from "./retry-after.ts";
import type { Transport } from "./transport.ts";

export interface RenewalWindow {
  start: Date;
  end: Date;
}

export interface RenewalInfo {
  window: RenewalWindow;
  explanationURL?: string;
  /** When the server wants to be asked again (Retry-After). */
  retryAfter?: Date;
}

interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}

function readTlv(buf: Buffer, offset: number): Tlv {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error("truncated DER");
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) throw new Error("truncated DER");
  return { tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

function childrenOf(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < value.length; ) {
    const t = readTlv(value, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]); // 2.5.29.35

/** The ARI CertID of the first certificate in `pem`, or undefined when it has no authority key identifier. */
export function ariCertId(pem: string): string | undefined {
  const der = new X509Certificate(pem).raw;
  const tbs = childrenOf(readTlv(der, 0).value)[0];
  if (!tbs) throw new Error("certificate has no TBSCertificate");
  const fields = childrenOf(tbs.value);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[i++];
  if (!serial || serial.tag !== 0x02) throw new Error("certificate has no serial number");
  const extensions = fields.find((f) => f.tag === 0xa3);
  if (!extensions) return undefined;
  const list = childrenOf(extensions.value)[0];
  for (const ext of childrenOf(list?.value ?? Buffer.alloc(0))) {
    const parts = childrenOf(ext.value);
    if (parts[0]?.tag !== 0x06 || !parts[0].value.equals(AKI_OID)) continue;
    const octets = parts[parts.length - 1]!;
    const aki = readTlv(octets.value, 0);
    const keyId = childrenOf(aki.value).find((c) => c.tag === 0x80);
    return keyId ? `${keyId.value.toString("base64url")}.${serial.value.toString("base64url")}` : undefined;
  }
  return undefined;
}

/**
 * The moment to renew inside the window. RFC 9773 asks for a uniformly
 * random point; it is drawn from the CertID, so every pod and every
 * reconcile picks the same moment for one certificate while many
 * certificates still spread over the window. Truncated to the second.
 */
export function renewalTimeInWindow(window: RenewalWindow, certId: string): Date {
  const span = window.end.getTime() - window.start.getTime();
  const fraction = createHash("sha256").update(certId).digest().readUInt32BE(0) / 2 ** 32;
  const at = window.start.getTime() + Math.floor(span * fraction);
  return new Date(Math.floor(at / 1000) * 1000);
}

/** GET renewalInfo/<certID>: unauthenticated, as RFC 9773 §4.1 says. */
export async function fetchRenewalInfo(transport: Transport, renewalInfoUrl: string, certId: string, now: Date): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/+$/, "")}/${certId}`;
  let res;
  try {
    res = await transport.request(url, "GET");
  } catch (err) {
    if (err instanceof AcmeProblemError) throw new GitcertError("AcmeRenewalInfoFailed", `GET ${url}: ${describeProblem(err.problem)}`);
    throw err;
  }
  const body = res.data as { suggestedWindow?: { start?: unknown; end?: unknown }; explanationURL?: unknown } | string;
  const w = typeof body === "object" && body !== null ? body.suggestedWindow : undefined;
  const start = typeof w?.start === "string" ? new Date(w.start) : undefined;
  const end = typeof w?.end === "string" ? new Date(w.end) : undefined;
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || !(start < end)) {
    throw new GitcertError("AcmeRenewalInfoInvalid", `GET ${url}: the answer has no valid suggestedWindow (start before end)`);
  }
  const explanation = typeof body === "object" && typeof body.explanationURL === "string" ? body.explanationURL : undefined;
  return { window: { start, end }, explanationURL: explanation, retryAfter: parseRetryAfter(res.headers["retry-after"], now) };
}
