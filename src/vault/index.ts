// The vault room: cert-manager's Vault issuer protocol (login, sign,
// sys/health) against any server that speaks the Vault HTTP API.
export { VaultClient } from "./client.ts";
export type { SignInput, VaultClientOptions } from "./client.ts";
export { VaultError, VaultErrorCode } from "./errors.ts";
export type { VaultHealth } from "./health.ts";
export { TokenCache } from "../http/index.ts";
export type { VaultAuth, VaultAuthMethod, VaultServer } from "./types.ts";
