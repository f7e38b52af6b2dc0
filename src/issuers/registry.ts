// The issuer registry: spec key → implementation. Adding an issuer kind is a
// new file and one line here.
import { caIssuer } from "./ca.ts";
import { selfSignedIssuer } from "./self-signed.ts";
import type { Issuer } from "./types.ts";

export type IssuerRegistry = ReadonlyMap<string, Issuer>;

export function defaultIssuers(): IssuerRegistry {
  return new Map<string, Issuer>([
    [selfSignedIssuer.type, selfSignedIssuer],
    [caIssuer.type, caIssuer],
  ]);
}
