// The issuer registry: spec key → implementation. Adding an issuer kind is a
// new folder (index.ts + schema.ts) and one line here.
import type { AcmeOptions } from "../acme/index.ts";
import { createAcmeIssuer } from "./acme.ts";
import { caIssuer } from "./ca/index.ts";
import type { IssuerRegistry } from "./read.ts";
import { selfSignedIssuer } from "./self-signed/index.ts";
import type { Issuer } from "./types.ts";
import { createVaultIssuer, type VaultIssuerOptions } from "./vault/index.ts";
import { createVenafiIssuer, type VenafiIssuerOptions } from "./venafi/index.ts";

export type { IssuerRegistry };

/** Process-wide settings some issuers need (ACME: HTTP-01 listener, nameservers; Venafi: how long to wait). */
export interface IssuerOptions {
  acme?: AcmeOptions;
  vault?: VaultIssuerOptions;
  venafi?: VenafiIssuerOptions;
}

export function defaultIssuers(options: IssuerOptions = {}): IssuerRegistry {
  const issuers: Issuer[] = [
    selfSignedIssuer,
    caIssuer,
    createAcmeIssuer(options.acme),
    createVaultIssuer(options.vault),
    createVenafiIssuer(options.venafi),
  ];
  return new Map(issuers.map((issuer) => [issuer.type, issuer]));
}
