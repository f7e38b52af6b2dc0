// "report to the cluster": after a reconcile, show its results where cluster
// users look. Certificates derived from Ingresses and Gateways are kept in
// the cluster, each applied Certificate's status subresource is written
// when it changed, Events are recorded (deduplicated), and Issuers and
// ClusterIssuers get their Ready condition. Never throws: an unreachable API
// server or a missing CRD is a warning, and one object's failure does not
// stop the others.
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { Outcome } from "../execute/index.ts";
import { LEFT_TO_CERT_MANAGER, leftToCertManager, type CertManagerPresence, type CoexistencePolicy } from "../discovery/index.ts";
import type { IssuerReadiness } from "../issuers/types.ts";
import type { IssuerResource } from "../manifests/index.ts";
import { certificateKey, ISSUING_ACTIONS, type FailureRecord, type PlanItem } from "../plan/index.ts";
import { API_VERSION, listAll, objectKey, patchStatus, servedPlurals, type LiveObject, type Plural } from "./cert-manager-api.ts";
import { KubeApiError, type Cluster } from "./client.ts";
import { sameJson } from "./same-json.ts";
import { certificateEvents } from "./certificate-events.ts";
import { certificateStatus, type CertificateStatus } from "./certificate-status.ts";
import { syncDerivedCertificates } from "./derived-certificates.ts";
import type { EventRecorder } from "./events.ts";
import { diagnosticsAbout, issuerStatus } from "./issuer-status.ts";

/** What the reconcile knew and did; the Assessment and outcomes of src/reconcile.ts fit. */
export interface ReconcileResult {
  items: readonly PlanItem[];
  diagnostics: readonly Diagnostic[];
  scan: { issuers: readonly IssuerResource[]; diagnostics: readonly Diagnostic[] };
  /** Why each Issuer that cannot sign cannot (resolve's check). */
  issuerProblems?: ReadonlyMap<IssuerResource, Diagnostic>;
  /** The failure log that holds for what is reported: after the run, or before it for the "before-issuing" stage. */
  failures: ReadonlyMap<string, FailureRecord>;
}

export interface ClusterReport {
  diagnostics: Diagnostic[];
  statusesWritten: number;
  eventsRecorded: number;
  certificatesCreated: number;
  certificatesUpdated: number;
  certificatesDeleted: number;
}

export interface ReportOptions {
  now: Date;
  events: EventRecorder;
  /** This gitcert's instance label value (instance.ts). */
  instance: string;
  /**
   * "before-issuing": the plan is known, nothing issued yet; only the
   * Certificates about to be issued are written (Issuing True), so a
   * reconcile that issues nothing writes nothing twice.
   */
  stage?: "before-issuing" | "after";
  /** cert-manager's controller, when it could be asked, and what gitcert does beside it. */
  certManager?: CertManagerPresence;
  coexistence?: CoexistencePolicy;
  /** Live checks of the issuers in use (ACME account, Vault health and login…), for their Ready condition. */
  readiness?: ReadonlyMap<IssuerResource, IssuerReadiness>;
}

export async function reportToCluster(cluster: Cluster, result: ReconcileResult, outcomes: readonly Outcome[], options: ReportOptions): Promise<ClusterReport> {
  const report: ClusterReport = { diagnostics: [], statusesWritten: 0, eventsRecorded: 0, certificatesCreated: 0, certificatesUpdated: 0, certificatesDeleted: 0 };
  try {
    const served = await servedPlurals(cluster);
    if (!served.has("certificates")) {
      report.diagnostics.push(
        diagnostic(
          "CertificateCRDMissing",
          `the cluster (${cluster.target.origin}) does not serve ${API_VERSION} Certificates: install deploy/crds (or cert-manager's CRDs) to see status in kubectl and Argo CD; issuance goes on without it`,
          {},
          "warning",
        ),
      );
      return report;
    }
    await reportCertificates(cluster, result, outcomes, options, report);
    if (options.stage === "before-issuing") return report;
    // An issuer's problems: resolve's verdict on all it needs, and failures its certificates met in its setup (a CA Secret that does not hold a CA).
    const seen = [...result.diagnostics, ...outcomes.flatMap((o) => o.diagnostics)];
    const problemsOf = (issuer: IssuerResource) => [...(result.issuerProblems?.has(issuer) ? [result.issuerProblems.get(issuer)!] : []), ...diagnosticsAbout(issuer, seen)];
    for (const plural of ["issuers", "clusterissuers"] as const) {
      if (served.has(plural)) await reportIssuers(cluster, plural, result.scan.issuers, problemsOf, options, report);
    }
  } catch (err) {
    // Only failures that stop everything get here (the server went away, listing was refused).
    report.diagnostics.push(diagnostic(err instanceof KubeApiError ? err.code : "ClusterReportFailed", `cluster status not written: ${(err as Error).message}`, {}, "warning"));
  }
  return report;
}

