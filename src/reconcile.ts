// One reconcile, end to end (DESIGN.md): sync → scan → resolve → plan →
// execute → write → commit → push, with the push retried on a fresh head.
import type { Config } from "./config.ts";
import { toDiagnostic, type Diagnostic, type SourceRef } from "./diagnostics.ts";
import { blockUnplaced, coexistencePolicy, discoverySettings, keepClusterSecrets, stepBack, type ClusterViewSource } from "./discovery/index.ts";
import { chartTemplateProblems, decryptionProblems } from "./gitops/index.ts";
import { carriedKey, changedRepository, executePlan, secretEncryption, SecretStore, type ExecuteResult, type Outcome, type Written } from "./execute/index.ts";
import { issuerType, secretsOf, type Issuer, type IssuerEnv, type IssuerRegistry, type SecretKey } from "./issuers/index.ts";
import type { Logger } from "./log.ts";
import { repositorySecrets, resolve, resolveAgain, scanRepository, updateScan, type CachedScan, type FileEdit, type ScanOptions, type SecretIndex } from "./manifests/index.ts";
import type { CertificateResource, IssuerResource, ScanResult, SecretFile } from "./manifests/types.ts";
import {
  backoffUntil,
  blockUnwritable,
  certificateKey,
  FAILURE_LOG,
  certificateSopsConfigPaths,
  ISSUING_ACTIONS,
  nextFailureLog,
  parseFailureLog,
  placementPaths,
  plan,
  renderFailureLog,
  secretPathsToWrite,
  type AttemptResult,
  type FailureRecord,
  type PlanItem,
  type PlanMemo,
} from "./plan/index.ts";
import { workingTree, type FileScanOptions, type WorkingTree, type Workspace } from "./repo/index.ts";
import { encryptionTarget, loadSopsConfigs, recipientOf } from "./secrets/index.ts";
import { mapLimit } from "./execute/pool.ts";
import { commitMessage } from "./commit-message.ts";
import { pushWithRetry } from "./push-retry.ts";

export interface Assessment {
  scan: ScanResult;
  /** Failed attempts as Git holds them, for backoff. */
  failures: Map<string, FailureRecord>;
  items: PlanItem[];
  /** Problems not tied to one Certificate's plan (files, issuers, Ingresses). */
  diagnostics: Diagnostic[];
  /** Why each Issuer that cannot sign cannot (resolve's check of all it needs). */
  issuerProblems: Map<IssuerResource, Diagnostic>;
}

export interface AssessOptions {
  now: Date;
  /**
   * age identities (`run` and `renew` only): SOPS Secrets Flux substitutes
   * variables from are opened with them. Without, objects needing their
   * values are named and left out of the plan. Their recipients also tell
   * which rekeys the run can do; without, `plan` says what a rekey needs.
   */
  identities?: readonly string[];
  issuers: IssuerRegistry;
  forceRenew?: ReadonlySet<string>;
  /**
   * Ask issuers when to renew (ACME ARI: a request to the CA). Off for
   * `status`, which reads Git alone.
   */
  consultIssuers?: boolean;
  /** How long to wait, in all, for those hints (default 10 s). */
  hintsDeadlineMs?: number;
  /** Adds the Secrets a cluster holds to the repository's, for the Issuer checks (src/kube); none: the repository's alone. */
  secretIndex?: SecretIndexSource;
  /** What Flux or Argo CD applied and whether cert-manager runs (src/kube): merged with Git, and stepped back from. */
  cluster?: ClusterViewSource;
  /**
   * A long-running gitcert's repository (src/daemon): the scan takes the
   * files of the commit being planned from Git, reads only those whose
   * content it has not seen, and is not run again while that commit stays.
   */
  repository?: KeptRepository;
  /** Where files are read (the failure log, .sops.yaml, Secrets to open); the working tree at `root` by default. */
  tree?: WorkingTree;
}

/**
 * The repository as a long-running gitcert keeps it between ticks
 * (src/daemon/snapshot.ts): the files of the commit being planned with
 * their Git blob ids, what each blob yielded, and results that hold as
 * long as that commit does.
 */
