// Can an Issuer sign? As cert-manager waits for an Issuer to be Ready: its
// spec reads with its kind's schema, and every Secret it needs is there with
// the keys it needs — in the Secret index, or made by the issuer itself (an
// ACME account key), or written by a Certificate in the repository that can
// itself be issued (a CA key pair from an isCA Certificate; issuance waves
// order the two).
import { readIssuer, type IssuerRegistry } from "../issuers/read.ts";
import type { SecretNeed } from "../issuers/types.ts";
import { objectLabel } from "../diagnostics.ts";
import { secretKey, type SecretIndex } from "./secret-index.ts";
import { certificateRef, type CertificateResource, type IssuerResource } from "./types.ts";

export interface IssuerProblem {
  code: "InvalidIssuer" | "IssuerNotReady";
  /** Follows the issuer's name: `is not ready: Secret cert-manager/ca (CA key pair, spec.ca.secretName): not found in …`. */
  message: string;
}

export interface ReadinessInput {
  issuers: IssuerRegistry;
  clusterResourceNamespace: string;
  secrets: SecretIndex;
  /** Every Certificate that may write a Secret. */
  certificates: readonly CertificateResource[];
  /** The issuer each Certificate resolved to. */
  issuerOf: ReadonlyMap<CertificateResource, IssuerResource>;
  /** Certificates blocked for reasons of their own (a contested name, no issuer): they write nothing. */
  blocked: ReadonlySet<CertificateResource>;
}

export class IssuerReadiness {
  private readonly input: ReadinessInput;
  /** `namespace/secretName` → the Certificates writing it. */
  private readonly writers = new Map<string, CertificateResource[]>();
  private readonly issuable = new Map<CertificateResource, boolean>();
  private readonly visiting = new Set<CertificateResource>();

  constructor(input: ReadinessInput) {
    this.input = input;
    for (const certificate of input.certificates) {
      const key = secretKey(certificate.namespace, certificate.spec.secretName);
      const list = this.writers.get(key);
      if (list) list.push(certificate);
      else this.writers.set(key, [certificate]);
    }
  }

  /** Why `issuer` cannot sign (for `certificate`, when given: only the Secrets its issuance uses); undefined when it can. */
  problem(issuer: IssuerResource, certificate?: CertificateResource): IssuerProblem | undefined {
    const reading = readIssuer(this.input.issuers, issuer, this.input.clusterResourceNamespace);
    if (!reading.ok) return { code: "InvalidIssuer", message: `is invalid: ${reading.problems.map((p) => p.message).join("; ")}` };
    const needs = reading.issuer.secrets(reading.spec, { namespace: reading.namespace, ...(certificate ? { certificate } : {}) });
    const missing = needs.flatMap((need) => this.missing(need));
    return missing.length > 0 ? { code: "IssuerNotReady", message: `is not ready: ${missing.join("; ")}` } : undefined;
  }

  private missing(need: SecretNeed): string[] {
    const key = secretKey(need.namespace, need.name);
    const what = `Secret ${key} (${need.purpose}, ${need.field})`;
    const known = this.input.secrets.secrets.get(key);
    if (known) {
      const absent = need.keys.filter((k) => !known.keys.includes(k));
      if (absent.length === 0) return [];
      return [`${what} at ${known.where} has no key ${absent.map((k) => JSON.stringify(k)).join(" or ")}`];
    }
    if (need.createdIfMissing) return [];
    const writers = need.writtenByCertificates ? (this.writers.get(key) ?? []) : [];
    if (writers.some((c) => this.canIssue(c))) return [];
    const maker = this.input.secrets.makers?.get(key);
    if (maker) {
      const by = `the ${maker.kind} ${maker.namespace}/${maker.name} at ${maker.source.file}:${maker.source.line}`;
      // Its keys exist only in the cluster, once its controller has made it.
      if (this.input.secrets.repositoryOnly) return [`${what}: not in the repository: ${by} makes it in the cluster; configure a cluster (kubeconfig) so gitcert can read it there`];
      return [`${what}: not found in ${this.input.secrets.lookedIn}; ${by} should make it there: see its status in the cluster`];
    }
    const notFound = `${what}: not found in ${this.input.secrets.lookedIn}`;
    if (writers.length === 0) return [notFound];
    const named = writers.map((c) => `${objectLabel(certificateRef(c))} at ${c.source.file}:${c.source.line}`).join(", ");
    return [`${notFound}; ${named} would write it but cannot be issued`];
  }

  private canIssue(certificate: CertificateResource): boolean {
    const known = this.issuable.get(certificate);
    if (known !== undefined) return known;
    // A CA whose key pair depends on itself: left to issuance, which names the cycle.
    if (this.visiting.has(certificate)) return true;
    const issuer = this.input.issuerOf.get(certificate);
    this.visiting.add(certificate);
    const ok = !this.input.blocked.has(certificate) && issuer !== undefined && this.problem(issuer, certificate) === undefined;
    this.visiting.delete(certificate);
    this.issuable.set(certificate, ok);
    return ok;
  }
}
