// The Certificates and Issuers as one reconcile left them, in the shape the
// metrics registry reads: times from the Secret gitcert just wrote or the
// one Git already held, and Ready as cert-manager means it — the certificate
// in Git is valid for the spec Git holds now. A renewal that fails leaves
// the certificate in use, so Ready stays True until it expires or the spec
// moves on.
import type { Diagnostic } from "../diagnostics.ts";
import type { Outcome } from "../execute/index.ts";
import type { IssuerResource } from "../manifests/types.ts";
import type { CertificateMetric, ConditionStatus, IssuerMetric } from "../metrics/index.ts";
import { ISSUING_ACTIONS, type PlanItem } from "../plan/index.ts";

export function certificateInventory(items: readonly PlanItem[], outcomes: readonly Outcome[], now: Date): CertificateMetric[] {
  const byItem = new Map<PlanItem, Outcome>(outcomes.map((o) => [o.item, o]));
  const out: CertificateMetric[] = [];
  for (const item of items) {
    const certificate = item.certificate;
    if (!certificate || item.action === "remove") continue;
    const outcome = byItem.get(item);
    const times = timesOf(item, outcome);
    const ready = readyOf(item, outcome, times.notAfter, now);
    // An item the plan memo kept reads as it did, mostly: then its metric is the one made for it before.
    const known = unchanged.get(item);
    if (known?.ready === ready && known.notBefore === times.notBefore && known.notAfter === times.notAfter && known.renewalTime === times.renewalTime) {
      out.push(known);
      continue;
    }
    // Kept until the next tick, one for each of thousands of Certificates: every field written out (a spread
    // puts them in a second store), and the spec's issuerRef as the issuer's labels rather than a copy of it.
    const metric: CertificateMetric = {
      name: certificate.name,
      namespace: certificate.namespace,
      issuer: certificate.spec.issuerRef,
      ready,
      notBefore: times.notBefore,
      notAfter: times.notAfter,
      renewalTime: times.renewalTime,
    };
    unchanged.set(item, metric);
    out.push(metric);
  }
  return out;
}

/**
 * The last metric of each plan item, by item (a weak reference): a
 * long-running gitcert's items are mostly the same objects tick after tick
 * (plan-memo.ts), so are their metrics when their readiness and times
 * read the same, and an inventory an earlier
 * tick's report still holds shares them rather than copying them.
 */
const unchanged = new WeakMap<PlanItem, CertificateMetric>();

function timesOf(item: PlanItem, outcome: Outcome | undefined): Pick<CertificateMetric, "notBefore" | "notAfter" | "renewalTime"> {
  // Written now (issued, renewed, updated), or as Git already had it.
  if (outcome && "secret" in outcome && outcome.secret) {
    const { notBefore, notAfter, renewalTime } = outcome.secret;
    return { notBefore, notAfter, renewalTime };
  }
  const state = item.state;
  return { notBefore: state?.notBefore, notAfter: state?.notAfter, renewalTime: item.renewalTime ?? state?.renewalTime };
}

function readyOf(item: PlanItem, outcome: Outcome | undefined, notAfter: number | undefined, now: Date): ConditionStatus {
  const kind = outcome?.kind;
  if (kind === "issued" || kind === "renewed" || kind === "reissued") return "True";
  const valid = notAfter !== undefined && notAfter > now.getTime();
  if (item.action === "ok" || item.action === "update") return valid ? "True" : "False";
  if (ISSUING_ACTIONS.has(item.action) || item.reason === "Backoff") return valid && specMatches(item) ? "True" : "False";
  return "False"; // blocked by the configuration: nothing can be issued until it is fixed
}

/** The Secret in Git was issued for the spec Git holds now. */
function specMatches(item: PlanItem): boolean {
  const state = item.state;
  if (!state || state.requestHash !== item.requestHash) return false;
  return state.issuer === undefined || !item.issuer || state.issuer === `${item.issuer.kind}/${item.issuer.name}`;
}

/** An Issuer is ready unless the reconcile found something wrong with it. */
export function issuerInventory(issuers: readonly IssuerResource[], diagnostics: readonly Diagnostic[]): IssuerMetric[] {
  const broken = new Set(
    diagnostics.filter((d) => d.severity === "error" && d.object && (d.object.kind === "Issuer" || d.object.kind === "ClusterIssuer")).map((d) => `${d.object!.kind}/${d.object!.namespace ?? ""}/${d.object!.name}`),
  );
  return issuers.map((i) => {
    const kind = i.kind === "ClusterIssuer" ? "ClusterIssuer" : "Issuer";
    const namespace = kind === "Issuer" ? i.namespace : undefined;
    const ready: ConditionStatus = broken.has(`${kind}/${namespace ?? ""}/${i.name}`) || broken.has(`${kind}//${i.name}`) ? "False" : "True";
    return { kind, name: i.name, ...(namespace ? { namespace } : {}), ready };
  });
}
