// A solver's `http01` block, cert-manager's ACMEChallengeSolverHTTP01: how
// the domain's traffic reaches the challenge answer in a cluster (a
// temporary or edited Ingress, or a Gateway API HTTPRoute). gitcert's own
// listener answers either way; the routes in routes/ read this to set up
// the path to it. Nothing is defaulted here: each route applies
// cert-manager's defaults for what it creates.
import { z } from "zod";
import { isRecord, mapping, optionalText, stringMap } from "../../schema/index.ts";

export interface ObjectMetaTemplate {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PodTemplate {
  metadata?: ObjectMetaTemplate;
  /** nodeSelector, tolerations, affinity, …: passed on as written. */
  spec?: Record<string, unknown>;
}

export interface Http01IngressSpec {
  class?: string;
  ingressClassName?: string;
  /** Edit this existing Ingress instead of creating one. */
  name?: string;
  serviceType?: "ClusterIP" | "NodePort";
  ingressTemplate?: { metadata?: ObjectMetaTemplate };
  podTemplate?: PodTemplate;
}

export interface Http01GatewayHTTPRouteSpec {
  /** Gateway API ParentReferences, passed on as written. */
  parentRefs?: Array<Record<string, unknown>>;
  labels?: Record<string, string>;
  serviceType?: "ClusterIP" | "NodePort";
  podTemplate?: PodTemplate;
}

export interface Http01SolverSpec {
  ingress?: Http01IngressSpec;
  gatewayHTTPRoute?: Http01GatewayHTTPRouteSpec;
}

const metadata = mapping({ labels: stringMap().optional(), annotations: stringMap().optional() });
const podTemplate = mapping({ metadata: metadata.optional(), spec: z.record(z.string(), z.unknown()).optional() });
const serviceType = z.enum(["ClusterIP", "NodePort"]).optional();

const ingress = mapping({
  class: optionalText(),
  ingressClassName: optionalText(),
  name: optionalText(),
  serviceType,
  ingressTemplate: mapping({ metadata: metadata.optional() }).optional(),
  podTemplate: podTemplate.optional(),
}).superRefine((i, ctx) => {
  const set = (["class", "ingressClassName", "name"] as const).filter((k) => i[k] !== undefined);
  if (set.length > 1) ctx.addIssue({ code: "custom", message: `only one of class, ingressClassName or name may be set (found ${set.join(", ")})` });
});

const gatewayHTTPRoute = mapping({
  parentRefs: z.array(z.record(z.string(), z.unknown())).optional(),
  labels: stringMap().optional(),
  serviceType,
  podTemplate: podTemplate.optional(),
});

export const http01SolverSchema: z.ZodType<Http01SolverSpec, unknown> = mapping({
  ingress: ingress.optional(),
  gatewayHTTPRoute: gatewayHTTPRoute.optional(),
}).superRefine((h, ctx) => {
  if (h.ingress && h.gatewayHTTPRoute) ctx.addIssue({ code: "custom", message: "may set ingress or gatewayHTTPRoute, not both" });
});

/** `http01:` with nothing after it is an HTTP-01 solver with cert-manager's defaults, not a missing one. */
export function emptyHttp01AsDefaults(solver: unknown): unknown {
  return isRecord(solver) && "http01" in solver && solver.http01 === null ? { ...solver, http01: {} } : solver;
}
