export { defaultIssuers, type IssuerOptions, type IssuerRegistry } from "./registry.ts";
export { issuerRef, issuerType } from "./spec.ts";
export type * from "./types.ts";
