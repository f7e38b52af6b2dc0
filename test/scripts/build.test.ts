// scripts/build.ts bundles the CLI into dist/: run here as the container
// image runs it, bin/gitcert.js and dist/ with no node_modules and no
// sources beside them, so a dependency the bundle missed, or a file it
// loads from beside itself (the read worker, the demo), fails here.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { prepareDemo } from "../../src/demo.ts";
import { startServe } from "../daemon/helpers.ts";
import { git, sopsDecrypt, tempDir } from "../helpers.ts";
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

test("the bundle runs on its own: the embedded demo issues everything, and serve reads a large repository in its worker", async (t) => {
  const dir = tempDir(t);
  const bin = install(join(dir, "app"));
  assert.ok(!existsSync(join(dir, "app", "node_modules")) && !existsSync(join(dir, "app", "src")));
  assert.ok(readdirSync(join(dir, "app", "dist")).some((f) => f.endsWith(".LEGAL.txt")), "the dependencies' licence notices ship beside the bundle");
  const PATH = `${peerBinDir()}${delimiter}${process.env.PATH}`;

  // Every part loads, also those only lazy paths reach (the Kubernetes client, Vault, Venafi, the DNS providers).
  const parts = readdirSync(join(dir, "app", "dist")).filter((f) => f.endsWith(".js") && f !== "read-worker.js");
  const loader = `for (const part of ${JSON.stringify(parts)}) await import(${JSON.stringify(join(dir, "app", "dist"))} + "/" + part);`;
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
