// A long-running gitcert updates its kept scan for a push that edits a few
// manifests instead of scanning the repository again (src/manifests/
// scan-update.ts). The oracle: after every push, against a real Git remote,
// the updated scan and the plan made from it equal a fresh scan and plan of
// that commit; and the pushes the update can follow do take that path, so a
// wrong result and a silently lost fast path both fail.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { RepositorySnapshot } from "../../src/daemon/snapshot.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { assess } from "../../src/reconcile.ts";
import { openWorkspace } from "../../src/repo/index.ts";
import { generateAgeIdentity } from "../../src/secrets/index.ts";
import { git, tempDir } from "../helpers.ts";
import { seededRemote } from "../peers/git-remote.ts";

const certificate = (name: string, dnsName: string, extra = "") => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ${name}
${extra}spec:
  secretName: ${name}-tls
  dnsNames:
    - ${dnsName}
  issuerRef:
    name: selfsigned
    kind: ClusterIssuer
`;

const FILES: Record<string, string> = {
  "clusters/prod/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      DOMAIN: example.test
    substituteFrom:
      - kind: Secret
        name: zone-vars
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  path: ./infra
  targetNamespace: platform
  sourceRef:
    kind: GitRepository
    name: flux-system
`,
  "clusters/prod/vars.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: zone-vars
  namespace: flux-system
stringData:
  ZONE: zone.test
`,
  "apps/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: web
resources:
  - blog
  - shop
patches:
  - target:
      kind: Certificate
      labelSelector: tier=edge
    patch: |-
      - op: add
        path: /spec/duration
        value: 2160h
`,
  "apps/blog/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - certificate.yaml
  - ingress.yaml
`,
  "apps/blog/certificate.yaml": certificate("blog", "blog.example.test"),
  "apps/blog/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: blog
  annotations:
    cert-manager.io/cluster-issuer: selfsigned
spec:
  tls:
    - hosts: [www.blog.example.test]
      secretName: blog-www-tls
  rules:
    - host: www.blog.example.test
`,
  "apps/shop/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: eu-
resources:
  - certificate.yaml
  - internal.yaml
`,
  "apps/shop/certificate.yaml": certificate("shop", "shop.example.test", "  labels:\n    tier: edge\n"),
  "infra/issuers.yaml": `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: local
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: staging
spec:
  acme:
    server: https://acme.example.test/directory
    disableAccountKeyGeneration: true
    privateKeySecretRef:
      name: staging-account
    solvers:
      - http01:
          ingress: {}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: team-ca
spec:
  ca:
    secretName: team-ca-keypair
`,
  "plain/ca.yaml": `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: team-ca
  namespace: cert-manager
spec:
  isCA: true
  commonName: team-ca
  secretName: team-ca-keypair
  issuerRef:
    name: selfsigned
    kind: ClusterIssuer
`,
  "apps/shop/internal.yaml": `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: internal
spec:
  secretName: internal-tls
  dnsNames:
    - internal.shop.example.test
  issuerRef:
    name: team-ca
    kind: ClusterIssuer
`,
  "plain/standalone.yaml": certificate("standalone", "standalone.example.test"),
  "argocd/edge.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: edge
  namespace: argocd
spec:
  source:
    repoURL: https://git.example.test/platform.git
    path: argo/edge
    directory:
      recurse: true
    kustomize:
      patches:
        - target:
            kind: Certificate
            labelSelector: tier=edge
          patch: '[{op: add, path: /spec/renewBefore, value: 240h}]'
  destination:
    server: https://kubernetes.default.svc
    namespace: edge
`,
  "argo/edge/certificate.yaml": certificate("gateway", "gateway.example.test"),
  "clusters/staging/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: staging
  namespace: flux-system
spec:
  path: ./staging
  targetNamespace: staging
  sourceRef:
    kind: GitRepository
    name: flux-system
