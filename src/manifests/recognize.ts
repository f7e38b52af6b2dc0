// YAML documents -> typed resources.
//
// Recognition is a switch on `kind` and one string compare on `apiVersion`:
// it runs for every document of the repository, so anything deeper
// (Certificate validation, the shims, issuer specs) belongs to the code that
// owns that kind.
import { diagnostic, type ObjectRef } from "../diagnostics.ts";
import { ageRecipientsOf } from "../secrets/index.ts";
import { certificateFromManifest } from "./certificate/index.ts";
import { certificatesFromGateway, certificatesFromIngress } from "./shim/index.ts";
import type { NamespaceResolver } from "./namespace.ts";
import { CERT_MANAGER_ISSUER_TYPES, issuerTypesIn } from "./resolve.ts";
import type { IssuerRef, KustomizationFile, Labels, ManifestDocument, ScanResult } from "./types.ts";

/** Kinds worth converting from YAML at all; everything else is skipped early. */
export const RECOGNIZED_KINDS: ReadonlySet<string> = new Set([
  "Issuer",
  "ClusterIssuer",
  "Certificate",
  "Ingress",
  "Gateway",
  "Secret",
  "ExternalSecret",
  "SealedSecret",
]);

export interface RecognizeContext {
  namespaces: NamespaceResolver;
  defaultIssuer?: IssuerRef;
}

export type RecognizeSink = Pick<ScanResult, "issuers" | "certificates" | "secrets" | "secretMakers" | "diagnostics">;

const CERT_MANAGER_V1 = "cert-manager.io/v1";
const INGRESS_V1 = "networking.k8s.io/v1";
const GATEWAY_V1 = "gateway.networking.k8s.io/v1";
/** Groups cert-manager has served its kinds under, past and present. */
const CERT_MANAGER_GROUPS: ReadonlySet<string> = new Set(["cert-manager.io", "certmanager.k8s.io"]);
const EXTERNAL_SECRETS_GROUP = "external-secrets.io/";
const SEALED_SECRETS_V1ALPHA1 = "bitnami.com/v1alpha1";
const LEGACY_INGRESS_VERSIONS: ReadonlySet<string> = new Set(["extensions/v1beta1", "networking.k8s.io/v1beta1"]);

/** Sorts one document into `out`. Documents of other kinds are ignored. */
export function recognize(doc: ManifestDocument, ctx: RecognizeContext, out: RecognizeSink): void {
  const obj = doc.object;
  const kind = obj.kind;
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  switch (kind) {
    case "Issuer":
    case "ClusterIssuer":
      if (apiVersion !== CERT_MANAGER_V1) return unsupportedCertManagerVersion(doc, kind, apiVersion, ctx, out);
      return recognizeIssuer(doc, kind, ctx, out);
    case "Certificate": {
      if (apiVersion !== CERT_MANAGER_V1) return unsupportedCertManagerVersion(doc, kind, apiVersion, ctx, out);
      const r = certificateFromManifest(doc, ctx.namespaces.forObject(obj, doc.source.file));
      out.diagnostics.push(...r.diagnostics);
      if (r.certificate) out.certificates.push(r.certificate);
      return;
    }
    case "Ingress": {
      if (apiVersion !== INGRESS_V1) {
        if (LEGACY_INGRESS_VERSIONS.has(apiVersion)) unsupportedShimVersion(doc, kind, apiVersion, INGRESS_V1, ctx, out);
        return;
      }
      const r = certificatesFromIngress(doc, ctx.namespaces.forObject(obj, doc.source.file), {
        defaultIssuer: ctx.defaultIssuer,
      });
      out.diagnostics.push(...r.diagnostics);
      out.certificates.push(...r.certificates);
      return;
    }
    case "Gateway": {
      if (apiVersion !== GATEWAY_V1) {
        if (apiVersion.startsWith("gateway.networking.k8s.io/")) {
          unsupportedShimVersion(doc, kind, apiVersion, GATEWAY_V1, ctx, out);
        }
        return;
      }
      const r = certificatesFromGateway(doc, ctx.namespaces.forObject(obj, doc.source.file), {
        defaultIssuer: ctx.defaultIssuer,
      });
      out.diagnostics.push(...r.diagnostics);
      out.certificates.push(...r.certificates);
      return;
    }
    case "Secret":
      if (apiVersion === "v1") recognizeSecret(doc, ctx, out);
      return;
    case "ExternalSecret":
      if (apiVersion.startsWith(EXTERNAL_SECRETS_GROUP)) recognizeSecretMaker(doc, kind, ctx, out);
      return;
    case "SealedSecret":
      if (apiVersion === SEALED_SECRETS_V1ALPHA1) recognizeSecretMaker(doc, kind, ctx, out);
      return;
  }
}

