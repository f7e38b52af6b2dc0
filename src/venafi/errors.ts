// Venafi failures name the call and quote the answer. A request the zone's
// policy forbids is the Certificate's problem (not atCA) and is found before
// anything is sent.
import { CaApiError } from "../http/index.ts";

export const VenafiErrorCode = {
  /** No answer: refused, reset, timed out. */
  Unreachable: "VenafiUnreachable",
  /** The TLS handshake failed: the server's certificate is not trusted (local configuration). */
  Untrusted: "VenafiServerUntrusted",
  AuthFailed: "VenafiAuthFailed",
  ZoneNotFound: "VenafiZoneNotFound",
  /** The request breaks the zone's policy; nothing was sent. */
  PolicyViolation: "VenafiPolicyViolation",
  RequestRejected: "VenafiRequestRejected",
  IssuanceFailed: "VenafiIssuanceFailed",
  /** Still not issued when the wait ran out. */
  Pending: "VenafiPending",
  InvalidResponse: "VenafiInvalidResponse",
  InvalidRequest: "VenafiInvalidRequest",
} as const;
export type VenafiErrorCode = (typeof VenafiErrorCode)[keyof typeof VenafiErrorCode];

export class VenafiError extends CaApiError {
  constructor(code: VenafiErrorCode, message: string, options: { atCA: boolean; status?: number }) {
    super(code, message, options);
    this.name = "VenafiError";
  }
}
