// Carries out a plan: for each Certificate due, key → CSR → issuer.sign →
// Secret → SOPS → atomic write; Secret updates and removals; kustomization
// upkeep. One Certificate's failure is its own diagnostic; the rest proceed.
import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { parseAllDocuments } from "yaml";
import { yamlNestingProblem } from "../yaml-nesting.ts";
import { diagnostic, GitcertError, toDiagnostic, type Diagnostic } from "../diagnostics.ts";
import { issuerRef, issuerType, type IssuerRegistry } from "../issuers/index.ts";
import type { IssuerEnv, SecretKey } from "../issuers/types.ts";
import type { SourceRef } from "../diagnostics.ts";
import type { KustomizationFile } from "../manifests/types.ts";
import { ANNOTATION, ISSUING_ACTIONS, renewalTime, type PlanItem } from "../plan/index.ts";
import { createCsr, generatePrivateKey, keyMatchesSpec, parseCertificate, parsePrivateKey, publicKeyOf, certificateMatchesKey } from "../pki/index.ts";
import { addResource, removeFile, removeResource, writeFileAtomic } from "../repo/index.ts";
import { encryptYaml, renderSecretManifest, type SopsRule } from "../secrets/index.ts";
import { mapLimit } from "./pool.ts";
import { issuanceWaves } from "./order.ts";
import type { SecretStore } from "./secret-store.ts";
import { buildTlsSecret, issuerAnnotationsOf, type SecretContent } from "./tls-secret.ts";

export interface ExecuteContext {
  root: string;
  issuers: IssuerRegistry;
  store: SecretStore;
  /** The SOPS rule for a repository-relative file (from .sops.yaml or config). */
  encryptionRule(path: string): Promise<SopsRule>;
  now(): Date;
  concurrency: number;
  clusterResourceNamespace: string;
  kustomizations: readonly KustomizationFile[];
  /** Keep Secret files listed in their folder's kustomization.yaml resources. */
  kustomizeResources: boolean;
  /** Secrets an earlier, rejected attempt of this reconcile wrote. */
  carried?: Carried;
}

export interface Outcome {
  item: PlanItem;
  status: "done" | "failed";
  diagnostics: Diagnostic[];
  notAfter?: Date;
  renewalTime?: Date;
  revision?: number;
  /**
   * What was written, kept in memory only: when the push is rejected, the
   * next attempt reuses it instead of asking the CA again.
   */
  written?: Written;
}

/** A Secret written in an attempt whose commit may not have reached the remote. */
export interface Written {
  content: SecretContent;
  /** Request hash it was issued for (certificates), or where it was stored (issuer Secrets). */
  requestHash?: string;
  near?: SourceRef;
}

/** Work of an earlier attempt of this reconcile, by `namespace/secretName`. */
export type Carried = ReadonlyMap<string, Written>;

export async function executePlan(items: readonly PlanItem[], ctx: ExecuteContext): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const stored: Outcome[] = [];
  const env: IssuerEnv = {
    readSecret: (key) => ctx.store.read(key),
    writeSecret: async (key, data, near) => {
      stored.push(await storeSecret(key, data, near, ctx));
    },
    now: ctx.now,
    clusterResourceNamespace: ctx.clusterResourceNamespace,
  };
  const issuing = items.filter((i) => ISSUING_ACTIONS.has(i.action) || i.action === "update");
  const orderable = issuing.map((item) => ({
    item,
    writes: `${item.certificate!.namespace}/${item.certificate!.spec.secretName}`,
    needs: secretsNeeded(item, ctx),
  }));
  // Issuer Secrets (ACME account keys) an earlier attempt made and the new
  // head lacks are kept, not made again: a new key would be a new account.
  for (const [id, written] of ctx.carried ?? []) {
    if (!written.near || (await ctx.store.read(keyOfContent(written.content)).catch(() => undefined))) continue;
    try {
      stored.push(await storeSecret(keyOfContent(written.content), written.content.data, written.near, ctx));
    } catch (err) {
      outcomes.push(failed({ action: "blocked", reason: "SecretStored", message: id, object: { kind: "Secret", ...keyOfContent(written.content) }, diagnostics: [] }, toDiagnostic(err, { code: "StoreFailed" })));
    }
  }
  const { waves, cyclic } = issuanceWaves(orderable);
  for (const { item } of cyclic) {
    outcomes.push(failed(item, diagnostic("IssuerCycle", "the issuer's CA Secret is written by a Certificate that itself depends on this one", { source: item.source, object: item.object })));
  }
  for (const wave of waves) {
    outcomes.push(...(await mapLimit(wave, ctx.concurrency, ({ item }) => runOne(item, ctx, env))));
  }
  for (const item of items.filter((i) => i.action === "remove")) {
    try {
      await removeFile(ctx.root, item.secretPath!);
      outcomes.push({ item, status: "done", diagnostics: [] });
    } catch (err) {
      outcomes.push(failed(item, toDiagnostic(err, { code: "RemoveFailed", source: item.source, object: item.object })));
    }
  }
  outcomes.push(...stored);
  if (ctx.kustomizeResources) outcomes.push(...(await updateKustomizations(items, outcomes, ctx)));
  return outcomes;
}

