// The planner: one action per Certificate from (resources, Secret files in
// Git, the .sops.yaml files that govern them, clock, failure history). Pure;
// it never decrypts — everything it needs is in the Secrets' plaintext
// annotations and `sops:` blocks.
import { diagnostic, type Diagnostic, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import { certificateRef, type CertificateResource, type IssuerResource, type SecretFile } from "../manifests/types.ts";
import { encryptionTarget, NO_SOPS_CONFIGS, type EncryptionTarget, type SopsConfigIndex } from "../secrets/index.ts";
import { ANNOTATION, formatTime, readSecretState, type SecretState } from "./annotations.ts";
import { backoffUntil, type FailureRecord } from "./backoff.ts";
import type { PlanMemo } from "./plan-memo.ts";
import { namesOf, placeSecret } from "./placement.ts";
import { recipientChange, type RecipientChange } from "./recipients.ts";
import { renewalSchedule } from "./renewal-time.ts";
import { issuerHash, requestHash, secretHash } from "./spec-hash.ts";

/** `rekey`: the Secret's data key is re-wrapped for the recipients `.sops.yaml` now names; nothing else changes. */
export type Action = "issue" | "renew" | "reissue" | "update" | "rekey" | "ok" | "blocked" | "remove";

/** Actions that obtain a new certificate from an issuer. */
export const ISSUING_ACTIONS: ReadonlySet<Action> = new Set(["issue", "renew", "reissue"]);

export interface PlanItem {
  action: Action;
  /** cert-manager's vocabulary where it has one: DoesNotExist, Renewing, Expired, RequestChanged… */
  reason: string;
  message: string;
  object: ObjectRef;
  source?: SourceRef;
  certificate?: CertificateResource;
  issuer?: IssuerResource;
  /** Repository-relative path of the Secret file to write or remove. */
  secretPath?: string;
  /** Why a new Secret file gets that name (secretPath, or the .sops.yaml rule it matches). */
  placement?: string;
  /** How the file is (to be) encrypted: the recipients and indent its .sops.yaml gives. */
  encryption?: EncryptionTarget;
  /** For `rekey`: recipients to add and remove. */
  recipients?: RecipientChange;
  existing?: SecretFile;
  state?: SecretState;
  /** Milliseconds since the epoch, as the state's times (annotations.ts). */
  renewalTime?: number;
  requestHash?: string;
  secretHash?: string;
  issuerHash?: string;
  /** Held by backoff after failures at the CA: the next attempt is not before this. */
  retryAt?: Date;
  diagnostics: Diagnostic[];
}

export interface PlanInput {
  ready: ReadonlyArray<{ certificate: CertificateResource; issuer: IssuerResource }>;
  blocked: ReadonlyArray<{ certificate: CertificateResource; diagnostics: Diagnostic[] }>;
  secrets: readonly SecretFile[];
  now: Date;
  /** `secretPath` as configured; undefined: a name the repository's .sops.yaml rules match (placement.ts). */
  secretPathTemplate?: string;
  /** The .sops.yaml files governing every Secret path planned (loadSopsConfigs at the edge); none when absent. */
  sops?: SopsConfigIndex;
  /** `ageRecipients`: for Secret files no creation rule matches. */
  ageRecipients?: readonly string[];
  /**
   * Recipients of the age identities the run will have (public keys), to
   * tell a rekey it cannot do; undefined when not known (`gitcert plan`).
   */
  identityRecipients?: ReadonlySet<string>;
  pruneSecrets: boolean;
  /**
   * A file failed to parse: a Certificate may be hiding in it, so no Secret
   * is removed in this run.
   */
  scanHasErrors: boolean;
  failures?: ReadonlyMap<string, FailureRecord>;
  /** Renewal times an issuer suggested (ACME ARI), by `namespace/name` of the Certificate. */
  renewalHints?: ReadonlyMap<string, Date>;
  /** `namespace/name` of Secrets an Issuer signs or authenticates with: never pruned. */
  issuerSecrets?: ReadonlySet<string>;
  /** `namespace/name` of Certificates to renew now (`gitcert renew`). */
  forceRenew?: ReadonlySet<string>;
  /** A long-running gitcert's items from earlier plans, reused where nothing they depend on changed (plan-memo.ts). */
  memo?: PlanMemo;
}

export function certificateKey(c: { namespace: string; name: string }): string {
  return `${c.namespace}/${c.name}`;
}

export function plan(input: PlanInput): PlanItem[] {
  const secretsByName = new Map<string, SecretFile[]>();
  for (const s of input.secrets) {
    const key = `${s.namespace}/${s.name}`;
    const list = secretsByName.get(key);
    if (list) list.push(s);
    else secretsByName.set(key, [s]);
  }

  const items: PlanItem[] = [];
  const memo = input.memo;
  memo?.begin({ sops: input.sops, secretPathTemplate: input.secretPathTemplate, ageRecipients: input.ageRecipients, identityRecipients: input.identityRecipients });
  for (const { certificate, issuer } of input.ready) {
    const secrets = secretsByName.get(`${certificate.namespace}/${certificate.spec.secretName}`) ?? [];
    const planned = () => keepable(planCertificate(certificate, issuer, secrets, input));
    const key = certificateKey(certificate);
    // A renew request is a person saying "now": planned afresh, not kept.
    if (!memo || input.forceRenew?.has(key)) {
      items.push(planned());
      continue;
    }
    items.push(memo.item(certificate, { issuer, secrets, failure: input.failures?.get(key), hint: input.renewalHints?.get(key) }, input.now, planned));
  }
  for (const { certificate, diagnostics } of input.blocked) {
    items.push({
      action: "blocked",
      reason: "InvalidConfiguration",
      message: diagnostics.map((d) => d.message).join("; "),
      object: certificateRef(certificate),
      source: certificate.source,
      certificate,
      diagnostics,
    });
  }
  items.push(...planRemovals(input), ...planStoredSecrets(input));
  return sortedByRef(blockSharedPaths(items));
}

/**
 * An item as a long-running gitcert keeps it, for thousands of Certificates
 * between ticks: its message, built by concatenation, is a tree of its parts
 * in V8 (a cons string per `+`, times as slices of longer strings); one flat
 * copy (what JSON.parse makes of a string) is a fraction of that.
 */
function keepable(item: PlanItem): PlanItem {
  if (item.message.length >= FLAT_FROM) item.message = JSON.parse(JSON.stringify(item.message)) as string;
  // Most items have nothing to say: one empty list for all of them.
  if (item.diagnostics.length === 0) item.diagnostics = NO_DIAGNOSTICS;
  return item;
}

const NO_DIAGNOSTICS: Diagnostic[] = Object.freeze([]) as unknown as Diagnostic[];

/** V8 concatenates shorter strings into a flat one already. */
const FLAT_FROM = 13;

/** Would write its Secret file now, or once backoff ends. */
function writesSecret(action: Action): boolean {
  return ISSUING_ACTIONS.has(action) || action === "update";
}

/**
 * `rekey` when the recipients .sops.yaml names for an existing Secret file
 * differ from those its `sops:` block lists (as sets, as `sops updatekeys`
 * compares them); blocked when the run has no identity among the current
 * ones, since re-wrapping needs the data key. Undefined: nothing to do.
 */
function rekeyOf(secret: SecretFile, target: EncryptionTarget | undefined, input: PlanInput, base: Omit<PlanItem, "action" | "reason" | "message" | "diagnostics">): PlanItem | undefined {
  if (!target || !secret.encrypted || !secret.sopsRecipients) return undefined;
  const change = recipientChange(secret.sopsRecipients, target.rule.recipients);
  if (!change) return undefined;
  const path = secret.source.file;
  const what = `${target.origin} names other recipients than ${path} is encrypted for (${change.summary})`;
  const own = input.identityRecipients;
  if (own && !secret.sopsRecipients.some((r) => own.has(r))) {
    const message = `${what}, but none of gitcert's age identities can open it (it is encrypted for ${secret.sopsRecipients.join(", ")}); give gitcert the identity of one of them (SOPS_AGE_KEY_FILE), or run \`sops updatekeys ${path}\``;
    return { ...base, action: "blocked", reason: "NoIdentityForRekey", message, encryption: target, recipients: change, diagnostics: [diagnostic("NoIdentityForRekey", message, { source: base.source, object: base.object })] };
  }
  const needs = own ? "" : `; needs an age identity for one of ${secret.sopsRecipients.join(", ")} when run`;
  return { ...base, action: "rekey", reason: "RecipientsChanged", message: `${what}: re-wrap its data key${needs}`, encryption: target, recipients: change, diagnostics: [] };
}

function planCertificate(
  certificate: CertificateResource,
  issuer: IssuerResource,
  secrets: SecretFile[],
  input: PlanInput,
): PlanItem {
  const object = certificateRef(certificate);
  const base = { object, source: certificate.source, certificate, issuer, requestHash: requestHash(certificate.spec), secretHash: secretHash(certificate), issuerHash: issuerHash(issuer) };
  const blocked = (reason: string, message: string): PlanItem => ({
    ...base,
    action: "blocked",
    reason,
    message,
    diagnostics: [diagnostic(reason, message, { source: certificate.source, object })],
  });

  if (secrets.length > 1) {
    const where = secrets.map((s) => `${s.source.file}:${s.source.line}`).join(" and ");
    return blocked("DuplicateSecret", `Secret ${certificate.namespace}/${certificate.spec.secretName} is defined more than once (${where})`);
  }
  const existing = secrets[0];
  const sops = input.sops ?? NO_SOPS_CONFIGS;
  let secretPath: string;
  let placed: Pick<PlanItem, "placement" | "encryption"> = {};
  let unwritable: { code: string; message: string; source?: SourceRef } | undefined;
  if (existing) {
    // An existing file stays where it is, under whatever rule now governs it.
    secretPath = existing.source.file;
    const r = encryptionTarget(sops, secretPath, input.ageRecipients ?? []);
    if ("target" in r) placed = { encryption: input.memo?.sharedTarget(r.target) ?? r.target };
    else unwritable = { code: r.problem.code, message: r.problem.message, ...(r.problem.where.source ? { source: r.problem.where.source } : {}) };
  } else {
    const p = placeSecret(namesOf(certificate), { template: input.secretPathTemplate, sops, fallbackRecipients: input.ageRecipients ?? [] });
    if ("code" in p) return blockedBy(p);
    secretPath = p.path;
    placed = { placement: p.how, encryption: input.memo?.sharedTarget(p.target) ?? p.target };
  }
  const issuerLabel = `${issuer.kind}/${issuer.name}`;
  const key = certificateKey(certificate);

  function blockedBy(problem: { code: string; message: string; source?: SourceRef }): PlanItem {
    // Where the Certificate is declared; the .sops.yaml line, when that is the problem, is in the diagnostic.
    const d = diagnostic(problem.code, problem.message, { source: problem.source ?? certificate.source, object });
    return { ...base, action: "blocked", reason: problem.code, message: problem.message, diagnostics: [d] };
  }

  const decide = (action: Action, reason: string, message: string, extra: Partial<PlanItem> = {}): PlanItem => {
    // A Secret that cannot be encrypted is a configuration mistake: blocked before any CA is asked, ahead of backoff.
    if (unwritable && writesSecret(action)) return { ...blockedBy(unwritable), secretPath, existing, ...extra };
    const item: PlanItem = { ...base, action, reason, message, secretPath, existing, diagnostics: [], ...placed, ...extra };
    // `gitcert renew` is a person saying "now": like cmctl renew, it skips backoff.
    if (!ISSUING_ACTIONS.has(action) || input.forceRenew?.has(key)) return item;
    const failure = input.failures?.get(key);
    const until = backoffUntil(failure, base);
    if (until && until > input.now) {
      return { ...item, action: "blocked", reason: "Backoff", message: backoffMessage(failure!, until, key), retryAt: until };
    }
    return item;
  };

  if (!existing) return decide("issue", "DoesNotExist", `Secret ${certificate.spec.secretName} does not exist`);
  const state = readSecretState(existing.annotations);
  if (!state) {
    return blocked(
      "SecretNotManaged",
      `Secret ${existing.namespace}/${existing.name} in ${existing.source.file}:${existing.source.line} was not written by gitcert; remove it or choose another secretName`,
    );
  }
  if (!existing.encrypted) {
    return blocked("SecretNotEncrypted", `Secret file ${existing.source.file} has no SOPS metadata; gitcert will not read or overwrite a plaintext Secret`);
  }
  const withState = { state };
  if (state.notBefore === undefined || state.notAfter === undefined) return decide("reissue", "MissingData", "Secret is missing gitcert's validity annotations", withState);
  if (state.certificate !== key) return decide("reissue", "IncorrectCertificate", `Secret belonged to Certificate ${state.certificate}`, withState);
  if (state.issuer !== undefined && state.issuer !== issuerLabel) {
    return decide("reissue", "IncorrectIssuer", `issued by ${state.issuer}, the spec asks for ${issuerLabel}`, withState);
  }
  if (state.requestHash !== base.requestHash) return decide("reissue", "RequestChanged", "the Certificate spec changed since it was issued", withState);

  // An ARI hint is used as the issuer gives it; cert-manager's trigger does not move it into windows either.
  const hint = input.renewalHints?.get(key);
  const schedule = hint ? undefined : renewalSchedule(new Date(state.notBefore), new Date(state.notAfter), certificate.spec);
  const due = certificate.spec.renewalPolicy === "Disabled" ? undefined : (hint ?? schedule?.at);
  const renewAt = due?.getTime();
  const timed = { state, renewalTime: renewAt };
  const now = input.now.getTime();
  if (state.notAfter <= now) return decide("renew", "Expired", `expired at ${formatTime(state.notAfter)}`, timed);
  if (input.forceRenew?.has(key)) return decide("renew", "ManuallyTriggered", "renewal was requested", timed);
  if (renewAt !== undefined && renewAt <= now) {
    const why = hint ? `the issuer's suggested renewal time ${formatTime(renewAt)} (ARI) has passed` : `renewal time ${formatTime(renewAt)} has passed`;
    return decide("renew", "Renewing", why, timed);
  }
  if (state.secretHash !== base.secretHash) return decide("update", "SecretTemplateChanged", "Secret labels, annotations or output formats changed", timed);
  const rekey = rekeyOf(existing, placed.encryption, input, { ...base, secretPath, existing, ...timed });
  if (rekey) return rekey;
  const windowed = certificate.spec.renewalWindows?.length ? (schedule?.unfitted ? ` (${schedule.unfitted})` : " (in a renewal window)") : "";
  const when = renewAt !== undefined ? `renews at ${formatTime(renewAt)}${hint ? "" : windowed}` : "renewal disabled";
  return decide("ok", "UpToDate", `valid until ${formatTime(state.notAfter)}, ${when}`, timed);
}

/** What `plan`, `run` and `status` say about a Certificate held by backoff. */
export function backoffMessage(failure: Pick<FailureRecord, "attempts" | "message">, until: Date, key: string): string {
  const attempts = failure.attempts === 1 ? "1 failed attempt" : `${failure.attempts} failed attempts`;
  return `${attempts} at the CA, last: ${failure.message}; next attempt after ${formatTime(until)} (\`gitcert renew ${key}\` tries now)`;
}

/**
 * Two Certificates in one folder with the same secretName but different
 * namespaces would write one file and overwrite each other on every run.
 */
function blockSharedPaths(items: PlanItem[]): PlanItem[] {
  const byPath = new Map<string, PlanItem[]>();
  for (const item of items) {
    if (!item.certificate || !item.secretPath || item.action === "blocked" || item.action === "remove") continue;
    const list = byPath.get(item.secretPath) ?? [];
    list.push(item);
    byPath.set(item.secretPath, list);
  }
  const shared = new Map<PlanItem, PlanItem[]>();
  for (const list of byPath.values()) if (list.length > 1) for (const item of list) shared.set(item, list);
  return items.map((item) => {
    const others = shared.get(item);
    if (!others) return item;
    const names = others.map((o) => `${o.object.namespace}/${o.object.name}`).join(", ");
    const message = `${names} would all write ${item.secretPath}; give them different secretNames or put {namespace} in secretPath`;
    return { ...item, action: "blocked", reason: "DuplicateSecretPath", message, diagnostics: [diagnostic("DuplicateSecretPath", message, { source: item.source, object: item.object })] };
  });
}

function planRemovals(input: PlanInput): PlanItem[] {
  const wanted = new Set<string>();
  for (const list of [input.ready, input.blocked]) for (const { certificate } of list) wanted.add(`${certificate.namespace}/${certificate.spec.secretName}`);
  const items: PlanItem[] = [];
  for (const secret of input.secrets) {
    // A Secret some Certificate wants is planned with it: its annotations are not read here (thousands, every tick).
    if (wanted.has(`${secret.namespace}/${secret.name}`)) continue;
    const state = readSecretState(secret.annotations);
    if (!state) continue;
    const [namespace = "", name = ""] = state.certificate.split("/");
    const base = { object: { kind: "Certificate", namespace, name }, source: secret.source, secretPath: secret.source.file, existing: secret, state, diagnostics: [] };
    const kept = (message: string) => keptSecret(secret, input, { ...base, reason: "Orphaned", message });
    if (input.issuerSecrets?.has(`${secret.namespace}/${secret.name}`)) {
      items.push(kept(`Certificate is gone, but an Issuer still uses Secret ${secret.namespace}/${secret.name}; kept`));
    } else if (!input.pruneSecrets) {
      items.push(kept(`Certificate is gone; Secret file ${secret.source.file} kept (pruneSecrets is off)`));
    } else if (input.scanHasErrors) {
      items.push({ ...base, action: "ok", reason: "Orphaned", message: `Certificate not found, but some files failed to parse; Secret file ${secret.source.file} kept this run` });
    } else {
      items.push({ ...base, action: "remove", reason: "CertificateRemoved", message: `Certificate is gone; removing ${secret.source.file}` });
    }
  }
  return items;
}

/** A Secret file gitcert keeps without a Certificate: ok, unless its recipients changed. */
function keptSecret(secret: SecretFile, input: PlanInput, item: Omit<PlanItem, "action">): PlanItem {
  const r = encryptionTarget(input.sops ?? NO_SOPS_CONFIGS, secret.source.file, input.ageRecipients ?? []);
  return rekeyOf(secret, "target" in r ? r.target : undefined, input, item) ?? { ...item, action: "ok" };
}

/**
 * Secrets an issuer asked gitcert to keep (ACME account keys) have no
 * Certificate and need no plan, except when their recipients changed: they
 * are rekeyed like any other.
 */
function planStoredSecrets(input: PlanInput): PlanItem[] {
  return input.secrets.flatMap((secret) => {
    if (!secret.annotations[ANNOTATION.storedFor] || readSecretState(secret.annotations)) return [];
    const object = { kind: "Secret", namespace: secret.namespace, name: secret.name };
    const base = { object, source: secret.source, secretPath: secret.source.file, existing: secret, reason: "Kept", message: "", diagnostics: [] };
    const item = keptSecret(secret, input, base);
    return item.action === "ok" ? [] : [item];
  });
}

/** By `namespace/name` (stable): each key made once, not at every comparison. */
function sortedByRef(items: PlanItem[]): PlanItem[] {
  const keyed = items.map((item) => ({ item, key: `${item.object.namespace ?? ""}/${item.object.name}` }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}