`,
  "staging/certificate.yaml": certificate("preview", "preview.example.test"),
};

interface Push {
  what: string;
  /** Whether the kept scan is updated (true) or scanned again (false); "carried": kept as it was. */
  path: boolean | "carried";
  /** Whether the issuers resolved for the last commit are updated (true) or resolved again (false); as `path` when not said. */
  resolve?: boolean;
  edit(read: (path: string) => string): Record<string, string>;
}

const PUSHES: Push[] = [
  { what: "a Certificate's Secret renamed onto another's", path: true, resolve: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("name: standalone\n", "name: standalone\n  namespace: web\n").replace("secretName: standalone-tls", "secretName: shop-tls") }) },
  { what: "and back", path: true, resolve: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("  namespace: web\n", "").replace("secretName: shop-tls", "secretName: standalone-tls") }) },
  { what: "a Certificate pointed at an issuer nothing used, that cannot sign", path: true, resolve: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("name: selfsigned", "name: staging") }) },
  { what: "its dnsName edited, the issuer still used", path: true, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("standalone.example.test", "solo.example.test") }) },
  { what: "a Certificate pointed at an issuer that does not exist", path: true, resolve: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("name: staging", "name: nowhere") }) },
  { what: "the CA Certificate another issuer signs with edited", path: true, resolve: false, edit: (r) => ({ "plain/ca.yaml": r("plain/ca.yaml").replace("commonName: team-ca", "commonName: team-ca-2") }) },
  { what: "a Certificate the CA signs edited", path: true, resolve: false, edit: (r) => ({ "apps/shop/internal.yaml": r("apps/shop/internal.yaml").replace("internal.shop.example.test", "inside.shop.example.test") }) },
  { what: "a label added", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("metadata:\n", "metadata:\n  labels:\n    team: blog\n") }) },
  { what: "the label changed so that the labelSelector patch starts to match", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("team: blog", "tier: edge") }) },
  { what: "the matching label removed", path: true, edit: (r) => ({ "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("  labels:\n    tier: edge\n", "") }) },
  { what: "a label an Argo CD Application's patch selects", path: true, edit: (r) => ({ "argo/edge/certificate.yaml": r("argo/edge/certificate.yaml").replace("metadata:\n", "metadata:\n  labels:\n    tier: edge\n") }) },
  { what: "a namespace on it, over the Application's", path: true, edit: (r) => ({ "argo/edge/certificate.yaml": r("argo/edge/certificate.yaml").replace("name: gateway\n", "name: gateway\n  namespace: gw\n") }) },
  { what: "a comment (nothing the scan reads)", path: "carried", edit: (r) => ({ "apps/shop/certificate.yaml": `${r("apps/shop/certificate.yaml")}# reviewed\n` }) },
  { what: "a dnsName edited", path: true, edit: (r) => ({ "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("shop.example.test", "store.example.test") }) },
  { what: "a Certificate renamed", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("name: blog\n", "name: journal\n") }) },
  { what: "its namespace set", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("name: journal\n", "name: journal\n  namespace: press\n") }) },
  { what: "a second document added to the file", path: true, edit: (r) => ({ "plain/standalone.yaml": `${r("plain/standalone.yaml")}---\n${certificate("second", "second.example.test")}` }) },
  { what: "an Issuer edited", path: true, resolve: false, edit: (r) => ({ "infra/issuers.yaml": r("infra/issuers.yaml").replace("name: local\n", "name: local\n  labels:\n    scope: team\n") }) },
  { what: "an Ingress's annotation edited", path: true, edit: (r) => ({ "apps/blog/ingress.yaml": r("apps/blog/ingress.yaml").replace("cert-manager.io/cluster-issuer: selfsigned", "cert-manager.io/cluster-issuer: selfsigned\n    cert-manager.io/duration: 720h") }) },
  { what: "a defined ${VAR} introduced", path: true, edit: (r) => ({ "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("store.example.test", "store.${DOMAIN}") }) },
  { what: "an undefined ${VAR} introduced", path: false, edit: (r) => ({ "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("store.${DOMAIN}", "store.${NOWHERE}") }) },
  { what: "a ${VAR} where nothing substitutes", path: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("second.example.test", "second.${DOMAIN}") }) },
  // The scan before searched the repository for where that variable is defined: its context holds for nothing.
  { what: "back to a plain name there", path: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("second.${DOMAIN}", "second.example.test") }) },
  { what: "a Secret Flux takes variables from edited", path: false, resolve: false, edit: (r) => ({ "clusters/prod/vars.yaml": r("clusters/prod/vars.yaml").replace("ZONE: zone.test", "ZONE: zone.test\n  EXTRA: more") }) },
  { what: "a document's kind changed into a Kustomization", path: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("kind: Certificate\nmetadata:\n  name: second", "kind: Kustomization\nmetadata:\n  name: second") }) },
  {
    what: "a kustomization's namespace edited (and the undefined variable dropped)",
    path: false,
    edit: (r) => ({ "apps/kustomization.yaml": r("apps/kustomization.yaml").replace("namespace: web", "namespace: www"), "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("store.${NOWHERE}", "store.${DOMAIN}") }),
  },
  { what: "a Certificate next to the Kustomization edited", path: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("solo.example.test", "alone.example.test") }) },
  { what: "a Certificate and an Issuer edited in one push", path: true, resolve: false, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("tier: edge", "tier: core"), "infra/issuers.yaml": r("infra/issuers.yaml").replace("scope: team", "scope: all") }) },
];

