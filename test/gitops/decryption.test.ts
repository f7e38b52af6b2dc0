// Will the Secret files gitcert writes be decrypted where they land?
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { appliersOf, chartTemplateProblems, decryptionProblems } from "../../src/gitops/index.ts";
import { DEFAULT_SCAN_OPTIONS, scanFiles } from "../../src/manifests/index.ts";
import { fixture, sourceFiles } from "./fixture.ts";

const KEY_A = "age1" + "a".repeat(58);
const KEY_B = "age1" + "b".repeat(58);

function production(extra: Record<string, string> = {}) {
  const files = { ...fixture("flux"), ...extra };
  const scan = scanFiles(sourceFiles(files), { ...DEFAULT_SCAN_OPTIONS, clusterPath: "clusters/production" });
  return { files, scan, view: scan.gitops! };
}

test("the Flux Kustomizations that apply a file: through the kustomizations that list its folder, or a folder Flux builds whole", () => {
  const { view } = production();
  const names = (path: string) => appliersOf(path, view).map((a) => a.kustomization.name).sort();
  assert.deepEqual(names("apps/base/shop/api-tls.sops.yaml"), ["apps"], "listed in apps/base/shop/kustomization.yaml, which apps/production includes");
  assert.deepEqual(names("infrastructure/configs/letsencrypt-account.sops.yaml"), ["infra-configs"]);
  assert.deepEqual(names("clusters/production/new.sops.yaml"), ["flux-system"], "a folder without kustomization.yaml: Flux takes every file");
  assert.deepEqual(names("clusters/production/flux-system/x.sops.yaml"), ["flux-system"]);
  assert.deepEqual(names("elsewhere/x.sops.yaml"), []);
});

test("a Kustomization without decryption gets one warning at its own file:line, naming the files it would refuse", async () => {
  const { files, view } = production();
  const diagnostics = await decryptionProblems(["apps/base/shop/api-tls.sops.yaml", "apps/base/shop/storefront-tls.sops.yaml", "infrastructure/configs/letsencrypt-account.sops.yaml"], view, {
    recipientsFor: async () => [KEY_A],
    secretFile: () => undefined,
    read: async (p) => files[p],
  });
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "clusters/production/apps.yaml:2: Kustomization flux-system/apps: applies gitcert's SOPS-encrypted apps/base/shop/api-tls.sops.yaml, apps/base/shop/storefront-tls.sops.yaml but has no spec.decryption.provider: sops, so Flux refuses to apply them; add spec.decryption (provider: sops, secretRef: the Secret holding the age key)",
  ]);
});

test("the decryption key is checked against .sops.yaml when the repository says its public key, and only then", async () => {
  // The Secret that infra-configs decrypts with, kept in Git with its public key said in a comment.
  const sopsAge = `# public key: ${KEY_B}\napiVersion: v1\nkind: Secret\nmetadata: {name: sops-age, namespace: flux-system}\nstringData: {age.agekey: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]'}\nsops: {mac: 'ENC[AES256_GCM,data:m,iv:n,tag:o,type:str]'}\n`;
  const { files, scan, view } = production({ "clusters/production/sops-age.sops.yaml": sopsAge });
  const ctx = (recipients: string[]) => ({
    recipientsFor: async () => recipients,
    secretFile: (namespace: string, name: string) => scan.secrets.find((s) => s.namespace === namespace && s.name === name)?.source,
    read: async (p: string) => files[p],
  });
  const path = ["infrastructure/configs/letsencrypt-account.sops.yaml"];
  assert.deepEqual((await decryptionProblems(path, view, ctx([KEY_A]))).map(formatDiagnostic), [
    `clusters/production/infrastructure.yaml:2: Kustomization flux-system/infra-configs: decrypts with the age key in Secret flux-system/sops-age (clusters/production/sops-age.sops.yaml:2, public key ${KEY_B}), which is not a recipient of the .sops.yaml rule for infrastructure/configs/letsencrypt-account.sops.yaml: Flux could not decrypt it; add the key to that rule`,
  ]);
  assert.deepEqual(await decryptionProblems(path, view, ctx([KEY_A, KEY_B])), []);
  // Without the comment the key cannot be known offline: nothing is claimed.
  const unknown = production();
  assert.deepEqual(await decryptionProblems(path, unknown.view, { ...ctx([KEY_A]), read: async (p: string) => unknown.files[p] }), []);
});

test("a Secret file below a chart's templates/ folder is refused before anything is issued", () => {
  const problems = chartTemplateProblems(["charts/wiki/templates/wiki-tls.sops.yaml", "apps/wiki/wiki-tls.sops.yaml"], ["charts/wiki"]);
  assert.deepEqual([...problems.keys()], ["charts/wiki/templates/wiki-tls.sops.yaml"]);
  assert.match(problems.get("charts/wiki/templates/wiki-tls.sops.yaml")!.message, /Helm renders and applies still encrypted; set secretPath to a folder outside the chart/);
});
