// cert-manager's ingress-shim: an Ingress annotated with an issuer asks for
// one Certificate per spec.tls[] entry, named after the entry's secretName.
// See cert-manager-reference.md §4 and shim-object.ts for the shared rules.
import { diagnostic, type Diagnostic } from "../../diagnostics.ts";
import { isRecord } from "../../schema/index.ts";
import { certificateForSecret } from "./certificate-for-secret.ts";
import { hasErrors, readShimObject, type ShimOptions } from "./shim-object.ts";
import type { CertificateResource, ManifestDocument } from "../types.ts";

export type { ShimOptions } from "./shim-object.ts";

export function certificatesFromIngress(
  doc: ManifestDocument,
  namespace: string,
  options: ShimOptions = {},
): { certificates: CertificateResource[]; diagnostics: Diagnostic[] } {
  const shim = readShimObject(doc, namespace, "Ingress", options);
  if (!shim) return { certificates: [], diagnostics: [] };
  const where = { source: doc.source, object: shim.owner };
  const report = (message: string, severity: "error" | "warning") =>
    shim.diagnostics.push(diagnostic("BadConfig", message, where, severity));

  const spec = isRecord(doc.object.spec) ? doc.object.spec : {};
  let entries: unknown[] = [];
  if (Array.isArray(spec.tls)) entries = spec.tls;
  else if (spec.tls !== undefined && spec.tls !== null) report("spec.tls: must be a list", "error");
  else report("has a certificate annotation but no spec.tls entries: no Certificate is derived", "warning");

  // One Certificate per entry, named after its Secret: two entries sharing a
  // Secret would be two Certificates with one name. cert-manager then derives
  // nothing from the Ingress, and neither does gitcert.
  const firstUse = new Map<string, number>();
  entries.forEach((entry, i) => {
    const secretName = isRecord(entry) && typeof entry.secretName === "string" ? entry.secretName : "";
    if (secretName === "") return;
    const first = firstUse.get(secretName);
    if (first === undefined) firstUse.set(secretName, i);
    else {
      report(
        `spec.tls[${first}].secretName: ${JSON.stringify(secretName)} must only appear in a single TLS entry but is also used in spec.tls[${i}].secretName`,
        "error",
      );
    }
  });

  const wanted: { index: number; secretName: string; hosts: string[] }[] = [];
  entries.forEach((entry, i) => {
    const path = `spec.tls[${i}]`;
    if (!isRecord(entry)) return report(`skipped a TLS entry: ${path} must be an object`, "warning");
    const missing: string[] = [];
    const hosts = entry.hosts;
    const hostList = Array.isArray(hosts) ? hosts : [];
    if (hosts !== undefined && hosts !== null && !Array.isArray(hosts)) missing.push(`${path}.hosts: must be a list`);
    else if (hostList.length === 0) missing.push(`${path}.hosts: required`);
    hostList.forEach((h, j) => {
      if (typeof h !== "string") missing.push(`${path}.hosts[${j}]: must be a string`);
    });
    const secretName = entry.secretName;
    if (secretName === undefined || secretName === null || secretName === "") missing.push(`${path}.secretName: required`);
    else if (typeof secretName !== "string") missing.push(`${path}.secretName: must be a string`);
    if (missing.length > 0) return report(`skipped a TLS entry: ${missing.join(", ")}`, "warning");
    wanted.push({ index: i, secretName: secretName as string, hosts: hostList as string[] });
  });

  // Errors so far (annotations, duplicates) mean nothing is derived, but each
  // Certificate is still validated so that one pass reports every problem.
  const derive = !hasErrors(shim.diagnostics);
  if (shim.issuerFailed) return { certificates: [], diagnostics: shim.diagnostics };
  const certificates: CertificateResource[] = [];
  for (const { index, secretName, hosts } of wanted) {
    const certificate = certificateForSecret(
      shim,
      secretName,
      `spec.tls[${index}].secretName`,
      hosts.map((host, j) => ({ host, origin: `spec.tls[${index}].hosts[${j}]` })),
    );
    if (certificate) certificates.push(certificate);
  }
  return { certificates: derive ? certificates : [], diagnostics: shim.diagnostics };
}
