// What a person reads: the status table and the plan listing.
import { formatDiagnostic, type Diagnostic } from "./diagnostics.ts";
import type { Outcome } from "./execute/index.ts";
import { applierKindLabel, type ClusterSource } from "./gitops/index.ts";
import { formatTime, isoTime, type PlanItem } from "./plan/index.ts";

export interface StatusRow {
  certificate: string;
  dnsNames: string;
  issuer: string;
  notAfter: string;
  renewal: string;
  state: string;
}

const STATE_AFTER: Record<string, string> = { issued: "Issued", renewed: "Renewed", reissued: "Reissued", updated: "Updated", rekeyed: "Rekeyed", removed: "Removed" };
const STATE_DUE: Record<string, string> = { issue: "Due: not issued", renew: "Due: renewal", reissue: "Due: spec changed", update: "Due: Secret layout changed", rekey: "Due: rekey (recipients changed)", remove: "Due: removal" };

/** One row per Certificate; with outcomes, the state after this run. */
export function statusRows(items: readonly PlanItem[], outcomes: readonly Outcome[] = []): StatusRow[] {
  const byItem = new Map(outcomes.map((o) => [o.item, o]));
  return items.map((item) => {
    const outcome = byItem.get(item);
    const spec = item.certificate?.spec;
    const names = spec ? [...spec.dnsNames, ...spec.ipAddresses] : [];
    const written = outcome && "secret" in outcome ? outcome.secret : undefined;
    const notAfter = written?.notAfter ?? item.state?.notAfter;
    const renewal = written ? written.renewalTime : item.renewalTime;
    return {
      certificate: `${item.object.namespace ?? ""}/${item.object.name}`,
      dnsNames: shorten(names.join(","), 40) || (spec?.commonName ?? "-"),
      issuer: spec ? `${spec.issuerRef.kind}/${spec.issuerRef.name}` : (item.state?.issuer ?? "-"),
      notAfter: notAfter !== undefined ? formatTime(notAfter) : "-",
      renewal: renewal !== undefined ? formatTime(renewal) : "-",
      state: outcome ? stateAfter(outcome) : stateBefore(item),
    };
  });
}

function stateAfter(o: Outcome): string {
  const key = `${o.certificate.namespace}/${o.certificate.name}`;
  switch (o.kind) {
    case "failed":
      if (!o.atCA) return `Failed: ${o.message} (not a failure at the CA: no backoff, the next run tries again)`;
      return `Failed at the CA: ${o.message}` + (o.retryAt ? `; next attempt after ${formatTime(o.retryAt)} (\`gitcert renew ${key}\` tries now)` : "");
    case "blocked":
    case "unchanged":
      return stateBefore(o.item);
    default:
      return STATE_AFTER[o.kind]!;
  }
}

function stateBefore(item: PlanItem): string {
  if (item.action === "ok") return item.reason === "Orphaned" ? "Orphaned" : item.reason === "LeftToCertManager" ? "Left to cert-manager" : "Ready";
  if (item.action === "blocked") return `${item.reason === "Backoff" ? "Backoff" : "Blocked"}: ${item.message}`;
  return STATE_DUE[item.action] ?? item.action;
}

export function formatTable(rows: readonly StatusRow[]): string {
  const header: StatusRow = { certificate: "CERTIFICATE", dnsNames: "DNS NAMES", issuer: "ISSUER", notAfter: "NOT AFTER", renewal: "RENEWAL", state: "STATE" };
  const cols = Object.keys(header) as (keyof StatusRow)[];
  const all = [header, ...rows];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((r) => r[c].length))])) as Record<keyof StatusRow, number>;
  return all
    .map((r) => cols.map((c, i) => (i === cols.length - 1 ? r[c] : r[c].padEnd(width[c]))).join("  "))
    .join("\n");
}

export function formatPlan(items: readonly PlanItem[], diagnostics: readonly Diagnostic[]): string {
  const lines = items.flatMap((i) => {
    const applied = i.certificate?.origin?.appliedBy;
    const via = applied ? ` via ${applierKindLabel(applied.kind)} ${applied.namespace}/${applied.name}` : "";
    const cluster = i.certificate?.origin?.cluster;
    const where = cluster ? ` (${clusterOrigin(cluster)})` : i.source ? ` (${i.source.file}:${i.source.line}${via})` : "";
    const line = `${i.action.padEnd(8)} ${i.object.namespace}/${i.object.name}${where}: ${i.reason} — ${i.message}`;
    // A new Secret file: where it goes and why that name.
    return i.placement && i.action !== "blocked" ? [line, `         → ${i.secretPath} (${i.placement})`] : [line];
  });
  const notes = diagnostics.filter((d) => d.severity !== "debug").map((d) => `${d.severity}: ${formatDiagnostic(d)}`);
  // Notes alone (objects gitcert cannot see) still say that nothing was found.
  if (lines.length === 0 && notes.length > 0) lines.push("no certificates found");
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** `cluster Ingress web/app, applied by HelmRelease web/app at apps/web/release.yaml:3` */
function clusterOrigin(c: ClusterSource): string {
  const object = `cluster ${c.object.kind} ${c.object.namespace ? `${c.object.namespace}/` : ""}${c.object.name}`;
  if (!c.owner) return `${object}, applied by nothing in this repository`;
  return `${object}, applied by ${applierKindLabel(c.owner.kind)} ${c.owner.namespace}/${c.owner.name} at ${c.owner.source.file}:${c.owner.source.line}`;
}

/** Machine-readable plan for `gitcert plan --json`. */
export function planJson(items: readonly PlanItem[], diagnostics: readonly Diagnostic[]): unknown {
  return {
    certificates: items.map((i) => ({
      namespace: i.object.namespace,
      name: i.object.name,
      action: i.action,
      reason: i.reason,
      message: i.message,
      source: i.source,
      secretPath: i.secretPath,
      placement: i.placement,
      recipients: i.encryption ? { from: i.encryption.origin, age: i.encryption.rule.recipients } : undefined,
      rekey: i.recipients ? { add: i.recipients.add, remove: i.recipients.remove } : undefined,
      issuer: i.issuer ? { kind: i.issuer.kind, name: i.issuer.name, source: i.issuer.source, origin: i.issuer.origin } : undefined,
      origin: i.certificate?.origin,
      dnsNames: i.certificate?.spec.dnsNames,
      notAfter: i.state?.notAfter === undefined ? undefined : isoTime(i.state.notAfter),
      renewalTime: i.renewalTime === undefined ? undefined : isoTime(i.renewalTime),
      retryAt: i.retryAt?.toISOString(),
      diagnostics: i.diagnostics,
    })),
    diagnostics: diagnostics.filter((d) => d.severity !== "debug"),
  };
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}
