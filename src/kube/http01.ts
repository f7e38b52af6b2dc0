// The cluster side of HTTP-01 (the routes in src/acme/http01/routes build
// the objects; this sends them): challenge objects created and deleted as
// gitcert's managed objects, the user's Ingress edited with optimistic
// concurrency, the backend that carries a challenge namespace's traffic to
// gitcert's listener in its own namespace, and — so that every replica
// behind the solver Service answers — the lookup of a challenge another
// replica presented, from the record on its backend Service.
//
// Backends. An Ingress or HTTPRoute may only name a Service of its own
// namespace, and gitcert runs in its own, so each challenge gets a Service:
// - externalName (default): type ExternalName, naming gitcert's solver
//   Service (gitcert-http01.<ns>.svc.cluster.local). One object and no
//   rights beyond Services; ingress-nginx and HAProxy follow it by default,
//   Traefik and Contour only when allowed (allowExternalNameServices,
//   enableExternalNameService), GKE's and AWS's load-balancer ingresses and
//   Traefik's Gateway provider not at all.
// - endpoints: a Service without selector (serviceType from the solver,
//   NodePort by default as cert-manager's) and an EndpointSlice holding this
//   pod's IP (POD_IP) and listener port: every controller that reads
//   EndpointSlices follows it, and only the leader is routed to; it needs
//   the right to write EndpointSlices, which can redirect any Service's
//   traffic (ClusterRole gitcert-http01-endpoints, bound only on purpose).
import { isIPv6 } from "node:net";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ChallengeMeta, ClusterObject, Http01Cluster } from "../acme/http01/index.ts";
import { adler32, RECORD, SOLVER_LABEL } from "../acme/http01/index.ts";
import type { Config } from "../config.ts";
import { GitcertError } from "../diagnostics.ts";
import { Cluster, isNotFound, KubeApiError } from "./client.ts";
import { clusterTarget } from "./connect.ts";
import { instanceOf } from "./instance.ts";
import { deleteManaged, FIELD_MANAGER, managedLabels, ownerReferenceTo, selectorOf } from "./managed-objects.ts";
import type { LiveObject } from "./cert-manager-api.ts";

/** What HTTP-01 objects are labelled for (the sweep's and the lookup's selector). */
export const HTTP01_PURPOSE = "http01-solver";

/** The field manager of gitcert's edits to a user's Ingress. */
export const EDIT_FIELD_MANAGER = "gitcert-http01";

export interface Http01BackendSettings {
  backend: "externalName" | "endpoints";
  /** externalName: the DNS name the Service points at. */
  externalName: string;
  /** externalName: the port there (gitcert's solver Service port). */
  externalNamePort: number;
  /** endpoints: this pod's IP (POD_IP) — undefined outside a pod. */
  podIP?: string;
  /** endpoints: the port gitcert's listener listens on. */
  listenerPort: number;
}

const LOOKUP_MISS_MS = 1000;
/**
 * Cluster lookups for tokens this replica did not present, at most this many
 * a second across all tokens: anyone who reaches the HTTP-01 port can ask for
 * token-shaped paths, and each new one would otherwise be a list call to the
 * API server. Past it, unknown tokens are answered 404 until the next second.
 */
const LOOKUPS_PER_SECOND = 10;
const EDIT_ATTEMPTS = 5;

export class ClusterHttp01 implements Http01Cluster {
  private readonly cluster: Cluster;
  private readonly instance: string;
  private readonly settings: Http01BackendSettings;
  private readonly misses = new Map<string, number>();
  private lookups = { second: 0, count: 0 };

  constructor(cluster: Cluster, instance: string, settings: Http01BackendSettings) {
    this.cluster = cluster;
    this.instance = instance;
    this.settings = settings;
  }

  labels(extra: Record<string, string>): Record<string, string> {
    return managedLabels(HTTP01_PURPOSE, this.instance, extra);
  }