function recognizeIssuer(
  doc: ManifestDocument,
  kind: "Issuer" | "ClusterIssuer",
  ctx: RecognizeContext,
  out: RecognizeSink,
): void {
  const metadata = asRecord(doc.object.metadata);
  const name = metadata?.name;
  const namespace = kind === "Issuer" ? ctx.namespaces.forObject(doc.object, doc.source.file) : "";
  if (typeof name !== "string" || name === "") {
    out.diagnostics.push(diagnostic("MissingName", `${kind} has no metadata.name; ignored`, { source: doc.source }));
    return;
  }
  const object: ObjectRef = kind === "Issuer" ? { kind, namespace, name } : { kind, name };
  const spec = asRecord(doc.object.spec);
  if (!spec) {
    out.diagnostics.push(diagnostic("InvalidIssuer", "spec is missing or not a mapping", { source: doc.source, object }));
    return;
  }
  // Only the shape cert-manager's webhook checks first; each issuer
  // implementation validates its own part of the spec.
  const types = issuerTypesIn(spec, CERT_MANAGER_ISSUER_TYPES);
  if (types.length !== 1) {
    const empty = Object.keys(spec).filter((k) => CERT_MANAGER_ISSUER_TYPES.has(k) && spec[k] === null);
    const found =
      types.length > 0 ? types.join(", ") : empty.length > 0 ? `none; write \`${empty[0]}: {}\` for an empty one` : "none";
    out.diagnostics.push(
      diagnostic(
        "InvalidIssuer",
        `spec must set exactly one issuer type of ${[...CERT_MANAGER_ISSUER_TYPES].join(", ")} (found: ${found})`,
        { source: doc.source, object },
      ),
    );
  }
  // Kept even when invalid, so its Certificates are blocked for the real
  // reason rather than "issuer not found".
  out.issuers.push({ kind, name, namespace, spec, source: doc.source });
}

function recognizeSecret(doc: ManifestDocument, ctx: RecognizeContext, out: RecognizeSink): void {
  const metadata = asRecord(doc.object.metadata);
  const name = metadata?.name;
  // A Secret without a name is not gitcert's to judge; kubectl will.
  if (typeof name !== "string" || name === "") return;
  const sops = asRecord(doc.object.sops);
  const encrypted = typeof sops?.mac === "string" && sops.mac !== "";
  const namespace = ctx.namespaces.forObject(doc.object, doc.source.file);
  if (encrypted && name.startsWith("ENC[")) {
    // Planning reads a Secret's metadata without decrypting; a .sops.yaml
    // rule that encrypts metadata makes every issued Secret look missing.
    out.diagnostics.push(
      diagnostic(
        "EncryptedSecretMetadata",
        "Secret metadata is SOPS-encrypted, so gitcert cannot match it to a Certificate; limit encryption to data/stringData (encrypted_regex: ^(data|stringData)$)",
        { source: doc.source },
        "warning",
      ),
    );
    return;
  }
  const type = doc.object.type;
  const recipients = encrypted ? ageRecipientsOf(sops) : undefined;
  const sopsRecipients = recipients && sharedList(recipients);
  out.secrets.push({
    name,
    namespace,
    ...(typeof type === "string" ? { type } : {}),
    annotations: stringMap(metadata?.annotations),
    labels: stringMap(metadata?.labels),
    source: doc.source,
    encrypted,
    ...(sopsRecipients ? { sopsRecipients } : {}),
    keys: sharedList([...Object.keys(asRecord(doc.object.data) ?? {}), ...Object.keys(asRecord(doc.object.stringData) ?? {})]),
  });
}

/**
 * Which Secret an ExternalSecret or a SealedSecret makes. An ExternalSecret
 * names it in `spec.target.name` (its own name when unset) and makes none
 * with `creationPolicy: None`; a SealedSecret's Secret bears its own name.
 */
function recognizeSecretMaker(doc: ManifestDocument, kind: "ExternalSecret" | "SealedSecret", ctx: RecognizeContext, out: RecognizeSink): void {
  const name = asRecord(doc.object.metadata)?.name;
  if (typeof name !== "string" || name === "") return;
  let secretName = name;
  if (kind === "ExternalSecret") {
    const target = asRecord(asRecord(doc.object.spec)?.target);
    if (target?.creationPolicy === "None") return;
    if (typeof target?.name === "string" && target.name !== "") secretName = target.name;
  }
  const namespace = ctx.namespaces.forObject(doc.object, doc.source.file);
  (out.secretMakers ??= []).push({ kind, name, namespace, secretName, source: doc.source });
}

/**
 * `out` as a long-running gitcert keeps it for each document between ticks
 * (thousands): lists sized to what they hold (one pushed item leaves room
 * for 16), an empty one shared and frozen.
 */
