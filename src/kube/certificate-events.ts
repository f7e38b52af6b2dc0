// The Events cert-manager's certificate controllers record, for what one
// reconcile did to one Certificate. Pure. Nothing is recorded for a
// Certificate nothing happened to, so a quiet tick writes no Event.
import type { Outcome } from "../execute/index.ts";
import { ISSUING_ACTIONS, type PlanItem } from "../plan/index.ts";
import { ISSUED_MESSAGE, triggerMessage, wroteSecret } from "./certificate-status.ts";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/**
 * `readyChanged`: the Ready condition flipped in this report, which is when
 * a configuration problem is worth an Event (once, not every tick).
 */
export function certificateEvents(item: PlanItem, outcome: Outcome | undefined, readyChanged: boolean): EventSpec[] {
  const secret = item.certificate?.spec.secretName ?? item.object.name;
  if (outcome && ISSUING_ACTIONS.has(item.action) && (wroteSecret(outcome) || outcome.kind === "failed")) {
    // trigger controller, then key manager and issuing controller
    const events: EventSpec[] = [{ type: "Normal", reason: "Issuing", message: triggerMessage(item) }];
    if (wroteSecret(outcome)) {
      const reused = item.certificate?.spec.privateKey.rotationPolicy === "Never" && item.existing !== undefined;
      events.push(
        reused
          ? { type: "Normal", reason: "Reused", message: `Reusing private key stored in existing Secret resource "${secret}"` }
          : { type: "Normal", reason: "Generated", message: `Stored new private key in Secret resource "${secret}"` },
        { type: "Normal", reason: "Issuing", message: ISSUED_MESSAGE },
      );
    } else {
      const why = outcome.diagnostics[0]?.message ?? "unknown error";
      events.push({ type: "Warning", reason: "Failed", message: `The certificate request has failed to complete and will be retried: ${why}` });
    }
    return events;
  }
  if (outcome?.kind === "failed") {
    return [{ type: "Warning", reason: item.reason, message: outcome.diagnostics[0]?.message ?? item.message }];
  }
  if (item.action === "blocked" && item.reason !== "Backoff" && readyChanged) {
    return [{ type: "Warning", reason: item.reason, message: item.message }];
  }
  return [];
}