export interface KeptRepository {
  /** What the scan reads: the commit's files (a text read only when its blob is not known), their blob ids, the parse cache. */
  scanInput(options: FileScanOptions): Promise<CachedScan>;
  /**
   * `compute()` once per commit planned and `key`: a tick on an unchanged
   * commit reuses it. After a move that edited files in place, `update`
   * may bring the previous commit's value forward instead (undefined: it
   * cannot, and `compute()` runs).
   */
  memo<T>(key: string, compute: () => Promise<T>, update?: (previous: T, edits: readonly FileEdit[]) => T | undefined | Promise<T | undefined>): Promise<T>;
  /** `compute()` once per content of the file at `path` (its blob) and `key`; forgotten with that content. */
  byContent<T>(path: string, key: string, compute: () => Promise<T>): Promise<T>;
  /** Plan items kept across commits and ticks, reused while what each depends on holds (plan-memo.ts). */
  plans?: PlanMemo;
  /**
   * `tree`, noting each file read through it: what memo() keeps was worked
   * out from those texts, so it is not carried to a commit that edits one.
   */
  noting(tree: WorkingTree): WorkingTree;
}

/** The Secret index from the repository's and the Secrets issuers need (fetched at the edge). */
export type SecretIndexSource = (repository: SecretIndex, needed: readonly SecretKey[]) => Promise<SecretIndex>;

/**
 * scan → resolve → plan: reads files, writes nothing, decrypts nothing. The
 * .sops.yaml files above every Secret path are read first, so the plan
 * names each new Secret file the way the repository's rules expect, blocks
 * a Certificate whose Secret could not be encrypted before any CA is
 * asked, and rekeys Secrets whose recipients changed.
 */
