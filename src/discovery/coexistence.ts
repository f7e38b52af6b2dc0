// Living beside a running cert-manager controller. Both would issue the
// same Certificates and write the same Secrets and status, each undoing
// the other, so by default gitcert steps back from every Certificate
// cert-manager serves: it plans nothing for them (their Secret files in Git
// stay as they are), and writes no status, Events or Ingress Certificates
// for them. `coexistence.namespaces` keeps namespaces for gitcert;
// `coexistence.certManager: takeOver` acts regardless. Pure.
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { PlanItem } from "../plan/index.ts";
import type { CertManagerPresence } from "./types.ts";

/** The plan reason of a Certificate left to cert-manager. */
export const LEFT_TO_CERT_MANAGER = "LeftToCertManager";

export interface CoexistencePolicy {
  certManager: "stepBack" | "takeOver";
  /** Namespaces gitcert serves even while cert-manager's controller runs. */
  namespaces: readonly string[];
}

/** Whether gitcert leaves objects in `namespace` ("" for cluster-scoped ones) to cert-manager. */
export function leftToCertManager(namespace: string, presence: CertManagerPresence | undefined, policy: CoexistencePolicy): boolean {
  return presence?.running === true && policy.certManager === "stepBack" && !(namespace !== "" && policy.namespaces.includes(namespace));
}

export function stepBack(items: readonly PlanItem[], presence: CertManagerPresence | undefined, policy: CoexistencePolicy): { items: PlanItem[]; diagnostics: Diagnostic[] } {
  if (!presence?.running) return { items: [...items], diagnostics: [] };
  const running = `cert-manager's controller is running (Lease ${presence.lease} ${presence.evidence})`;
  if (policy.certManager === "takeOver") {
    const message = `${running}; coexistence.certManager is takeOver, so gitcert acts on every Certificate too: both issue them and write their Secrets and status, each undoing the other — scale cert-manager's controller to zero`;
    return { items: [...items], diagnostics: [diagnostic("CertManagerRunning", message, {}, "warning")] };
  }
  const left: PlanItem[] = [];
  const out = items.map((item) => {
    if (!item.certificate || item.action === "remove" || !leftToCertManager(item.certificate.namespace, presence, policy)) return item;
    const next: PlanItem = { ...item, action: "ok", reason: LEFT_TO_CERT_MANAGER, message: `${running}: left to it (coexistence.certManager: stepBack)`, diagnostics: [] };
    left.push(next);
    return next;
  });
  const diagnostics: Diagnostic[] = [];
  if (left.length > 0) {
    const namespaces = [...new Set(left.map((i) => i.certificate!.namespace))].sort();
    diagnostics.push(
      diagnostic(
        "CertManagerRunning",
        `${running}: gitcert leaves it ${left.length === 1 ? "1 Certificate" : `${left.length} Certificates`} (namespace${namespaces.length === 1 ? "" : "s"} ${namespaces.join(", ")}) and writes no status, Events or Ingress Certificates for them. coexistence.namespaces keeps namespaces for gitcert; coexistence.certManager: takeOver acts on all`,
        {},
        "warning",
      ),
    );
  }
  const stale = left.filter((i) => i.existing).map((i) => i.existing!.source.file);
  if (stale.length > 0) {
    const shown = stale.slice(0, 5).join(", ") + (stale.length > 5 ? ` and ${stale.length - 5} more` : "");
    diagnostics.push(
      diagnostic(
        "CertManagerSecretConflict",
        `gitcert's Secret files for Certificates left to cert-manager are still in Git (${shown}): Flux or Argo CD applies them over the Secrets cert-manager writes. Delete them and their kustomization.yaml entries to hand over to cert-manager, or keep their namespaces for gitcert (coexistence.namespaces)`,
        {},
        "warning",
      ),
    );
  }
  return { items: out, diagnostics };
}
