// A raw Certificate object -> a CertificateResource, or the problems that
// keep it from being one, each a diagnostic naming its field (and, for a
// derived Certificate, where the field came from) with the file:line of the
// manifest. Fields gitcert does not know or does not support yet are
// warnings: they never block.
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../../diagnostics.ts";
import { isRecord, pathText, read } from "../../schema/index.ts";
import type { CertificateResource, ManifestDocument } from "../types.ts";
import { KEYSTORES } from "./secret-shape.ts";
import { certificateSchema, SPEC_SHAPE } from "./schema.ts";
import { SUBJECT_FIELDS } from "./subject.ts";

export interface CertificateValidationOptions {
  /**
   * Where a spec path came from when the Certificate was derived (an
   * annotation or an Ingress field), so a message points at what to edit:
   * `spec.dnsNames[2] (from annotation cert-manager.io/alt-names): …`.
   */
  origin?: (path: string) => string | undefined;
  /** The object diagnostics are reported against (default: the Certificate). */
  reportAs?: ObjectRef;
  /** Put before each message, e.g. `Certificate "web-tls": `. */
  messagePrefix?: string;
  owner?: ObjectRef;
}

const SPEC_FIELDS: ReadonlySet<string> = new Set(Object.keys(SPEC_SHAPE));
/** Shared by the Certificates without labels (most): one object, frozen, rather than one each. */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export function certificateFromManifest(
  doc: ManifestDocument,
  namespace: string,
): { certificate?: CertificateResource; diagnostics: Diagnostic[] } {
  return validateCertificateObject(doc.object, namespace, doc.source);
}

export function validateCertificateObject(
  object: Record<string, unknown>,
  namespace: string,
  source: SourceRef,
  options: CertificateValidationOptions = {},
): { certificate?: CertificateResource; diagnostics: Diagnostic[] } {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const rawName = metadata.name;
  const name = typeof rawName === "string" && rawName !== "" ? rawName : "<unnamed>";
  const where = { source, object: options.reportAs ?? { kind: "Certificate", namespace, name } };
  const label = (path: string) => {
    const from = options.origin?.(path);
    return `${options.messagePrefix ?? ""}${from ? `${path} (from ${from})` : path}`;
  };
  const diagnostics: Diagnostic[] = [];
  const warn = (code: string, path: string, message: string) => diagnostics.push(diagnostic(code, `${label(path)}: ${message}`, where, "warning"));

  const spec = isRecord(object.spec) ? object.spec : undefined;
  for (const key of Object.keys(spec ?? {})) {
    if (!SPEC_FIELDS.has(key)) warn("UnknownField", `spec.${key}`, "is not a field of a cert-manager.io/v1 Certificate and is ignored");
  }
  for (const key of Object.keys(isRecord(spec?.subject) ? spec.subject : {})) {
    if (!SUBJECT_FIELDS.includes(key)) warn("UnknownField", `spec.subject.${key}`, "is not a subject field and is ignored");
  }

  // The namespace is where the Certificate lands, from the manifest or inherited: checked like one written in it.
  const withNamespace = object.metadata === undefined || isRecord(object.metadata) ? { ...object.metadata, namespace } : object.metadata;
  const r = read(certificateSchema, { ...object, metadata: withNamespace });
  if (!r.ok) {
    for (const p of r.problems) diagnostics.push(diagnostic("InvalidCertificate", `${label(pathText("", p.path))}: ${p.message}`, where));
    return { diagnostics };
  }
  for (const [path, message] of unsupportedFields(spec!)) warn("UnsupportedField", path, message);
  const labels = r.value.metadata.labels;
  const certificate: CertificateResource = { name, namespace, labels: Object.keys(labels).length === 0 ? NO_LABELS : labels, spec: r.value.spec, source };
  if (options.owner) certificate.owner = options.owner;
  const annotations = acmeAnnotations(metadata.annotations);
  if (annotations) certificate.annotations = annotations;
  return { certificate, diagnostics };
}

/** The text annotations of the ACME group, or undefined when there are none. */
function acmeAnnotations(raw: unknown): Record<string, string> | undefined {
  if (!isRecord(raw)) return undefined;
  const found = Object.entries(raw).filter((e): e is [string, string] => e[0].startsWith("acme.cert-manager.io/") && typeof e[1] === "string");
  return found.length > 0 ? Object.fromEntries(found) : undefined;
}

/** Fields a valid spec may set that gitcert does not act on yet: said, never blocking. */
function unsupportedFields(spec: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (typeof spec.signatureAlgorithm === "string" && spec.signatureAlgorithm !== "") {
    out.push(["spec.signatureAlgorithm", "is not supported yet: the issuer's default signature algorithm for the key is used"]);
  }
  if (spec.encodeUsagesInRequest === false) out.push(["spec.encodeUsagesInRequest", "is not supported yet: usages are always encoded in the request"]);
  const keystores = isRecord(spec.keystores) ? spec.keystores : {};
  for (const [key, what] of KEYSTORES) {
    const store = keystores[key];
    if (isRecord(store) && store.create === true) out.push([`spec.keystores.${key}`, `is not supported yet: the Secret will not contain a ${what} keystore`]);
  }
  return out;
}
