// Vault's kubernetes auth with serviceAccountRef, end to end with real
// peers only: gitcert asks the real kube-apiserver for a service account
// token (TokenRequest, cert-manager's audiences), logs in to OpenBao with
// it, and OpenBao checks it with that API server's TokenReview — the Vault
// role insisting on cert-manager's `vault://<namespace>/<issuer>` audience.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { opensslVerify } from "../fixtures/csr.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { setupPki, startOpenBao, type OpenBao, type PkiSetup } from "../peers/openbao.ts";
import { applyDecrypted, gitcert, gitopsRepo, installCrds } from "./helpers.ts";
import { sopsDecrypt } from "../helpers.ts";
import { parse as parseYaml } from "yaml";

let kube: KubePeer;
let bao: OpenBao;
let pki: PkiSetup;
before(async () => {
  [kube, bao] = await Promise.all([useKube(), startOpenBao()]);
  installCrds(kube);
  pki = await setupPki(bao);
  // Vault's own identity in the cluster, allowed to review tokens, as a Vault deployment has it.
  const vaultNs = uniqueName("vault-system");
  kube.kubectl(["create", "namespace", vaultNs]);
  kube.kubectl(["create", "serviceaccount", "vault", "-n", vaultNs]);
  kube.kubectl(["create", "clusterrolebinding", `${vaultNs}-token-review`, "--clusterrole=system:auth-delegator", `--serviceaccount=${vaultNs}:vault`]);
  const reviewer = kube.kubectl(["create", "token", "vault", "-n", vaultNs, "--duration=1h"]).trim();
  await bao.api("POST", "sys/auth/kubernetes", { type: "kubernetes" });
  await bao.api("POST", "auth/kubernetes/config", { kubernetes_host: kube.server, kubernetes_ca_cert: readFileSync(kube.caFile, "utf8"), token_reviewer_jwt: reviewer, disable_local_ca_jwt: true });
});
after(async () => {
  await bao?.stop();
  await kube?.release();
});

test("serviceAccountRef: a TokenRequest with cert-manager's audiences, reviewed by the real API server, signs the Certificate", async (t) => {
  const ns = uniqueName("vault");
  kube.kubectl(["create", "namespace", ns]);
  kube.kubectl(["create", "serviceaccount", "vault-issuer", "-n", ns]);
  await bao.api("POST", `auth/kubernetes/role/${ns}`, {
    bound_service_account_names: ["vault-issuer"],
    bound_service_account_namespaces: [ns],
    audience: `vault://${ns}/vault`,
    token_policies: [pki.policy],
    token_ttl: "10m",
  });
  // The same service account, for a role that expects another issuer's audience: refused.
  await bao.api("POST", `auth/kubernetes/role/${ns}-other`, {
    bound_service_account_names: ["vault-issuer"],
    bound_service_account_namespaces: [ns],
    audience: `vault://${ns}/someone-else`,
    token_policies: [pki.policy],
  });
  const issuer = (name: string, role: string) => `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ${name}, namespace: ${ns}}
spec:
  vault:
    server: ${bao.url}
    path: ${pki.signPath}
    auth:
      kubernetes:
        role: ${role}
        mountPath: /v1/auth/kubernetes
        serviceAccountRef: {name: vault-issuer}
---
`;
  const certificate = (name: string, issuerName: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ${name}, namespace: ${ns}}
spec:
  secretName: ${name}-tls
  dnsNames: [${name}.example.test]
  issuerRef: {name: ${issuerName}}
---
`;
  const repo = await gitopsRepo(t, {
    "apps/issuer.yaml": issuer("vault", ns) + issuer("other", `${ns}-other`),
    "apps/certificate.yaml": certificate("web", "vault") + certificate("refused", "other"),
  });
  const run = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", kube.kubeconfig], {
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_LOG_LEVEL: "error",
  });
  assert.match(run.stdout, new RegExp(`${ns}/web .* Issued`), run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`${ns}/refused .* Failed at the CA: Issuer ${ns}/other at apps/issuer\\.yaml:\\d+: Vault kubernetes login: Vault POST /v1/auth/kubernetes/login answered 403`), "the token's audiences are cert-manager's: another issuer's role refuses it");

  const file = join(repo.checkout(), "apps/web-tls.sops.yaml");
  const data = (parseYaml(sopsDecrypt(t, file, repo.identity)) as { data: Record<string, string> }).data;
  const text = (key: string) => Buffer.from(data[key]!, "base64").toString("utf8");
  assert.match(opensslVerify(text("tls.crt"), text("ca.crt")), /leaf\.pem: OK/);
  assert.equal(text("ca.crt").trim(), pki.rootPem.trim(), "ca.crt is Vault's root");
  applyDecrypted(t, kube, file, repo.identity);
  assert.equal(JSON.parse(kube.kubectl(["get", "secret", "web-tls", "-n", ns, "-o", "json"])).type, "kubernetes.io/tls");
});

test("serviceAccountRef without the right to create its token: a failure naming the RBAC to add, not one at the CA", async (t) => {
  const ns = uniqueName("vault-rbac");
  kube.kubectl(["create", "namespace", ns]);
  kube.kubectl(["create", "serviceaccount", "vault-issuer", "-n", ns]);
  kube.kubectl(["create", "serviceaccount", "gitcert", "-n", ns]);
  const issuer = `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: vault, namespace: ${ns}}
spec:
  vault:
    server: ${bao.url}
    path: ${pki.signPath}
    auth:
      kubernetes: {role: ${ns}, serviceAccountRef: {name: vault-issuer}}
`;
  const certificate = `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: ${ns}}\nspec:\n  secretName: web-tls\n  dnsNames: [web.example.test]\n  issuerRef: {name: vault}\n`;
  const repo = await gitopsRepo(t, { "apps/issuer.yaml": issuer, "apps/certificate.yaml": certificate });
  // gitcert as a service account with no rights at all in the cluster.
  const kubeconfig = kube.serviceAccountKubeconfig(ns, "gitcert", repo.dir);
  const run = await gitcert(["run", "--once", "--repo", repo.remote, "--workdir", join(repo.dir, "work"), "--kubeconfig", kubeconfig], {
    HOME: repo.dir,
    SOPS_AGE_KEY: repo.identity,
    GITCERT_LOG_LEVEL: "error",
    GITCERT_LEADER_ELECTION_ENABLED: "false",
  });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`${ns}/web .* Failed: Issuer ${ns}/vault at apps/issuer\\.yaml:1: Vault kubernetes login: no service account token: create a token for ServiceAccount ${ns}/vault-issuer: .*forbidden.*Allow gitcert's service account "create" on serviceaccounts/token with resourceNames \\[vault-issuer\\] in namespace ${ns}`));
  assert.match(run.stdout, /not a failure at the CA: no backoff/);
});