test("a kept scan updated push by push equals a fresh scan of each commit, and plans the same", async (t) => {
  const { kept, assessAt, workspace } = await pushEach(t, {}, PUSHES);
  // The pushes did move what is planned: the renamed Certificate, in the kustomization's new namespace, is in the last plan.
  const last = await assessAt(kept, await workspace.fetch());
  const names = last.items.flatMap((i) => (i.certificate ? [`${i.certificate.namespace}/${i.certificate.name}`] : []));
  assert.ok(names.includes("www/journal") && !names.some((n) => n.endsWith("/blog")), names.join(", "));
  // And the Application's patch, selecting by the label pushed, reached its Certificate.
  const gateway = last.scan.certificates.find((c) => c.name === "gateway");
  assert.equal(gateway?.namespace, "gw");
  assert.ok(gateway?.spec.renewBefore !== undefined, JSON.stringify(gateway?.spec));
});

test("with a cluster folder, the kept scan leaves out and keeps what a fresh scan does", async (t) => {
  const { kept, assessAt, workspace } = await pushEach(t, { "gitops.clusterPath": "clusters/prod" }, [
    { what: "a label the patch selects", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("metadata:\n", "metadata:\n  labels:\n    tier: edge\n") }) },
    { what: "a Certificate no Kustomization applies edited", path: true, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("standalone.example.test", "solo.example.test") }) },
    { what: "an Application's Certificate edited", path: true, edit: (r) => ({ "argo/edge/certificate.yaml": r("argo/edge/certificate.yaml").replace("gateway.example.test", "gw.example.test") }) },
    { what: "a Certificate only another cluster applies edited", path: true, edit: (r) => ({ "staging/certificate.yaml": r("staging/certificate.yaml").replace("metadata:\n", "metadata:\n  labels:\n    tier: edge\n") }) },
  ]);
  const last = await assessAt(kept, await workspace.fetch());
  assert.ok(last.scan.certificates.some((c) => c.name === "blog" && c.spec.duration !== undefined), "the cluster's Kustomization rendered the blog");
  assert.ok(!last.scan.certificates.some((c) => c.name === "preview"), "another cluster's Certificate is left out");
});

