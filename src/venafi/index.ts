// The venafi room: cert-manager's Venafi issuer protocol against TPP
// (CyberArk Certificate Manager, Self-Hosted) and Cloud (SaaS).
import type { TokenCache } from "../http/index.ts";
import { CloudClient } from "./cloud.ts";
import { TppClient } from "./tpp.ts";
import type { VenafiConnection, VenafiIssued, VenafiRequest } from "./types.ts";

export { VenafiError, VenafiErrorCode } from "./errors.ts";
export { policyDN } from "./tpp.ts";
export type { CloudConnection, CustomField, TppConnection, VenafiConnection, VenafiIssued, VenafiRequest } from "./types.ts";

export interface VenafiClient {
  /** Credentials work and the service answers (issuer readiness). */
  verify(): Promise<void>;
  issue(request: VenafiRequest): Promise<VenafiIssued>;
}

export function venafiClient(conn: VenafiConnection, options: { tokens?: TokenCache; now?: () => Date } = {}): VenafiClient {
  return conn.platform === "tpp" ? new TppClient(conn, options) : new CloudClient(conn);
}
