// The ACME room: orders through acme-client, HTTP-01 through the route
// registry in http01/, DNS-01 through the provider registry in dns01/, ARI,
// and the schema of `spec.acme`. The issuer in src/issuers/acme.ts is the
// only user of most of it.
export { ACME_ANNOTATION } from "./annotations.ts";
export { ariCertId, fetchRenewalInfo, renewalTimeInWindow, type RenewalInfo, type RenewalWindow } from "./ari.ts";
export { accountKey, externalAccountBinding, readAccountSecret } from "./account.ts";
export { AcmeConnection, type AccountInfo, type ConnectionOptions, type Directory } from "./client.ts";
export { orderIdentifiers } from "./identifiers.ts";
export { ACME_DEFAULTS, acmeOptionsFromConfig, type AcmeOptions } from "./options.ts";
export { runOrder, type OrderInput, type OrderResult } from "./order.ts";
export { AcmeProblemError, describeProblem, ProblemType, redactTokens, type AcmeIdentifier, type AcmeProblem } from "./problem.ts";
export { AcmeService, type RenewalHint } from "./service.ts";
export { noSolverReason, pickSolver, type ChallengeType, type PickInput, type Picked } from "./solver-picker.ts";
export { Transport, type RequestEvent, type TransportOptions } from "./transport.ts";
export { acmeSpecSchema, type AcmeIssuerSpec, type Dns01ProviderInfo, type SolverSpec } from "./schema.ts";
