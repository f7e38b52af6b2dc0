// Reading an Issuer with its kind's schema: which implementation handles
// it, its typed spec, and the Secrets it needs. A reading is kept per
// Issuer object, so resolve, planning and signing read each spec once.
import { diagnostic, GitcertError, objectLabel, type Diagnostic, type ObjectRef } from "../diagnostics.ts";
import type { CertificateResource, IssuerResource } from "../manifests/types.ts";
import { problemText, read, type Reading } from "../schema/index.ts";
import type { Issuer, SecretNeed } from "./types.ts";

export type IssuerRegistry = ReadonlyMap<string, Issuer>;

export type IssuerReading =
  | { ok: true; issuer: Issuer; spec: unknown; namespace: string }
  | { ok: false; problems: Diagnostic[] };

export function issuerRef(issuer: IssuerResource): ObjectRef {
  return issuer.kind === "ClusterIssuer"
    ? { kind: issuer.kind, name: issuer.name }
    : { kind: issuer.kind, namespace: issuer.namespace, name: issuer.name };
}

/** `ClusterIssuer vault at platform/issuers.yaml:4`: how messages name an issuer. */
export function issuerLabel(issuer: IssuerResource): string {
  return `${objectLabel(issuerRef(issuer))} at ${issuer.source.file}:${issuer.source.line}`;
}

/**
 * The issuer type: the first spec key among those gitcert knows. A key set
 * to null is unset, as for cert-manager (scan reports the Issuer).
 */
export function issuerType(issuer: IssuerResource, known: Iterable<string>): string | undefined {
  for (const type of known) if (issuer.spec[type] !== undefined && issuer.spec[type] !== null) return type;
  return undefined;
}

/** Where an issuer's Secrets live: its own namespace, or the cluster resource namespace for a ClusterIssuer. */
export function secretNamespace(issuer: IssuerResource, clusterResourceNamespace: string): string {
  return issuer.kind === "ClusterIssuer" ? clusterResourceNamespace : issuer.namespace;
}

const readings = new WeakMap<IssuerResource, Map<Issuer, Reading<unknown>>>();

function reading<Spec>(issuer: Issuer<Spec>, resource: IssuerResource): Reading<Spec> {
  let perKind = readings.get(resource);
  if (!perKind) readings.set(resource, (perKind = new Map()));
  let r = perKind.get(issuer);
  if (!r) perKind.set(issuer, (r = read(issuer.schema, resource.spec[issuer.type])));
  return r as Reading<Spec>;
}

function problemsOf(issuer: Issuer, resource: IssuerResource, r: Reading<unknown> & { ok: false }): Diagnostic[] {
  const where = { source: resource.source, object: issuerRef(resource) };
  return r.problems.map((p) => diagnostic("InvalidIssuer", problemText(`spec.${issuer.type}`, p), where));
}

/** The issuer's spec as its schema reads it; throws GitcertError (InvalidIssuer) naming every problem. */
export function specOf<Spec>(issuer: Issuer<Spec>, resource: IssuerResource): Spec {
  const r = reading(issuer, resource);
  if (r.ok) return r.value;
  const problems = problemsOf(issuer, resource, r);
  throw new GitcertError(
    "InvalidIssuer",
    `${resource.kind} ${resource.name} (${resource.source.file}:${resource.source.line}): ${problems.map((p) => p.message).join("; ")}`,
    { source: resource.source, object: issuerRef(resource) },
  );
}

export function readIssuer(registry: IssuerRegistry, resource: IssuerResource, clusterResourceNamespace: string): IssuerReading {
  const type = issuerType(resource, registry.keys());
  const issuer = type === undefined ? undefined : registry.get(type);
  if (!issuer) {
    const where = { source: resource.source, object: issuerRef(resource) };
    const supported = [...registry.keys()].sort().join(", ");
    return { ok: false, problems: [diagnostic("UnsupportedIssuerType", `sets no issuer type gitcert supports (${supported})`, where)] };
  }
  const r = reading(issuer, resource);
  if (!r.ok) return { ok: false, problems: problemsOf(issuer, resource, r) };
  return { ok: true, issuer, spec: r.value, namespace: secretNamespace(resource, clusterResourceNamespace) };
}

/** The Secrets an Issuer needs (for one Certificate, when given); none when it cannot be read. */
export function secretsOf(
  registry: IssuerRegistry,
  resource: IssuerResource,
  clusterResourceNamespace: string,
  certificate?: CertificateResource,
): SecretNeed[] {
  const r = readIssuer(registry, resource, clusterResourceNamespace);
  if (!r.ok) return [];
  return r.issuer.secrets(r.spec, { namespace: r.namespace, ...(certificate ? { certificate } : {}) });
}
