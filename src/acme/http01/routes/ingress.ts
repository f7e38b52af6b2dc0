// The temporary challenge Ingress, as cert-manager's HTTP-01 solver makes
// it: one per pending challenge in the Certificate's namespace, routing
// /.well-known/acme-challenge/<token> (pathType Exact) for the identifier's
// host to a backend Service that reaches gitcert's listener. The solver's
// ingressClassName becomes spec.ingressClassName, its `class` the legacy
// kubernetes.io/ingress.class annotation (the Certificate's override
// annotations having replaced either, overrides.ts); ingressTemplate
// metadata is laid over cert-manager's defaults, serviceType shapes the
// backend Service.
import type { ClusterObject, Http01RouteFactory } from "../types.ts";
import { challengeHost, challengeMeta, challengePath, merged, objectsRoute } from "./challenge-objects.ts";

const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
// cert-manager sets it so ingress-nginx lets the CA in whatever the Ingress class allows; a template may replace it.
const NGINX_WHITELIST = "nginx.ingress.kubernetes.io/whitelist-source-range";

export const ingressRoute: Http01RouteFactory = ({ cluster, onNote }) => {
  if (!cluster) return undefined;
  return objectsRoute(cluster, onNote, {
    name: "ingress",
    handles: (context) => context.solver.ingress !== undefined && !context.solver.ingress.name,
    podTemplate: (context) => ({ where: "ingress", value: context.solver.ingress!.podTemplate }),
    async objects(challenge, context) {
      const ingress = context.solver.ingress!;
      const meta = await challengeMeta(cluster, challenge, context);
      const backend = cluster.backend(meta, ingress.serviceType);
      const template = ingress.ingressTemplate?.metadata;
      const annotations: Record<string, string> = { [NGINX_WHITELIST]: "0.0.0.0/0,::/0" };
      if (ingress.class !== undefined) annotations[INGRESS_CLASS_ANNOTATION] = ingress.class;
      for (const [key, value] of Object.entries(template?.annotations ?? {})) {
        if (key.slice(key.lastIndexOf("/") + 1) === "whitelist-source-range") delete annotations[NGINX_WHITELIST];
        annotations[key] = value;
      }
      const host = challengeHost(challenge.identifier);
      const object: ClusterObject = {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: meta.name, namespace: meta.namespace, labels: merged(template?.labels, meta.labels), annotations, ownerReferences: meta.ownerReferences },
        spec: {
          ...(ingress.ingressClassName !== undefined ? { ingressClassName: ingress.ingressClassName } : {}),
          rules: [
            {
              ...(host ? { host } : {}),
              http: { paths: [{ path: challengePath(challenge.token), pathType: "Exact", backend: { service: { name: backend.service, port: { number: backend.port } } } }] },
            },
          ],
        },
      };
      return [...backend.objects, object];
    },
  });
};
