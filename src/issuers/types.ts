// The issuer extension point. An issuer kind is one folder (or file)
// implementing `Issuer` plus one line in registry.ts: it declares the
// schema of its part of the spec (`spec.<type>`) and, from the spec alone,
// the Secrets it needs, so `resolve` can hold back the Certificates of an
// Issuer that is not ready before anything is ordered; then it signs.
import type { KeyObject } from "node:crypto";
import type { z } from "zod";
import type { SourceRef } from "../diagnostics.ts";
import type { CertificateResource, IssuerResource } from "../manifests/types.ts";

export interface CertificateRequest {
  certificate: CertificateResource;
  issuer: IssuerResource;
  /** PKCS#10 request signed by the certificate's key (ACME submits it). */
  csrPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface IssuedCertificate {
  /** PEM, leaf first, then any intermediates: the content of `tls.crt`. */
  chainPem: string;
  /** The CA for `ca.crt`, when the issuer knows it. */
  caPem?: string;
  /**
   * Plaintext annotations for the Secret, for later planning without
   * decrypting (ACME: the ARI CertID and the account URL).
   */
  annotations?: Record<string, string>;
  /**
   * What the CA did that the Certificate did not ask for (a Venafi zone's
   * overrides): reported as warnings on the Certificate, the certificate
   * kept.
   */
  warnings?: Array<{ code: string; message: string }>;
}

/** Where an issuer finds a Secret it needs (CA keypair, EAB key, DNS token). */
export interface SecretKey {
  namespace: string;
  name: string;
}

/** A Secret an issuer needs before it can sign, declared from its spec alone. */
export interface SecretNeed extends SecretKey {
  /** Keys its `data`/`stringData` must have. */
  keys: string[];
  /** What it holds, for messages: `CA key pair`, `ACME account key`, `TSIG secret`. */
  purpose: string;
  /** The spec field that names it: `spec.ca.secretName`. */
  field: string;
  /** The issuer makes it when it is missing (an ACME account key). */
  createdIfMissing?: true;
  /** A Certificate in the repository may write it (a CA key pair from an isCA Certificate); issuance waits for it. */
  writtenByCertificates?: true;
}

export interface IssuerSecretsContext {
  /** Where this issuer's Secrets live: its namespace, or the cluster resource namespace for a ClusterIssuer. */
  namespace: string;
  /** Only what issuing this Certificate would use (ACME: the solvers its names pick); everything when absent. */
  certificate?: CertificateResource;
}

/** Effects an issuer may use, passed in so tests run the real thing. */
export interface IssuerEnv {
  /**
   * The decoded `data`/`stringData` of a Secret: first one issued earlier in
   * this reconcile, then a SOPS-encrypted file in the repository (MAC
   * verified). Undefined when there is none; throws GitcertError when the
   * file exists but cannot be trusted.
   */
  readSecret(key: SecretKey): Promise<Record<string, Buffer> | undefined>;
  /**
   * Keep a new Secret in the repository (an ACME account key): readable at
   * once through readSecret, written SOPS-encrypted as an Opaque Secret in
   * the folder of `near` (the Issuer's manifest), committed with this
   * reconcile.
   */
  writeSecret(key: SecretKey, data: Record<string, Buffer>, near: SourceRef): Promise<void>;
  now(): Date;
  /**
   * A short-lived token of a Kubernetes service account, from the cluster's
   * TokenRequest API (Vault's kubernetes auth with serviceAccountRef).
   * Absent when gitcert has no cluster.
   */
  serviceAccountToken?(request: ServiceAccountTokenRequest): Promise<string>;
  /** Where a ClusterIssuer's Secrets live (cert-manager's default: `cert-manager`). */
  clusterResourceNamespace: string;
  /**
   * Aborts when the reconcile is abandoned (leadership lost, a shutdown's
   * grace period over): stop waiting, take down what was presented.
   */
  signal?: AbortSignal;
}

export interface ServiceAccountTokenRequest {
  namespace: string;
  /** The service account's name. */
  name: string;
  audiences: string[];
  expirationSeconds: number;
}

/** An answer to "could this issuer sign now?", as cert-manager's Issuer Ready condition gives it. */
export interface IssuerReadiness {
  ready: boolean;
  /** Why, in a sentence: `the ACME server answered its directory`, `connection refused`. */
  message: string;
}

export interface Issuer<Spec = unknown> {
  /** The spec key this implementation handles: `selfSigned`, `ca`, `acme`, `vault`. */
  readonly type: string;
  /**
   * Reads `spec.<type>` (schema.ts beside the implementation): cert-manager's
   * fields, defaults and messages. Read through readIssuer()/specOf().
   */
  readonly schema: z.ZodType<Spec, unknown>;
  /** The Secrets this spec needs, checked by `resolve` before any Certificate of it is planned. */
  secrets(spec: Spec, context: IssuerSecretsContext): SecretNeed[];
  sign(request: CertificateRequest, env: IssuerEnv): Promise<IssuedCertificate>;
  /**
   * The issuer's own view of when to renew (ACME ARI), read from the Secret's
   * plaintext annotations; undefined when it has none. Planning uses it in
   * place of the spec's renewal time, as cert-manager does with ARI.
   */
  renewalHint?(issuer: IssuerResource, annotations: Readonly<Record<string, string>>, now: Date): Promise<{ renewalTime: Date } | undefined>;
  /**
   * A live check of the server behind the issuer (ACME: its directory
   * answers; Vault: sys/health), for Issuer status. `env` reads the Secrets
   * a check may need (a CA bundle); nothing is written.
   */
  ready?(issuer: IssuerResource, env: IssuerEnv): Promise<IssuerReadiness>;
  /** Release listeners and connections the issuer holds. */
  close?(): Promise<void>;
}
