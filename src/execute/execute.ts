// Carries out a plan: for each Certificate due, key → CSR → issuer.sign →
// Secret → SOPS → atomic write; Secret updates and removals; kustomization
// upkeep. One typed outcome per plan item; one Certificate's failure is its
// own outcome and the rest proceed.
import { diagnostic, toDiagnostic, type Diagnostic, type SourceRef } from "../diagnostics.ts";
import { secretsOf, type IssuerRegistry } from "../issuers/index.ts";
import type { IssuerEnv, SecretKey } from "../issuers/types.ts";
import type { KsopsGenerator } from "../gitops/index.ts";
import type { KustomizationFile } from "../manifests/types.ts";
import { ANNOTATION, ISSUING_ACTIONS, type PlanItem } from "../plan/index.ts";
import { parseCertificate } from "../pki/index.ts";
import type { WorkingTree } from "../repo/index.ts";
import { reuseCarried, type Carried, type Written } from "./carried.ts";
import type { SecretEncryption } from "./encryption.ts";
import { issue } from "./issue.ts";
import { KustomizationKeeper } from "./kustomizations.ts";
import { issuanceWaves } from "./order.ts";
import { failed, removed, secretWritten, settledByPlan, type Outcome } from "./outcome.ts";
import { mapLimit } from "./pool.ts";
import { rekeySecret } from "./rekey.ts";
import { rewriteSecret } from "./rewrite.ts";
import type { SecretStore } from "./secret-store.ts";
import { storeSecret, type StoredSecret } from "./stored-secret.ts";
import { secretTarget } from "./write-secret.ts";

export interface ExecuteContext {
  /** The working clone: every read and write of execute goes through it. */
  tree: WorkingTree;
  issuers: IssuerRegistry;
  store: SecretStore;
  /** How each Secret file is encrypted, and where an issuer's Secret goes (the repository's .sops.yaml). */
  encryption: SecretEncryption;
  /** age identities: to read Secrets issuers need, and to re-wrap data keys (rekey). */
  identities: readonly string[];
  now(): Date;
  concurrency: number;
  clusterResourceNamespace: string;
  kustomizations: readonly KustomizationFile[];
  /** KSOPS generators: a folder with one lists its Secret files there, not in `resources`. */
  ksops?: readonly KsopsGenerator[];
  /** Keep Secret files listed in their folder's kustomization.yaml resources. */
  kustomizeResources: boolean;
  /** List the Secrets issuers keep (ACME account keys) too, so Flux or Argo CD applies them (`acme.applyAccountKey`). */
  listIssuerSecrets: boolean;
  /** Folders holding a Helm chart: a Secret kept for a manifest in a chart's templates/ goes beside the chart instead. */
  charts?: readonly string[];
  /** Secrets an earlier, rejected attempt of this reconcile wrote. */
  carried?: Carried;
  /** Called as each outcome is settled, for progress output. */
  onOutcome?(outcome: Outcome, done: number, total: number): void;
  /** Aborted when this replica stops leading: no further issuance starts, and executePlan rejects with the reason. */
  signal?: AbortSignal;
  /** Service account tokens from the cluster, when there is one (IssuerEnv.serviceAccountToken). */
  serviceAccountToken?: IssuerEnv["serviceAccountToken"];
}

export interface ExecuteResult {
  /** One per plan item, in the plan's order. */
  outcomes: Outcome[];
  /** Secrets issuers asked to keep (ACME account keys). */
  stored: StoredSecret[];
  /** Problems not tied to one Certificate. */
  diagnostics: Diagnostic[];
  /** What was written, in memory only: a retried push reuses it instead of asking the CA again. */
  written: Written[];
}

