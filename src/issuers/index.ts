// The issuers room: the Issuer contract (types.ts), one folder or file per
// kind, the registry, and reading an Issuer with its kind's schema.
export { defaultIssuers, type IssuerOptions, type IssuerRegistry } from "./registry.ts";
export { issuerLabel, issuerRef, issuerType, readIssuer, secretNamespace, secretsOf, specOf, type IssuerReading } from "./read.ts";
export { liveReadiness, readOnlyEnv, READINESS_DEADLINE_MS } from "./live-readiness.ts";
export type * from "./types.ts";
