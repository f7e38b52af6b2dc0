export { executePlan, type ExecuteContext, type ExecuteResult } from "./execute.ts";
export { carriedKey, type Carried, type Written } from "./carried.ts";
export { secretEncryption, type SecretEncryption } from "./encryption.ts";
export { changedRepository, type BlockedOutcome, type FailedOutcome, type IssuedOutcome, type KustomizationEdit, type Outcome, type RekeyedOutcome, type RemovedOutcome, type SecretMetadata, type UnchangedOutcome, type UpdatedOutcome } from "./outcome.ts";
export { SecretStore } from "./secret-store.ts";
export type { StoredSecret } from "./stored-secret.ts";
export { buildTlsSecret, type SecretContent } from "./tls-secret.ts";