export async function assess(root: string, config: Config, options: AssessOptions): Promise<Assessment> {
  const tree = options.tree ?? workingTree(root);
  const identities = options.identities ?? [];
  const cluster = await options.cluster?.();
  const scanOptions: ScanOptions = {
    include: config.include,
    exclude: config.exclude,
    maxFileBytes: config.maxFileBytes,
    defaultNamespace: config.defaultNamespace,
    defaultIssuer: config.defaultIssuerName
      ? { name: config.defaultIssuerName, kind: config.defaultIssuerKind, group: config.defaultIssuerGroup }
      : undefined,
    clusterPath: config["gitops.clusterPath"] || undefined,
    ...(cluster?.objects ? { cluster: { view: { ...cluster, objects: cluster.objects }, settings: discoverySettings(config) } } : {}),
  };
  const repository = options.repository;
  // What the cluster applied is read afresh each tick: a scan that merges it is not kept with the commit.
  const keep = repository && !scanOptions.cluster ? repository : undefined;
  // What is kept with the commit reads files through this tree, so a push that edits one of them is planned afresh.
  const keptTree = repository?.noting(tree) ?? tree;
  const openSealed = identities.length > 0 ? (sealed: Parameters<typeof openVariableSecrets>[0], first: { secrets: SecretFile[] }) => openVariableSecrets(sealed, new SecretStore(keptTree, first.secrets, identities), repository) : undefined;
  // The scan is a function of the files and these options (JSON: everything that goes into it), so a commit scanned once is not scanned again.
  const scanKey = `scan ${JSON.stringify(scanOptions)} ${identities.length > 0}`;
  const scanned = async () => scanRepository(root, scanOptions, openSealed, repository && (await repository.scanInput(scanOptions)));
  const scan = keep ? await keep.memo(scanKey, scanned, updateScan) : await scanned();
  // An empty secretPath is not configured: follow the repository's .sops.yaml.
  const secretPathTemplate = config.secretPath === "" ? undefined : config.secretPath;
  // Issuers resolved and .sops.yaml files read: from the scan alone unless the cluster's Secrets count, so kept with it.
  const resolved = async () => {
    const needed = scan.issuers.flatMap((issuer) => secretsOf(options.issuers, issuer, config.clusterResourceNamespace));
    const resolution = resolve(scan, {
      clusterResourceNamespace: config.clusterResourceNamespace,
      issuers: options.issuers,
      secrets: await options.secretIndex?.(repositorySecrets(scan), needed),
    });
    // .sops.yaml files are looked up by folder: one path per folder will do.
    const sopsPaths = new Map<string, string>();
    const add = (path: string) => sopsPaths.set(path.slice(0, Math.max(0, path.lastIndexOf("/"))), path);
    for (const s of scan.secrets) add(s.source.file);
    for (const { certificate } of [...resolution.ready, ...resolution.blocked]) for (const path of certificateSopsConfigPaths(certificate, secretPathTemplate)) add(path);
    return { resolution, issuerSecrets: new Set(needed.map((key) => `${key.namespace}/${key.name}`)), sops: await loadSopsConfigs(sopsPaths.values(), keptTree.read) };
  };
  // After a push that edited a few Certificates: those resolved again (resolveAgain says when that is exact), and .sops.yaml read only for folders not looked in yet.
  const resolvedAgain = async (previous: Awaited<ReturnType<typeof resolved>>): Promise<Awaited<ReturnType<typeof resolved>> | undefined> => {
    const again = resolveAgain(previous.resolution, scan, { clusterResourceNamespace: config.clusterResourceNamespace, issuers: options.issuers });
    if (!again) return undefined;
    if (again.resolution === previous.resolution) return previous;
    const paths = again.anew.flatMap((certificate) => certificateSopsConfigPaths(certificate, secretPathTemplate));
    // A folder's entry depends on the .sops.yaml files above it alone, which were read through keptTree: an edit of one is never updated.
    const unread = paths.filter((path) => !previous.sops.has(path.slice(0, Math.max(0, path.lastIndexOf("/")))));
    const sops = unread.length === 0 ? previous.sops : await loadSopsConfigs(unread, keptTree.read, new Map(previous.sops));
    return { resolution: again.resolution, issuerSecrets: previous.issuerSecrets, sops };
  };
  const { resolution, issuerSecrets, sops } =
    keep && !options.secretIndex ? await keep.memo(`resolved ${scanKey} ${config.clusterResourceNamespace} ${config.secretPath}`, resolved, resolvedAgain) : await resolved();
  const failures = parseFailureLog(await tree.read(FAILURE_LOG).catch(() => undefined));
  const renewalHints = options.consultIssuers ? await gatherRenewalHints(resolution.ready, scan.secrets, options) : undefined;
  const planned = plan({
    issuerSecrets,
    renewalHints,
    ready: resolution.ready,
    blocked: resolution.blocked,
    secrets: scan.secrets,
    now: options.now,
    secretPathTemplate,
    sops,
    ageRecipients: config.ageRecipients,
    identityRecipients: options.identities ? await recipientsOf(options.identities) : undefined,
    pruneSecrets: config.pruneSecrets,
    // Objects left out for variables gitcert cannot read may own Secrets too.
    scanHasErrors: scan.diagnostics.some((d) => d.severity === "error") || scan.gitops?.incomplete === true,
    failures,
    forceRenew: options.forceRenew,
    memo: repository?.plans,
  });
  const unread = !cluster ? "was not configured or could not be reached this run" : !cluster.complete ? (cluster.objects ? "could not be read whole this run" : "is not read (discovery.enabled is off)") : "";
  const writable = blockUnwritable(planned, chartTemplateProblems(secretPathsToWrite(planned), scan.gitops?.charts ?? []));
  const coexistence = stepBack(keepClusterSecrets(blockUnplaced(writable), unread === "", unread), cluster?.certManager, coexistencePolicy(config));
  const items = coexistence.items;
  const decryption = scan.gitops
    ? await decryptionProblems(
        items.filter((i) => i.certificate && i.secretPath && i.action !== "remove").map((i) => i.secretPath!),
        scan.gitops,
        {
          recipientsFor: async (path) => {
            const r = encryptionTarget(sops, path, config.ageRecipients);
            return "target" in r ? r.target.rule.recipients : undefined;
          },
          secretFile: (namespace, name) => scan.secrets.find((s) => s.namespace === namespace && s.name === name)?.source,
          read: (path) => tree.read(path).catch(() => undefined),
        },
      )
    : [];
  const clusterNotes = [...(cluster?.diagnostics ?? []), ...coexistence.diagnostics];
  return { scan, failures, items, diagnostics: [...scan.diagnostics, ...resolution.diagnostics, ...decryption, ...clusterNotes], issuerProblems: resolution.issuerProblems };
}

