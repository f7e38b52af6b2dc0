// Venafi failures name the call and quote the answer. `atCA` is true when
// the server refused or failed; a request the zone's policy forbids is the
// Certificate's problem and is found before anything is sent.
import { GitcertError } from "../diagnostics.ts";

export const VenafiErrorCode = {
  Unreachable: "VenafiUnreachable",
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

export class VenafiError extends GitcertError {
  readonly atCA: boolean;
  readonly status?: number;

  constructor(code: VenafiErrorCode, message: string, options: { atCA: boolean; status?: number }) {
    super(code, message);
    this.name = "VenafiError";
    this.atCA = options.atCA;
    if (options.status !== undefined) this.status = options.status;
  }
}