export async function executePlan(items: readonly PlanItem[], ctx: ExecuteContext): Promise<ExecuteResult> {
  const result: ExecuteResult = { outcomes: new Array<Outcome>(items.length), stored: [], diagnostics: [], written: [] };
  const keeper = ctx.kustomizeResources ? new KustomizationKeeper(ctx.tree, ctx.kustomizations, ctx.ksops) : undefined;

  let done = 0;
  /** `listed`: whether the Secret file belongs in its kustomization.yaml now (undefined: leave it). */
  const settle = async (index: number, outcome: Outcome, listed?: boolean) => {
    let final = outcome;
    if (keeper && listed !== undefined && outcome.secretPath) {
      const { edit, problem } = await keeper.keep(outcome.secretPath, listed);
      if (edit) final = { ...final, kustomization: edit };
      if (problem) final = { ...final, diagnostics: [...final.diagnostics, problem] };
    }
    result.outcomes[index] = final;
    ctx.onOutcome?.(final, ++done, items.length);
  };

  const keepSecret = async (key: SecretKey, data: Record<string, Buffer>, near: SourceRef) => {
    const { stored, written } = await storeSecret(key, data, near, ctx);
    result.written.push(written);
    const listing = keeper && ctx.listIssuerSecrets ? await keeper.keep(stored.path, true) : {};
    if (listing.problem) result.diagnostics.push(listing.problem);
    result.stored.push(listing.edit ? { ...stored, kustomization: listing.edit } : stored);
  };
  const env: IssuerEnv = {
    readSecret: (key) => ctx.store.read(key),
    writeSecret: keepSecret,
    now: ctx.now,
    clusterResourceNamespace: ctx.clusterResourceNamespace,
    ...(ctx.serviceAccountToken ? { serviceAccountToken: ctx.serviceAccountToken } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  await restoreCarriedSecrets(ctx, keepSecret, result.diagnostics);

  const indexed = items.map((item, index) => ({ item, index }));
  for (const { item, index } of indexed) {
    if (item.action === "ok" || item.action === "blocked") await settle(index, settledByPlan(item), item.reason === "UpToDate" ? true : undefined);
  }

  const orderable = indexed
    .filter(({ item }) => ISSUING_ACTIONS.has(item.action) || item.action === "update")
    .map((entry) => ({ ...entry, writes: `${entry.item.certificate!.namespace}/${entry.item.certificate!.spec.secretName}`, needs: secretsNeeded(entry.item, ctx) }));
  const { waves, cyclic } = issuanceWaves(orderable);
  for (const { item, index } of cyclic) {
    await settle(index, failed(item, diagnostic("IssuerCycle", "the issuer's CA Secret is written by a Certificate that itself depends on this one", { source: item.source, object: item.object })));
  }
  for (const wave of waves) {
    await mapLimit(wave, ctx.concurrency, async ({ item, index }) => {
      ctx.signal?.throwIfAborted();
      const { outcome, written } = await writeCertificateSecret(item, ctx, env);
      if (written) result.written.push(written);
      await settle(index, outcome, outcome.kind === "failed" ? undefined : true);
    });
  }

  // Recipients changed: a Certificate's Secret keeps its values and MAC, so
  // it stays listed; an issuer's Secret is listed as acme.applyAccountKey
  // says, which a rekey leaves as it is.
  await mapLimit(indexed.filter(({ item }) => item.action === "rekey"), ctx.concurrency, async ({ item, index }) => {
    const outcome = await rekeySecret(item, ctx);
    await settle(index, outcome, outcome.kind === "failed" || !item.certificate ? undefined : true);
  });

  for (const { item, index } of indexed.filter(({ item }) => item.action === "remove")) {
    try {
      await ctx.tree.remove(item.secretPath!);
      await settle(index, removed(item), false);
    } catch (err) {
      await settle(index, failed(item, toDiagnostic(err, { code: "RemoveFailed", source: item.source, object: item.object })));
    }
  }
  return result;
}

function secretsNeeded(item: PlanItem, ctx: Pick<ExecuteContext, "issuers" | "clusterResourceNamespace">): SecretKey[] {
  if (item.action === "update") return [];
  return secretsOf(ctx.issuers, item.issuer!, ctx.clusterResourceNamespace);
}

/** Issue (or reuse, or re-lay-out) and write one Certificate's Secret. */
async function writeCertificateSecret(item: PlanItem, ctx: ExecuteContext, env: IssuerEnv): Promise<{ outcome: Outcome; written?: Written }> {
  const certificate = item.certificate!;
  const owner = { namespace: certificate.namespace, name: certificate.spec.secretName };
  try {
    // Checked first: a Secret that cannot be written must not cost an order.
    const target = await secretTarget(item.secretPath!, owner, item.existing !== undefined, ctx);
    const warnings: Diagnostic[] = [];
    const content = item.action === "update" ? await rewriteSecret(item, ctx) : (reuseCarried(item, ctx.carried) ?? (await issue(item, ctx, env, (d) => warnings.push(d))));
    await target.write(content);
    ctx.store.remember(owner, content.data);
    const leaf = parseCertificate(content.data["tls.crt"]!.toString("utf8"));
    const outcome = secretWritten(item, leaf, Number(content.annotations[ANNOTATION.revision]));
    return { outcome: { ...outcome, diagnostics: [...outcome.diagnostics, ...warnings] }, written: { content, requestHash: item.requestHash } };
  } catch (err) {
    return { outcome: failed(item, toDiagnostic(err, { code: "IssuanceFailed", source: item.source, object: item.object })) };
  }
}

/**
 * Issuer Secrets (ACME account keys) an earlier attempt made and the new
 * head lacks are kept, not made again: a new key would be a new account.
 */
async function restoreCarriedSecrets(
  ctx: ExecuteContext,
  keepSecret: (key: SecretKey, data: Record<string, Buffer>, near: SourceRef) => Promise<void>,
  diagnostics: Diagnostic[],
): Promise<void> {
  for (const written of ctx.carried?.values() ?? []) {
    if (!written.near) continue;
    const key = { namespace: written.content.namespace, name: written.content.name };
    if (await ctx.store.read(key).catch(() => undefined)) continue;
    try {
      await keepSecret(key, written.content.data, written.near);
    } catch (err) {
      diagnostics.push(toDiagnostic(err, { code: "StoreFailed", source: written.near, object: { kind: "Secret", ...key } }));
    }
  }
}
