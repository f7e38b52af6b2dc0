// The http room: JSON requests to CA APIs with per-issuer TLS settings.
export { requestJson, UnreachableError } from "./json-request.ts";
export type { JsonRequest, JsonResponse, TlsOptions } from "./json-request.ts";
