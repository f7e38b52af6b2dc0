// What `gitcert serve` tells Prometheus. cert-manager's own metric names and
// label sets (v1.21: internal/collectors/*.go, pkg/metrics/metrics.go), so
// its dashboards and alerts work unchanged, and gitcert's own under
// `gitcert_`. Per-certificate series are rebuilt from the latest reconcile
// on every scrape: a Certificate removed from Git leaves no series behind,
// and memory does not grow with the history of the repository.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from "prom-client";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface IssuerLabels {
  name: string;
  kind: string;
  group: string;
}

/** One Certificate as its status reads after a reconcile. */
export interface CertificateMetric {
  name: string;
  namespace: string;
  issuer: IssuerLabels;
  ready: ConditionStatus;
  // Milliseconds since the epoch: kept between ticks for each Certificate, as the plan's state keeps them.
  notBefore?: number;
  notAfter?: number;
  renewalTime?: number;
}

export interface IssuerMetric {
  kind: "Issuer" | "ClusterIssuer";
  name: string;
  /** Issuers only. */
  namespace?: string;
  ready: ConditionStatus;
}

export type Trigger = "start" | "schedule" | "webhook" | "api" | "renew";

export interface ReconcileRecord {
  trigger: Trigger;
  seconds: number;
  ok: boolean;
  /** Commits that reached the remote in this reconcile. */
  commitsPushed: number;
  /** Pushes rejected because the remote moved, each followed by a rebase and another try. */
  pushRetries: number;
  /** Certificates by planned action (issue, renew, reissue, update, ok, blocked, remove). */
  actions: Readonly<Record<string, number>>;
  /** Failed issuances in this reconcile, by issuer. */
  failures: readonly IssuerLabels[];
}

export interface AcmeRequestLabels {
  scheme: string;
  host: string;
  /** The logical ACME operation, in cert-manager's vocabulary (get_directory, finalize_order…). */
  action: string;
  method: string;
  /** HTTP status, or 999 when no response came (cert-manager's convention). */
  status: number;
}

const CONDITIONS: readonly ConditionStatus[] = ["True", "False", "Unknown"];
const CERTIFICATE_LABELS = ["name", "namespace", "issuer_name", "issuer_kind", "issuer_group"] as const;
const ACME_LABELS = ["scheme", "host", "action", "method", "status"] as const;

export class GitcertMetrics {
  readonly registry = new Registry();
  #certificates: readonly CertificateMetric[] = [];
  #issuers: readonly IssuerMetric[] = [];
  #actions: Readonly<Record<string, number>> = {};
  readonly #reconcileSeconds: Histogram<"result" | "trigger">;
  readonly #reconciles: Counter<"result" | "trigger">;
  readonly #lastSuccess: Gauge;
  readonly #commitsPushed: Counter;
  readonly #pushRetries: Counter;
  readonly #issuanceFailures: Counter<"issuer_name" | "issuer_kind" | "issuer_group">;
  readonly #acmeCount: Counter<(typeof ACME_LABELS)[number]>;
  readonly #acmeSeconds: Summary<(typeof ACME_LABELS)[number]>;
  readonly #webhooks: Counter<"forge" | "result">;
  /** Gauges filled from the inventory at each scrape: a label set per Certificate, dropped once the text is made. */
  readonly #perScrape: Gauge<string>[] = [];

