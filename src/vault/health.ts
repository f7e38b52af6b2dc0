// Issuer readiness from sys/health with cert-manager's reading of its
// status codes: active, standby, DR secondary and performance standby are
// all fit to sign; 501 is uninitialised, 503 sealed. sys/* is root-only, so
// no namespace header goes with it.
import { callLabel, vaultErrorText, vaultRequest, type VaultCall } from "./api.ts";
import { VaultError, VaultErrorCode } from "./errors.ts";
import type { VaultServer } from "./types.ts";

export interface VaultHealth {
  status: number;
  /** The JSON body: initialized, sealed, standby, version, … */
  details: Record<string, unknown>;
}

const READY = new Set([200, 429, 472, 473]);

export async function checkHealth(server: VaultServer): Promise<VaultHealth> {
  const call: VaultCall = { method: "GET", path: "/v1/sys/health", namespaced: false, secrets: [] };
  const res = await vaultRequest(server, call);
  const details = res.json !== null && typeof res.json === "object" ? (res.json as Record<string, unknown>) : {};
  if (READY.has(res.status)) return { status: res.status, details };
  const at = `Vault at ${new URL(server.url).origin}`;
  if (res.status === 501) throw new VaultError(VaultErrorCode.Uninitialized, `${at} is not initialized (${callLabel(call)} answered 501)`, { atCA: true, status: 501 });
  if (res.status === 503) throw new VaultError(VaultErrorCode.Sealed, `${at} is sealed (${callLabel(call)} answered 503)`, { atCA: true, status: 503 });
  throw new VaultError(VaultErrorCode.Unreachable, `${at}: ${callLabel(call)} answered ${res.status}: ${vaultErrorText(res).slice(0, 400)}`, { atCA: true, status: res.status });
}
