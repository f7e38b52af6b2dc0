export { executePlan, type ExecuteContext, type Outcome } from "./execute.ts";
export { SecretStore } from "./secret-store.ts";
export { buildTlsSecret, type SecretContent } from "./tls-secret.ts";