  async ownerReferences(certificate: { namespace: string; name: string }): Promise<Array<Record<string, unknown>>> {
    try {
      const live = await this.cluster.call(`get Certificate ${certificate.namespace}/${certificate.name}`, () =>
        this.cluster.objects.read({ apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: certificate.name, namespace: certificate.namespace } }),
      );
      return [{ ...ownerReferenceTo(live as unknown as LiveObject) }];
    } catch {
      // Not applied (yet), or no Certificate CRD: the labels and the gitcert.dev/certificate annotation still say whose it is.
      return [];
    }
  }

  backend(meta: ChallengeMeta, serviceType: "ClusterIP" | "NodePort" | undefined): { objects: ClusterObject[]; service: string; port: number } {
    const metadata = { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations, ownerReferences: meta.ownerReferences };
    const s = this.settings;
    if (s.backend === "externalName") {
      const service: ClusterObject = {
        apiVersion: "v1",
        kind: "Service",
        metadata,
        spec: { type: "ExternalName", externalName: s.externalName, ports: [{ name: "http", port: s.externalNamePort, protocol: "TCP" }] },
      };
      return { objects: [service], service: meta.name, port: s.externalNamePort };
    }
    if (!s.podIP) {
      throw new GitcertError("Configuration", "acme.http01.backend endpoints routes to this pod's IP, but POD_IP is not set (give it from the downward API: fieldRef status.podIP)");
    }
    const service: ClusterObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: { type: serviceType ?? "NodePort", ports: [{ name: "http", port: s.listenerPort, targetPort: s.listenerPort, protocol: "TCP" }] },
    };
    const slice: ClusterObject = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { ...metadata, labels: { ...meta.labels, "kubernetes.io/service-name": meta.name, "endpointslice.kubernetes.io/managed-by": "gitcert.dev" } },
      addressType: isIPv6(s.podIP) ? "IPv6" : "IPv4",
      endpoints: [{ addresses: [s.podIP], conditions: { ready: true } }],
      ports: [{ name: "http", port: s.listenerPort, protocol: "TCP" }],
    };
    return { objects: [service, slice], service: meta.name, port: s.listenerPort };
  }

  // Created, not applied server-side: RBAC then needs `create` but not `patch`, which would let gitcert change any Ingress.
  async apply(object: ClusterObject): Promise<void> {
    const what = `create ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`;
    try {
      await this.cluster.call(what, () => this.cluster.objects.create(object as KubernetesObject, undefined, undefined, FIELD_MANAGER));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return;
      throw unservedKind(err, object);
    }
  }

  async remove(object: ClusterObject): Promise<void> {
    try {
      await deleteManaged(this.cluster, object as KubernetesObject);
    } catch (err) {
      throw unservedKind(err, object);
    }
  }

  edit(ref: { apiVersion: string; kind: string; namespace: string; name: string }, change: (object: ClusterObject) => boolean): Promise<boolean> {
    return editObject(this.cluster, ref, change);
  }

  async keyAuthorization(token: string, host: string | undefined): Promise<string | undefined> {
    const now = Date.now();
    const missed = this.misses.get(token);
    if (missed !== undefined && now - missed < LOOKUP_MISS_MS) return undefined;
    const second = Math.floor(now / 1000);
    if (this.lookups.second !== second) this.lookups = { second, count: 0 };
    if (++this.lookups.count > LOOKUPS_PER_SECOND) return undefined;
    const selector = selectorOf({ ...this.labels({}), [SOLVER_LABEL.token]: String(adler32(token)) });
    const list = await this.cluster.call(`list Services labelled ${selector}`, () =>
      this.cluster.objects.list("v1", "Service", undefined, undefined, undefined, undefined, undefined, selector),
    );
    for (const service of list.items) {
      const annotations = service.metadata?.annotations ?? {};
      if (annotations[RECORD.token] !== token) continue;
      if (host !== undefined && annotations[RECORD.host]?.toLowerCase() !== host) continue;
      const keyAuthorization = annotations[RECORD.keyAuthorization];
      if (keyAuthorization) return keyAuthorization;
    }
    if (this.misses.size > 1000) this.misses.clear();
    this.misses.set(token, now);
    return undefined;
  }
}

/**
 * Changes an object gitcert does not own (the user's Ingress): read,
 * `change` it in place (false: nothing to write), replace with its
 * resourceVersion, again on a conflict. False when it does not exist.
 */
export async function editObject(cluster: Cluster, ref: { apiVersion: string; kind: string; namespace: string; name: string }, change: (object: ClusterObject) => boolean): Promise<boolean> {
  const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
  for (let attempt = 1; ; attempt++) {
    let object: ClusterObject;
    try {
      object = (await cluster.call(`get ${what}`, () => cluster.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }))) as unknown as ClusterObject;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    // The client hands back its typed model; the change works on plain JSON, as the API server sends it.
    // Timestamps (Dates in the model) are the server's to set, and the client would not serialise them back from text.
    const plain = JSON.parse(JSON.stringify(object)) as ClusterObject;
    plain.apiVersion = ref.apiVersion;
    plain.kind = ref.kind;
    const meta = plain.metadata as Record<string, unknown>;
    delete meta.creationTimestamp;
    delete meta.managedFields;
    if (!change(plain)) return true;
    try {
      await cluster.call(`update ${what}`, () => cluster.objects.replace(plain as KubernetesObject, undefined, undefined, EDIT_FIELD_MANAGER));
      return true;
    } catch (err) {
      // Someone else changed it since it was read: read it again (its resourceVersion made the update safe).
      if (err instanceof KubeApiError && err.status === 409 && attempt < EDIT_ATTEMPTS) continue;
      if (err instanceof KubeApiError && err.status === 403) {
        throw new KubeApiError(
          "KubeForbidden",
          `${err.message}. Editing an Ingress in place (acme.cert-manager.io/http01-edit-in-place, solver ingress.name) needs ClusterRole gitcert-http01-edit-in-place bound to gitcert's service account (deploy/controller/rbac.yaml)`,
          403,
        );
      }
      throw err;
    }
  }
}

/** The HTTP-01 side of the configured cluster, or undefined when none is configured. */
export function http01ClusterFor(config: Config, env: NodeJS.ProcessEnv): ClusterHttp01 | undefined {
  const target = clusterTarget({ kubeconfig: config.kubeconfig, context: config.context }, env);
  if (!target) return undefined;
  return new ClusterHttp01(new Cluster(target), instanceOf(config), {
    backend: config["acme.http01.backend"] === "endpoints" ? "endpoints" : "externalName",
    externalName: config["acme.http01.externalName"] || `gitcert-http01.${target.namespace}.svc.cluster.local`,
    externalNamePort: config["acme.http01.externalNamePort"],
    podIP: env.POD_IP || undefined,
    listenerPort: config["acme.http01.port"],
  });
}

/** The client says "Unrecognized API version and kind" for a kind the server does not serve: say which CRDs are missing. */
function unservedKind(err: unknown, object: ClusterObject): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!/Unrecognized API version and kind/i.test(message)) return err;
  const hint = object.apiVersion.startsWith("gateway.networking.k8s.io/") ? ": install the Gateway API CRDs, or use an ingress solver" : "";
  return new KubeApiError("KubeMissingCrd", `${object.kind} ${object.metadata.namespace}/${object.metadata.name}: the cluster does not serve ${object.apiVersion} ${object.kind}${hint}`, 404);
}