const ingress = (name: string, annotations: string, host: string, secretName: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations:
${annotations}spec:
  tls:
    - hosts: [${host}]
      secretName: ${secretName}
  rules:
    - host: ${host}
`;

/** What the first repository holds, and what makes the pushes below risky: names two files share, Ingresses, a Secret gitcert wrote, a file two Kustomizations apply, a multi-source Application. */
const MORE_FILES: Record<string, string> = {
  ...FILES,
  "plain/twin-a.yaml": certificate("twin", "twin-a.example.test"),
  "plain/twin-b.yaml": certificate("other", "twin-b.example.test"),
  "plain/web-ingress.yaml": ingress("web", "    cert-manager.io/cluster-issuer: selfsigned\n", "www.plain.example.test", "plain-www-tls"),
  "plain/acme-ingress.yaml": ingress("acme", '    kubernetes.io/tls-acme: "true"\n', "acme.example.test", "acme-tls"),
  "plain/standalone-tls.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: standalone-tls
  annotations:
    gitcert.dev/certificate: default/standalone
    gitcert.dev/not-before: "2026-05-01T00:00:00Z"
    gitcert.dev/not-after: "2026-08-01T00:00:00Z"
type: kubernetes.io/tls
data:
  tls.crt: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]
  tls.key: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]
sops:
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
      enc: AAAA
  mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]
  version: 3.9.0
`,
  "clusters/prod/shared.yaml": ["shared-a", "shared-b"]
    .map(
      (name) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  path: ./shared
  sourceRef:
    kind: GitRepository
    name: flux-system
`,
    )
    .join("---\n"),
  "shared/certificate.yaml": certificate("shared", "shared.example.test"),
  "argocd/multi.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: multi
  namespace: argocd
spec:
  sources:
    - repoURL: https://git.example.test/platform.git
      path: argo/multi-a
    - repoURL: https://git.example.test/platform.git
      path: argo/multi-b
  destination:
    server: https://kubernetes.default.svc
    namespace: multi
`,
  "argo/multi-a/certificate.yaml": certificate("multi-a", "multi-a.example.test"),
  "argo/multi-b/certificate.yaml": certificate("multi-b", "multi-b.example.test"),
  "apps/base/kustomization.yaml": "resources:\n  - certificate.yaml\n",
  "apps/base/certificate.yaml": certificate("base", "base.example.test"),
  "apps/overlays/a/kustomization.yaml": "namespace: overlay-a\nresources:\n  - ../../base\n",
  "apps/overlays/b/kustomization.yaml": "resources:\n  - ../../base\n",
  "apps/kustomization.yaml": `${FILES["apps/kustomization.yaml"]!.replace("  - shop\n", "  - shop\n  - overlays/a\n  - overlays/b\n")}  - target:
      kind: Certificate
      name: blog
    patch: |-
      - op: add
        path: /spec/renewBefore
        value: 360h
`,
};

// Pushes whose update depends on more than the edited file's own objects: a name or Secret two files contest, what an Ingress derives, the issuers, a Secret's state.
const RISKY_PUSHES: Push[] = [
  { what: "a Certificate renamed onto another file's Certificate", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("name: other\n", "name: twin\n") }) },
  { what: "the first of the two edited", path: true, resolve: false, edit: (r) => ({ "plain/twin-a.yaml": r("plain/twin-a.yaml").replace("twin-a.example.test", "twin-1.example.test") }) },
  { what: "the second edited", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("twin-b.example.test", "twin-2.example.test") }) },
  { what: "the second renamed back", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("name: twin\n", "name: other\n") }) },
  { what: "a YAML syntax error introduced", path: true, edit: (r) => ({ "plain/twin-a.yaml": r("plain/twin-a.yaml").replace("  dnsNames:\n", "  dnsNames: [unclosed\n") }) },
  { what: "and mended", path: true, edit: (r) => ({ "plain/twin-a.yaml": r("plain/twin-a.yaml").replace("  dnsNames: [unclosed\n", "  dnsNames:\n") }) },
  { what: "a file emptied to a comment", path: true, edit: () => ({ "plain/twin-a.yaml": "# nothing here yet\n" }) },
  { what: "and filled again", path: true, edit: () => ({ "plain/twin-a.yaml": certificate("twin", "twin-a.example.test") }) },
  { what: "a second document added, then", path: true, edit: (r) => ({ "plain/twin-a.yaml": `${r("plain/twin-a.yaml")}---\n${certificate("twin-two", "twin-two.example.test")}` }) },
  { what: "the two documents swapped", path: true, edit: () => ({ "plain/twin-a.yaml": `${certificate("twin-two", "twin-two.example.test")}---\n${certificate("twin", "twin-a.example.test")}` }) },
  { what: "a Certificate's kind changed to a ConfigMap", path: true, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("kind: Certificate", "kind: ConfigMap") }) },
  { what: "and back", path: true, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("kind: ConfigMap", "kind: Certificate") }) },
  { what: "a Certificate's kind changed to a Secret", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("apiVersion: cert-manager.io/v1\nkind: Certificate", "apiVersion: v1\nkind: Secret") }) },
  { what: "and back to a Certificate", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("apiVersion: v1\nkind: Secret", "apiVersion: cert-manager.io/v1\nkind: Certificate") }) },
  { what: "an Ingress's secretName made an explicit Certificate's name", path: true, resolve: false, edit: (r) => ({ "plain/web-ingress.yaml": r("plain/web-ingress.yaml").replace("secretName: plain-www-tls", "secretName: standalone") }) },
  { what: "and its issuer changed while it loses the name", path: true, resolve: false, edit: (r) => ({ "plain/web-ingress.yaml": r("plain/web-ingress.yaml").replace("cluster-issuer: selfsigned", "cluster-issuer: staging") }) },
  { what: "and back", path: true, resolve: false, edit: (r) => ({ "plain/web-ingress.yaml": r("plain/web-ingress.yaml").replace("secretName: standalone", "secretName: plain-www-tls").replace("cluster-issuer: staging", "cluster-issuer: selfsigned") }) },
  { what: "an Ingress the default issuer serves edited", path: true, edit: (r) => ({ "plain/acme-ingress.yaml": r("plain/acme-ingress.yaml").replaceAll("acme.example.test", "acme2.example.test") }) },
  { what: "its tls-acme annotation removed", path: true, edit: (r) => ({ "plain/acme-ingress.yaml": r("plain/acme-ingress.yaml").replace('kubernetes.io/tls-acme: "true"', "team: acme") }) },
  { what: "a ClusterIssuer renamed, so that Certificates stop finding it", path: true, resolve: false, edit: (r) => ({ "infra/issuers.yaml": r("infra/issuers.yaml").replace("name: selfsigned\n", "name: self\n") }) },
  { what: "a Certificate edited while its issuer is missing", path: true, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("twin-2.example.test", "twin-3.example.test") }) },
  { what: "and the ClusterIssuer named back", path: true, resolve: false, edit: (r) => ({ "infra/issuers.yaml": r("infra/issuers.yaml").replace("name: self\n", "name: selfsigned\n") }) },
  { what: "a Certificate's Secret made the one an ACME issuer keeps its account in", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("name: other\n", "name: other\n  namespace: cert-manager\n").replace("secretName: other-tls", "secretName: staging-account") }) },
  { what: "and its Secret named back", path: true, resolve: false, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("  namespace: cert-manager\n", "").replace("secretName: staging-account", "secretName: other-tls") }) },
  { what: "a Secret gitcert wrote, its not-after now past", path: true, resolve: false, edit: (r) => ({ "plain/standalone-tls.yaml": r("plain/standalone-tls.yaml").replace("2026-08-01T00:00:00Z", "2026-05-15T00:00:00Z") }) },
  { what: "its SOPS recipients edited", path: true, resolve: false, edit: (r) => ({ "plain/standalone-tls.yaml": r("plain/standalone-tls.yaml").replace("qyqs3290gq", "qyqs3290gr") }) },
  { what: "a file two Flux Kustomizations apply edited", path: true, edit: (r) => ({ "shared/certificate.yaml": r("shared/certificate.yaml").replace("shared.example.test", "common.example.test") }) },
  { what: "a Certificate renamed out of a patch that targets it by name", path: true, edit: (r) => ({ "apps/blog/certificate.yaml": r("apps/blog/certificate.yaml").replace("name: blog\n", "name: journal\n") }) },
  { what: "and another renamed into it (a CA signs it)", path: true, resolve: false, edit: (r) => ({ "apps/shop/internal.yaml": r("apps/shop/internal.yaml").replace("name: internal\n", "name: blog\n") }) },
  {
    what: "a Certificate's document made a List of two",
    path: true,
    edit: (r) => ({ "plain/twin-b.yaml": `apiVersion: v1\nkind: List\nitems:\n${[r("plain/twin-b.yaml"), certificate("listed", "listed.example.test")].map((c) => c.trimEnd().replace(/^/gm, "    ").replace(/^    /, "  - ")).join("\n")}\n` }),
  },
  { what: "an item of the List edited", path: true, edit: (r) => ({ "plain/twin-b.yaml": r("plain/twin-b.yaml").replace("listed.example.test", "listed-2.example.test") }) },
  { what: "a variable from the Secret Flux substitutes from introduced", path: true, edit: (r) => ({ "apps/shop/certificate.yaml": r("apps/shop/certificate.yaml").replace("shop.example.test", "shop.${ZONE}") }) },
  { what: "a base two overlays of one build include edited", path: true, edit: (r) => ({ "apps/base/certificate.yaml": r("apps/base/certificate.yaml").replace("base.example.test", "bottom.example.test") }) },
  { what: "and given a namespace of its own (the outer kustomization's still wins)", path: true, edit: (r) => ({ "apps/base/certificate.yaml": r("apps/base/certificate.yaml").replace("name: base\n", "name: base\n  namespace: overlay-a\n") }) },
  { what: "each source of a multi-source Application edited in one push", path: true, edit: (r) => ({ "argo/multi-a/certificate.yaml": r("argo/multi-a/certificate.yaml").replace("name: multi-a\n", "name: multi-a\n  namespace: own\n"), "argo/multi-b/certificate.yaml": r("argo/multi-b/certificate.yaml").replace("multi-b.example.test", "multi-2.example.test") }) },
];

