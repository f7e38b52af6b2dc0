// cert-manager's per-Certificate HTTP-01 overrides: the annotations the
// ingress-shim writes on a Certificate for `acme.cert-manager.io/
// http01-edit-in-place`, `http01-ingress-class` and
// `http01-ingress-ingressclassname` on its Ingress, and the gateway-shim
// for the Gateway that asked (or a user writes on a Certificate), applied
// to the solver as cert-manager's order controller does: one ingress
// override replaces class, ingressClassName and name together (more than
// one is an error); a parentRef override replaces the solver's parentRef to
// the same object, or is added to them.
import { GitcertError } from "../../diagnostics.ts";
import type { Http01SolverSpec } from "./schema.ts";

export const HTTP01_OVERRIDE = {
  ingressName: "acme.cert-manager.io/http01-override-ingress-name",
  ingressClass: "acme.cert-manager.io/http01-override-ingress-class",
  ingressClassName: "acme.cert-manager.io/http01-override-ingress-ingressclassname",
  parentRefName: "acme.cert-manager.io/http01-parentrefname",
  parentRefKind: "acme.cert-manager.io/http01-parentrefkind",
  parentRefNamespace: "acme.cert-manager.io/http01-parentrefnamespace",
} as const;

const INGRESS_OVERRIDES = ["ingressName", "ingressClass", "ingressClassName"] as const;

/**
 * The solver as the Certificate's annotations change it (`namespace`: the
 * Certificate's, a parentRef's default); throws GitcertError (BadConfig) for
 * conflicting or incomplete overrides.
 */
export function withOverrides(solver: Http01SolverSpec, annotations: Readonly<Record<string, string>> = {}, namespace = ""): Http01SolverSpec {
  if (solver.ingress) return { ...solver, ingress: ingressOverridden(solver.ingress, annotations) };
  if (solver.gatewayHTTPRoute) return { ...solver, gatewayHTTPRoute: parentRefsOverridden(solver.gatewayHTTPRoute, annotations, namespace) };
  return solver;
}

function ingressOverridden(ingress: NonNullable<Http01SolverSpec["ingress"]>, annotations: Readonly<Record<string, string>>): NonNullable<Http01SolverSpec["ingress"]> {
  const given = INGRESS_OVERRIDES.filter((field) => HTTP01_OVERRIDE[field] in annotations);
  if (given.length === 0) return ingress;
  if (given.length > 1) {
    throw new GitcertError("BadConfig", `may not set more than one of the annotations ${given.map((field) => HTTP01_OVERRIDE[field]).join(", ")}`);
  }
  const field = given[0]!;
  const { class: _class, ingressClassName: _name, name: _ingress, ...rest } = ingress;
  const value = annotations[HTTP01_OVERRIDE[field]]!;
  return field === "ingressName" ? { ...rest, name: value } : field === "ingressClass" ? { ...rest, class: value } : { ...rest, ingressClassName: value };
}

type GatewayRoute = NonNullable<Http01SolverSpec["gatewayHTTPRoute"]>;

function parentRefsOverridden(route: GatewayRoute, annotations: Readonly<Record<string, string>>, namespace: string): GatewayRoute {
  const name = annotations[HTTP01_OVERRIDE.parentRefName];
  const kind = annotations[HTTP01_OVERRIDE.parentRefKind];
  if ((name === undefined) !== (kind === undefined)) {
    throw new GitcertError("BadConfig", `the annotations ${HTTP01_OVERRIDE.parentRefName} and ${HTTP01_OVERRIDE.parentRefKind} go together: one without the other is an error`);
  }
  let parentRefs = route.parentRefs ?? [];
  if (name !== undefined && kind !== undefined) {
    const ns = annotations[HTTP01_OVERRIDE.parentRefNamespace] || namespace;
    // The solver's own parentRef to the same object gives way (no kind in it matches any kind).
    const same = (ref: Record<string, unknown>) => ref.namespace === ns && ref.name === name && (ref.kind === undefined || ref.kind === kind);
    parentRefs = [...parentRefs.filter((ref) => !same(ref)), { name, namespace: ns, kind }];
  }
  if (parentRefs.length === 0) throw new GitcertError("BadConfig", "the gatewayHTTPRoute solver needs parentRefs, in its config or through the Certificate's parentRef annotations");
  return { ...route, parentRefs };
}

/**
 * What the solver asks the cluster for, in words, or undefined when it asks
 * for nothing (`http01: {}`: the user routes traffic to the listener).
 */
export function routeWanted(solver: Http01SolverSpec, namespace: string): string | undefined {
  const ingress = solver.ingress;
  if (ingress?.name) return `the challenge path added to Ingress ${namespace}/${ingress.name} (edit in place)`;
  if (ingress) {
    const cls = ingress.ingressClassName ? ` of class ${ingress.ingressClassName}` : ingress.class ? ` with the ingress.class annotation ${ingress.class}` : "";
    return `a temporary challenge Ingress${cls} in ${namespace}`;
  }
  if (solver.gatewayHTTPRoute) return `a temporary HTTPRoute in ${namespace}`;
  return undefined;
}
