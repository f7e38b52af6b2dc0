// Real GitOps repositories, whole pipeline: a Flux fleet whose apps get
// their names from postBuild substitution (one variable from a SOPS Secret
// only `run` opens), an Argo CD + KSOPS repository whose generator lists
// gitcert's files, and a Helm home-lab whose certificates gitcert can only
// name. Real bare Git remote, real sops/age CLIs, openssl, the real bin.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadConfig, type Config } from "../src/config.ts";
import { formatDiagnostic } from "../src/diagnostics.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import { createLogger } from "../src/log.ts";
import type { PlanItem } from "../src/plan/index.ts";
import { assess, reconcileRepository } from "../src/reconcile.ts";
import { formatPlan } from "../src/report.ts";
import { openWorkspace } from "../src/repo/index.ts";
import { fixture } from "./gitops/fixture.ts";
import { remoteClones, sopsDecrypt, tempDir } from "./helpers.ts";
import { seededRemote } from "./peers/git-remote.ts";
import { SopsPeer } from "./secrets/sops-peer.ts";

async function repository(t: TestContext, name: string, encrypt: string[], overrides: Partial<Config> = {}) {
  const dir = tempDir(t);
  const sops = new SopsPeer();
  t.after(() => sops.cleanup());
  const key = sops.keygen();
  const files = fixture(name, { AGE_RECIPIENT: key.recipient });
  // Encrypted as a user would, with the sops CLI.
  for (const path of encrypt) files[path] = sops.encrypt(files[path]!, ["--age", key.recipient, "--encrypted-regex", "^(data|stringData)$"]);
  const remote = await seededRemote(dir, name, files);
  const { config: defaults } = loadConfig({});
  const config: Config = { ...defaults, logLevel: "error", ...overrides };
  const workspace = await openWorkspace({ url: remote, branch: "main", workdir: join(dir, "work"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const run = () => reconcileRepository(workspace, { config, issuers: defaultIssuers(), identities: [key.identity], now: () => new Date(), log: createLogger("error") });
  return { dir, remote, config, workspace, run, key, ...remoteClones(dir, remote) };
}

/** The plan line of the first item, as `gitcert plan` prints it. */
function formatPlanLine(report: { assessment: { items: PlanItem[] } }): string {
  return formatPlan(report.assessment.items.slice(0, 1), []);
}

function subjectAltNames(t: TestContext, file: string, identity: string): string {
  const doc = parseYaml(sopsDecrypt(t, file, identity)) as { data: Record<string, string> };
  const pem = Buffer.from(doc.data["tls.crt"]!, "base64").toString("utf8");
  const dir = tempDir(t);
  writeFileSync(join(dir, "leaf.pem"), pem);
  return execFileSync("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-text", "-in", join(dir, "leaf.pem")], { encoding: "utf8" });
}

test("Flux fleet: plan names the variable it cannot decrypt; run opens its Secret, issues the substituted names and lists the Secrets like their siblings", async (t) => {
  const { config, workspace, run, checkout, key } = await repository(t, "flux", ["clusters/production/cluster-secrets.sops.yaml"], { "gitops.clusterPath": "clusters/production" });

  // plan: no identity, nothing decrypted.
  await workspace.sync();
  const plan = await assess(workspace.root, config, { now: new Date(), issuers: defaultIssuers() });
  assert.deepEqual(plan.items.map((i) => `${i.action} ${i.object.namespace}/${i.object.name}`), ["issue shop/api"]);
  const notes = plan.diagnostics.filter((d) => d.severity !== "debug").map(formatDiagnostic);
  assert.ok(
    notes.includes(
      "apps/base/shop/ingress.yaml:1: Ingress shop/storefront: ${SECRET_DOMAIN} (Secret flux-system/cluster-secrets at clusters/production/cluster-secrets.sops.yaml:2) comes from a SOPS-encrypted Secret that Flux Kustomization flux-system/apps (clusters/production/apps.yaml:2) substitutes; plan does not decrypt, so this object is not planned — `gitcert run` (with the age identity) reads it",
    ),
    notes.join("\n"),
  );
  assert.ok(
    notes.some((n) => n.startsWith("clusters/production/apps.yaml:2: Kustomization flux-system/apps: applies gitcert's SOPS-encrypted apps/base/shop/api-tls.sops.yaml but has no spec.decryption.provider: sops")),
    notes.join("\n"),
  );

  // run: the age identity opens cluster-secrets, so the Ingress is planned too.
  const report = await run();
  assert.deepEqual(report.outcomes.map((o) => `${o.kind} ${o.certificate.namespace}/${o.certificate.name}`).sort(), ["issued shop/api", "issued shop/storefront-tls"], JSON.stringify(report.outcomes.map((o) => o.diagnostics)));
  assert.ok(report.assessment.diagnostics.some((d) => d.code === "EncryptedVariableInPlaintext" && d.source?.file === "apps/base/shop/ingress.yaml"));
  assert.ok(report.pushed);

  const clone = checkout();
  assert.match(subjectAltNames(t, join(clone, "apps/base/shop/storefront-tls.sops.yaml"), key.identity), /DNS:shop\.hidden\.example\.test/);
  const api = subjectAltNames(t, join(clone, "apps/base/shop/api-tls.sops.yaml"), key.identity);
  assert.match(api, /DNS:api\.prod\.example\.test, DNS:production-api\.prod\.example\.test/);
  assert.match(api, /NIST CURVE: P-384|secp384r1/, "production's patch made the key P-384");
  // The siblings are ./-prefixed and sorted: so are gitcert's entries.
  assert.equal(
    readFileSync(join(clone, "apps/base/shop/kustomization.yaml"), "utf8"),
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./api-tls.sops.yaml\n  - ./certificate.yaml\n  - ./ingress.yaml\n  - ./storefront-tls.sops.yaml\n",
  );
  // The Secret's namespace is the overlay's, as Flux applies it.
  assert.equal((parseYaml(readFileSync(join(clone, "apps/base/shop/api-tls.sops.yaml"), "utf8")) as { metadata: { namespace: string } }).metadata.namespace, "shop");

  // Nothing due: no commit, and the encrypted-variable object is still seen.
  const again = await run();
  assert.equal(again.commit, undefined);
  assert.deepEqual(again.assessment.items.map((i) => `${i.action} ${i.object.name}`).sort(), ["ok api", "ok storefront-tls"]);
});

test("Argo CD + KSOPS: gitcert's file goes into the ksops generator's files, never into resources, and leaves it with its Certificate", async (t) => {
  const { run, checkout, pushOther, key } = await repository(t, "argocd-ksops", ["apps/web/db-credentials.enc.yaml"], { secretPath: "{dir}/{secretName}.enc.yaml" });
  const kustomizationBefore = fixture("argocd-ksops")["apps/web/kustomization.yaml"];

  const report = await run();
  const web = report.outcomes.find((o) => o.certificate.name === "web");
  assert.equal(web?.kind, "issued", JSON.stringify(web?.diagnostics));
  assert.deepEqual(web?.kustomization, { file: "apps/web/secret-generator.yaml", resource: "web-tls.enc.yaml", change: "added" });
  const clone = checkout();
  assert.deepEqual((parseYaml(readFileSync(join(clone, "apps/web/secret-generator.yaml"), "utf8")) as { files: string[] }).files, ["./db-credentials.enc.yaml", "./web-tls.enc.yaml"]);
  assert.equal(readFileSync(join(clone, "apps/web/kustomization.yaml"), "utf8"), kustomizationBefore, "resources untouched: KSOPS decrypts the file");
  const secret = parseYaml(readFileSync(join(clone, "apps/web/web-tls.enc.yaml"), "utf8")) as { metadata: { namespace: string } };
  assert.equal(secret.metadata.namespace, "web", "the Application's destination namespace, where Argo CD puts the Certificate");
  assert.match(formatPlanLine(report), /web\/web \(apps\/web\/certificate\.yaml:1 via Argo CD Application argocd\/web\)/);
  assert.match(subjectAltNames(t, join(clone, "apps/web/web-tls.enc.yaml"), key.identity), /DNS:web\.example\.test/);

  pushOther((c) => rmSync(join(c, "apps/web/certificate.yaml")), "drop the web certificate");
  // The kustomization still lists certificate.yaml; kustomize would fail, gitcert only reads what exists.
  pushOther((c) => writeFileSync(join(c, "apps/web/kustomization.yaml"), kustomizationBefore!.replace("  - ./certificate.yaml\n", "")), "and its entry");
  const removed = await run();
  assert.deepEqual(removed.outcomes.map((o) => `${o.kind} ${o.certificate.name}`), ["removed web"]);
  const after = checkout();
  assert.ok(!existsSync(join(after, "apps/web/web-tls.enc.yaml")));
  assert.deepEqual((parseYaml(readFileSync(join(after, "apps/web/secret-generator.yaml"), "utf8")) as { files: string[] }).files, ["./db-credentials.enc.yaml"]);
});

test("Helm home-lab: gitcert plan names every certificate it cannot see from Git alone, with file and line, and reads the plain template", async (t) => {
  const dir = tempDir(t);
  const remote = await seededRemote(dir, "home", fixture("helm"));
  const bin = join(import.meta.dirname, "..", "bin", "gitcert.js");
  const r = spawnSync(process.execPath, [bin, "plan", "--repo", remote, "--workdir", join(dir, "work")], { encoding: "utf8", env: { PATH: process.env.PATH!, HOME: dir } });
  assert.equal(r.status, 0, r.stderr);
  const advice = "may create certificates gitcert cannot read from Git alone — give gitcert cluster access to see them";
  assert.equal(
    r.stdout,
    [
      "no certificates found",
      "",
      `info: apps/media/helmrelease.yaml:22: HelmRelease media/jellyfin: ${advice} (annotation cert-manager.io/cluster-issuer, ingress TLS)`,
      // The Application's values only switch ingress TLS on: the chart's own notes say what asks.
      `info: charts/wiki/templates/ingress.yaml:6: Helm chart charts/wiki template ${advice} (annotation cert-manager.io/cluster-issuer)`,
      `info: charts/wiki/values.yaml:5: Helm chart charts/wiki (values) ${advice} (clusterIssuer setting, ingress TLS)`,
      "",
    ].join("\n"),
  );
});
