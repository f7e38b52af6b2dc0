// The issuer extension point. An issuer kind is one file implementing
// `Issuer` plus one line in registry.ts; nothing else changes.
import type { KeyObject } from "node:crypto";
import type { Diagnostic, SourceRef } from "../diagnostics.ts";
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
}

/** Where an issuer finds a Secret it needs (CA keypair, EAB key, DNS token). */
export interface SecretKey {
  namespace: string;
  name: string;
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
  /** Where a ClusterIssuer's Secrets live (cert-manager's default: `cert-manager`). */
  clusterResourceNamespace: string;
}

export interface Issuer {
  /** The spec key this implementation handles: `selfSigned`, `ca`, `acme`, `vault`. */
  readonly type: string;
  /** Problems with the issuer's own spec, reported against the Issuer object. */
  validate(issuer: IssuerResource): Diagnostic[];
  /**
   * Secrets that must exist before this issuer can sign. The reconcile issues
   * any Certificate that writes one of them first, so a self-signed → CA →
   * leaf chain converges in one run.
   */
  secretsNeeded(issuer: IssuerResource, clusterResourceNamespace: string): SecretKey[];
  sign(request: CertificateRequest, env: IssuerEnv): Promise<IssuedCertificate>;
  /**
   * The issuer's own view of when to renew (ACME ARI), read from the Secret's
   * plaintext annotations; undefined when it has none. Planning uses it in
   * place of the spec's renewal time, as cert-manager does with ARI.
   */
  renewalHint?(issuer: IssuerResource, annotations: Readonly<Record<string, string>>, now: Date): Promise<{ renewalTime: Date } | undefined>;
  /** Release listeners and connections the issuer holds. */
  close?(): Promise<void>;
}
