// The http room: talking to CA APIs — JSON requests with per-issuer TLS
// settings, and login tokens kept until they expire.
export { requestJson, UnreachableError } from "./json-request.ts";
export type { JsonRequest, JsonResponse, TlsOptions } from "./json-request.ts";
export { TokenCache } from "./token-cache.ts";
export { CaApiError } from "./ca-error.ts";
