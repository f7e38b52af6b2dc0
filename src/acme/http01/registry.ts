// The HTTP-01 route registry. Adding a route is a file in routes/ and one
// line here; the solver presents them in this order and cleans up in
// reverse, so the listener answers before any traffic is routed to it.
import { editedIngressRoute } from "./routes/edited-ingress.ts";
import { gatewayHTTPRouteRoute } from "./routes/gateway-httproute.ts";
import { ingressRoute } from "./routes/ingress.ts";
import { listenerRoute } from "./routes/listener.ts";
import type { Http01Route, Http01RouteDeps, Http01RouteFactory } from "./types.ts";

const ROUTES: readonly Http01RouteFactory[] = [
  listenerRoute,
  ingressRoute,
  editedIngressRoute,
  gatewayHTTPRouteRoute,
];

/** Every route whose dependencies are there. */
export function http01Routes(deps: Http01RouteDeps): Http01Route[] {
  return ROUTES.flatMap((route) => route(deps) ?? []);
}
