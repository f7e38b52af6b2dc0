// The commit message: a one-line summary of counts, then one line per
// certificate issued, renewed, reissued, updated or removed.
import type { Outcome } from "./execute/index.ts";
import { formatTime } from "./plan/index.ts";

const VERBS: Record<string, string> = { issue: "issued", renew: "renewed", reissue: "reissued", update: "updated", remove: "removed" };

export function commitMessage(template: string, outcomes: readonly Outcome[]): string {
  const done = outcomes.filter((o) => o.status === "done" && VERBS[o.item.action]);
  const certificates = done.filter((o) => o.item.object.kind === "Certificate");
  const counts = new Map<string, number>();
  for (const o of certificates) counts.set(VERBS[o.item.action]!, (counts.get(VERBS[o.item.action]!) ?? 0) + 1);
  const failed = outcomes.filter((o) => o.status === "failed" && o.item.object.kind === "Certificate");
  if (failed.length > 0) counts.set("failed", failed.length);
  const summary = certificates.length === 0 && failed.length === 0 ? "stored issuer Secrets" : [...counts].map(([verb, n]) => `${verb} ${n}`).join(", ") + (certificates.length + failed.length === 1 ? " certificate" : " certificates");
  const details = done
    .map((o) => {
      const ref = `${o.item.object.namespace}/${o.item.object.name}`;
      const verb = VERBS[o.item.action]!;
      if (o.item.action === "remove") return `- ${verb} ${ref}: ${o.item.secretPath}`;
      if (o.item.reason === "SecretStored") return `- stored Secret ${ref}: ${o.item.secretPath}`;
      const until = o.notAfter ? `, valid until ${formatTime(o.notAfter)}` : "";
      return `- ${verb} ${ref} (${o.item.reason}) by ${o.item.issuer?.kind}/${o.item.issuer?.name}${until}: ${o.item.secretPath}`;
    })
    .concat(failed.map((o) => `- failed ${o.item.object.namespace}/${o.item.object.name}: ${o.diagnostics[0]?.message ?? "unknown error"}`))
    .join("\n");
  return template.replaceAll("{summary}", summary).replaceAll("{details}", details).replaceAll("\\n", "\n").trim() + "\n";
}
