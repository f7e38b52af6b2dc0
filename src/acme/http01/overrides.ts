// cert-manager's per-Certificate HTTP-01 overrides: the annotations the
// ingress-shim writes on a Certificate for `acme.cert-manager.io/
// http01-edit-in-place`, `http01-ingress-class` and
// `http01-ingress-ingressclassname` on its Ingress (or a user writes on a
// Certificate), applied to the solver's `ingress` block as cert-manager's
// order controller does: one override replaces class, ingressClassName and
// name together; more than one is an error.
import { GitcertError } from "../../diagnostics.ts";
import type { Http01SolverSpec } from "./schema.ts";

export const HTTP01_OVERRIDE = {
  ingressName: "acme.cert-manager.io/http01-override-ingress-name",
  ingressClass: "acme.cert-manager.io/http01-override-ingress-class",
  ingressClassName: "acme.cert-manager.io/http01-override-ingress-ingressclassname",
} as const;

/** The solver as the Certificate's annotations change it; throws GitcertError (BadConfig) for conflicting overrides. */
export function withOverrides(solver: Http01SolverSpec, annotations: Readonly<Record<string, string>> = {}): Http01SolverSpec {
  if (!solver.ingress) return solver;
  const given = Object.entries(HTTP01_OVERRIDE).filter(([, key]) => key in annotations);
  if (given.length === 0) return solver;
  if (given.length > 1) {
    throw new GitcertError("BadConfig", `may not set more than one of the annotations ${given.map(([, key]) => key).join(", ")}`);
  }
  const [[field, key]] = given as [[keyof typeof HTTP01_OVERRIDE, string]];
  const { class: _class, ingressClassName: _name, name: _ingress, ...rest } = solver.ingress;
  const value = annotations[key]!;
  const ingress = field === "ingressName" ? { ...rest, name: value } : field === "ingressClass" ? { ...rest, class: value } : { ...rest, ingressClassName: value };
  return { ...solver, ingress };
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
