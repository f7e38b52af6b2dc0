// Where a Certificate's Secret file goes. Names come from manifests, so the
// result is checked to stay inside the repository before it is ever a path.
import { posix } from "node:path";
import type { CertificateResource } from "../manifests/types.ts";
import { dns1123SubdomainProblem } from "../manifests/validate-names.ts";

export type Placement = { path: string } | { error: string };

export function secretFilePath(certificate: CertificateResource, template: string): Placement {
  const { namespace, name, spec } = certificate;
  for (const [field, value] of [["namespace", namespace], ["name", name], ["spec.secretName", spec.secretName]] as const) {
    if (dns1123SubdomainProblem(value) !== undefined) {
      return { error: `${field} ${JSON.stringify(value)} cannot be used in a file name` };
    }
  }
  const dir = posix.dirname(certificate.source.file);
  // A manifest at the repository root has no folder: `{dir}/x` is just `x`.
  const expanded = (dir === "." ? template.replaceAll("{dir}/", "").replaceAll("{dir}", "") : template.replaceAll("{dir}", dir))
    .replaceAll("{namespace}", namespace)
    .replaceAll("{name}", name)
    .replaceAll("{secretName}", spec.secretName);
  const path = posix.normalize(expanded);
  if (path.startsWith("../") || path === ".." || posix.isAbsolute(path) || path.includes("\0")) {
    return { error: `secret path ${JSON.stringify(expanded)} is outside the repository` };
  }
  if (path === "." || path.endsWith("/")) return { error: `secret path ${JSON.stringify(expanded)} is not a file` };
  return { path };
}
