// Which cluster gitcert talks to: a named kubeconfig, the KUBECONFIG list,
// a context, or the in-cluster service account — and nothing when none is
// configured. Mistakes are configuration errors (exit 2) naming the file.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VersionApi } from "@kubernetes/client-node";
import { Cluster, clusterTarget } from "../../src/kube/index.ts";
import { clusterConfigured } from "../../src/kube/configured.ts";
import { tempDir } from "../helpers.ts";
import { uniqueName, useKube, type KubePeer } from "../peers/kube.ts";
import { gitcert } from "./helpers.ts";

let kube: KubePeer;
before(async () => {
  kube = await useKube();
});
after(() => kube?.release());

test("no kubeconfig, no KUBECONFIG, not in a pod: no cluster", (t) => {
  const dir = tempDir(t);
  assert.equal(clusterTarget({ kubeconfig: "", context: "" }, {}, dir), undefined);
  assert.equal(clusterConfigured({ kubeconfig: "", context: "" }, {}, dir), false);
});

test("KUBECONFIG lists files merged in order; --context picks one of their contexts", async (t) => {
  const dir = tempDir(t);
  const other = join(dir, "other.kubeconfig");
  writeFileSync(other, readFileSync(kube.kubeconfig, "utf8").replace(/envtest/g, "staging"));
  const merged = clusterTarget({ kubeconfig: "", context: "" }, { KUBECONFIG: `${kube.kubeconfig}:${other}` }, dir)!;
  assert.equal(merged.origin, `kubeconfig ${kube.kubeconfig}:${other} (context envtest)`);
  const picked = clusterTarget({ kubeconfig: "", context: "staging" }, { KUBECONFIG: `${kube.kubeconfig}:${other}` }, dir)!;
  assert.match(picked.origin, /\(context staging\)$/);
  const version = await new Cluster(picked).call("version", () => picked.kubeConfig.makeApiClient(VersionApi).getCode());
  assert.equal(version.gitVersion, "v1.36.3");
});

test("in a pod: the service account's token, CA and namespace", async (t) => {
  const ns = uniqueName("pod");
  kube.kubectl(["create", "namespace", ns]);
  kube.kubectl(["create", "serviceaccount", "gitcert", "-n", ns]);
  const sa = join(tempDir(t), "serviceaccount");
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), kube.kubectl(["create", "token", "gitcert", "-n", ns]).trim());
  copyFileSync(kube.caFile, join(sa, "ca.crt"));
  writeFileSync(join(sa, "namespace"), ns);
  const port = new URL(kube.server).port;
  const target = clusterTarget({ kubeconfig: "", context: "" }, { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: port }, sa)!;
  assert.equal(target.origin, "in-cluster service account");
  assert.equal(target.namespace, ns, "the Lease goes to the pod's namespace");
  const version = await new Cluster(target).call("version", () => target.kubeConfig.makeApiClient(VersionApi).getCode());
  assert.equal(version.gitVersion, "v1.36.3");
});

test("a kubeconfig that cannot be read, or a context it lacks, is a configuration error naming it (exit 2)", async (t) => {
  const dir = tempDir(t);
  const missing = await gitcert(["run", "--once", "--kubeconfig", join(dir, "nope")], { HOME: dir, GITCERT_DEMO_DIR: join(dir, "demo") });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, new RegExp(`kubeconfig ${join(dir, "nope")} cannot be read: ENOENT`));
  const context = await gitcert(["run", "--once", "--kubeconfig", kube.kubeconfig, "--context", "prod"], { HOME: dir, GITCERT_DEMO_DIR: join(dir, "demo") });
  assert.equal(context.code, 2, context.stderr);
  assert.match(context.stderr, /has no context "prod"/);
});
