// What a run did with each Certificate, as data: the commit message, the
// status table, and Certificate status, Events and metrics are built from
// these, never from the plan alone.
import type { Diagnostic, ObjectRef, SourceRef } from "../diagnostics.ts";
import { issuerRef } from "../issuers/read.ts";
import type { PlanItem, RecipientChange } from "../plan/index.ts";
import type { CertificateInfo } from "../pki/index.ts";
import { renewalTime } from "../plan/renewal-time.ts";

/** What the Secret holds, as written now or as Git already had it. */
export interface SecretMetadata {
  // Milliseconds since the epoch, as a plan item's state keeps them (annotations.ts).
  notBefore: number;
  notAfter: number;
  /** Undefined when renewal is disabled. */
  renewalTime?: number;
  revision: number;
  /** The certificate's serial number, lowercase hex. */
  serial: string;
}

/** One entry added to or removed from a kustomization.yaml's `resources`. */
export interface KustomizationEdit {
  file: string;
  resource: string;
  change: "added" | "removed";
}

interface OutcomeBase {
  certificate: ObjectRef;
  /** Where the Certificate (or the Ingress it comes from) is declared: file and line. */
  source?: SourceRef;
  /** Repository-relative path of its Secret file. */
  secretPath?: string;
  /** The plan's reason (DoesNotExist, Renewing, RequestChanged…), or the code of what failed. */
  reason: string;
  message: string;
  /** For failed and blocked: why. Otherwise warnings, such as a kustomization.yaml left unedited. */
  diagnostics: Diagnostic[];
  kustomization?: KustomizationEdit;
  /** The plan item this is the outcome of. */
  item: PlanItem;
}

export interface IssuedOutcome extends OutcomeBase {
  kind: "issued" | "renewed" | "reissued";
  issuer: ObjectRef;
  secret: SecretMetadata;
}

/** The Secret's layout changed; certificate and key are the ones it had. */
export interface UpdatedOutcome extends OutcomeBase {
  kind: "updated";
  secret: SecretMetadata;
}

/** The Secret's data key was re-wrapped for the recipients .sops.yaml names; values and MAC unchanged. */
export interface RekeyedOutcome extends OutcomeBase {
  kind: "rekeyed";
  recipients: RecipientChange;
}

/** The Certificate is gone and so is its Secret file. */
export interface RemovedOutcome extends OutcomeBase {
  kind: "removed";
}

export interface FailedOutcome extends OutcomeBase {
  kind: "failed";
  /**
   * The CA refused or could not be reached: the failure counts for backoff.
   * Otherwise it is a mistake to fix here (or a bug), tried again next run.
   */
  atCA: boolean;
  /** Set by the reconcile, which keeps the failure log: when backoff lets the next attempt run. */
  retryAt?: Date;
}

/** Not attempted: the plan holds it (configuration, a shared Secret, backoff). */
export interface BlockedOutcome extends OutcomeBase {
  kind: "blocked";
  /** Held by backoff until then. */
  retryAt?: Date;
}

/** Nothing was due (or the Certificate is gone and its Secret is kept). */
export interface UnchangedOutcome extends OutcomeBase {
  kind: "unchanged";
  /** From the Secret's plaintext annotations; absent when there is no Secret yet. */
  secret?: Partial<SecretMetadata>;
}

export type Outcome = IssuedOutcome | UpdatedOutcome | RekeyedOutcome | RemovedOutcome | FailedOutcome | BlockedOutcome | UnchangedOutcome;

const ISSUED_KIND = { issue: "issued", renew: "renewed", reissue: "reissued" } as const;

function base(item: PlanItem): OutcomeBase {
  return { certificate: item.object, source: item.source, secretPath: item.secretPath, reason: item.reason, message: item.message, diagnostics: [...item.diagnostics], item };
}

/** The outcome of an item execute does not carry out: ok and blocked. */
export function settledByPlan(item: PlanItem): UnchangedOutcome | BlockedOutcome {
  if (item.action === "blocked") return { ...base(item), kind: "blocked", ...(item.retryAt ? { retryAt: item.retryAt } : {}) };
  const state = item.state;
  const secret = state && { notBefore: state.notBefore, notAfter: state.notAfter, renewalTime: item.renewalTime, revision: state.revision };
  return { ...base(item), kind: "unchanged", ...(secret ? { secret } : {}) };
}

/** A Secret written for the item: issued, renewed, reissued or updated. */
export function secretWritten(item: PlanItem, leaf: CertificateInfo, revision: number): IssuedOutcome | UpdatedOutcome {
  const spec = item.certificate!.spec;
  const secret: SecretMetadata = {
    notBefore: leaf.notBefore.getTime(),
    notAfter: leaf.notAfter.getTime(),
    renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, spec)?.getTime(),
    revision,
    serial: leaf.serialNumber,
  };
  if (item.action === "update") return { ...base(item), kind: "updated", secret };
  const kind = ISSUED_KIND[item.action as keyof typeof ISSUED_KIND];
  return { ...base(item), kind, issuer: issuerRef(item.issuer!), secret };
}

export function rekeyed(item: PlanItem, recipients: RecipientChange): RekeyedOutcome {
  return { ...base(item), kind: "rekeyed", recipients };
}

export function removed(item: PlanItem): RemovedOutcome {
  return { ...base(item), kind: "removed" };
}

export function failed(item: PlanItem, d: Diagnostic): FailedOutcome {
  return { ...base(item), kind: "failed", reason: d.code, message: d.message, diagnostics: [d], atCA: d.atCA === true };
}

/** Issued, renewed, reissued, updated, rekeyed or removed: the repository changed for it. */
export function changedRepository(o: Outcome): o is IssuedOutcome | UpdatedOutcome | RekeyedOutcome | RemovedOutcome {
  return o.kind === "issued" || o.kind === "renewed" || o.kind === "reissued" || o.kind === "updated" || o.kind === "rekeyed" || o.kind === "removed";
}
