// One reconcile, end to end (DESIGN.md): sync → scan → resolve → plan →
// execute → write → commit → push, with the push retried on a fresh head.
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "./config.ts";
import { GitcertError, type Diagnostic } from "./diagnostics.ts";
import { executePlan, SecretStore, type Outcome } from "./execute/index.ts";
import { encryptionRules } from "./execute/encryption.ts";
import { issuerType, type IssuerRegistry } from "./issuers/index.ts";
import type { Logger } from "./log.ts";
import { resolve, scanRepository } from "./manifests/index.ts";
import type { ScanResult } from "./manifests/types.ts";
import { plan, type FailureRecord, type PlanItem } from "./plan/index.ts";
import type { Workspace } from "./repo/index.ts";
import { commitMessage } from "./commit-message.ts";

export interface Assessment {
  scan: ScanResult;
  items: PlanItem[];
  /** Problems not tied to one Certificate's plan (files, issuers, Ingresses). */
  diagnostics: Diagnostic[];
}

export interface AssessOptions {
  now: Date;
  issuers: IssuerRegistry;
  failures?: ReadonlyMap<string, FailureRecord>;
  forceRenew?: ReadonlySet<string>;
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
  const items = plan({
    issuerSecrets,
    ready: resolution.ready,
    blocked: resolution.blocked,
    secrets: scan.secrets,
    now: options.now,
    secretPathTemplate: config.secretPath,
    pruneSecrets: config.pruneSecrets,
    scanHasErrors: scan.diagnostics.some((d) => d.severity === "error"),
    failures: options.failures,
    forceRenew: options.forceRenew,
  });
  return { scan, items, diagnostics: [...scan.diagnostics, ...resolution.diagnostics] };
}

export interface TreeResult {
  assessment: Assessment;
  outcomes: Outcome[];
}

export interface ReconcileDeps {
  config: Config;
  issuers: IssuerRegistry;
  identities: readonly string[];
  now: () => Date;
  log: Logger;
  failures?: ReadonlyMap<string, FailureRecord>;
  forceRenew?: ReadonlySet<string>;
}

/** assess, then issue and write into the working tree at `root`. */
export async function reconcileTree(root: string, deps: ReconcileDeps): Promise<TreeResult> {
  const assessment = await assess(root, deps.config, { now: deps.now(), issuers: deps.issuers, failures: deps.failures, forceRenew: deps.forceRenew });
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
  });
  return { assessment, outcomes };
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
  for (let attempt = 1; ; attempt++) {
    const { head } = await workspace.sync();
    const result = await reconcileTree(workspace.root, deps);
    for (const o of result.outcomes) {
      for (const d of o.diagnostics) deps.log.warn({ code: d.code, file: d.source?.file, line: d.source?.line }, formatForLog(d));
    }
    const done = result.outcomes.filter((o) => o.status === "done");
    if (done.length === 0) return { ...result, head, pushed: false, attempts: attempt };
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
