// The ACME room: orders through acme-client, HTTP-01 served by gitcert,
// DNS-01 through the provider registry in dns01/, ARI. The issuer in
// src/issuers/acme.ts is the only user of most of it.
export { ACME_ANNOTATION } from "./annotations.ts";
export { ariCertId, fetchRenewalInfo, renewalTimeInWindow, type RenewalInfo, type RenewalWindow } from "./ari.ts";
export { accountKey, externalAccountBinding, secretNamespace } from "./account.ts";
export { AcmeConnection, type AccountInfo, type ConnectionOptions, type Directory } from "./client.ts";
export { Http01Server, type Http01ServerOptions } from "./http01-server.ts";
export { orderIdentifiers } from "./identifiers.ts";
export { ACME_DEFAULTS, acmeOptionsFromConfig, type AcmeOptions } from "./options.ts";
export { runOrder, type OrderInput, type OrderResult } from "./order.ts";
export { chainMatches, pickChain } from "./preferred-chain.ts";
export { AcmeProblemError, describeProblem, ProblemType, redactTokens, type AcmeIdentifier, type AcmeProblem } from "./problem.ts";
export { RateLimitGate } from "./rate-limit.ts";
export { http01SelfCheck, DEFAULT_SELF_CHECK, type SelfCheckOptions } from "./self-check.ts";
export { AcmeService, type RenewalHint } from "./service.ts";
export { noSolverReason, pickSolver, type ChallengeType, type PickInput, type Picked } from "./solver-picker.ts";
export { parseAcmeSpec, type AcmeIssuerSpec, type SolverSpec } from "./spec.ts";
export { Transport, type RequestEvent, type TransportOptions } from "./transport.ts";
