// Small readers for issuer specs, which arrive as untyped YAML.
import type { ObjectRef } from "../diagnostics.ts";
import type { IssuerResource } from "../manifests/types.ts";

export function issuerRef(issuer: IssuerResource): ObjectRef {
  return issuer.kind === "ClusterIssuer"
    ? { kind: issuer.kind, name: issuer.name }
    : { kind: issuer.kind, namespace: issuer.namespace, name: issuer.name };
}

/** An optional list of strings at `obj[field]`. */
export function stringList(obj: object, field: string): { value?: string[]; error?: string } {
  const v = (obj as Record<string, unknown>)[field];
  if (v === undefined || v === null) return {};
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { value: v as string[] };
  return { error: `${field} must be a list of strings` };
}

/** The issuer type: the one spec key among those gitcert knows. */
export function issuerType(issuer: IssuerResource, known: Iterable<string>): string | undefined {
  for (const type of known) if (type in issuer.spec) return type;
  return undefined;
}