function secretsNeeded(item: PlanItem, ctx: ExecuteContext): SecretKey[] {
  if (item.action === "update") return [];
  const type = issuerType(item.issuer!, ctx.issuers.keys());
  const issuer = type ? ctx.issuers.get(type) : undefined;
  return issuer ? issuer.secretsNeeded(item.issuer!, ctx.clusterResourceNamespace) : [];
}

async function runOne(item: PlanItem, ctx: ExecuteContext, env: IssuerEnv): Promise<Outcome> {
  try {
    const content = item.action === "update" ? await rewriteSecret(item, ctx) : (reuseCarried(item, ctx) ?? (await issue(item, ctx, env)));
    await writeSecret(item.secretPath!, content, ctx, item.existing !== undefined);
    ctx.store.remember({ namespace: content.namespace, name: content.name }, content.data);
    const leaf = parseCertificate(content.data["tls.crt"]!.toString("utf8"));
    return {
      item,
      status: "done",
      diagnostics: [],
      notAfter: leaf.notAfter,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, item.certificate!.spec),
      revision: Number(content.annotations["gitcert.dev/revision"]),
      written: { content, requestHash: item.requestHash },
    };
  } catch (err) {
    return failed(item, toDiagnostic(err, { code: "IssuanceFailed", source: item.source, object: item.object }));
  }
}

/**
 * The certificate an earlier attempt obtained for the same request, with
 * the revision counted from the new head: a rejected push must not cost a
 * second order from the CA (and its duplicate-certificate limit).
 */
function reuseCarried(item: PlanItem, ctx: ExecuteContext): SecretContent | undefined {
  if (!ISSUING_ACTIONS.has(item.action)) return undefined;
  const carried = ctx.carried?.get(`${item.certificate!.namespace}/${item.certificate!.spec.secretName}`);
  if (!carried || carried.near || carried.requestHash !== item.requestHash) return undefined;
  const annotations = { ...carried.content.annotations, [ANNOTATION.revision]: String((item.state?.revision ?? 0) + 1) };
  return { ...carried.content, annotations };
}

function keyOfContent(content: SecretContent): SecretKey {
  return { namespace: content.namespace, name: content.name };
}

