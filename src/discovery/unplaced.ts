// A Certificate found in the cluster whose Secret file has nowhere to go
// that its owner applies is blocked before any CA is asked: a Secret no
// Flux Kustomization or Argo CD Application applies would never reach the
// cluster. One that already has a Secret file in Git keeps it. Pure.
import { diagnostic } from "../diagnostics.ts";
import { ISSUING_ACTIONS, type PlanItem } from "../plan/index.ts";

export function blockUnplaced(items: readonly PlanItem[]): PlanItem[] {
  return items.map((item) => {
    const folder = item.certificate?.origin?.cluster?.secretFolder;
    if (!folder || !("problem" in folder) || item.existing) return item;
    if (!ISSUING_ACTIONS.has(item.action) && item.action !== "update") return item;
    const message = folder.problem;
    return { ...item, action: "blocked", reason: "NoSecretFolder", message, diagnostics: [diagnostic("NoSecretFolder", message, { source: item.source, object: item.object })] };
  });
}