async function reportCertificates(cluster: Cluster, result: ReconcileResult, outcomes: readonly Outcome[], options: ReportOptions, report: ClusterReport): Promise<void> {
  const live = new Map((await listAll(cluster, "certificates")).map((o) => [objectKey(o.metadata), o]));
  const beforeIssuing = options.stage === "before-issuing";
  // What cert-manager serves is its to report: no status, Events or shim Certificates from gitcert.
  const all = result.items.filter((i) => i.certificate && i.reason !== LEFT_TO_CERT_MANAGER);
  const derived = all.map((i) => i.certificate!).filter((c) => c.owner);
  // No sweep before issuing, and none when a file failed to parse: an Ingress may hide in it (as the planner keeps Secret files then).
  const sweep = !beforeIssuing && !result.scan.diagnostics.some((d) => d.severity === "error");
  const sync = await syncDerivedCertificates(cluster, derived, live, sweep, options.instance);
  report.certificatesCreated += sync.created;
  report.certificatesUpdated += sync.updated;
  report.certificatesDeleted += sync.deleted;
  report.diagnostics.push(...sync.diagnostics);

  const byItem = new Map(outcomes.map((o) => [o.item, o]));
  for (const item of all) {
    const object = live.get(objectKey(item.certificate!));
    if (!object) continue; // not applied to this cluster (yet)
    const current = object.status as CertificateStatus | undefined;
    // Before issuing, only what is about to be issued is announced, and not a retry after a failure: a local
    // failure is retried every run, and announcing each retry would flip the status twice a run.
    if (beforeIssuing && (!ISSUING_ACTIONS.has(item.action) || issuingOf(current)?.reason === "Failed")) continue;
    const outcome = byItem.get(item);
    const next = certificateStatus({ item, outcome, current, generation: object.metadata.generation, failure: result.failures.get(certificateKey(item.certificate!)), now: options.now });
    await forObject(object, item, report, async () => {
      const changed = await writeStatusIfChanged(cluster, "certificates", object, current, next);
      if (changed) report.statusesWritten++;
      // The same local failure again (retried every run) is nothing new: no Events to count up.
      if (outcome?.kind === "failed" && !outcome.atCA && issuingOf(current)?.message === issuingOf(next)?.message) return;
      const readyChanged = readyOf(current) !== readyOf(next);
      for (const event of certificateEvents(item, outcome, readyChanged)) {
        await options.events.record({ apiVersion: object.apiVersion, kind: "Certificate", name: object.metadata.name, namespace: object.metadata.namespace, uid: object.metadata.uid }, event);
        report.eventsRecorded++;
      }
    });
  }
}

async function reportIssuers(cluster: Cluster, plural: "issuers" | "clusterissuers", issuers: readonly IssuerResource[], problemsOf: (issuer: IssuerResource) => Diagnostic[], options: ReportOptions, report: ClusterReport): Promise<void> {
  const live = new Map((await listAll(cluster, plural)).map((o) => [objectKey(o.metadata), o]));
  const kind = plural === "issuers" ? "Issuer" : "ClusterIssuer";
  for (const issuer of issuers.filter((i) => i.kind === kind)) {
    if (options.coexistence && leftToCertManager(issuer.namespace, options.certManager, options.coexistence)) continue;
    const object = live.get(objectKey({ namespace: issuer.namespace, name: issuer.name }));
    if (!object) continue;
    const current = object.status as CertificateStatus | undefined;
    const next = issuerStatus(issuer, problemsOf(issuer), current, object.metadata.generation, options.now, options.readiness?.get(issuer));
    await forObject(object, undefined, report, async () => {
      if (await writeStatusIfChanged(cluster, plural, object, current, next)) report.statusesWritten++;
    });
  }
}

/** One object's work; its failure is a warning about that object, unless the server is gone. */
async function forObject(object: LiveObject, item: PlanItem | undefined, report: ClusterReport, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof KubeApiError && err.code === "KubeUnreachable") throw err;
    report.diagnostics.push(
      diagnostic("ClusterWriteFailed", (err as Error).message, { source: item?.source, object: { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name } }, "warning"),
    );
  }
}

/** Writes only a status that differs from the cluster's, so a quiet tick writes nothing. */
async function writeStatusIfChanged(cluster: Cluster, plural: Plural, object: LiveObject, current: Record<string, unknown> | undefined, next: Record<string, unknown>): Promise<boolean> {
  if (sameJson(current ?? {}, next)) return false;
  // A merge patch: fields gitcert dropped are sent as null to remove them.
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(current ?? {})) if (!(key in next)) patch[key] = null;
  await patchStatus(cluster, plural, object, patch);
  return true;
}

function readyOf(status: CertificateStatus | undefined): string | undefined {
  return status?.conditions?.find((c) => c.type === "Ready")?.status;
}

function issuingOf(status: CertificateStatus | undefined) {
  return status?.conditions?.find((c) => c.type === "Issuing");
}
