// One reconcile, end to end (DESIGN.md): sync → scan → resolve → plan →
// execute → write → commit → push, with the push retried on a fresh head.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "./config.ts";
import { GitcertError, type Diagnostic } from "./diagnostics.ts";
import { executePlan, SecretStore, type Carried, type Outcome, type Written } from "./execute/index.ts";
import { encryptionRules } from "./execute/encryption.ts";
import { issuerType, type IssuerRegistry } from "./issuers/index.ts";
import type { Logger } from "./log.ts";
import { resolve, scanRepository } from "./manifests/index.ts";
import type { CertificateResource, IssuerResource, ScanResult, SecretFile } from "./manifests/types.ts";
import { certificateKey, FAILURE_LOG, ISSUING_ACTIONS, nextFailureLog, parseFailureLog, plan, renderFailureLog, type FailureRecord, type PlanItem } from "./plan/index.ts";
import { removeFile, writeFileAtomic, type Workspace } from "./repo/index.ts";
import { mapLimit } from "./execute/pool.ts";
import { commitMessage } from "./commit-message.ts";

export interface Assessment {
  scan: ScanResult;
  /** Failed attempts as Git holds them, for backoff. */
  failures: Map<string, FailureRecord>;
  items: PlanItem[];
  /** Problems not tied to one Certificate's plan (files, issuers, Ingresses). */
  diagnostics: Diagnostic[];
}

export interface AssessOptions {
  now: Date;
  issuers: IssuerRegistry;
  forceRenew?: ReadonlySet<string>;
  /**
   * Ask issuers when to renew (ACME ARI: a request to the CA). Off for
   * `status`, which reads Git alone.
   */
  consultIssuers?: boolean;
  /** How long to wait, in all, for those hints (default 10 s). */
  hintsDeadlineMs?: number;
}

/** scan → resolve → plan: reads files, writes nothing, decrypts nothing. */
export async function assess(root: string, config: Config, options: AssessOptions): Promise<Assessment> {
  const scan = await scanRepository(root, {
    include: config.include,
    exclude: config.exclude,
    maxFileBytes: config.maxFileBytes,
    defaultNamespace: config.defaultNamespace,
    defaultIssuer: config.defaultIssuerName
      ? { name: config.defaultIssuerName, kind: config.defaultIssuerKind, group: config.defaultIssuerGroup }
      : undefined,
  });
  const resolution = resolve(scan, {
    clusterResourceNamespace: config.clusterResourceNamespace,
    issuerTypes: new Set(options.issuers.keys()),
  });
  const issuerSecrets = new Set<string>();
  for (const issuer of scan.issuers) {
    const type = issuerType(issuer, options.issuers.keys());
    const needed = type ? options.issuers.get(type)!.secretsNeeded(issuer, config.clusterResourceNamespace) : [];
    for (const key of needed) issuerSecrets.add(`${key.namespace}/${key.name}`);
  }
  const failures = parseFailureLog(await readFile(join(root, FAILURE_LOG), "utf8").catch(() => undefined));
  const renewalHints = options.consultIssuers ? await gatherRenewalHints(resolution.ready, scan.secrets, options) : undefined;
  const items = plan({
    issuerSecrets,
    renewalHints,
    ready: resolution.ready,
    blocked: resolution.blocked,
    secrets: scan.secrets,
    now: options.now,
    secretPathTemplate: config.secretPath,
    pruneSecrets: config.pruneSecrets,
    scanHasErrors: scan.diagnostics.some((d) => d.severity === "error"),
    failures,
    forceRenew: options.forceRenew,
  });
  return { scan, failures, items, diagnostics: [...scan.diagnostics, ...resolution.diagnostics] };
}

/** How long `run` and `plan` wait, in all, for issuers' renewal hints. */
const HINTS_DEADLINE_MS = 10_000;

/**
 * Renewal times issuers suggest for what is already in Git. A hint that
 * cannot be had (CA unreachable, slow) only means the spec's renewal time is
 * used: the wait is bounded overall, and after one failure an issuer is not
 * asked again in this run.
 */