export function keptSink(out: RecognizeSink): RecognizeSink {
  const kept: RecognizeSink = { issuers: fitted(out.issuers), certificates: fitted(out.certificates), secrets: fitted(out.secrets), diagnostics: fitted(out.diagnostics) };
  if (out.secretMakers) kept.secretMakers = fitted(out.secretMakers);
  return kept;
}

const NOTHING: readonly never[] = Object.freeze([]);

function fitted<T>(list: T[]): T[] {
  return list.length === 0 ? (NOTHING as unknown as T[]) : list.slice();
}

/** Is this repository path a file kustomize reads as a kustomization? */
export function isKustomizationPath(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base === "kustomization.yaml" || base === "kustomization.yml" || base === "Kustomization";
}

/** The kustomization in a kustomization file's documents (the first mapping). */
export function kustomizationFromDocuments(
  path: string,
  documents: readonly ManifestDocument[],
): KustomizationFile | undefined {
  const doc = documents[0];
  if (!doc) return undefined;
  const at = path.lastIndexOf("/");
  const namespace = doc.object.namespace;
  const resources = Array.isArray(doc.object.resources)
    ? doc.object.resources.filter((r): r is string => typeof r === "string")
    : [];
  return {
    dir: at === -1 ? "" : path.slice(0, at),
    file: path,
    ...(typeof namespace === "string" && namespace !== "" ? { namespace } : {}),
    resources,
  };
}

function unsupportedCertManagerVersion(
  doc: ManifestDocument,
  kind: string,
  apiVersion: string,
  ctx: RecognizeContext,
  out: RecognizeSink,
): void {
  const group = apiVersion.slice(0, apiVersion.indexOf("/"));
  // Other projects have kinds called Certificate or Issuer too.
  if (!CERT_MANAGER_GROUPS.has(group)) return;
  const object = objectRefOf(doc, kind, ctx);
  out.diagnostics.push(
    diagnostic(
      "UnsupportedAPIVersion",
      `${object ? "" : `${kind} `}apiVersion ${apiVersion} is no longer served by cert-manager; only ${CERT_MANAGER_V1} is read, so this object is ignored`,
      { source: doc.source, object },
      "warning",
    ),
  );
}

function unsupportedShimVersion(
  doc: ManifestDocument,
  kind: string,
  apiVersion: string,
  supported: string,
  ctx: RecognizeContext,
  out: RecognizeSink,
): void {
  // Only worth saying when the object asks for a certificate.
  const annotations = asRecord(asRecord(doc.object.metadata)?.annotations);
  if (!annotations) return;
  const asks = Object.keys(annotations).some((k) => k.startsWith("cert-manager.io/") || k === "kubernetes.io/tls-acme");
  if (!asks) return;
  const object = objectRefOf(doc, kind, ctx);
  out.diagnostics.push(
    diagnostic(
      "UnsupportedAPIVersion",
      `${object ? "" : `${kind} `}apiVersion ${apiVersion}: certificates are derived only from ${supported} objects, so the cert-manager annotations are ignored`,
      { source: doc.source, object },
      "warning",
    ),
  );
}

function objectRefOf(doc: ManifestDocument, kind: string, ctx: RecognizeContext): ObjectRef | undefined {
  const name = asRecord(doc.object.metadata)?.name;
  if (typeof name !== "string") return undefined;
  if (kind === "ClusterIssuer") return { kind, name };
  return { kind, namespace: ctx.namespaces.forObject(doc.object, doc.source.file), name };
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * Thousands of Secrets name the same keys (tls.crt, tls.key, ca.crt) and
 * the same recipients, and a long-running gitcert keeps them all: one
 * frozen list for each distinct one. Bounded: emptied past LISTS_KEPT.
 */
const LISTS = new Map<string, string[]>();
const LISTS_KEPT = 256;

function sharedList(list: string[]): string[] {
  const id = list.join("\u0000");
  let known = LISTS.get(id);
  if (!known) {
    if (LISTS.size >= LISTS_KEPT) LISTS.clear();
    known = Object.freeze(list) as string[];
    LISTS.set(id, known);
  }
  return known;
}

/** What a Secret without labels or annotations has: one object for all of them, frozen. */
const NO_STRINGS: Labels = Object.freeze({});

/**
 * Annotations and labels are strings in Kubernetes; YAML may have typed them.
 * A map already all strings (nearly every one) is the document's own object,
 * not a copy: a long-running gitcert keeps both, for thousands of Secrets.
 */
function stringMap(v: unknown): Labels {
  const rec = asRecord(v);
  if (!rec) return NO_STRINGS;
  const out: Labels = {};
  if (Object.getPrototypeOf(rec) === Object.prototype && Object.values(rec).every((value) => typeof value === "string")) return rec as Labels;
  for (const [k, value] of Object.entries(rec)) {
    if (typeof value === "string") out[k] = value;
    else if (typeof value === "number" || typeof value === "boolean") out[k] = String(value);
  }
  return out;
}
