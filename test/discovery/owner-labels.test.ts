// Who applied an object, from the marks Flux and Argo CD leave on it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ownerClaim, type ClusterObject } from "../../src/discovery/index.ts";

const object = (labels: Record<string, string>, annotations: Record<string, string> = {}, name = "web", namespace = "shop"): ClusterObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name, namespace, uid: `uid-${name}`, labels, annotations },
});

test("each GitOps tool's mark names its owner; the most specific wins", () => {
  const cases: Array<[string, ClusterObject, ReturnType<typeof ownerClaim>]> = [
    ["helm-controller", object({ "helm.toolkit.fluxcd.io/name": "web", "helm.toolkit.fluxcd.io/namespace": "shop" }), { kind: "HelmRelease", namespace: "shop", name: "web", label: "helm.toolkit.fluxcd.io/name=web" }],
    ["kustomize-controller", object({ "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" }), { kind: "Kustomization", namespace: "flux-system", name: "apps", label: "kustomize.toolkit.fluxcd.io/name=apps" }],
    [
      "a chart's object, its labels copied from the HelmRelease too",
      object({ "helm.toolkit.fluxcd.io/name": "web", "helm.toolkit.fluxcd.io/namespace": "shop", "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" }),
      { kind: "HelmRelease", namespace: "shop", name: "web", label: "helm.toolkit.fluxcd.io/name=web" },
    ],
    ["Argo CD's instance label", object({ "argocd.argoproj.io/instance": "web" }), { kind: "Application", name: "web", label: "argocd.argoproj.io/instance=web" }],
    ["an Application outside Argo CD's namespace", object({ "argocd.argoproj.io/instance": "team-a_web" }), { kind: "Application", namespace: "team-a", name: "web", label: "argocd.argoproj.io/instance=team-a_web" }],
    [
      "Argo CD's tracking id",
      object({}, { "argocd.argoproj.io/tracking-id": "web:networking.k8s.io/Ingress:shop/web" }),
      { kind: "Application", name: "web", label: "argocd.argoproj.io/tracking-id=web:networking.k8s.io/Ingress:shop/web" },
    ],
    ["a tracking id copied onto another object", object({}, { "argocd.argoproj.io/tracking-id": "web:networking.k8s.io/Ingress:shop/web" }, "copy"), undefined],
    ["a malformed tracking id", object({}, { "argocd.argoproj.io/tracking-id": "web;networking.k8s.io/Ingress/shop/web" }), undefined],
    ["only half of Flux's pair", object({ "kustomize.toolkit.fluxcd.io/name": "apps" }), undefined],
    ["nothing", object({}), undefined],
  ];
  for (const [what, o, expected] of cases) assert.deepEqual(ownerClaim(o), expected, what);
});
