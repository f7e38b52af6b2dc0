// The typed resources gitcert recognises in a repository. Everything here is
// plain data: scan produces it, resolve and plan consume it.
import type { Diagnostic, ObjectRef, SourceRef } from "../diagnostics.ts";
import type { GitOpsView, Origin } from "../gitops/types.ts";

export type Labels = Record<string, string>;

/** One YAML document of one file, as parsed. */
export interface ManifestDocument {
  source: SourceRef;
  object: Record<string, unknown>;
  /** How it reaches the cluster (Flux Kustomization, patches, substitutions), once rendered. */
  origin?: Origin;
}

export interface IssuerRef {
  name: string;
  /** `Issuer` (default) or `ClusterIssuer`; other kinds are external issuers. */
  kind: string;
  /** `cert-manager.io` by default. */
  group: string;
}

export interface IssuerResource {
  kind: "Issuer" | "ClusterIssuer";
  name: string;
  /** Namespace of an Issuer; for a ClusterIssuer the empty string. */
  namespace: string;
  /** The raw spec; each issuer implementation validates its own part. */
  spec: Record<string, unknown>;
  source: SourceRef;
  /** How it reaches the cluster, when the scan rendered it (Flux, patches, substitution). */
  origin?: Origin;
}

export interface X509Subject {
  organizations?: string[];
  countries?: string[];
  organizationalUnits?: string[];
  localities?: string[];
  provinces?: string[];
  streetAddresses?: string[];
  postalCodes?: string[];
  serialNumber?: string;
}

export type KeyAlgorithm = "RSA" | "ECDSA" | "Ed25519";

export interface PrivateKeySpec {
  algorithm: KeyAlgorithm;
  /** RSA bits (2048–8192) or ECDSA curve size (256/384/521); 0 for Ed25519. */
  size: number;
  encoding: "PKCS1" | "PKCS8";
  rotationPolicy: "Always" | "Never";
}

export type OutputFormat = "DER" | "CombinedPEM";

export interface RenewalWindow {
  /** robfig/cron syntax: five fields, a descriptor or `@every`. */
  cron: string;
  /** IANA zone; UTC when unset. */
  timezone?: string;
  /** Seconds the window stays open. */
  windowDuration: number;
}

/** A Certificate spec after validation, with cert-manager's defaults applied. */
export interface CertificateSpec {
  secretName: string;
  commonName?: string;
  literalSubject?: string;
  subject?: X509Subject;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emailAddresses: string[];
  /** Requested lifetime in seconds (default 90 days). */
  duration: number;
  /** Seconds before expiry to renew; unset means one third of the lifetime. */
  renewBefore?: number;
  renewBeforePercentage?: number;
  renewalPolicy: "RenewBefore" | "Disabled";
  /** cert-manager v1.21's `spec.renewal.windows`: renewal waits for one to open. */
  renewalWindows?: RenewalWindow[];
  issuerRef: IssuerRef;
  isCA: boolean;
  usages: string[];
  privateKey: PrivateKeySpec;
  secretTemplate: { annotations: Labels; labels: Labels };
  additionalOutputFormats: OutputFormat[];
  revisionHistoryLimit: number;
}

export interface CertificateResource {
  name: string;
  namespace: string;
  labels: Labels;
  spec: CertificateSpec;
  source: SourceRef;
  /** The Ingress or Gateway this Certificate was derived from by the shim. */
  owner?: ObjectRef;
  /** Where it came from beyond its file: the Flux Kustomization that applies it, patches, substituted variables; or the cluster object and its owner. */
  origin?: Origin;
  /**
   * Its `acme.cert-manager.io/…` annotations: per-Certificate ACME settings
   * (the HTTP-01 ingress overrides the shim writes for an Ingress's
   * edit-in-place and ingress-class annotations).
   */
  annotations?: Labels;
  /** The folder its Secret file goes in when not its manifest's: one found in the cluster goes where its owner applies it. */
  secretDir?: string;
}

/**
 * A Secret manifest already in the repository, read without decrypting:
 * its metadata stays plaintext under SOPS, and that is all planning needs.
 */
export interface SecretFile {
  name: string;
  namespace: string;
  type?: string;
  annotations: Labels;
  labels: Labels;
  source: SourceRef;
  /** The document has SOPS metadata (`sops.mac`). */
  encrypted: boolean;
  /** The age recipients its `sops:` block names (plaintext), when it has any. */
  sopsRecipients?: string[];
  /** The keys of `data` and `stringData`: plaintext under SOPS, so an issuer's Secret can be checked without decrypting. */
  keys: string[];
}

/**
 * An object in the repository from which a controller makes a Secret in
 * the cluster: an External Secrets Operator ExternalSecret or a Bitnami
 * SealedSecret. Its keys are not known until it is made, so it only tells a
 * missing Secret's message where that Secret comes from.
 */
export interface SecretMaker {
  kind: "ExternalSecret" | "SealedSecret";
  name: string;
  namespace: string;
  /** The Secret it makes, in its namespace. */
  secretName: string;
  source: SourceRef;
}

/** A kustomization.yaml, for namespace inheritance and `resources` upkeep. */
export interface KustomizationFile {
  /** Repository-relative folder holding it ("" for the root). */
  dir: string;
  /** Repository-relative path of the file itself. */
  file: string;
  namespace?: string;
  resources: string[];
}

export interface ScanResult {
  issuers: IssuerResource[];
  certificates: CertificateResource[];
  secrets: SecretFile[];
  /** ExternalSecrets and SealedSecrets: the Secrets made in the cluster from the repository. */
  secretMakers?: SecretMaker[];
  kustomizations: KustomizationFile[];
  diagnostics: Diagnostic[];
  stats: { files: number; documents: number };
  /** How the repository reaches the cluster: Flux Kustomizations, charts, KSOPS generators. */
  gitops?: GitOpsView;
}

export function certificateRef(c: Pick<CertificateResource, "name" | "namespace">): ObjectRef {
  return { kind: "Certificate", namespace: c.namespace, name: c.name };
}