async function issue(item: PlanItem, ctx: ExecuteContext, env: IssuerEnv): Promise<SecretContent> {
  const certificate = item.certificate!;
  const issuerResource = item.issuer!;
  const type = issuerType(issuerResource, ctx.issuers.keys());
  const issuer = type ? ctx.issuers.get(type) : undefined;
  if (!issuer) {
    throw new GitcertError("UnsupportedIssuer", `issuer ${issuerResource.kind}/${issuerResource.name} has no supported type`, { object: issuerRef(issuerResource), source: issuerResource.source });
  }
  const problems = issuer.validate(issuerResource);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new GitcertError(first.code, `issuer ${issuerResource.kind}/${issuerResource.name} (${issuerResource.source.file}:${issuerResource.source.line}): ${problems.map((p) => p.message).join("; ")}`);
  }

  const privateKey = await keyFor(item, ctx);
  const publicKey = publicKeyOf(privateKey);
  const csrPem = await createCsr(certificate.spec, privateKey);
  const issued = await issuer.sign({ certificate, issuer: issuerResource, csrPem, privateKey, publicKey }, env);
  const leafPem = issued.chainPem;
  if (!certificateMatchesKey(leafPem, privateKey)) {
    throw new GitcertError("IssuedCertificateMismatch", "the issuer returned a certificate for a different key");
  }
  const leaf = parseCertificate(leafPem);
  return buildTlsSecret(
    {
      certificate,
      issuer: issuerResource,
      chainPem: issued.chainPem,
      caPem: issued.caPem,
      privateKey,
      revision: (item.state?.revision ?? 0) + 1,
      requestHash: item.requestHash!,
      secretHash: item.secretHash!,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, certificate.spec),
      sourceFile: certificate.source.file,
      issuerAnnotations: issued.annotations,
    },
    leaf,
  );
}

/** rotationPolicy Never keeps the key already in Git; Always makes a new one. */
async function keyFor(item: PlanItem, ctx: ExecuteContext): Promise<KeyObject> {
  const spec = item.certificate!.spec.privateKey;
  if (spec.rotationPolicy === "Never" && item.existing) {
    const data = await ctx.store.read({ namespace: item.existing.namespace, name: item.existing.name });
    const pem = data?.["tls.key"]?.toString("utf8");
    if (pem) {
      const key = parsePrivateKey(pem);
      if (!keyMatchesSpec(key, spec)) {
        throw new GitcertError("KeyMismatch", `rotationPolicy is Never, but the key in the Secret is not ${spec.algorithm} ${spec.size || ""}`.trimEnd() + "; delete tls.key or set rotationPolicy: Always");
      }
      return key;
    }
  }
  return generatePrivateKey(spec);
}

/** Same certificate and key, new Secret layout (secretTemplate, output formats, encoding). */
async function rewriteSecret(item: PlanItem, ctx: ExecuteContext): Promise<SecretContent> {
  const data = await ctx.store.read({ namespace: item.existing!.namespace, name: item.existing!.name });
  const chainPem = data?.["tls.crt"]?.toString("utf8");
  const keyPem = data?.["tls.key"]?.toString("utf8");
  if (!chainPem || !keyPem) throw new GitcertError("MissingData", `Secret ${item.existing!.name} has no tls.crt or tls.key`);
  const leaf = parseCertificate(chainPem);
  return buildTlsSecret(
    {
      certificate: item.certificate!,
      issuer: item.issuer!,
      chainPem,
      caPem: data?.["ca.crt"]?.toString("utf8"),
      privateKey: parsePrivateKey(keyPem),
      revision: item.state?.revision ?? 1,
      requestHash: item.requestHash!,
      secretHash: item.secretHash!,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, item.certificate!.spec),
      sourceFile: item.certificate!.source.file,
      issuerAnnotations: issuerAnnotationsOf(item.existing!.annotations),
    },
    leaf,
  );
}

async function writeSecret(path: string, content: SecretContent, ctx: ExecuteContext, replacing: boolean): Promise<void> {
  await refuseToClobber(path, content, ctx, replacing);
  const encrypted = await encryptYaml(renderSecretManifest(content), await ctx.encryptionRule(path));
  assertDataEncrypted(encrypted, path);
  await writeFileAtomic(ctx.root, path, encrypted);
}

/**
 * gitcert owns the files it writes and nothing else: a new Secret never
 * lands on a file that is already there, and a Secret is never rewritten in
 * a file that also holds other documents (they would be lost).
 */
async function refuseToClobber(path: string, content: SecretContent, ctx: ExecuteContext, replacing: boolean): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(ctx.root, path), "utf8");
  } catch {
    return; // nothing there yet
  }
  if (!replacing) {
    throw new GitcertError("FileExists", `${path} already exists and does not hold Secret ${content.namespace}/${content.name}; choose another secretName or secretPath`);
  }
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw new GitcertError("FileExists", `${path}: ${tooDeep.message}; gitcert will not replace it`);
  const documents = parseAllDocuments(text).filter((d) => d.contents !== null).length;
  if (documents > 1) {
    throw new GitcertError("SharedSecretFile", `${path} holds ${documents} documents; gitcert only rewrites a Secret kept in a file of its own`);
  }
}

