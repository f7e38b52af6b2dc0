// Subject alternative names, each checked for its syntax, and cert-manager's
// rule that a Certificate names something.
import { z } from "zod";
import { validAs } from "../../schema/index.ts";
import { dnsNameProblem, emailAddressProblem, ipAddressProblem, uriProblem } from "../validate-names.ts";
import { effectiveCommonName } from "./subject.ts";

function sanList(problem: (value: string) => string | undefined, what: string) {
  return z.array(z.string().check(validAs(problem, what))).default([]);
}

export const sanFields = {
  dnsNames: sanList(dnsNameProblem, "is not a valid DNS name"),
  ipAddresses: sanList(ipAddressProblem, "is not a valid IP address"),
  uris: sanList(uriProblem, "is not a valid URI"),
  emailAddresses: sanList(emailAddressProblem, "is not a valid email address"),
  // Behind cert-manager's alpha OtherNames gate (off by default), and not
  // something gitcert can put in a CSR: refuse rather than issue without them.
  otherNames: z
    .unknown()
    .optional()
    .check(z.refine((v) => !(Array.isArray(v) && v.length > 0), { message: "is not supported (an alpha cert-manager feature)" })),
};

const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);

export function checkIdentity(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const names = count(spec.dnsNames) + count(spec.ipAddresses) + count(spec.uris) + count(spec.emailAddresses) + count(spec.otherNames);
  if (names > 0 || effectiveCommonName(spec) !== undefined) return;
  ctx.addIssue({
    code: "custom",
    message:
      "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailAddresses, ipAddresses, otherNames or uris must be set",
  });
}
