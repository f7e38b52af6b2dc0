// The Gateway API route, as cert-manager's HTTP-01 solver makes it: an
// HTTPRoute per pending challenge in the Certificate's namespace, attached
// to the solver's parentRefs (passed on as written), matching the path
// exactly for the identifier's hostname, its backendRef a Service in the
// same namespace that reaches gitcert's listener (so no ReferenceGrant is
// needed). The solver's labels go on the HTTPRoute; serviceType shapes the
// backend Service.
import type { ClusterObject, Http01RouteFactory } from "../types.ts";
import { challengeHost, challengeMeta, challengePath, merged, objectsRoute } from "./challenge-objects.ts";

export const gatewayHTTPRouteRoute: Http01RouteFactory = ({ cluster, onNote }) => {
  if (!cluster) return undefined;
  return objectsRoute(cluster, onNote, {
    name: "gateway-httproute",
    handles: (context) => context.solver.gatewayHTTPRoute !== undefined,
    podTemplate: (context) => ({ where: "gatewayHTTPRoute", value: context.solver.gatewayHTTPRoute!.podTemplate }),
    async objects(challenge, context) {
      const route = context.solver.gatewayHTTPRoute!;
      const meta = await challengeMeta(cluster, challenge, context);
      const backend = cluster.backend(meta, route.serviceType);
      // Gateway API hostnames cannot be IP addresses: an IP identifier matches every hostname.
      const host = challengeHost(challenge.identifier);
      const object: ClusterObject = {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: meta.name, namespace: meta.namespace, labels: merged(route.labels, meta.labels), ownerReferences: meta.ownerReferences },
        spec: {
          parentRefs: route.parentRefs ?? [],
          ...(host ? { hostnames: [host] } : {}),
          rules: [
            {
              matches: [{ path: { type: "Exact", value: challengePath(challenge.token) } }],
              backendRefs: [{ group: "", kind: "Service", name: backend.service, namespace: meta.namespace, port: backend.port, weight: 1 }],
            },
          ],
        },
      };
      return [...backend.objects, object];
    },
  });
};
