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
 * How an object read from Git reaches the cluster: the Flux Kustomization
 * that applies it, the patches that changed it, the variables substituted
 * into it. Objects discovered in the cluster will carry their own origin.
 */
export interface Origin {
  from: "git";
  appliedBy?: AppliedBy;
  patchedBy: SourceRef[];
  substituted: string[];
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
}
