import assert from "node:assert/strict";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test, type TestContext } from "node:test";
import { DEFAULT_SCAN_OPTIONS, ParseCache, scanRepository } from "../../src/manifests/index.ts";
import { worktreeBlobIds } from "../../src/repo/index.ts";
import { git, tempDir } from "../helpers.ts";

const certificate = (name: string, host: string) =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}}\nspec: {secretName: ${name}-tls, dnsNames: [${host}], issuerRef: {name: le, kind: ClusterIssuer}}\n`;

function repository(t: TestContext): string {
  const root = tempDir(t);
  git(root, "init", "-q", "-b", "main");
  const files: Record<string, string> = {
    "apps/shop/kustomization.yaml": "namespace: shop\nresources: [cert.yaml]\n",
    "apps/shop/cert.yaml": certificate("web", "shop.example.com"),
    "apps/blog/cert.yaml": certificate("blog", "blog.example.com"),
    "apps/blog/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: blog}\n",
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/templates/cert.yaml": certificate("chart", "chart.example.com"),
    "platform/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\nspec: {selfSigned: {}}\n",
  };
  for (const [path, text] of Object.entries(files)) write(root, path, text);
  commit(root, "seed");
  return root;
}

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function commit(root: string, message: string): void {
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", message);
}

const options = { ...DEFAULT_SCAN_OPTIONS, defaultNamespace: "fallback" };

async function cachedScan(root: string, cache: ParseCache) {
  return scanRepository(root, options, undefined, { cache, blobs: await worktreeBlobIds(root) });
}

test("a tick with nothing new reads no file; its result is the fresh scan's", async (t) => {
  const root = repository(t);
  const cache = new ParseCache();
  const first = await cachedScan(root, cache);
  assert.equal(cache.lastRead, 7);
  const second = await cachedScan(root, cache);
  assert.equal(cache.lastRead, 0);
  assert.deepEqual(second, first);
  assert.deepEqual(second, await scanRepository(root, options));
});

test("a tick after a push that changed one file reads that one file", async (t) => {
  const root = repository(t);
  const cache = new ParseCache();
  await cachedScan(root, cache);
  write(root, "apps/shop/cert.yaml", certificate("web", "www.shop.example.com"));
  commit(root, "a new name");
  const scan = await cachedScan(root, cache);
  assert.equal(cache.lastRead, 1);
  assert.deepEqual(scan, await scanRepository(root, options));
  assert.deepEqual(scan.certificates.find((c) => c.name === "web")?.spec.dnsNames, ["www.shop.example.com"]);
});

test("a kustomization change moves namespaces though the Certificate files were not re-read", async (t) => {
  const root = repository(t);
  const cache = new ParseCache();
  await cachedScan(root, cache);
  write(root, "apps/shop/kustomization.yaml", "namespace: store\nresources: [cert.yaml]\n");
  commit(root, "rename the namespace");
  const scan = await cachedScan(root, cache);
  assert.equal(cache.lastRead, 1);
  assert.equal(scan.certificates.find((c) => c.name === "web")?.namespace, "store");
});

test("after a force-push or reset to an older commit the result is right, and the cache holds no more than the tree", async (t) => {
  const root = repository(t);
  const cache = new ParseCache();
  await cachedScan(root, cache);
  write(root, "apps/new/cert.yaml", certificate("new", "new.example.com"));
  rmSync(join(root, "apps/blog/cert.yaml"));
  commit(root, "add one, remove one");
  await cachedScan(root, cache);
  git(root, "reset", "-q", "--hard", "HEAD~1");
  const scan = await cachedScan(root, cache);
  assert.deepEqual(scan, await scanRepository(root, options));
  assert.deepEqual(scan.certificates.map((c) => c.name).sort(), ["blog", "chart", "web"]);
  assert.equal(cache.lastRead, 1, "only the file the reset brought back");
  assert.equal(cache.size, 7);
});

test("files Git does not vouch for are read every time: modified, untracked, symlinked", async (t) => {
  const root = repository(t);
  const cache = new ParseCache();
  write(root, "apps/target.txt", certificate("linked", "linked.example.com"));
  symlinkSync("../target.txt", join(root, "apps/blog/link.yaml"));
  commit(root, "a committed symlink: its blob is the target's name, not the content");
  await cachedScan(root, cache);
  assert.equal((await cachedScan(root, cache), cache.lastRead), 1);
  write(root, "apps/shop/cert.yaml", certificate("web", "edited.example.com"));
  write(root, "apps/untracked.yaml", certificate("loose", "loose.example.com"));
  const scan = await cachedScan(root, cache);
  assert.equal(cache.lastRead, 3);
  assert.deepEqual(scan, await scanRepository(root, options));
  assert.deepEqual(scan.certificates.find((c) => c.name === "web")?.spec.dnsNames, ["edited.example.com"]);
  assert.ok(scan.certificates.some((c) => c.name === "linked"));
});

test("the cache keeps a Secret's metadata and data keys, not its ciphertext", async (t) => {
  const root = repository(t);
  const ciphertext = `ENC[AES256_GCM,data:${"A".repeat(4000)},type:str]`;
  write(
    root,
    "apps/shop/web-tls.sops.yaml",
    `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: web-tls\n  annotations: {gitcert.dev/certificate: shop/web}\ndata:\n  tls.crt: ${ciphertext}\n  tls.key: ${ciphertext}\nsops:\n  mac: ENC[AES256_GCM,data:bWFj,type:str]\n  age: [{recipient: age1x, enc: "${"B".repeat(2000)}"}]\n`,
  );
  commit(root, "a Secret");
  const cache = new ParseCache();
  const scan = await cachedScan(root, cache);
  assert.deepEqual(scan.secrets.map((s) => [s.namespace, s.name, s.encrypted, s.annotations["gitcert.dev/certificate"]]), [["shop", "web-tls", true, "shop/web"]]);
  const generation = cache.begin();
  const blobs = await worktreeBlobIds(root);
  const reading = generation.get("apps/shop/web-tls.sops.yaml", blobs.get("apps/shop/web-tls.sops.yaml")!);
  assert.deepEqual(reading?.parsed?.documents[0]?.object.data, { "tls.crt": "", "tls.key": "" });
  assert.ok(!JSON.stringify(reading).includes("AAAA"), "no ciphertext kept");
  assert.ok(JSON.stringify(reading).includes("age1x"), "the recipients stay: planning rekeys by them");
});
