// The kube room: gitcert's use of a live cluster — access (kubeconfig or
// in-cluster service account), issuer Secrets the repository does not hold,
// Certificate and Issuer status, Events, Certificates derived from Ingresses,
// and leader election. Loaded only when a cluster is configured
// (`clusterConfigured`, in configured.ts, answers without loading it).
export { Cluster, isNotFound, KubeApiError, MERGE_PATCH, type ClusterOptions } from "./client.ts";
export { clusterTarget, type ClusterSettings, type ClusterTarget } from "./connect.ts";
export { API_VERSION, GROUP, listAll, servedPlurals, type LiveObject, type OwnerReference } from "./cert-manager-api.ts";
export { certificateStatus, type CertificateStatus } from "./certificate-status.ts";
export { certificateEvents, type EventSpec } from "./certificate-events.ts";
export { certificateSpecManifest, derivedCertificate, isDerivedByGitcert, MANAGED_BY, MANAGED_BY_LABEL, OWNER_API_VERSIONS } from "./certificate-manifest.ts";
export { EventRecorder, type InvolvedObject } from "./events.ts";
export { issuerStatus } from "./issuer-status.ts";
export { defaultIdentity, HANDOFF_CHECK_MS, LEASE_DEFAULTS, LeaderElector, type LeaseSettings } from "./leader-election.ts";
export { HANDOFF_ANNOTATION, handOffThroughLease, pendingHandOff, type HandOffRequest, type PendingHandOff } from "./lease-handoff.ts";
export { reportToCluster, type ClusterReport, type ReconcileResult } from "./report.ts";
export { ClusterSecrets, type ClusterSecretKeys, type SecretRef } from "./secrets.ts";
export { clusterSecretReader, clusterTokenRequester, openClusterSession, untilAborted, type ClusterSession } from "./session.ts";
export { applyManaged, deleteManaged, FIELD_MANAGER, managedLabels, ownerReferenceTo, PURPOSE_LABEL, sweepManaged, type SweepTarget } from "./managed-objects.ts";
export { INSTANCE_LABEL, instanceOf } from "./instance.ts";
export { ClusterHttp01, EDIT_FIELD_MANAGER, HTTP01_PURPOSE, http01ClusterFor, type Http01BackendSettings } from "./http01.ts";
export { sweepHttp01Leftovers, type SweepResult } from "./http01-sweep.ts";
