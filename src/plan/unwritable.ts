// A Secret file the plan would write where it must not go (inside a Helm
// chart's templates/ folder, which Helm would render and apply still
// encrypted) is a configuration mistake: its Certificate is blocked before
// anything is asked of the CA, nothing is recorded, and the run after the
// fix issues at once. Pure: the problems are found at the edge and passed
// in by Secret path. (A Secret that cannot be encrypted is blocked by the
// planner itself, which has the .sops.yaml rules.)
import type { Diagnostic } from "../diagnostics.ts";
import { ISSUING_ACTIONS, type PlanItem } from "./planner.ts";

/** Paths of the Secret files this plan would encrypt and write. */
export function secretPathsToWrite(items: readonly PlanItem[]): string[] {
  return [...new Set(items.filter(writes).map((i) => i.secretPath!))];
}

export function blockUnwritable(items: readonly PlanItem[], problems: ReadonlyMap<string, Diagnostic>): PlanItem[] {
  if (problems.size === 0) return [...items];
  return items.map((item) => {
    const problem = writes(item) ? problems.get(item.secretPath!) : undefined;
    if (!problem) return item;
    const d: Diagnostic = { ...problem, source: problem.source ?? item.source, object: item.object };
    return { ...item, action: "blocked", reason: d.code, message: d.message, retryAt: undefined, diagnostics: [d] };
  });
}

/** Would write its Secret now, or once backoff ends. */
function writes(item: PlanItem): boolean {
  if (!item.certificate || !item.secretPath) return false;
  return ISSUING_ACTIONS.has(item.action) || item.action === "update" || item.reason === "Backoff";
}
