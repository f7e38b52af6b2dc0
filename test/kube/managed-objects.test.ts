// Objects gitcert makes for a while (a challenge Ingress) carry its labels;
// applying twice converges; the sweep deletes exactly gitcert's leftovers of
// one purpose, nothing a user made and nothing still in use.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { V1Ingress } from "@kubernetes/client-node";
import { applyManaged, Cluster, clusterTarget, deleteManaged, managedLabels, sweepManaged } from "../../src/kube/index.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { getJson } from "./helpers.ts";

let kube: KubePeer;
let cluster: Cluster;
before(async () => {
  kube = await useKube();
  cluster = new Cluster(clusterTarget({ kubeconfig: kube.kubeconfig, context: "" }, {})!);
});
after(() => kube?.release());

function challengeIngress(namespace: string, name: string, labels: Record<string, string>): V1Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace, labels },
    spec: {
      ingressClassName: "traefik",
      rules: [{ host: "web.example.test", http: { paths: [{ path: `/.well-known/acme-challenge/${name}`, pathType: "Exact", backend: { service: { name: "gitcert-http01", port: { number: 80 } } } }] } }],
    },
  };
}

test("managed objects: apply converges, the sweep removes this gitcert's leftovers of one purpose only", async () => {
  const ns = uniqueName("managed");
  kube.kubectl(["create", "namespace", ns]);
  const solver = managedLabels("http01-solver", "team-a", { "acme.cert-manager.io/http01-solver": "true" });
  const applied = await applyManaged(cluster, challengeIngress(ns, "token-a", solver));
  assert.equal(applied.metadata?.labels?.["app.kubernetes.io/managed-by"], "gitcert");
  await applyManaged(cluster, challengeIngress(ns, "token-a", solver)); // a retry after a crash: no "already exists"
  await applyManaged(cluster, challengeIngress(ns, "token-b", solver));
  await applyManaged(cluster, challengeIngress(ns, "other-purpose", managedLabels("something-else", "team-a")));
  await applyManaged(cluster, challengeIngress(ns, "other-instance", managedLabels("http01-solver", "team-b")));
  kube.kubectl(["apply", "-f", "-"], { input: JSON.stringify(challengeIngress(ns, "users-own", { app: "web" })) });

  const swept = await sweepManaged(cluster, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", purpose: "http01-solver", instance: "team-a", keep: (o) => o.metadata?.name === "token-b" });
  assert.deepEqual(swept.map((o) => o.metadata?.name), ["token-a"]);
  const left = getJson<{ items: Array<{ metadata: { name: string } }> }>(kube, ["ingress", "-n", ns]).items.map((i) => i.metadata.name).sort();
  assert.deepEqual(left, ["other-instance", "other-purpose", "token-b", "users-own"], "another gitcert's, another purpose's and a user's stay");

  await deleteManaged(cluster, challengeIngress(ns, "token-b", solver));
  await deleteManaged(cluster, challengeIngress(ns, "token-b", solver)); // already gone: fine
  assert.deepEqual(getJson<{ items: unknown[] }>(kube, ["ingress", "-n", ns, "-l", "gitcert.dev/purpose=http01-solver,gitcert.dev/instance=team-a"]).items, []);
});
