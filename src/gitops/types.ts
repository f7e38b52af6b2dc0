// What the GitOps room knows about a repository: the Flux Kustomizations it
// holds, and for each object where it came from and what was done to it on
// the way to the cluster. Plain data.
import type { SourceRef } from "../diagnostics.ts";
import type { Build } from "./kustomize.ts";
import type { Selector } from "./selector.ts";

/** A kustomize patch, from a kustomization.yaml or a Flux Kustomization. */
export interface Patch {
  type: "strategic" | "json6902";
  /** A mapping (strategic merge) or a list of operations (JSON6902). */
  body: unknown;
  target?: Selector;
  source: SourceRef;
}

export interface SubstituteFromRef {
  kind: "ConfigMap" | "Secret";
  name: string;
  optional: boolean;
}

/** A `kustomize.toolkit.fluxcd.io` Kustomization, as read (after its parent's patches and substitution). */
export interface FluxKustomization {
  name: string;
  namespace: string;
  source: SourceRef;
  /** `spec.path` as written. */
  path: string;
  sourceRef: { kind: string; name: string };
  /** The repository folder `spec.path` names; undefined when it is not in this repository. */
  dir?: string;
  targetNamespace?: string;
  postBuild?: {
    substitute: Record<string, string>;
    substituteFrom: SubstituteFromRef[];
    always: boolean;
  };
  patches: Patch[];
  components: string[];
  decryption?: { provider?: string; secretRef?: string };
}

/** The Flux Kustomization or Argo CD Application that applies an object, for messages and for `plan`. */
export interface AppliedBy {
  kind: "Kustomization" | "Application";
  namespace: string;
  name: string;
  source: SourceRef;
}

/**
 * How an object reaches the cluster. Read from Git: the Flux Kustomization
 * or Argo CD Application that applies it, the patches that changed it, the
 * variables substituted into it. Read from the cluster (discovery): which
 * object, and what in this repository applied it.
 */
export interface Origin {
  from: "git" | "cluster";
  appliedBy?: AppliedBy;
  patchedBy: readonly SourceRef[];
  substituted: readonly string[];
  /** Set when `from` is "cluster". */
  cluster?: ClusterSource;
}

/** What in this repository applied an object found in the cluster (from the labels Flux or Argo CD put on it). */
export interface ClusterOwner {
  kind: "Kustomization" | "HelmRelease" | "Application";
  namespace: string;
  name: string;
  /** The owner's manifest. */
  source: SourceRef;
  /** What applies the owner's manifest (a HelmRelease's Flux Kustomization), when the repository says. */
  appliedBy?: AppliedBy;
}

/**
 * An object gitcert read from the cluster because Git alone does not show
 * it (rendered by Helm, a remote base, a variable from a cluster Secret…):
 * which object, where, what in this repository applied it, and where its
 * Secret file goes.
 */
export interface ClusterSource {
  object: { apiVersion: string; kind: string; namespace?: string; name: string };
  /** The API server it was read from. */
  server: string;
  /** Undefined: nothing in this repository applies it (issued only with discovery.unowned: issue). */
  owner?: ClusterOwner;
  /** The label or annotation that named the owner: `helm.toolkit.fluxcd.io/name=web`. */
  ownerLabel?: string;
  /** For what writes a Secret: the folder of its Secret file and why that one, or why it has none. */
  secretFolder?: { dir: string; how: string } | { problem: string };
}

/** A HelmRelease or Argo CD Application in the repository, as it reaches the cluster: what cluster objects may name as their owner. */
export interface OwnerManifest {
  kind: "HelmRelease" | "Application";
  namespace: string;
  name: string;
  source: SourceRef;
  appliedBy?: AppliedBy;
}

/** An Argo CD Application whose sources are folders of this repository, with what each applies. */
export interface AppliedApplication {
  application: AppliedBy;
  sources: Array<{ dir: string; recurse: boolean; namespace?: string; build: Build }>;
}

/** A Flux Kustomization that renders, with what its build reads. */
export interface AppliedKustomization {
  kustomization: FluxKustomization;
  build?: Build;
}

/** A `ksops` generator (Argo CD + KSOPS) a folder's kustomization.yaml lists. */
export interface KsopsGenerator {
  /** The folder whose kustomization.yaml lists it. */
  dir: string;
  /** Repository path of the generator manifest. */
  file: string;
  /** Its `files:` entries, as written. */
  files: string[];
}

/** What the scan learnt about how the repository reaches the cluster. */
export interface GitOpsView {
  kustomizations: AppliedKustomization[];
  /** Folders holding a Helm chart (Chart.yaml). */
  charts: string[];
  /** Objects were left out for variables gitcert cannot read: nothing may be pruned. */
  incomplete: boolean;
  /** SOPS Secrets Flux substitutes variables from, whose values `plan` did not read. */
  sealedSources: Array<{ namespace: string; name: string; source: SourceRef }>;
  ksops: KsopsGenerator[];
  /** HelmReleases and Applications, each as every applier renders it. */
  owners: OwnerManifest[];
  applications: AppliedApplication[];
}
