export { executePlan, type Carried, type ExecuteContext, type Outcome, type Written } from "./execute.ts";
export { SecretStore } from "./secret-store.ts";
export { buildTlsSecret, type SecretContent } from "./tls-secret.ts";
