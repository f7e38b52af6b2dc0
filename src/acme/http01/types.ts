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
  /** Whether this route carries the domain's traffic for this solver (the listener only answers it). */
  handles?(context: Http01RouteContext): boolean;
  /**
   * Makes the challenge answerable through this route, idempotently; when
   * it throws, it leaves nothing behind. A route with nothing to do for
   * this solver (no `ingress` block for an Ingress route) returns at once.
   */
  present(challenge: Http01Challenge, context: Http01RouteContext): Promise<void>;
  /** Undoes a present that succeeded, whatever happened to the validation. */
  cleanUp(challenge: Http01Challenge, context: Http01RouteContext): Promise<void>;
}

/** An object in the cluster, as the routes build it (Ingress, HTTPRoute, Service, EndpointSlice). */
export interface ClusterObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    resourceVersion?: string;
  };
  [field: string]: unknown;
}

/** What one challenge's objects are named and marked with. */
export interface ChallengeMeta {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: Array<Record<string, unknown>>;
}

/**
 * The cluster, as HTTP-01 routes use it (src/kube implements it; the routes
 * build the objects, this port sends them). Present only when a cluster is
 * configured.
 */
export interface Http01Cluster {
  /** gitcert's labels on an object made for a challenge (managed-by, instance, purpose), over `extra`. */
  labels(extra: Record<string, string>): Record<string, string>;
  /** An owner reference to the Certificate when it exists in the cluster, so its deletion takes the challenge objects along. */
  ownerReferences(certificate: CertificateResource): Promise<Array<Record<string, unknown>>>;
  /**
   * The objects through which `meta.namespace` reaches gitcert's listener
   * (an ExternalName Service, or a Service without selector and an
   * EndpointSlice), and the Service port a route names.
   */
  backend(meta: ChallengeMeta, serviceType: "ClusterIP" | "NodePort" | undefined): { objects: ClusterObject[]; service: string; port: number };
  /**
   * Creates an object gitcert owns. One already there is kept: its name
   * comes from the challenge, so it is this challenge's (a second order
   * sharing the authorization, or a retry).
   */
  apply(object: ClusterObject): Promise<void>;
  /** Deletes an object gitcert made; one already gone is fine. */
  remove(object: ClusterObject): Promise<void>;
  /**
   * Changes an object gitcert does not own (the user's Ingress): read,
   * `change` it in place (false: nothing to write), replace with its
   * resourceVersion, again on a conflict. False when the object does not exist.
   */
  edit(ref: { apiVersion: string; kind: string; namespace: string; name: string }, change: (object: ClusterObject) => boolean): Promise<boolean>;
  /** The key authorization another replica presented for `token`, from its record in the cluster (every replica answers). */
  keyAuthorization(token: string, host: string | undefined): Promise<string | undefined>;
}

/** What routes are built from, once per process. */
export interface Http01RouteDeps {
  /** gitcert's own HTTP-01 listener. */
  listener: Http01Server;
  /** The cluster the Ingress, edited-Ingress and HTTPRoute routes work in; absent when none is configured. */
  cluster?: Http01Cluster;
  /** Notes worth a debug line (a solver field gitcert has no use for). */
  onNote?: (message: string) => void;
}

/** Builds a route, or undefined when its dependencies are absent (no cluster configured). */
export type Http01RouteFactory = (deps: Http01RouteDeps) => Http01Route | undefined;
