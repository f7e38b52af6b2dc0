// What the venafi room needs to reach one zone, as plain data: the issuer
// resolves spec.venafi and its Secrets into this.
import type { ChainBundle } from "../pki/index.ts";

export interface TppConnection {
  platform: "tpp";
  /** spec.venafi.tpp.url; a trailing /vedsdk is accepted and dropped. */
  url: string;
  /** spec.venafi.zone: the policy folder under \VED\Policy. */
  zone: string;
  /** credentialsRef: `access-token`, or `username` + `password` (+ `client-id`). */
  credentials: { accessToken: string } | { username: string; password: string; clientId?: string };
  /** caBundle / caBundleSecretRef. */
  caPem?: string;
}

export interface CloudConnection {
  platform: "cloud";
  /** spec.venafi.cloud.url; default https://api.venafi.cloud/. */
  url?: string;
  /** `Application\Issuing Template Alias`. */
  zone: string;
  apiKey: string;
  /**
   * Roots to trust instead of the system's. spec.venafi.cloud has no
   * caBundle; this comes from gitcert's own settings, for an endpoint behind
   * a TLS-inspecting proxy.
   */
  caPem?: string;
}

export type VenafiConnection = (TppConnection | CloudConnection) & {
  timeoutMs?: number;
  /** Between two "not issued yet" answers (default 2 s, as vcert). */
  pollIntervalMs?: number;
  /** How long to wait for issuance before giving up for this run (default 60 s, as cert-manager). */
  maxWaitMs?: number;
};

/** The venafi.cert-manager.io/custom-fields annotation, issuer's and Certificate's merged. */
export interface CustomField {
  name: string;
  value: string;
}

export interface VenafiRequest {
  csrPem: string;
  durationSeconds: number;
  customFields?: CustomField[];
}

export interface VenafiIssued {
  chain: ChainBundle;
  /** TPP's CertificateDN or Cloud's request id. */
  pickupId: string;
  /** What the CA changed against the request, in words (zoneOverrides). */
  overrides: string[];
}