/**
 * The values of the SOPS Secrets Flux substitutes from, opened with the age
 * identity; what could not be, as diagnostics. A long-running gitcert opens
 * each file once per content (its blob), not on every scan.
 */
async function openVariableSecrets(
  sealed: ReadonlyArray<{ namespace: string; name: string; source: SourceRef }>,
  store: SecretStore,
  repository?: KeptRepository,
): Promise<{ values: Map<string, Record<string, string>>; diagnostics: Diagnostic[] }> {
  const values = new Map<string, Record<string, string>>();
  const diagnostics: Diagnostic[] = [];
  for (const s of sealed) {
    try {
      const open = () => store.read({ namespace: s.namespace, name: s.name });
      const data = repository ? await repository.byContent(s.source.file, `variables ${s.namespace}/${s.name}`, open) : await open();
      if (!data) continue;
      values.set(`${s.namespace}/${s.name}`, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString("utf8")])));
    } catch (err) {
      diagnostics.push(toDiagnostic(err, { code: "SopsDecryptFailed", source: s.source, object: { kind: "Secret", namespace: s.namespace, name: s.name } }));
    }
  }
  return { values, diagnostics };
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
  const hints = new Map<string, Date>();
  // Only Certificates whose issuer gives hints (ACME with ARI) are asked: on most ticks none, and nothing waits.
  const hinting = new Map<IssuerResource, Issuer | undefined>();
  for (const { issuer } of ready) {
    if (hinting.has(issuer)) continue;
    const type = issuerType(issuer, options.issuers.keys());
    const impl = type ? options.issuers.get(type) : undefined;
    hinting.set(issuer, impl?.renewalHint ? impl : undefined);
  }
  const askable = ready.filter(({ issuer }) => hinting.get(issuer));
  if (askable.length === 0) return hints;
  const bySecret = new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
  const unreachable = new Set<IssuerResource>();
  const waitMs = options.hintsDeadlineMs ?? HINTS_DEADLINE_MS;
  const deadline = Date.now() + waitMs;
  const ask = mapLimit(askable, 8, async ({ certificate, issuer }) => {
    const secret = bySecret.get(`${certificate.namespace}/${certificate.spec.secretName}`);
    const impl = hinting.get(issuer);
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

export interface TreeResult extends ExecuteResult {
  assessment: Assessment;
  /** The failure log after this run: failures at the CA only. */
  failures: Map<string, FailureRecord>;
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
  /** Progress: called as each Certificate's outcome is settled. */
  onOutcome?(outcome: Outcome, done: number, total: number): void;
  /** Secrets issuers need that the repository does not hold: the cluster's (src/kube). */
  readClusterSecret?: (key: SecretKey) => Promise<Record<string, Buffer> | undefined>;
  /** Service account tokens from the cluster, for issuers that log in with one (src/kube). */
  serviceAccountToken?: IssuerEnv["serviceAccountToken"];
  /** Aborted when this replica must stop (it lost leadership): no new work, no commit. */
  signal?: AbortSignal;
  /** Called with the plan before anything is issued (the cluster shows Issuing while it runs). */
  onAssessed?: (assessment: Assessment) => Promise<void>;
  /** The cluster's Secrets for the Issuer checks (src/kube). */
  secretIndex?: SecretIndexSource;
  /** What Flux or Argo CD applied, and whether cert-manager runs (src/kube). */
  cluster?: ClusterViewSource;
  /** A long-running gitcert's repository (see AssessOptions). */
  repository?: KeptRepository;
}

/** assess, then issue and write into the working tree at `root`. */
export async function reconcileTree(root: string, deps: ReconcileDeps, carried?: ReadonlyMap<string, Written>): Promise<TreeResult> {
  return (await reconcileTreeAt(root, workingTree(root), deps, carried, false))!;
}

/**
 * The reconcile of a commit where nothing is due, read through `tree`
 * (Git's objects, no checkout): every Certificate assessed and settled as
 * reconcileTree would. Undefined as soon as anything would be issued,
 * rewritten, rekeyed or removed, or a file would change: the caller then
 * runs the whole reconcile on a working tree. `tree` is written to only
 * on the way to undefined (the kustomization or failure log a full run
 * would change): give one that keeps such writes to itself.
 */
export async function reconcileQuietTree(root: string, tree: WorkingTree, deps: ReconcileDeps): Promise<TreeResult | undefined> {
  return reconcileTreeAt(root, tree, deps, undefined, true);
}

const QUIET_ACTIONS: ReadonlySet<string> = new Set(["ok", "blocked"]);

async function reconcileTreeAt(root: string, tree: WorkingTree, deps: ReconcileDeps, carried: ReadonlyMap<string, Written> | undefined, onlyIfQuiet: boolean): Promise<TreeResult | undefined> {
  const now = deps.now();
  const assessment = await assess(root, deps.config, { now, issuers: deps.issuers, forceRenew: deps.forceRenew, consultIssuers: true, secretIndex: deps.secretIndex, identities: deps.identities, repository: deps.repository, tree, cluster: deps.cluster });
  if (onlyIfQuiet && assessment.items.some((i) => !QUIET_ACTIONS.has(i.action))) return undefined;
  await deps.onAssessed?.(assessment);
  deps.signal?.throwIfAborted();
  const execution = await executePlan(assessment.items, {
    tree,
    issuers: deps.issuers,
    store: new SecretStore(tree, assessment.scan.secrets, deps.identities, deps.readClusterSecret),
    encryption: secretEncryption(tree.read, deps.config.ageRecipients),
    identities: deps.identities,
    now: deps.now,
    concurrency: deps.config.concurrency,
    clusterResourceNamespace: deps.config.clusterResourceNamespace,
    kustomizations: assessment.scan.kustomizations,
    ksops: assessment.scan.gitops?.ksops,
    kustomizeResources: deps.config.kustomizeResources,
    listIssuerSecrets: deps.config["acme.applyAccountKey"],
    charts: assessment.scan.gitops?.charts,
    carried,
    onOutcome: deps.onOutcome,
    signal: deps.signal,
    serviceAccountToken: deps.serviceAccountToken,
  });
  const existing = new Set(assessment.items.filter((i) => i.certificate).map((i) => certificateKey(i.certificate!)));
  const failures = nextFailureLog(assessment.failures, attemptsAtCA(execution.outcomes), existing, now);
  const failureLogChanged = await writeFailureLog(tree, assessment.failures, failures);
  const outcomes = execution.outcomes.map((o) => withRetryTime(o, failures));
  const result = { ...execution, outcomes, assessment, failures, failureLogChanged };
  if (onlyIfQuiet && changedAnything(result)) return undefined;
  return result;
}

/**
 * The attempts that count for backoff: successes, and failures at the CA.
 * A local failure (no recipient, no identity, a bug) leaves the log as it
 * was: the next run tries again at once.
 */
function attemptsAtCA(outcomes: readonly Outcome[]): AttemptResult[] {
  return outcomes.flatMap((o) => {
    const item = o.item;
    if (!ISSUING_ACTIONS.has(item.action) || !item.certificate) return [];
    if (o.kind === "failed" && !o.atCA) return [];
    const d = o.kind === "failed" ? o.diagnostics[0] : undefined;
    return [{ key: certificateKey(item.certificate), requestHash: item.requestHash!, issuerHash: item.issuerHash!, ok: o.kind !== "failed", message: d?.message, retryAfter: d?.retryAfter ? new Date(d.retryAfter) : undefined }];
  });
}

/** A failure at the CA says when backoff lets the next attempt run. */
function withRetryTime(o: Outcome, failures: ReadonlyMap<string, FailureRecord>): Outcome {
  if (o.kind !== "failed" || !o.atCA) return o;
  const { item } = o;
  const retryAt = backoffUntil(failures.get(certificateKey(item.certificate!)), { requestHash: item.requestHash!, issuerHash: item.issuerHash! });
  return retryAt ? { ...o, retryAt } : o;
}

/** True when the log's text changed. */
async function writeFailureLog(tree: WorkingTree, before: ReadonlyMap<string, FailureRecord>, after: ReadonlyMap<string, FailureRecord>): Promise<boolean> {
  const text = renderFailureLog(after);
  if (text === renderFailureLog(before)) return false;
  if (text === "") await tree.remove(FAILURE_LOG);
  else await tree.write(FAILURE_LOG, text);
  return true;
}

export interface ReconcileReport extends TreeResult {
  head: string;
  commit?: string;
  pushed: boolean;
  attempts: number;
  /** Commits an earlier run made and could not push, pushed by this one. */
  fromEarlierRuns: number;
}

/** The whole reconcile against a Git workspace, push retried on a moved remote (push-retry.ts). */
export async function reconcileRepository(workspace: Workspace, deps: ReconcileDeps): Promise<ReconcileReport> {
  const carried = new Map<string, Written>();
  const retry = { budgetMs: deps.config["git.pushRetrySeconds"] * 1000, log: deps.log };
  let forceRenew = deps.forceRenew;
  const pushed = await pushWithRetry(workspace, retry, async () => {
    deps.signal?.throwIfAborted();
    const result = await reconcileTree(workspace.root, { ...deps, forceRenew }, carried);
    // Later rounds start from this one's commit, replayed: renewed already.
    forceRenew = undefined;
    for (const w of result.written) carried.set(carriedKey(w.content), w);
    for (const d of runDiagnostics(result)) deps.log.warn({ code: d.code, file: d.source?.file, line: d.source?.line }, formatForLog(d));
    if (!changedAnything(result)) return { result };
    deps.signal?.throwIfAborted(); // another replica leads now: its commit, not this one
    return { result, message: commitMessage(deps.config["git.messageTemplate"], result) };
  });
  return { ...pushed.result, head: pushed.head, commit: pushed.commit, pushed: pushed.pushed, attempts: pushed.attempts, fromEarlierRuns: pushed.fromEarlierRuns };
}

/** What this run found beyond the plan: failures, and problems with files it wrote. */
export function runDiagnostics(result: Pick<TreeResult, "outcomes" | "diagnostics">): Diagnostic[] {
  return [...result.outcomes.flatMap((o) => o.diagnostics.filter((d) => !o.item.diagnostics.includes(d))), ...result.diagnostics];
}

function changedAnything(result: TreeResult): boolean {
  return result.failureLogChanged || result.stored.length > 0 || result.outcomes.some((o) => changedRepository(o) || o.kustomization !== undefined);
}

function formatForLog(d: Diagnostic): string {
  const what = d.object ? `${d.object.kind} ${d.object.namespace ? d.object.namespace + "/" : ""}${d.object.name}: ` : "";
  return `${what}${d.message}`;
}

/** The recipients of the age identities, worked out once per list (a daemon passes the same list every tick). */
const RECIPIENTS = new WeakMap<readonly string[], Promise<ReadonlySet<string>>>();
function recipientsOf(identities: readonly string[]): Promise<ReadonlySet<string>> {
  let known = RECIPIENTS.get(identities);
  if (!known) {
    known = Promise.all(identities.map(recipientOf)).then((list) => new Set(list));
    RECIPIENTS.set(identities, known);
    known.catch(() => RECIPIENTS.delete(identities));
  }
  return known;
}
