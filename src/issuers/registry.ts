// The issuer registry: spec key → implementation. Adding an issuer kind is a
// new file and one line here.
import type { AcmeOptions } from "../acme/index.ts";
import { createAcmeIssuer } from "./acme.ts";
import { caIssuer } from "./ca.ts";
import { selfSignedIssuer } from "./self-signed.ts";
import type { Issuer } from "./types.ts";

export type IssuerRegistry = ReadonlyMap<string, Issuer>;

/** Process-wide settings some issuers need (ACME: HTTP-01 listener, nameservers). */
export interface IssuerOptions {
  acme?: AcmeOptions;
}

export function defaultIssuers(options: IssuerOptions = {}): IssuerRegistry {
  return new Map<string, Issuer>([
    [selfSignedIssuer.type, selfSignedIssuer],
    [caIssuer.type, caIssuer],
    ["acme", createAcmeIssuer(options.acme)],
  ]);
}