  constructor(options: { now?: () => Date; processMetrics?: boolean } = {}) {
    const now = options.now ?? (() => new Date());
    const registers = [this.registry];
    const certificates = () => this.#certificates;
    const issuers = (kind: IssuerMetric["kind"]) => this.#issuers.filter((i) => i.kind === kind);
    const actions = () => this.#actions;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    // ---- cert-manager's names and labels
    const perScrape = <T extends Gauge<string>>(gauge: T): T => (this.#perScrape.push(gauge), gauge);
    const certificateGauge = (name: string, help: string, value: (c: CertificateMetric) => number | undefined) =>
      perScrape(new Gauge({
        name,
        help,
        labelNames: CERTIFICATE_LABELS,
        registers,
        collect(this: Gauge<(typeof CERTIFICATE_LABELS)[number]>) {
          this.reset();
          for (const c of certificates()) this.set(certificateLabels(c), seconds(value(c)));
        },
      }));
    certificateGauge("certmanager_certificate_expiration_timestamp_seconds", "The timestamp after which the certificate expires, expressed in Unix Epoch Time.", (c) => c.notAfter);
    certificateGauge("certmanager_certificate_not_after_timestamp_seconds", "The timestamp after which the certificate is invalid, expressed as a Unix Epoch Time.", (c) => c.notAfter);
    certificateGauge("certmanager_certificate_not_before_timestamp_seconds", "The timestamp before which the certificate is invalid, expressed as a Unix Epoch Time.", (c) => c.notBefore);
    certificateGauge("certmanager_certificate_renewal_timestamp_seconds", "The timestamp after which the certificate should be renewed, expressed in Unix Epoch Time.", (c) => c.renewalTime);
    perScrape(new Gauge({
      name: "certmanager_certificate_ready_status",
      help: "The ready status of the certificate.",
      labelNames: ["name", "namespace", "condition", "issuer_name", "issuer_kind", "issuer_group"],
      registers,
      collect(this: Gauge<"name" | "namespace" | "condition" | "issuer_name" | "issuer_kind" | "issuer_group">) {
        this.reset();
        for (const c of certificates()) {
          for (const condition of CONDITIONS) this.set({ ...certificateLabels(c), condition }, c.ready === condition ? 1 : 0);
        }
      },
    }));
    new Gauge({
      name: "certmanager_issuer_ready_status",
      help: "The ready status of the Issuer.",
      labelNames: ["name", "namespace", "condition"],
      registers,
      collect(this: Gauge<"name" | "namespace" | "condition">) {
        this.reset();
        for (const i of issuers("Issuer")) {
          for (const condition of CONDITIONS) this.set({ name: i.name, namespace: i.namespace ?? "", condition }, i.ready === condition ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: "certmanager_clusterissuer_ready_status",
      help: "The ready status of the ClusterIssuer.",
      labelNames: ["name", "condition"],
      registers,
      collect(this: Gauge<"name" | "condition">) {
        this.reset();
        for (const i of issuers("ClusterIssuer")) {
          for (const condition of CONDITIONS) this.set({ name: i.name, condition }, i.ready === condition ? 1 : 0);
        }
      },
    });
    this.#acmeCount = new Counter({
      name: "certmanager_http_acme_client_request_count",
      help: "Total number of outbound ACME HTTP requests. Labels: scheme (http/https), host (ACME host), action (logical ACME operation), method (HTTP verb), status (HTTP status code).",
      labelNames: ACME_LABELS,
      registers,
    });
    this.#acmeSeconds = new Summary({
      name: "certmanager_http_acme_client_request_duration_seconds",
      help: "Latency of outbound ACME HTTP requests in seconds. Labels: scheme (http/https), host (ACME host), action (logical ACME operation), method (HTTP verb), status (HTTP status code).",
      labelNames: ACME_LABELS,
      percentiles: [0.5, 0.9, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers,
    });
    new Gauge({
      name: "certmanager_clock_time_seconds_gauge",
      help: "The clock time given in seconds (from 1970/01/01 UTC).",
      registers,
      collect(this: Gauge) {
        this.set(Math.floor(now().getTime() / 1000));
      },
    });

    // ---- gitcert's own
    this.#reconcileSeconds = new Histogram({
      name: "gitcert_reconcile_duration_seconds",
      help: "How long each reconcile took (sync, plan, issue, commit, push), by what triggered it and how it ended.",
      labelNames: ["trigger", "result"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.#reconciles = new Counter({ name: "gitcert_reconciles_total", help: "Reconciles run, by trigger and result.", labelNames: ["trigger", "result"], registers });
    this.#lastSuccess = new Gauge({ name: "gitcert_last_successful_reconcile_timestamp_seconds", help: "When the last reconcile that finished without error ended (Unix time).", registers });
    this.#commitsPushed = new Counter({ name: "gitcert_commits_pushed_total", help: "Commits gitcert pushed to the remote.", registers });
    this.#pushRetries = new Counter({ name: "gitcert_push_retries_total", help: "Pushes rejected because the remote moved, each followed by a rebase and another try.", registers });
    new Gauge({
      name: "gitcert_certificates",
      help: "Certificates in the repository by the action the last reconcile planned for them (issue, renew, reissue, update, ok, blocked, remove).",
      labelNames: ["action"],
      registers,
      collect(this: Gauge<"action">) {
        this.reset();
        for (const [action, count] of Object.entries(actions())) this.set({ action }, count);
      },
    });
    this.#issuanceFailures = new Counter({
      name: "gitcert_issuance_failures_total",
      help: "Failed issuances (a failure at the CA or a local one), by issuer.",
      labelNames: ["issuer_name", "issuer_kind", "issuer_group"],
      registers,
    });
    this.#webhooks = new Counter({
      name: "gitcert_webhook_requests_total",
      help: "Webhook requests by forge and result (trigger, ignored, unauthorized, rejected).",
      labelNames: ["forge", "result"],
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition text. The per-Certificate gauges are emptied after it:
   * each scrape fills them afresh from the inventory, and 5,000
   * Certificates' label sets (35,000 of them) would otherwise stay in the
   * heap from one scrape to the next for nothing.
   */
  async text(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      for (const gauge of this.#perScrape) gauge.reset();
    }
  }

  /** The Certificates and Issuers as the latest reconcile left them; replaces the previous set. */
  setInventory(certificates: readonly CertificateMetric[], issuers: readonly IssuerMetric[] = []): void {
    this.#certificates = certificates;
    this.#issuers = issuers;
  }

  /**
   * What a replica reports once it no longer leads: no Certificates, no
   * Issuers, no plan actions. The leader reports them now; a copy kept here
   * would count each Certificate twice on a dashboard and go stale.
   */
  forgetInventory(): void {
    this.setInventory([], []);
    this.#actions = {};
  }

  reconciled(record: ReconcileRecord, endedAt: Date): void {
    const labels = { trigger: record.trigger, result: record.ok ? "success" : "error" };
    this.#reconcileSeconds.observe(labels, record.seconds);
    this.#reconciles.inc(labels);
    if (record.ok) this.#lastSuccess.set(endedAt.getTime() / 1000);
    if (record.commitsPushed > 0) this.#commitsPushed.inc(record.commitsPushed);
    if (record.pushRetries > 0) this.#pushRetries.inc(record.pushRetries);
    this.#actions = record.actions;
    for (const issuer of record.failures) this.#issuanceFailures.inc({ issuer_name: issuer.name, issuer_kind: issuer.kind, issuer_group: issuer.group });
  }

  acmeRequest(labels: AcmeRequestLabels, seconds: number): void {
    const l = { ...labels, status: String(labels.status) };
    this.#acmeCount.inc(l);
    this.#acmeSeconds.observe(l, seconds);
  }

  webhook(forge: string, result: "trigger" | "ignored" | "unauthorized" | "rejected"): void {
    this.#webhooks.inc({ forge, result });
  }
}

function certificateLabels(c: CertificateMetric) {
  return { name: c.name, namespace: c.namespace, issuer_name: c.issuer.name, issuer_kind: c.issuer.kind, issuer_group: c.issuer.group };
}

/** cert-manager reports 0 when a time is not known. */
function seconds(time: number | undefined): number {
  return time !== undefined ? Math.floor(time / 1000) : 0;
}
