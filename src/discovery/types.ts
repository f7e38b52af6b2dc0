// What gitcert reads from a cluster for one run, as plain data: the objects
// Flux or Argo CD applied that may ask for certificates, and whether
// cert-manager's controller is running. Fetched at the edge (src/kube);
// everything in this room is a pure function of it.
import type { Diagnostic } from "../diagnostics.ts";
import type { LiveObject } from "../kube/cert-manager-api.ts";

/** An object as the API server returns it (JSON): the kube room's LiveObject, whose type alone is used here. */
export type ClusterObject = LiveObject;

/** cert-manager's controller as its leader-election Lease shows it. */
export interface CertManagerPresence {
  running: boolean;
  /** `kube-system/cert-manager-controller` */
  lease: string;
  /** Why running or not, in words: `held by cm-7f9 and renewed 4 s ago`, `no such Lease`. */
  evidence: string;
}

/** What the cluster holds for this run. */
export interface ClusterView {
  /** The API server, for messages. */
  server: string;
  /**
   * Ingresses and Gateways annotated for cert-manager, Certificates,
   * Issuers and ClusterIssuers; undefined when discovery is off. Objects
   * gitcert made, and Certificates a shim made for an Ingress or Gateway,
   * are already left out.
   */
  objects?: ClusterObject[];
  /**
   * Every kind was read. When not (the cluster could not be asked, a kind
   * was refused), Secret files of Certificates once found in the cluster
   * are kept, not removed: their objects may only be out of sight.
   */
  complete: boolean;
  /** What could not be read (a kind gitcert may not list), as warnings. */
  diagnostics: Diagnostic[];
  /** Undefined when it could not be asked. */
  certManager?: CertManagerPresence;
}

/** The cluster view for a run, fetched once and then kept (assess may run several times while a push is retried). */
export type ClusterViewSource = () => Promise<ClusterView | undefined>;

export interface DiscoverySettings {
  /** Folder of a discovered Certificate's Secret file: `{ownerDir}`, `{namespace}`, `{owner}` filled in. */
  secretFolder: string;
  /** Where Secrets go when the owner's folder will not do; empty: none. */
  fallbackFolder: string;
  /** Objects nothing in this repository applies: reported only, or issued into the fallback folder. */
  unowned: "report" | "issue";
}

export const DISCOVERY_DEFAULTS: Readonly<DiscoverySettings> = { secretFolder: "{ownerDir}", fallbackFolder: "", unowned: "report" };
