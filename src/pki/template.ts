// What a Certificate spec asks to be certified, checked once and shared by the
// CSR and the certificate so the two can never disagree: the subject, the
// SANs, and the usages.
import type { CertificateSpec } from "../manifests/types.ts";
import { pkiError, PkiErrorCode } from "./errors.ts";
import { hasSans, sanExtension } from "./sans.ts";
import { commonNameOf, subjectRdns, toX509Name } from "./subject.ts";
import { resolveUsages } from "./usages.ts";
import { x509 } from "./x509.ts";

export type TemplateSpec = Pick<
  CertificateSpec,
  "commonName" | "literalSubject" | "subject" | "dnsNames" | "ipAddresses" | "uris" | "emailAddresses" | "isCA" | "usages"
>;

export interface Template {
  subject: x509.Name;
  subjectEmpty: boolean;
  commonName?: string;
  /** Absent when the spec names no SANs. */
  san?: x509.SubjectAlternativeNameExtension;
  /** Key usage (critical) then extended key usage, each only when non-empty. */
  usageExtensions: x509.Extension[];
}

export function buildTemplate(spec: TemplateSpec): Template {
  const rdns = subjectRdns(spec);
  const commonName = commonNameOf(rdns);
  if (!commonName && !hasSans(spec)) {
    throw pkiError(
      PkiErrorCode.MissingIdentity,
      "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailAddresses, ipAddresses or uris must be set",
    );
  }
  const subjectEmpty = rdns.length === 0;
  const { keyUsage, extKeyUsages } = resolveUsages(spec.usages, spec.isCA);
  const usageExtensions: x509.Extension[] = [];
  if (keyUsage !== 0) usageExtensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (extKeyUsages.length > 0) usageExtensions.push(new x509.ExtendedKeyUsageExtension(extKeyUsages, false));
  const template: Template = { subject: toX509Name(rdns), subjectEmpty, usageExtensions };
  const san = sanExtension(spec, subjectEmpty);
  if (san) template.san = san;
  if (commonName) template.commonName = commonName;
  return template;
}
