// What the cluster routes share: each challenge's objects are named and
// labelled as cert-manager names its solver's (`cm-acme-http-solver-…`, the
// acme.cert-manager.io/http-domain and http-token labels), carry gitcert's
// managed labels (the start-up sweep finds them by those) and owner
// information, and the backend Service keeps the challenge's record — token,
// host, key authorization, all public by nature — from which a replica that
// is not leading answers a request routed to it.
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { ChallengeMeta, ClusterObject, Http01Challenge, Http01Cluster, Http01Route, Http01RouteContext } from "../types.ts";

export const CHALLENGE_PATH = "/.well-known/acme-challenge/";

/** The record on the backend Service (read back by kube's keyAuthorization lookup and the sweep). */
export const RECORD = {
  token: "gitcert.dev/http01-token",
  host: "gitcert.dev/http01-host",
  keyAuthorization: "gitcert.dev/http01-key-authorization",
  certificate: "gitcert.dev/certificate",
  /** Edit in place: the user's Ingress the path was added to. */
  editedIngress: "gitcert.dev/http01-edited-ingress",
  /** Edit in place: the path came with a rule of its own (removed with it). */
  addedRule: "gitcert.dev/http01-added-rule",
} as const;

/** cert-manager's solver labels (pkg/issuer/acme/http podLabels). */
export const SOLVER_LABEL = {
  domain: "acme.cert-manager.io/http-domain",
  token: "acme.cert-manager.io/http-token",
  solver: "acme.cert-manager.io/http01-solver",
} as const;

export function challengePath(token: string): string {
  return `${CHALLENGE_PATH}${token}`;
}

/** cert-manager's label values: adler32 of the domain and of the token, in decimal. */
export function solverLabels(identifier: string, token: string): Record<string, string> {
  return { [SOLVER_LABEL.domain]: String(adler32(identifier)), [SOLVER_LABEL.token]: String(adler32(token)), [SOLVER_LABEL.solver]: "true" };
}

export function adler32(text: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The host a rule or route matches: none for an IP address (the challenge is then answered on every host, as cert-manager does). */
export function challengeHost(identifier: string): string | undefined {
  return isIP(identifier) ? undefined : identifier;
}

/** Names, labels, record and owner of one challenge's objects, in the Certificate's namespace. */
export async function challengeMeta(cluster: Http01Cluster, challenge: Http01Challenge, context: Http01RouteContext, extraAnnotations: Record<string, string> = {}): Promise<ChallengeMeta> {
  const { certificate } = context;
  // Named after the challenge, not generated: a retry after a crash applies to the same objects.
  const digest = createHash("sha256").update(`${certificate.namespace}\n${challenge.identifier}\n${challenge.token}`).digest("hex").slice(0, 10);
  return {
    namespace: certificate.namespace,
    name: `cm-acme-http-solver-${digest}`,
    labels: cluster.labels(solverLabels(challenge.identifier, challenge.token)),
    annotations: {
      [RECORD.token]: challenge.token,
      [RECORD.host]: challenge.identifier,
      [RECORD.keyAuthorization]: challenge.keyAuthorization,
      [RECORD.certificate]: `${certificate.namespace}/${certificate.name}`,
      ...extraAnnotations,
    },
    ownerReferences: await cluster.ownerReferences(certificate),
  };
}

/** Applies `objects` in order; when one fails, removes those already made and throws. */
export async function applyAll(cluster: Http01Cluster, objects: readonly ClusterObject[]): Promise<void> {
  const made: ClusterObject[] = [];
  try {
    for (const object of objects) {
      await cluster.apply(object);
      made.push(object);
    }
  } catch (err) {
    await removeAll(cluster, made).catch(() => undefined);
    throw err;
  }
}

/** Removes `objects` in reverse order, each attempted even when an earlier one fails; throws the first failure. */
export async function removeAll(cluster: Http01Cluster, objects: readonly ClusterObject[]): Promise<void> {
  let first: unknown;
  for (const object of [...objects].reverse()) {
    try {
      await cluster.remove(object);
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** Template labels and annotations first, so gitcert's own (which the sweep and the lookup rely on) win. */
export function merged(template: Record<string, string> | undefined, own: Record<string, string>): Record<string, string> {
  return { ...template, ...own };
}

/** Notes a podTemplate: cert-manager shapes its solver pod with it; gitcert answers from its own listener and has no pod to shape. */
export function notePodTemplate(onNote: ((message: string) => void) | undefined, where: string, podTemplate: unknown, context: Http01RouteContext): void {
  if (podTemplate === undefined) return;
  onNote?.(`Certificate ${context.certificate.namespace}/${context.certificate.name}: the HTTP-01 solver's ${where}.podTemplate is ignored: gitcert runs no solver pod, its own listener answers`);
}

export interface ObjectsRouteSpec {
  name: string;
  handles(context: Http01RouteContext): boolean;
  /** The solver block's podTemplate and where it was, for the note. */
  podTemplate(context: Http01RouteContext): { where: string; value: unknown };
  /** What the challenge needs in the cluster, in the order it is made. */
  objects(challenge: Http01Challenge, context: Http01RouteContext): Promise<ClusterObject[]>;
}

/** A route that makes objects for a challenge and deletes them afterwards (the temporary Ingress, the HTTPRoute). */
export function objectsRoute(cluster: Http01Cluster, onNote: ((message: string) => void) | undefined, spec: ObjectsRouteSpec): Http01Route {
  const made = new Map<string, ClusterObject[]>();
  return {
    name: spec.name,
    handles: spec.handles,
    async present(challenge, context) {
      if (!spec.handles(context)) return;
      const { where, value } = spec.podTemplate(context);
      notePodTemplate(onNote, where, value, context);
      const list = await spec.objects(challenge, context);
      await applyAll(cluster, list);
      made.set(challenge.token, list);
    },
    async cleanUp(challenge, context) {
      if (!spec.handles(context)) return;
      const list = made.get(challenge.token) ?? (await spec.objects(challenge, context));
      await removeAll(cluster, list);
      made.delete(challenge.token);
    },
  };
}
