// Kubernetes field types the issuer and solver specs share: a Secret's name
// and cert-manager's SecretKeySelector `{name, key}`.
import { z } from "zod";
import { dns1123SubdomainProblem } from "../manifests/validate-names.ts";
import { mapping, optionalText, requiredText, validAs } from "./fields.ts";

/** A Secret's name: a DNS-1123 subdomain, which also keeps `../x` out of file paths. */
export function secretName() {
  return requiredText().check(validAs(dns1123SubdomainProblem, "is not a valid Secret name"));
}

/** A Secret's name that may be left out (empty counts as left out). */
export function optionalSecretName() {
  return optionalText().pipe(secretName().optional());
}

export interface SecretKeySelector {
  name: string;
  key: string;
}

/** `{name, key}`; `key` may be left out where cert-manager has a default (`tls.key` for an ACME account). */
export function secretKeySelector(defaultKey?: string): z.ZodType<SecretKeySelector, unknown> {
  const key = defaultKey === undefined ? requiredText() : z.string().default(defaultKey).transform((k) => k || defaultKey);
  return mapping({ name: secretName(), key });
}
