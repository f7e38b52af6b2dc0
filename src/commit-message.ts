// The commit message: a one-line summary of counts, then one line per
// certificate issued, renewed, reissued, updated or removed, per Secret
// rekeyed (with the recipients added and removed), per Secret an
// issuer asked to keep, and per failure at the CA (the failure log in the
// commit records those; a local failure leaves no state, so no line).
import { changedRepository, type ExecuteResult, type Outcome } from "./execute/index.ts";
import { formatTime } from "./plan/index.ts";

export function commitMessage(template: string, result: Pick<ExecuteResult, "outcomes" | "stored">): string {
  const changed = result.outcomes.filter(changedRepository);
  const failed = result.outcomes.filter((o) => o.kind === "failed" && o.atCA);
  const counts = new Map<string, number>();
  for (const o of changed) if (o.kind !== "rekeyed") counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  if (failed.length > 0) counts.set("failed", failed.length);
  const certificates = [...counts.values()].reduce((a, b) => a + b, 0);
  // A rekey changes who can read a Secret, not a certificate.
  const rekeyed = changed.filter((o) => o.kind === "rekeyed").length;
  const parts = [
    certificates > 0 ? [...counts].map(([verb, n]) => `${verb} ${n}`).join(", ") + (certificates === 1 ? " certificate" : " certificates") : "",
    rekeyed > 0 ? `rekeyed ${rekeyed} ${rekeyed === 1 ? "Secret" : "Secrets"}` : "",
  ].filter(Boolean);
  const summary = parts.length > 0 ? parts.join(", ") : result.stored.length > 0 ? "stored issuer Secrets" : "kustomization.yaml resources kept in step";
  const details = [
    ...changed.map(changeLine),
    ...result.stored.map((s) => `- stored Secret ${s.secret.namespace}/${s.secret.name}: ${s.path}`),
    ...result.outcomes.filter((o) => o.kind === "unchanged" && o.kustomization).map((o) => `- listed ${o.kustomization!.resource} in ${o.kustomization!.file}`),
    ...failed.map((o) => `- failed ${ref(o)}: ${o.message}`),
  ].join("\n");
  return template.replaceAll("{summary}", summary).replaceAll("{details}", details).replaceAll("\\n", "\n").trim() + "\n";
}

function changeLine(o: Extract<Outcome, { kind: "issued" | "renewed" | "reissued" | "updated" | "rekeyed" | "removed" }>): string {
  if (o.kind === "removed") return `- removed ${ref(o)}: ${o.secretPath}`;
  if (o.kind === "rekeyed") return `- rekeyed ${ref(o)}: ${o.secretPath} (${o.recipients.summary})`;
  const by = o.kind === "updated" ? "" : ` by ${o.issuer.kind}/${o.issuer.name}`;
  return `- ${o.kind} ${ref(o)} (${o.reason})${by}, valid until ${formatTime(o.secret.notAfter)}: ${o.secretPath}`;
}

function ref(o: Outcome): string {
  return `${o.certificate.namespace}/${o.certificate.name}`;
}
