// A Certificate gitcert derived from an Ingress or Gateway (ingress-shim), as
// the cert-manager.io/v1 object cert-manager's shim would create in the
// cluster: named after the Secret, labelled like its owner, owned by it
// (controller ownerReference), with the spec the annotations asked for.
// Pure.
import { formatDuration, type CertificateResource } from "../manifests/index.ts";
import { API_VERSION, type LiveObject, type OwnerReference } from "./cert-manager-api.ts";
import { INSTANCE_LABEL } from "./instance.ts";

/** On every object gitcert creates in a cluster; the sweep deletes only objects carrying it. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "gitcert";

/** apiVersion of each kind the shims derive Certificates from. */
export const OWNER_API_VERSIONS: Readonly<Record<string, string>> = {
  Ingress: "networking.k8s.io/v1",
  Gateway: "gateway.networking.k8s.io/v1",
};

export interface DesiredCertificate {
  apiVersion: string;
  kind: "Certificate";
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences: OwnerReference[] };
  spec: Record<string, unknown>;
}

export function derivedCertificate(certificate: CertificateResource, ownerUid: string, instance: string): DesiredCertificate {
  const owner = certificate.owner!;
  return {
    apiVersion: API_VERSION,
    kind: "Certificate",
    metadata: {
      name: certificate.name,
      namespace: certificate.namespace,
      labels: { ...certificate.labels, [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: instance },
      ownerReferences: [{ apiVersion: OWNER_API_VERSIONS[owner.kind] ?? "v1", kind: owner.kind, name: owner.name, uid: ownerUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: certificateSpecManifest(certificate),
  };
}

/** The spec in cert-manager's field names; defaults are written out, so what gitcert issues is what the cluster shows. */
export function certificateSpecManifest(certificate: CertificateResource): Record<string, unknown> {
  const s = certificate.spec;
  const spec: Record<string, unknown> = { secretName: s.secretName };
  const put = (key: string, value: unknown) => {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return;
    spec[key] = value;
  };
  put("commonName", s.commonName);
  put("literalSubject", s.literalSubject);
  put("subject", s.subject);
  put("dnsNames", s.dnsNames);
  put("ipAddresses", s.ipAddresses);
  put("uris", s.uris);
  put("emailAddresses", s.emailAddresses);
  put("duration", formatDuration(s.duration));
  put("renewBefore", s.renewBefore === undefined ? undefined : formatDuration(s.renewBefore));
  put("renewBeforePercentage", s.renewBeforePercentage);
  put("renewal", s.renewalPolicy === "Disabled" ? { policy: "Disabled" } : undefined);
  put("issuerRef", { name: s.issuerRef.name, kind: s.issuerRef.kind, group: s.issuerRef.group });
  put("isCA", s.isCA || undefined);
  put("usages", s.usages);
  put("privateKey", { algorithm: s.privateKey.algorithm, ...(s.privateKey.size ? { size: s.privateKey.size } : {}), encoding: s.privateKey.encoding, rotationPolicy: s.privateKey.rotationPolicy });
  put("secretTemplate", Object.keys(s.secretTemplate.annotations).length + Object.keys(s.secretTemplate.labels).length > 0 ? s.secretTemplate : undefined);
  put("additionalOutputFormats", s.additionalOutputFormats.map((type) => ({ type })));
  put("revisionHistoryLimit", s.revisionHistoryLimit || undefined);
  return spec;
}

/** The object was created by this gitcert instance for an owner (and so may be updated or swept by it). */
export function isDerivedByGitcert(object: LiveObject, instance: string): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY && labels[INSTANCE_LABEL] === instance && (object.metadata.ownerReferences ?? []).some((r) => r.controller && r.kind in OWNER_API_VERSIONS);
}
