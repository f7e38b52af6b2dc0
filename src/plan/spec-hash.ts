// Two fingerprints of a Certificate spec, kept as plaintext annotations on the
// Secret so planning never decrypts:
//  - the request hash covers what is inside the X.509 certificate and who
//    signs it; a change means a new certificate (cert-manager's
//    RequestChanged / IncorrectIssuer);
//  - the secret hash covers only how the Secret is laid out (labels,
//    annotations, extra outputs, key encoding); a change rewrites the Secret
//    around the same certificate and key.
// Renewal timing (renewBefore…) is in neither: it changes when to renew,
// not what was issued.
// A third, of the issuer's spec, is kept only with a failure: a new server,
// solver or CA Secret deserves a new attempt at once.
import { createHash } from "node:crypto";
import type { CertificateResource, CertificateSpec, IssuerResource } from "../manifests/types.ts";

function digest(fields: unknown[]): string {
  // The first 16 bytes in hex: a string of its own, where slicing the whole hex digest would keep all 64 characters alive (a long-running gitcert keeps two for each Certificate).
  return createHash("sha256").update(JSON.stringify(fields)).digest().toString("hex", 0, 16);
}

/** cert-manager compares SANs and usages as sets: order is not a change. */
function sorted(list: readonly string[]): string[] {
  return [...list].sort();
}

/** Map entries in key order, so equal maps hash equal whatever their YAML order. */
function sortedEntries(map: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// A long-running gitcert plans the same spec objects tick after tick (the
// scan keeps them): each is hashed once. Specs are never changed once read.
const requestHashes = new WeakMap<CertificateSpec, string>();
const secretHashes = new WeakMap<CertificateSpec, string>();
const issuerHashes = new WeakMap<object, string>();

function once<K extends object>(memo: WeakMap<K, string>, key: K, compute: () => string): string {
  let hash = memo.get(key);
  if (hash === undefined) {
    hash = compute();
    memo.set(key, hash);
  }
  return hash;
}

// Fields are listed positionally, in a fixed order: cheap to hash (this runs
// for every Certificate on every plan) and stable across releases as long as
// new fields are appended.
export function requestHash(spec: CertificateSpec): string {
  return once(requestHashes, spec, () => requestDigest(spec));
}

function requestDigest(spec: CertificateSpec): string {
  const subject = spec.subject ?? {};
  return digest([
    spec.commonName ?? null,
    spec.literalSubject ?? null,
    [
      subject.organizations ?? null,
      subject.countries ?? null,
      subject.organizationalUnits ?? null,
      subject.localities ?? null,
      subject.provinces ?? null,
      subject.streetAddresses ?? null,
      subject.postalCodes ?? null,
      subject.serialNumber ?? null,
    ],
    sorted(spec.dnsNames),
    sorted(spec.ipAddresses),
    sorted(spec.uris),
    sorted(spec.emailAddresses),
    spec.duration,
    [spec.issuerRef.group, spec.issuerRef.kind, spec.issuerRef.name],
    spec.isCA,
    sorted(spec.usages),
    spec.privateKey.algorithm,
    spec.privateKey.size,
  ]);
}

export function secretHash(certificate: Pick<CertificateResource, "spec">): string {
  const { spec } = certificate;
  return once(secretHashes, spec, () => secretDigest(spec));
}

function secretDigest(spec: CertificateSpec): string {
  return digest([
    sortedEntries(spec.secretTemplate.annotations),
    sortedEntries(spec.secretTemplate.labels),
    spec.additionalOutputFormats,
    spec.privateKey.encoding,
  ]);
}

/** The issuer as written: kind, name, namespace and the whole spec, map keys in order. */
export function issuerHash(issuer: Pick<IssuerResource, "kind" | "name" | "namespace" | "spec">): string {
  return once(issuerHashes, issuer, () => digest([issuer.kind, issuer.namespace, issuer.name, canonical(issuer.spec)]));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]);
  }
  return value;
}
