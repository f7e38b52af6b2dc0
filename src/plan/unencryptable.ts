// A Secret that cannot be encrypted (no age recipient, no `.sops.yaml` rule
// for its path, an invalid rule) is a configuration mistake: its Certificate
// is blocked before anything is asked of the CA, nothing is recorded, and
// the run after the fix issues at once. Pure: the problems are found at the
// edge (execute/encryption.ts) and passed in by Secret path.
import type { Diagnostic } from "../diagnostics.ts";
import { ISSUING_ACTIONS, type PlanItem } from "./planner.ts";

/** Paths of the Secret files this plan would encrypt and write. */
export function secretPathsToWrite(items: readonly PlanItem[]): string[] {
  return [...new Set(items.filter(writes).map((i) => i.secretPath!))];
}

export function blockUnencryptable(items: readonly PlanItem[], problems: ReadonlyMap<string, Diagnostic>): PlanItem[] {
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