test("pushes that touch what other files' objects are planned from update the kept scan as a fresh scan reads them", async (t) => {
  const { kept, assessAt, workspace } = await pushEach(t, { defaultIssuerName: "selfsigned" }, RISKY_PUSHES, MORE_FILES);
  const last = await assessAt(kept, await workspace.fetch());
  const names = last.scan.certificates.map((c) => `${c.namespace}/${c.name}`);
  assert.ok(names.includes("own/multi-a") && names.includes("multi/multi-b") && names.includes("default/shared") && names.includes("web/base"), names.join(", "));
  // The patch that targets `blog` by name followed the name from one file to the other.
  assert.equal(last.scan.certificates.find((c) => c.name === "blog")?.spec.renewBefore, 360 * 3600);
  assert.equal(last.scan.certificates.find((c) => c.name === "journal")?.spec.renewBefore, undefined);
  assert.deepEqual(last.scan.certificates.find((c) => c.name === "shop")?.spec.dnsNames, ["shop.zone.test"]);
});

test("a ConfigMap Flux substitutes from, edited alone or beside a Certificate, is planned from a fresh scan", async (t) => {
  const files: Record<string, string> = {
    ...FILES,
    "clusters/prod/apps.yaml": FILES["clusters/prod/apps.yaml"]!.replace("      - kind: Secret\n        name: zone-vars\n", "      - kind: Secret\n        name: zone-vars\n      - kind: ConfigMap\n        name: zone-cm\n"),
    "clusters/prod/zone-cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: zone-cm\n  namespace: flux-system\ndata:\n  SHOP: shop.example.test\n",
    "apps/shop/certificate.yaml": certificate("shop", "${SHOP}"),
  };
  const { kept, assessAt, workspace } = await pushEach(
    t,
    {},
    [
      // The ConfigMap is not parsed for the scan: only its text, searched, ties the Certificate to it.
      { what: "the ConfigMap's value edited", path: false, edit: (r) => ({ "clusters/prod/zone-cm.yaml": r("clusters/prod/zone-cm.yaml").replace("SHOP: shop.example.test", "SHOP: store.example.test") }) },
      { what: "a Certificate beside it edited", path: false, edit: (r) => ({ "clusters/prod/zone-cm.yaml": `${r("clusters/prod/zone-cm.yaml").replace("SHOP: store.example.test", "SHOP: boutique.example.test")}---\n${certificate("beside", "beside.example.test")}` }) },
      { what: "a Certificate elsewhere edited", path: false, edit: (r) => ({ "plain/standalone.yaml": r("plain/standalone.yaml").replace("standalone.example.test", "solo.example.test") }) },
    ],
    files,
  );
  const last = await assessAt(kept, await workspace.fetch());
  assert.deepEqual(last.scan.certificates.find((c) => c.name === "shop")?.spec.dnsNames, ["boutique.example.test"]);
});

