// One Certificate named after its Secret, from the hosts an Ingress entry
// or Gateway listeners give and the shaping annotations, validated by the
// Certificate schema like any Certificate written by hand; each problem
// names the Ingress field or annotation it came from.
import { CERTIFICATE_API_VERSION, validateCertificateObject } from "../certificate/index.ts";
import type { CertificateResource } from "../types.ts";
import { ipAddressProblem } from "../validate-names.ts";
import { ANNOTATION, http01OverrideAnnotations } from "./annotations.ts";
import { fieldOrigins } from "./schema.ts";
import type { ShimObject } from "./shim-object.ts";

export interface HostRef {
  host: string;
  /** Where the host was written, e.g. `spec.tls[0].hosts` or `spec.listeners[1].hostname`. */
  origin: string;
}

/**
 * Hosts split into DNS names and IP addresses and de-duplicated, then the
 * annotation SANs. Problems land in shim.diagnostics against the owner.
 */
export function certificateForSecret(
  shim: ShimObject,
  secretName: string,
  secretNameOrigin: string,
  hosts: HostRef[],
): CertificateResource | undefined {
  const dnsNames: HostRef[] = [];
  const ipAddresses: HostRef[] = [];
  const seen = new Set<string>();
  const add = (list: HostRef[], ref: HostRef) => {
    if (seen.has(ref.host)) return;
    seen.add(ref.host);
    list.push(ref);
  };
  for (const ref of hosts) add(ipAddressProblem(ref.host) === undefined ? ipAddresses : dnsNames, ref);
  for (const host of shim.altNames) add(dnsNames, { host, origin: `annotation ${ANNOTATION.altNames}` });
  for (const host of shim.ipSans) add(ipAddresses, { host, origin: `annotation ${ANNOTATION.ipSans}` });

  const overrides = http01OverrideAnnotations(shim.annotations, { kind: shim.owner.kind as "Ingress" | "Gateway", name: shim.owner.name });
  const raw = {
    apiVersion: CERTIFICATE_API_VERSION,
    kind: "Certificate",
    metadata: {
      name: secretName,
      ...(shim.labels === undefined ? {} : { labels: shim.labels }),
      ...(Object.keys(overrides).length > 0 ? { annotations: overrides } : {}),
    },
    spec: {
      ...shim.spec,
      secretName,
      dnsNames: dnsNames.map((r) => r.host),
      ipAddresses: ipAddresses.map((r) => r.host),
      issuerRef: shim.issuerRef,
    },
  };
  const origin = (path: string): string | undefined => {
    const indexed = /^spec\.(dnsNames|ipAddresses)\[(\d+)\]/.exec(path);
    if (indexed) return (indexed[1] === "dnsNames" ? dnsNames : ipAddresses)[Number(indexed[2])]?.origin;
    if (path === "metadata.name" || path === "spec.secretName") return secretNameOrigin;
    if (path.startsWith("metadata.labels")) return `${shim.owner.kind} metadata.labels`;
    if (path.startsWith("spec.issuerRef")) return shim.issuerOrigin;
    for (const [prefix, key] of fieldOrigins) {
      if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return `annotation ${key}`;
    }
    return undefined;
  };
  const { certificate, diagnostics } = validateCertificateObject(raw, shim.owner.namespace, shim.source, {
    origin,
    reportAs: shim.owner,
    messagePrefix: `Certificate ${JSON.stringify(secretName)}: `,
    owner: shim.owner,
  });
  shim.diagnostics.push(...diagnostics);
  return certificate;
}
