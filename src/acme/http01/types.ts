// The HTTP-01 extension point. A route is one way of getting the ACME
// server's request for `http://<domain>/.well-known/acme-challenge/<token>`
// answered: gitcert's own listener answers it; routes the cluster work adds
// (a temporary Ingress, an edited Ingress, a Gateway HTTPRoute) carry the
// domain's traffic to that listener. The solver composes every route that
// exists: in a cluster, the listener still answers while an Ingress routes.
import type { CertificateResource, IssuerResource } from "../../manifests/types.ts";
import type { Http01SolverSpec } from "./schema.ts";
import type { Http01Server } from "./server.ts";

export interface Http01Challenge {
  /** The name being validated (never a wildcard: those need DNS-01). */
  identifier: string;
  token: string;
  /** What the URL must answer: `<token>.<account key thumbprint>`. */
  keyAuthorization: string;
}

export interface Http01RouteContext {
  /** The solver's `http01` block, as its schema read it: which route to make and how. */
  solver: Http01SolverSpec;
  certificate: CertificateResource;
  issuer: IssuerResource;
}

export interface Http01Route {
  /** For messages: `listener`, `ingress`, `gateway-httproute`. */
  readonly name: string;
  /**
   * Makes the challenge answerable through this route, idempotently; when
   * it throws, it leaves nothing behind. A route with nothing to do for
   * this solver (no `ingress` block for an Ingress route) returns at once.
   */
  present(challenge: Http01Challenge, context: Http01RouteContext): Promise<void>;
  /** Undoes a present that succeeded, whatever happened to the validation. */
  cleanUp(challenge: Http01Challenge, context: Http01RouteContext): Promise<void>;
}

/** What routes are built from, once per process. Routes that need a cluster add it here. */
export interface Http01RouteDeps {
  /** gitcert's own HTTP-01 listener. */
  listener: Http01Server;
}

/** Builds a route, or undefined when its dependencies are absent (no cluster configured). */
export type Http01RouteFactory = (deps: Http01RouteDeps) => Http01Route | undefined;
