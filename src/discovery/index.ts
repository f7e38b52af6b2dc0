// The discovery room: what Flux or Argo CD actually applied, read from the
// cluster and merged with what Git holds (one object, one identity; Git's
// copy wins), each object traced to its owner in this repository through
// the labels the GitOps tools put on it, its Secret file placed where that
// owner applies it; and gitcert's stepping back when cert-manager's
// controller runs. Pure: the cluster's objects come in as data (src/kube
// reads them).
export { discover, withoutAnswered, type DiscoveredDocument, type DiscoverInput, type Discovery } from "./discover.ts";
export { ownerClaim, type OwnerClaim } from "./owner-labels.ts";
export { repositoryOwner, type OwnerLookup } from "./repository-owner.ts";
export { secretFolder, type SecretFolder } from "./secret-folder.ts";
export { blockUnplaced } from "./unplaced.ts";
export { LEFT_TO_CERT_MANAGER, leftToCertManager, stepBack, type CoexistencePolicy } from "./coexistence.ts";
export { DISCOVERY_DEFAULTS, type CertManagerPresence, type ClusterObject, type ClusterView, type ClusterViewSource, type DiscoverySettings } from "./types.ts";
export { coexistencePolicy, discoverySettings } from "./settings.ts";
export { keepClusterSecrets, secretSource } from "./secret-source.ts";
