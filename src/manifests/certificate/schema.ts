// A cert-manager.io/v1 Certificate as a schema: the rules of cert-manager's
// webhook (internal/apis/certmanager/validation/certificate.go) and CRD,
// the syntax of every SAN and of every name that later becomes a file path,
// and cert-manager's defaults (defaults.ts), giving a CertificateSpec.
// Certificates the shims derive are read by it too, so each rule lives once.
import { z } from "zod";
import { integer, mapping, requiredText, secretName, validAs } from "../../schema/index.ts";
import { DEFAULT_USAGES, KNOWN_USAGES } from "../../pki/index.ts";
import type { CertificateSpec, IssuerRef, PrivateKeySpec } from "../types.ts";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "../validate-names.ts";
import { CERTIFICATE_API_VERSION, DEFAULT_REVISION_HISTORY_LIMIT } from "./defaults.ts";
import { checkDurations, durationFields } from "./durations.ts";
import { labelMap } from "./fields.ts";
import { checkSignatureAlgorithm, privateKeyFields } from "./private-key.ts";
import { checkIdentity, sanFields } from "./sans.ts";
import { secretShapeFields } from "./secret-shape.ts";
import { checkSubject, subjectFields } from "./subject.ts";

const issuerRef = mapping({ name: requiredText(), kind: z.string().default(""), group: z.string().default("") })
  .superRefine((ref, ctx) => {
    // Only cert-manager's own group has known kinds; external issuers bring theirs.
    if ((ref.group === "" || ref.group === "cert-manager.io") && ref.kind !== "" && ref.kind !== "Issuer" && ref.kind !== "ClusterIssuer") {
      ctx.addIssue({
        code: "custom",
        path: ["kind"],
        message: `${JSON.stringify(ref.kind)} must be one of Issuer or ClusterIssuer${ref.group === "" ? " (did you forget to set spec.issuerRef.group?)" : ""}`,
      });
    }
  })
  .transform((ref): IssuerRef => sharedIssuerRef({ name: ref.name, kind: ref.kind || "Issuer", group: ref.group || "cert-manager.io" }));