/**
 * The repository seeded on a real remote, then each push made, fetched and
 * planned from the kept snapshot and from a fresh one: the scans, plans
 * and diagnostics equal, and each push taking the path it says.
 */
async function pushEach(t: TestContext, settings: Record<string, string>, pushes: readonly Push[], files: Record<string, string> = FILES) {
  const dir = tempDir(t);
  const remote = await seededRemote(dir, "repo", files);
  const { recipient } = await generateAgeIdentity();
  const config = { ...loadConfig({}).config, ...settings, ageRecipients: [recipient] };
  const workspace = await openWorkspace({ url: remote, branch: "main", workdir: join(dir, "w"), author: { name: "gitcert", email: "gitcert@example.test" } });
  await workspace.sync();
  const issuers = defaultIssuers();
  const now = new Date("2026-06-01T00:00:00Z");
  const kept = new RepositorySnapshot(workspace.objects, workspace.root);
  const assessAt = (snapshot: RepositorySnapshot, head: string) =>
    assess(workspace.root, config, { now, issuers, consultIssuers: false, repository: snapshot.at(async () => head), tree: { read: snapshot.tree().read, write: async () => undefined, remove: async () => false } });

  const first = await assessAt(kept, await workspace.headCommit());
  assert.ok(first.scan.certificates.length >= 4, "the repository's Certificates are read");
  assert.ok(first.items.some((i) => i.action === "issue"), "and planned");

  const clone = join(dir, "clone");
  git(dir, "clone", "--quiet", remote, clone);
  for (const push of pushes) {
    const files = push.edit((path) => readFileSync(join(clone, path), "utf8"));
    for (const [path, text] of Object.entries(files)) {
      assert.notEqual(text, readFileSync(join(clone, path), "utf8"), `${push.what}: ${path} is edited`);
      writeFileSync(join(clone, path), text);
    }
    git(clone, "commit", "--quiet", "-am", push.what);
    git(clone, "push", "--quiet", "origin", "HEAD:main");
    const head = await workspace.fetch();
    const updated = { scan: kept.updates.get("scan") ?? 0, resolved: kept.updates.get("resolved") ?? 0 };
    const carried = kept.carried;

    const incremental = await assessAt(kept, head);
    const fresh = await assessAt(new RepositorySnapshot(workspace.objects, workspace.root), head);
    assert.deepStrictEqual(incremental.scan, fresh.scan, `${push.what}: the kept scan is the fresh scan`);
    assert.deepStrictEqual(incremental.items, fresh.items, `${push.what}: the plan is the fresh plan`);
    assert.deepStrictEqual(incremental.diagnostics, fresh.diagnostics, `${push.what}: the diagnostics are`);
    const took = (kept.updates.get("scan") ?? 0) > updated.scan ? true : kept.carried > carried ? "carried" : false;
    assert.equal(took, push.path, `${push.what}: ${push.path === true ? "updated" : push.path === "carried" ? "carried" : "scanned again"}`);
    if (push.path !== "carried") {
      const resolvedAgain = (kept.updates.get("resolved") ?? 0) > updated.resolved;
      assert.equal(resolvedAgain, push.resolve ?? push.path, `${push.what}: issuers ${(push.resolve ?? push.path) ? "updated" : "resolved again"}`);
    }
  }
  return { kept, assessAt, workspace };
}
