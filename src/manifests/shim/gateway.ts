// cert-manager's gateway-shim: a Gateway annotated with an issuer asks for
// one Certificate per Secret its TLS-terminating listeners reference, with
// the hostnames of every listener that references it. The annotations are
// the Ingress ones (annotations.ts, schema.ts), except that
// `kubernetes.io/tls-acme` does not trigger on a Gateway.
import { diagnostic, type Diagnostic, type Severity } from "../../diagnostics.ts";
import { isRecord } from "../../schema/index.ts";
import { ANNOTATION } from "./annotations.ts";
import { certificateForSecret, type HostRef } from "./certificate-for-secret.ts";
import { hasErrors, readShimObject, type ShimOptions } from "./shim-object.ts";
import type { CertificateResource, ManifestDocument } from "../types.ts";

export type { ShimOptions } from "./shim-object.ts";

const TLS_PROTOCOLS = new Set(["HTTPS", "TLS"]);

export function certificatesFromGateway(
  doc: ManifestDocument,
  namespace: string,
  options: ShimOptions = {},
): { certificates: CertificateResource[]; diagnostics: Diagnostic[] } {
  const shim = readShimObject(doc, namespace, "Gateway", options);
  if (!shim) return { certificates: [], diagnostics: [] };
  const where = { source: doc.source, object: shim.owner };
  const report = (message: string, severity: Severity) =>
    shim.diagnostics.push(diagnostic("BadConfig", message, where, severity));

  const spec = isRecord(doc.object.spec) ? doc.object.spec : {};
  let listeners: unknown[] = [];
  if (Array.isArray(spec.listeners)) listeners = spec.listeners;
  else if (spec.listeners !== undefined && spec.listeners !== null) report("spec.listeners: must be a list", "error");

  const ignored = new Set((shim.annotations[ANNOTATION.ignoreTlsListeners] ?? "").split(",").map((s) => s.trim()));
  // Insertion order: Certificates come out in the order their Secrets are first referenced.
  const bySecret = new Map<string, { origin: string; hosts: HostRef[] }>();

  listeners.forEach((listener, i) => {
    const path = `spec.listeners[${i}]`;
    if (!isRecord(listener)) return;
    if (typeof listener.protocol !== "string" || !TLS_PROTOCOLS.has(listener.protocol)) return;
    const tls = isRecord(listener.tls) ? listener.tls : undefined;
    // Gateway API defaults the mode to Terminate; Passthrough never has a certificate here.
    const mode = tls?.mode ?? "Terminate";
    if (mode === "Passthrough") return;
    const listenerName = typeof listener.name === "string" ? listener.name : "";
    if (listenerName !== "" && ignored.has(listenerName)) return;
    const label = listenerName ? `${path} (${JSON.stringify(listenerName)})` : path;

    const problems: string[] = [];
    const hostname = typeof listener.hostname === "string" ? listener.hostname : "";
    if (hostname === "") problems.push(`${path}.hostname: required to derive a certificate`);
    if (tls === undefined) problems.push(`${path}.tls: required for protocol ${listener.protocol}`);
    else if (mode !== "Terminate") problems.push(`${path}.tls.mode: ${JSON.stringify(mode)} is not supported (use Terminate)`);
    const refs = Array.isArray(tls?.certificateRefs) ? tls.certificateRefs : [];
    if (tls !== undefined && refs.length === 0) problems.push(`${path}.tls.certificateRefs: required`);
    if (problems.length > 0) return report(`skipped listener ${label}: ${problems.join(", ")}`, "warning");

    refs.forEach((ref, j) => {
      const refPath = `${path}.tls.certificateRefs[${j}]`;
      if (!isRecord(ref)) return report(`skipped ${refPath}: must be an object`, "warning");
      const group = ref.group ?? "";
      const kind = ref.kind ?? "Secret";
      if ((group !== "" && group !== "core") || (kind !== "" && kind !== "Secret")) {
        // Another controller's certificate source; not a request for us.
        return report(`skipped ${refPath}: refers to ${JSON.stringify(kind)} in group ${JSON.stringify(group)}, not a Secret`, "debug");
      }
      const secretName = typeof ref.name === "string" ? ref.name : "";
      if (secretName === "") return report(`skipped ${refPath}: name is required`, "warning");
      if (ref.namespace !== undefined && ref.namespace !== null && ref.namespace !== namespace) {
        return report(
          `skipped ${refPath}: Secret ${JSON.stringify(secretName)} is in namespace ${JSON.stringify(ref.namespace)}; cross-namespace Secret references are not allowed in listeners`,
          "warning",
        );
      }
      let entry = bySecret.get(secretName);
      if (!entry) {
        entry = { origin: `${refPath}.name`, hosts: [] };
        bySecret.set(secretName, entry);
      }
      entry.hosts.push({ host: hostname, origin: `${path}.hostname` });
    });
  });

  if (bySecret.size === 0 && shim.diagnostics.length === 0) {
    report("has a certificate annotation but no HTTPS or TLS listener with a hostname and a Secret: no Certificate is derived", "warning");
  }
  // Errors so far (annotations, duplicates) mean nothing is derived, but each
  // Certificate is still validated so that one pass reports every problem.
  const derive = !hasErrors(shim.diagnostics);
  if (shim.issuerFailed) return { certificates: [], diagnostics: shim.diagnostics };
  const certificates: CertificateResource[] = [];
  for (const [secretName, { origin, hosts }] of bySecret) {
    const certificate = certificateForSecret(shim, secretName, origin, hosts);
    if (certificate) certificates.push(certificate);
  }
  return { certificates: derive ? certificates : [], diagnostics: shim.diagnostics };
}
