// Carries out a plan: for each Certificate due, key → CSR → issuer.sign →
// Secret → SOPS → atomic write; Secret updates and removals; kustomization
// upkeep. One Certificate's failure is its own diagnostic; the rest proceed.
import type { KeyObject } from "node:crypto";
import { posix } from "node:path";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { diagnostic, GitcertError, toDiagnostic, type Diagnostic } from "../diagnostics.ts";
import { issuerRef, issuerType, type IssuerRegistry } from "../issuers/index.ts";
import type { IssuerEnv, SecretKey } from "../issuers/types.ts";
import type { SourceRef } from "../diagnostics.ts";
import type { KustomizationFile } from "../manifests/types.ts";
import { ISSUING_ACTIONS, renewalTime, type PlanItem } from "../plan/index.ts";
import { createCsr, generatePrivateKey, keyMatchesSpec, parseCertificate, parsePrivateKey, publicKeyOf, certificateMatchesKey } from "../pki/index.ts";
import { addResource, removeFile, removeResource, writeFileAtomic } from "../repo/index.ts";
import { encryptYaml, renderSecretManifest, type SopsRule } from "../secrets/index.ts";
import { mapLimit } from "./pool.ts";
import { issuanceWaves } from "./order.ts";
import type { SecretStore } from "./secret-store.ts";
import { buildTlsSecret, type SecretContent } from "./tls-secret.ts";

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
}

export interface Outcome {
  item: PlanItem;
  status: "done" | "failed";
  diagnostics: Diagnostic[];
  notAfter?: Date;
  renewalTime?: Date;
  revision?: number;
}

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
  outcomes.push(...(await updateKustomizations(outcomes, ctx)));
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
    const content = item.action === "update" ? await rewriteSecret(item, ctx) : await issue(item, ctx, env);
    await writeSecret(item.secretPath!, content, ctx);
    ctx.store.remember({ namespace: content.namespace, name: content.name }, content.data);
    const leaf = parseCertificate(content.data["tls.crt"]!.toString("utf8"));
    return {
      item,
      status: "done",
      diagnostics: [],
      notAfter: leaf.notAfter,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, item.certificate!.spec),
      revision: Number(content.annotations["gitcert.dev/revision"]),
    };
  } catch (err) {
    return failed(item, toDiagnostic(err, { code: "IssuanceFailed", source: item.source, object: item.object }));
  }
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
    },
    leaf,
  );
}

async function writeSecret(path: string, content: SecretContent, ctx: ExecuteContext): Promise<void> {
  const plaintext = renderSecretManifest(content);
  const rule = await ctx.encryptionRule(path);
  const encrypted = await encryptYaml(plaintext, rule);
  await writeFileAtomic(ctx.root, path, encrypted);
}

/** A Secret an issuer asked to keep (an ACME account key), as an Opaque Secret beside `near`. */
async function storeSecret(key: SecretKey, data: Record<string, Buffer>, near: SourceRef, ctx: ExecuteContext): Promise<Outcome> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(key.name) || key.name.includes("..")) {
    throw new GitcertError("InvalidSecretName", `Secret name ${JSON.stringify(key.name)} cannot be used in a file name`, { source: near });
  }
  const dir = posix.dirname(near.file);
  const path = dir === "." ? `${key.name}.sops.yaml` : `${dir}/${key.name}.sops.yaml`;
  const plaintext = renderSecretManifest({ name: key.name, namespace: key.namespace, type: "Opaque", annotations: { "gitcert.dev/stored-for": near.file }, labels: {}, data });
  await writeFileAtomic(ctx.root, path, await encryptYaml(plaintext, await ctx.encryptionRule(path)));
  ctx.store.remember(key, data);
  return {
    item: { action: "update", reason: "SecretStored", message: `stored Secret ${key.namespace}/${key.name}`, object: { kind: "Secret", namespace: key.namespace, name: key.name }, source: near, secretPath: path, diagnostics: [] },
    status: "done",
    diagnostics: [],
  };
}

/** New Secret files join their folder's kustomization.yaml; removed ones leave it. */
async function updateKustomizations(outcomes: readonly Outcome[], ctx: ExecuteContext): Promise<Outcome[]> {
  const byDir = new Map(ctx.kustomizations.map((k) => [k.dir, k]));
  const edits = new Map<string, { add: string[]; remove: string[] }>();
  for (const o of outcomes) {
    if (o.status !== "done" || !o.item.secretPath) continue;
    const dir = posix.dirname(o.item.secretPath);
    const k = byDir.get(dir === "." ? "" : dir);
    if (!k) continue;
    const entry = posix.basename(o.item.secretPath);
    const edit = edits.get(k.file) ?? { add: [], remove: [] };
    if (o.item.action === "remove") edit.remove.push(entry);
    else if (!k.resources.includes(entry)) edit.add.push(entry);
    edits.set(k.file, edit);
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
      failures.push({ item: { action: "blocked", reason: d.code, message: d.message, object: { kind: "Kustomization", name: file }, diagnostics: [d] }, status: "failed", diagnostics: [d] });
    }
  }
  return failures;
}

function failed(item: PlanItem, d: Diagnostic): Outcome {
  return { item, status: "failed", diagnostics: [d] };
}
