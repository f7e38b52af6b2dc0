// A Certificate's status as cert-manager would write it, from what this
// reconcile planned and did. Pure. "Ready" means the certificate gitcert keeps
// in Git is valid for the spec Git holds (Flux or Argo CD applies that Secret);
// "Issuing" is present while an issuance is due or after one failed, with
// cert-manager's reasons and messages, so `kubectl get certificate` and Argo
// CD's health check read it as they read cert-manager's.
import type { IssuedOutcome, Outcome, UpdatedOutcome } from "../execute/index.ts";
import { ISSUING_ACTIONS, type FailureRecord, type PlanItem } from "../plan/index.ts";
import { kubeTime, nextConditions, type Condition, type WantedCondition } from "./conditions.ts";

export interface CertificateStatus {
  conditions?: Condition[];
  lastFailureTime?: string;
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
  revision?: number;
  failedIssuanceAttempts?: number;
  [field: string]: unknown;
}

export interface StatusInput {
  item: PlanItem;
  /** What this run did with the item (execute's typed outcome); none before execution. */
  outcome?: Outcome;
  /** The status the cluster holds now. */
  current?: CertificateStatus;
  /** metadata.generation of the Certificate in the cluster. */
  generation?: number;
  /** The Certificate's entry in the failure log (Git's record of failed attempts) after this run. */
  failure?: FailureRecord;
  now: Date;
}

const READY_MESSAGE = "Certificate is up to date and has not expired";
const ISSUED_MESSAGE = "The certificate has been successfully issued";

/** The fields gitcert owns, computed afresh; fields it does not know are kept from `current`. */
export function certificateStatus(input: StatusInput): CertificateStatus {
  const { item, outcome, current, now } = input;
  const validity = validityOf(item, outcome);
  const failure = failureOf(input);
  const valid = validity.notAfter !== undefined && new Date(validity.notAfter) > now;

  let ready: WantedCondition;
  let issuing: WantedCondition | undefined;
  if (wroteSecret(outcome)) {
    ready = { type: "Ready", status: "True", reason: "Ready", message: READY_MESSAGE };
  } else if (item.action === "ok" || item.action === "rekey" || item.reason === "NoIdentityForRekey") {
    // Who can decrypt the Secret changed (or cannot be changed yet): the certificate is as valid as it was.
    ready = { type: "Ready", status: "True", reason: "Ready", message: READY_MESSAGE };
  } else if (outcome?.kind === "failed" && !ISSUING_ACTIONS.has(item.action)) {
    // rewriting the Secret's layout failed locally; the certificate itself is unchanged
    ready = valid ? { type: "Ready", status: "True", reason: "Ready", message: READY_MESSAGE } : notReady(item, now);
  } else if (outcome?.kind === "failed" || item.reason === "Backoff") {
    // The certificate in Git stays in use while a renewal fails, as cert-manager's Secret does.
    ready = valid && specMatches(item) ? { type: "Ready", status: "True", reason: "Ready", message: READY_MESSAGE } : notReady(item, now);
    issuing = { type: "Issuing", status: "False", reason: "Failed", message: `The certificate request has failed to complete and will be retried: ${failure?.message ?? "unknown error"}` };
  } else if (ISSUING_ACTIONS.has(item.action) && !outcome) {
    ready = valid && specMatches(item) ? { type: "Ready", status: "True", reason: "Ready", message: READY_MESSAGE } : notReady(item, now);
    issuing = { type: "Issuing", status: "True", reason: item.reason, message: triggerMessage(item) };
  } else {
    // blocked by the user's configuration (or by an issuer that is not ready): nothing is issued until it is fixed
    ready = { type: "Ready", status: "False", reason: item.reason, message: item.message };
  }

  const next: CertificateStatus = { ...current };
  next.conditions = nextConditions(current?.conditions, issuing ? [ready, issuing] : [ready], issuing ? [] : ["Issuing"], input.generation, now);
  setOrDrop(next, "notBefore", validity.notBefore);
  setOrDrop(next, "notAfter", validity.notAfter);
  setOrDrop(next, "renewalTime", validity.renewalTime);
  setOrDrop(next, "revision", validity.revision);
  setOrDrop(next, "lastFailureTime", failure?.time && kubeTime(failure.time));
  setOrDrop(next, "failedIssuanceAttempts", failure?.attempts);
  return next;
}

/** The message of cert-manager's success event and its Issuing condition. */
export { ISSUED_MESSAGE };

interface Validity {
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
  revision?: number;
}

