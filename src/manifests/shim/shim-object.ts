// What the ingress-shim and the gateway-shim share, after cert-manager's
// pkg/controller/certificate-shim (sync.go, helper.go): an Ingress or a
// Gateway that asks for certificates, read far enough to derive them — its
// owner reference, the issuer, and the annotations that shape every
// Certificate it asks for.
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../../diagnostics.ts";
import { isRecord } from "../../schema/index.ts";
import type { IssuerRef, ManifestDocument } from "../types.ts";
import { asksForCertificates } from "./annotations.ts";
import { issuerFromAnnotations } from "./issuer.ts";
import { readAnnotations } from "./schema.ts";

export interface ShimOptions {
  /** Used by `kubernetes.io/tls-acme: "true"` (cert-manager's --default-issuer-*). */
  defaultIssuer?: IssuerRef;
}

// Copying it would make the applier prune the Certificate (cert-manager#7306).
const APPLYSET_LABEL = "applyset.kubernetes.io/part-of";

/** An Ingress or Gateway that asks for certificates, read far enough to derive them. */
export interface ShimObject {
  owner: ObjectRef & { namespace: string };
  source: SourceRef;
  /** Its annotations with text values. */
  annotations: Record<string, string>;
  /** Problems found so far; errors among them mean no Certificate is derived. */
  diagnostics: Diagnostic[];
  /** The issuer could not be determined: derived Certificates are not even validated. */
  issuerFailed: boolean;
  issuerRef: Record<string, string>;
  issuerOrigin: string;
  labels: unknown;
  /** The annotation-derived part of the raw Certificate spec. */
  spec: Record<string, unknown>;
  altNames: string[];
  ipSans: string[];
}

/**
 * Reads the trigger, issuer and shaping annotations of an Ingress-like
 * object. Undefined when the object does not ask for certificates at all
 * (no diagnostic: most Ingresses are none of gitcert's business).
 */
export function readShimObject(
  doc: ManifestDocument,
  namespace: string,
  kind: "Ingress" | "Gateway",
  options: ShimOptions,
): ShimObject | undefined {
  const metadata = isRecord(doc.object.metadata) ? doc.object.metadata : {};
  const rawAnnotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  if (!asksForCertificates(rawAnnotations, kind)) return undefined;

  const name = typeof metadata.name === "string" ? metadata.name : "";
  const owner = { kind, namespace, name: name || "<unnamed>" };
  const diagnostics: Diagnostic[] = [];
  const where = { source: doc.source, object: owner };
  const error = (code: string, message: string) => diagnostics.push(diagnostic(code, message, where));
  if (name === "") error("BadConfig", "metadata.name is required");

  const annotations = readAnnotations(rawAnnotations);
  for (const message of annotations.problems) error("InvalidAnnotation", message);
  const issuer = issuerFromAnnotations(annotations.text, options.defaultIssuer);
  for (const message of issuer.errors) error("BadConfig", `cannot determine the issuer: ${message}`);

  const labels = isRecord(metadata.labels) ? omit(metadata.labels, APPLYSET_LABEL) : metadata.labels;

  return {
    owner,
    source: doc.source,
    annotations: annotations.text,
    diagnostics,
    issuerFailed: issuer.errors.length > 0,
    issuerRef: issuer.ref,
    issuerOrigin: issuer.origin,
    labels,
    spec: annotations.spec,
    altNames: annotations.altNames,
    ipSans: annotations.ipSans,
  };
}

export function hasErrors(diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

function omit(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