/** Last line of defence: no key material leaves this process unencrypted. */
function assertDataEncrypted(encrypted: string, path: string): void {
  for (const doc of parseAllDocuments(encrypted)) {
    const data = (doc.toJS() as { data?: Record<string, unknown> } | null)?.data ?? {};
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== "string" || (value !== "" && !value.startsWith("ENC[AES256_GCM,"))) {
        throw new GitcertError("NotEncrypted", `refusing to write ${path}: data.${key} would not be encrypted`);
      }
    }
  }
}

/** A Secret an issuer asked to keep (an ACME account key), as an Opaque Secret beside `near`. */
async function storeSecret(key: SecretKey, data: Record<string, Buffer>, near: SourceRef, ctx: ExecuteContext): Promise<Outcome> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(key.name) || key.name.includes("..")) {
    throw new GitcertError("InvalidSecretName", `Secret name ${JSON.stringify(key.name)} cannot be used in a file name`, { source: near });
  }
  const dir = posix.dirname(near.file);
  const path = dir === "." ? `${key.name}.sops.yaml` : `${dir}/${key.name}.sops.yaml`;
  const content = { name: key.name, namespace: key.namespace, type: "Opaque", annotations: { "gitcert.dev/stored-for": near.file }, labels: {}, data };
  await writeSecret(path, content, ctx, false);
  ctx.store.remember(key, data);
  return {
    item: { action: "update", reason: "SecretStored", message: `stored Secret ${key.namespace}/${key.name}`, object: { kind: "Secret", namespace: key.namespace, name: key.name }, source: near, secretPath: path, diagnostics: [] },
    status: "done",
    diagnostics: [],
    written: { content, near },
  };
}

/**
 * Every Secret file gitcert keeps is listed in its folder's
 * kustomization.yaml, and removed ones are not. Worked out from the desired
 * state on every run, so an edit that failed once is made on the next.
 */
async function updateKustomizations(items: readonly PlanItem[], outcomes: readonly Outcome[], ctx: ExecuteContext): Promise<Outcome[]> {
  const byDir = new Map(ctx.kustomizations.map((k) => [k.dir, k]));
  const edits = new Map<string, { add: Set<string>; remove: Set<string> }>();
  const want = (path: string, present: boolean) => {
    const dir = posix.dirname(path);
    const k = byDir.get(dir === "." ? "" : dir);
    if (!k) return;
    const edit = edits.get(k.file) ?? { add: new Set<string>(), remove: new Set<string>() };
    (present ? edit.add : edit.remove).add(posix.basename(path));
    edits.set(k.file, edit);
  };
  const settled = new Set(outcomes.map((o) => o.item));
  for (const item of items) {
    if (item.action === "ok" && item.reason === "UpToDate" && item.secretPath && !settled.has(item)) want(item.secretPath, true);
  }
  for (const o of outcomes) {
    if (o.status === "done" && o.item.secretPath) want(o.item.secretPath, o.item.action !== "remove");
  }

  const failures: Outcome[] = [];
  for (const [file, edit] of edits) {
    try {
      const before = await readFile(join(ctx.root, file), "utf8");
      let after = before;
      for (const e of edit.add) after = addResource(after, e);
      for (const e of edit.remove) after = removeResource(after, e);
      if (after !== before) await writeFileAtomic(ctx.root, file, after);
    } catch (err) {
      const d = toDiagnostic(err, { code: "KustomizationUpdateFailed", source: { file, line: 1 } });
      failures.push({ item: { action: "blocked", reason: d.code, message: d.message, object: { kind: "Kustomization", name: file }, source: { file, line: 1 }, diagnostics: [d] }, status: "failed", diagnostics: [d] });
    }
  }
  return failures;
}

function failed(item: PlanItem, d: Diagnostic): Outcome {
  return { item, status: "failed", diagnostics: [d] };
}