async function gatherRenewalHints(
  ready: ReadonlyArray<{ certificate: CertificateResource; issuer: IssuerResource }>,
  secrets: readonly SecretFile[],
  options: AssessOptions,
): Promise<Map<string, Date>> {
  const bySecret = new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
  const hints = new Map<string, Date>();
  const unreachable = new Set<IssuerResource>();
  const waitMs = options.hintsDeadlineMs ?? HINTS_DEADLINE_MS;
  const deadline = Date.now() + waitMs;
  const ask = mapLimit(ready, 8, async ({ certificate, issuer }) => {
    const secret = bySecret.get(`${certificate.namespace}/${certificate.spec.secretName}`);
    const type = issuerType(issuer, options.issuers.keys());
    const impl = type ? options.issuers.get(type) : undefined;
    if (!secret || !impl?.renewalHint || unreachable.has(issuer) || Date.now() > deadline) return;
    try {
      const hint = await impl.renewalHint(issuer, secret.annotations, options.now);
      if (hint) hints.set(certificateKey(certificate), hint.renewalTime);
    } catch {
      unreachable.add(issuer);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([ask, timeout]).finally(() => clearTimeout(timer));
  // A copy: hints that arrive after the deadline do not change this plan.
  return new Map(hints);
}

export interface TreeResult {
  assessment: Assessment;
  outcomes: Outcome[];
  /** The failure log in Git changed: worth a commit even with nothing issued. */
  failureLogChanged: boolean;
}

export interface ReconcileDeps {
  config: Config;
  issuers: IssuerRegistry;
  identities: readonly string[];
  now: () => Date;
  log: Logger;
  forceRenew?: ReadonlySet<string>;
}

/** assess, then issue and write into the working tree at `root`. */
export async function reconcileTree(root: string, deps: ReconcileDeps, carried?: Carried): Promise<TreeResult> {
  const now = deps.now();
  const assessment = await assess(root, deps.config, { now, issuers: deps.issuers, forceRenew: deps.forceRenew, consultIssuers: true });
  const outcomes = await executePlan(assessment.items, {
    root,
    issuers: deps.issuers,
    store: new SecretStore(root, assessment.scan.secrets, deps.identities),
    encryptionRule: encryptionRules(root, { recipients: deps.config.ageRecipients }),
    now: deps.now,
    concurrency: deps.config.concurrency,
    clusterResourceNamespace: deps.config.clusterResourceNamespace,
    kustomizations: assessment.scan.kustomizations,
    kustomizeResources: deps.config.kustomizeResources,
    carried,
  });
  const failureLogChanged = await writeFailureLog(root, assessment, outcomes, now);
  return { assessment, outcomes, failureLogChanged };
}

/** Records this run's failed and successful attempts for backoff; true when the log changed. */
async function writeFailureLog(root: string, assessment: Assessment, outcomes: readonly Outcome[], now: Date): Promise<boolean> {
  const attempts = outcomes
    .filter((o) => ISSUING_ACTIONS.has(o.item.action) && o.item.certificate)
    .map((o) => {
      const d = o.diagnostics[0];
      return { key: certificateKey(o.item.certificate!), requestHash: o.item.requestHash!, ok: o.status === "done", message: d?.message, retryAfter: d?.retryAfter ? new Date(d.retryAfter) : undefined };
    });
  const existing = new Set(assessment.items.filter((i) => i.certificate).map((i) => certificateKey(i.certificate!)));
  const before = renderFailureLog(assessment.failures);
  const after = renderFailureLog(nextFailureLog(assessment.failures, attempts, existing, now));
  if (after === before) return false;
  if (after === "") await removeFile(root, FAILURE_LOG);
  else await writeFileAtomic(root, FAILURE_LOG, after);
  return true;
}

export interface ReconcileReport extends TreeResult {
  head: string;
  commit?: string;
  pushed: boolean;
  attempts: number;
}

/** The whole reconcile against a Git workspace, push retried on a moved remote. */
export async function reconcileRepository(workspace: Workspace, deps: ReconcileDeps): Promise<ReconcileReport> {
  const retries = deps.config["git.pushRetries"];
  const carried = new Map<string, Written>();
  for (let attempt = 1; ; attempt++) {
    const { head } = await workspace.sync();
    const result = await reconcileTree(workspace.root, deps, carried);
    for (const o of result.outcomes) {
      if (o.written) carried.set(`${o.written.content.namespace}/${o.written.content.name}`, o.written);
    }
    for (const o of result.outcomes) {
      for (const d of o.diagnostics) deps.log.warn({ code: d.code, file: d.source?.file, line: d.source?.line }, formatForLog(d));
    }
    const done = result.outcomes.filter((o) => o.status === "done");
    if (done.length === 0 && !result.failureLogChanged) return { ...result, head, pushed: false, attempts: attempt };
    const message = commitMessage(deps.config["git.messageTemplate"], result.outcomes);
    try {
      const { commit, pushed } = await workspace.commitAndPush({ message });
      return { ...result, head, commit, pushed, attempts: attempt };
    } catch (err) {
      if (!(err instanceof GitcertError) || err.code !== "PushRejected" || attempt > retries) throw err;
      const delay = Math.min(250 * 2 ** (attempt - 1), 8000) * (0.5 + Math.random());
      deps.log.info({ attempt, delayMs: Math.round(delay) }, "push rejected: the remote moved; reconciling again on the new head");
      await sleep(delay);
    }
  }
}

function formatForLog(d: Diagnostic): string {
  const what = d.object ? `${d.object.kind} ${d.object.namespace ? d.object.namespace + "/" : ""}${d.object.name}: ` : "";
  return `${what}${d.message}`;
}