/** An outcome that wrote the certificate's Secret (issued, renewed, reissued, or the same certificate in a new layout). */
export function wroteSecret(outcome: Outcome | undefined): outcome is IssuedOutcome | UpdatedOutcome {
  return outcome?.kind === "issued" || outcome?.kind === "renewed" || outcome?.kind === "reissued" || outcome?.kind === "updated";
}

function validityOf(item: PlanItem, outcome: Outcome | undefined): Validity {
  if (wroteSecret(outcome)) {
    const { secret } = outcome;
    return {
      notBefore: kubeTime(secret.notBefore),
      notAfter: kubeTime(secret.notAfter),
      renewalTime: secret.renewalTime === undefined ? undefined : kubeTime(secret.renewalTime),
      revision: secret.revision || undefined,
    };
  }
  const state = item.state;
  if (state?.notAfter === undefined) return {};
  const renewal = item.renewalTime ?? state.renewalTime;
  return {
    notBefore: state.notBefore === undefined ? undefined : kubeTime(state.notBefore),
    notAfter: kubeTime(state.notAfter),
    renewalTime: renewal === undefined ? undefined : kubeTime(renewal),
    revision: state.revision || undefined,
  };
}

/** The failure to show: this run's, counted as Git's failure log counts it (cert-manager's failedIssuanceAttempts). */
function failureOf(input: StatusInput): { attempts?: number; time?: Date; message: string } | undefined {
  const { item, outcome, failure } = input;
  if (wroteSecret(outcome) || item.action === "ok") return undefined;
  const record = failure && failure.requestHash === item.requestHash ? failure : undefined;
  // A failure at the CA is in the failure log; a local one (no recipient, a bug) only in the outcome.
  if (outcome?.kind === "failed" && ISSUING_ACTIONS.has(item.action)) {
    return { attempts: record?.attempts, time: record?.lastFailureTime, message: outcome.diagnostics[0]?.message ?? record?.message ?? "unknown error" };
  }
  return record && { attempts: record.attempts, time: record.lastFailureTime, message: record.message };
}

/** The Secret in Git was issued for the spec Git holds now (no reissue pending). */
function specMatches(item: PlanItem): boolean {
  const state = item.state;
  if (!state || state.requestHash !== item.requestHash) return false;
  return state.issuer === undefined || !item.issuer || state.issuer === `${item.issuer.kind}/${item.issuer.name}`;
}

function notReady(item: PlanItem, now: Date): WantedCondition {
  const notAfter = item.state?.notAfter;
  if (notAfter !== undefined && notAfter <= now.getTime()) return { type: "Ready", status: "False", reason: "Expired", message: `Certificate expired on ${rfc1123(notAfter)}` };
  if (!item.state) return { type: "Ready", status: "False", reason: "DoesNotExist", message: "Issuing certificate as Secret does not exist" };
  const reason = item.reason === "Backoff" ? "RequestChanged" : item.reason;
  return { type: "Ready", status: "False", reason, message: triggerMessage({ ...item, reason }) };
}

/** cert-manager's trigger messages (internal/controller/certificates/policies/checks.go). */
export function triggerMessage(item: PlanItem): string {
  const state = item.state;
  switch (item.reason) {
    case "DoesNotExist":
      return "Issuing certificate as Secret does not exist";
    case "MissingData":
      return "Issuing certificate as Secret is missing gitcert's validity annotations";
    case "IncorrectCertificate":
      return `Secret was issued for "${state?.certificate ?? "another Certificate"}". If this message is not transient, you might have two conflicting Certificates pointing to the same secret.`;
    case "IncorrectIssuer":
      return `Issuing certificate as Secret was previously issued by "${state?.issuer ?? "another issuer"}"`;
    case "RequestChanged":
      return "Issuing certificate as the Certificate spec changed since the Secret was issued";
    case "Expired":
      return state?.notAfter !== undefined ? `Certificate expired on ${rfc1123(state.notAfter)}` : "Certificate has expired";
    case "Renewing":
      return `Renewing certificate as renewal was scheduled at ${item.renewalTime !== undefined ? kubeTime(item.renewalTime) : "an earlier time"}`;
    case "ManuallyTriggered":
      return "Certificate re-issuance manually triggered";
    default:
      return `Issuing certificate: ${item.message}`;
  }
}

/** Go's time.RFC1123 for a UTC time, as cert-manager prints expiry. */
function rfc1123(time: number): string {
  return new Date(time).toUTCString().replace(/GMT$/, "UTC");
}

function setOrDrop<K extends keyof CertificateStatus>(status: CertificateStatus, key: K, value: CertificateStatus[K] | undefined): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}
