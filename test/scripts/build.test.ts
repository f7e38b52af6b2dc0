// scripts/build.ts bundles the CLI into dist/: run here as the container
// image runs it, bin/gitcert.js and dist/ with no node_modules and no
// sources beside them, so a dependency the bundle missed or shaped
// otherwise than Node does (a CommonJS package imported lazily), or a file
// it loads from beside itself (the read worker, the demo), fails here.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { prepareDemo } from "../../src/demo.ts";
import { generateAgeIdentity } from "../../src/secrets/index.ts";
import { startServe } from "../daemon/helpers.ts";
import { git, sopsDecrypt, tempDir } from "../helpers.ts";
import { seededRemote } from "../peers/git-remote.ts";
import { freePorts, startPebble } from "../peers/pebble.ts";
import { peerBinDir } from "../peers/tools.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** The bundle and what the image copies beside it, in `dir`. */
function install(dir: string): string {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build.ts"), join(dir, "dist")], { stdio: "pipe" });
  cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(ROOT, "examples", "demo"), join(dir, "examples", "demo"), { recursive: true });
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  return join(dir, "bin", "gitcert.js");
}

const PATH = `${peerBinDir()}${delimiter}${process.env.PATH}`;
/** One build for the file: the app folder and its bin. */
let app: string;
let bin: string;

before(() => {
  app = mkdtempSync(join(tmpdir(), "gitcert-bundle-"));
  bin = install(app);
});

after(() => rmSync(app, { recursive: true, force: true }));

test("the bundle runs on its own: the embedded demo issues everything, and serve reads a large repository in its worker", async (t) => {
  const dir = tempDir(t);
  assert.ok(!existsSync(join(app, "node_modules")) && !existsSync(join(app, "src")));
  assert.ok(readdirSync(join(app, "dist")).some((f) => f.endsWith(".LEGAL.txt")), "the dependencies' licence notices ship beside the bundle");

  // Every part loads, also those only lazy paths reach (the Kubernetes client, Vault, Venafi, the DNS providers).
  const parts = readdirSync(join(app, "dist")).filter((f) => f.endsWith(".js") && f !== "read-worker.js");
  const loader = `for (const part of ${JSON.stringify(parts)}) await import(${JSON.stringify(join(app, "dist"))} + "/" + part);`;
  const loaded = spawnSync(process.execPath, ["--input-type=module", "-e", loader], { cwd: dir, encoding: "utf8" });
  assert.equal(loaded.status, 0, loaded.stderr);
  assert.ok(parts.length > 10, `the CLI is split at its lazy imports: ${parts.length} parts`);

  const demo = spawnSync(process.execPath, [bin, "run", "--once"], { env: { PATH, HOME: dir, GITCERT_DEMO_DIR: join(dir, "demo") }, encoding: "utf8" });
  assert.equal(demo.status, 0, demo.stderr);
  assert.match(demo.stderr, /this is the embedded demo/);
  assert.match(demo.stdout, /shop\/storefront-tls\s+shop\.example\.com,www\.shop\.example\.com\s+ClusterIssuer\/demo-ca\s+\S+\s+\S+\s+Issued/);

  // 600 more files: the first scan reads them in a worker thread, which is a file of the bundle's own.
  const served = await prepareDemo(join(dir, "served"));
  const clone = join(dir, "clone");
  git(dir, "clone", "--quiet", served.remote, clone);
  mkdirSync(join(clone, "apps", "settings"));
  for (let i = 0; i < 600; i++) {
    writeFileSync(join(clone, "apps", "settings", `settings-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings-${i}, namespace: shop}\ndata: {index: "${i}"}\n`);
  }
  git(clone, "add", "--all");
  git(clone, "commit", "--quiet", "-m", "settings");
  git(clone, "push", "--quiet", "origin", "main");
  const serve = startServe(
    t,
    {
      HOME: dir,
      PATH,
      GITCERT_REPO: served.remote,
      GITCERT_WORKDIR: join(dir, "work"),
      GITCERT_SERVE_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_PORT: "0",
      GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_METRICS_PORT: "0",
      SOPS_AGE_KEY: served.identities[0]!,
    },
    process.execPath,
    bin,
  );
  const finished = await serve.waitFor((l) => l.msg === "reconcile finished" || l.msg === "reconcile failed");
  assert.equal(finished.msg, "reconcile finished", JSON.stringify(finished));
  serve.kill("SIGTERM");
  assert.equal(await serve.exited, 0);
  git(clone, "pull", "--quiet");
  assert.match(sopsDecrypt(t, join(clone, "apps/shop/storefront-tls.sops.yaml"), served.identities[0]!), /tls\.crt/, "the Secret was issued, encrypted and pushed");
});

test("the bundle issues from an ACME CA: acme-client, a CommonJS package it loads lazily, works as under Node", async (t) => {
  const dir = tempDir(t);
  const [http01Port] = (await freePorts(1)) as [number];
  const pebble = await startPebble({ httpPort: http01Port });
  t.after(() => pebble.stop());
  const { identity, recipient } = await generateAgeIdentity();
  const remote = await seededRemote(dir, "acme", {
    ".sops.yaml": `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    "platform/issuer.yaml": `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: pebble}
spec:
  acme:
    server: ${pebble.directoryUrl}
    caBundle: ${Buffer.from(pebble.tlsCaPem).toString("base64")}
    privateKeySecretRef: {name: pebble-account}
    solvers:
      - http01: {ingress: {}}
`,
    "apps/shop/web.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: shop}\nspec:\n  secretName: web-tls\n  dnsNames: [web.shop.example.test]\n  issuerRef: {name: pebble, kind: ClusterIssuer}\n",
  });
  const run = spawnSync(process.execPath, [bin, "run", "--once"], {
    env: {
      PATH,
      HOME: dir,
      GITCERT_REPO: remote,
      GITCERT_WORKDIR: join(dir, "work"),
      SOPS_AGE_KEY: identity,
      GITCERT_ACME_HTTP01_ADDRESS: "127.0.0.1",
      GITCERT_ACME_HTTP01_PORT: String(http01Port),
      // Pebble resolves every name to 127.0.0.1, where gitcert answers; there is no public name to check first.
      GITCERT_ACME_HTTP01_SELF_CHECK: "false",
    },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const clone = join(dir, "clone");
  git(dir, "clone", "--quiet", remote, clone);
  assert.match(sopsDecrypt(t, join(clone, "apps/shop/web-tls.sops.yaml"), identity), /tls\.crt/, "issued by Pebble, encrypted and pushed");
});