const knownUsage = z.superRefine((usage: string, ctx) => {
  if (!KNOWN_USAGES.includes(usage)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(usage)} is not a known key usage (e.g. "digital signature", "server auth")` });
});

const unsupported = (what: string) =>
  z
    .unknown()
    .optional()
    .check(z.refine((v) => v === undefined, { message: `is not supported (${what})` }));

/** Every field of spec; anything else is reported as unknown and ignored. */
export const SPEC_SHAPE = {
  secretName: secretName(),
  issuerRef,
  ...subjectFields,
  ...sanFields,
  ...durationFields,
  isCA: z.boolean().default(false),
  usages: z.array(z.string().check(knownUsage)).default([]),
  ...privateKeyFields,
  revisionHistoryLimit: integer()
    .check(z.refine((n: number) => n >= 1, { error: (issue) => `must not be less than 1 (got ${String(issue.input)})` }))
    .default(DEFAULT_REVISION_HISTORY_LIMIT),
  ...secretShapeFields,
  nameConstraints: unsupported("an alpha cert-manager feature"),
};

const certificateSpecSchema = mapping(SPEC_SHAPE)
  .superRefine(
    (spec, ctx) => {
      if (typeof spec !== "object" || spec === null) return;
      const fields = spec as Record<string, unknown>;
      checkSubject(fields, ctx);
      checkIdentity(fields, ctx);
      checkDurations(fields, ctx);
      checkSignatureAlgorithm(fields, ctx);
    },
    // Also when some fields have problems of their own: one pass reports everything.
    { when: () => true },
  )
  .transform((s): CertificateSpec => {
    const spec: CertificateSpec = {
      secretName: s.secretName,
      dnsNames: shared(s.dnsNames),
      ipAddresses: shared(s.ipAddresses),
      uris: shared(s.uris),
      emailAddresses: shared(s.emailAddresses),
      duration: s.duration,
      renewalPolicy: s.renewal.policy,
      issuerRef: s.issuerRef,
      isCA: s.isCA,
      usages: s.usages.length > 0 ? s.usages : SHARED_DEFAULT_USAGES,
      privateKey: sharedPrivateKey(s.privateKey),
      secretTemplate: Object.keys(s.secretTemplate.annotations).length + Object.keys(s.secretTemplate.labels).length === 0 ? NO_SECRET_TEMPLATE : s.secretTemplate,
      additionalOutputFormats: shared(s.additionalOutputFormats),
      revisionHistoryLimit: s.revisionHistoryLimit,
    };
    if (s.commonName !== undefined) spec.commonName = s.commonName;
    if (s.literalSubject !== undefined) spec.literalSubject = s.literalSubject;
    if (s.subject !== undefined) spec.subject = s.subject;
    if (s.renewBefore !== undefined) spec.renewBefore = s.renewBefore;
    if (s.renewBeforePercentage !== undefined) spec.renewBeforePercentage = s.renewBeforePercentage;
    if (s.renewal.windows.length > 0) spec.renewalWindows = s.renewal.windows;
    return spec;
  });

// A long-running gitcert keeps thousands of specs, mostly alike: an empty
// list, the default usages, an empty secretTemplate and each private key
// setting are one object they all share, frozen (specs are never changed
// once read: a change would throw rather than reach every Certificate).
const NONE: readonly never[] = Object.freeze([]);
const SHARED_DEFAULT_USAGES = Object.freeze([...DEFAULT_USAGES]) as string[];
const NO_SECRET_TEMPLATE: CertificateSpec["secretTemplate"] = Object.freeze({ annotations: Object.freeze({}), labels: Object.freeze({}) });

function shared<T>(list: T[]): T[] {
  return list.length === 0 ? (NONE as unknown as T[]) : list;
}

/** Issuer references by name, kind and group: a repository's Certificates name a few issuers. Bounded: emptied past ISSUER_REFS_KEPT. */
const ISSUER_REFS = new Map<string, IssuerRef>();
const ISSUER_REFS_KEPT = 256;

function sharedIssuerRef(ref: IssuerRef): IssuerRef {
  const id = `${ref.group}\u0000${ref.kind}\u0000${ref.name}`;
  let known = ISSUER_REFS.get(id);
  if (!known) {
    if (ISSUER_REFS.size >= ISSUER_REFS_KEPT) ISSUER_REFS.clear();
    known = Object.freeze(ref);
    ISSUER_REFS.set(id, known);
  }
  return known;
}

/** By algorithm, size, encoding and rotation policy: bounded by the valid settings, a handful in practice. */
const PRIVATE_KEYS = new Map<string, PrivateKeySpec>();

function sharedPrivateKey(key: PrivateKeySpec): PrivateKeySpec {
  const id = `${key.algorithm} ${key.size} ${key.encoding} ${key.rotationPolicy}`;
  let known = PRIVATE_KEYS.get(id);
  if (!known) {
    known = Object.freeze({ ...key });
    PRIVATE_KEYS.set(id, known);
  }
  return known;
}

/** The whole object. `metadata.namespace` is the one the Certificate lands in, however it was found. */
export const certificateSchema = mapping({
  apiVersion: z
    .unknown()
    .optional()
    .check(
      z.refine((v) => v === CERTIFICATE_API_VERSION, {
        error: (issue) => `${JSON.stringify(issue.input ?? "")} is not supported: gitcert reads ${CERTIFICATE_API_VERSION} Certificates`,
      }),
    ),
  metadata: mapping({
    name: requiredText().check(validAs(dns1123SubdomainProblem, "is not a valid object name")),
    namespace: z.string().check(validAs(dns1123LabelProblem, "is not a valid namespace")),
    labels: labelMap().default({}),
  }),
  spec: certificateSpecSchema,
});
