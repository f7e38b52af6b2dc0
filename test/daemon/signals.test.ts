// `gitcert serve` as a process: SIGTERM and SIGINT stop it cleanly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { prepareDemo } from "../../src/demo.ts";
import { sopsDecrypt, tempDir } from "../helpers.ts";
import { startServe } from "./helpers.ts";

const SECRETS = ["platform/cert-manager/demo-root-ca.sops.yaml", "apps/shop/api-tls.sops.yaml", "apps/shop/storefront-tls.sops.yaml", "apps/blog/blog-tls.sops.yaml"];

async function demoEnv(t: TestContext) {
  const dir = tempDir(t);
  const demo = await prepareDemo(join(dir, "demo"));
  const env = {
    HOME: dir,
    GITCERT_REPO: demo.remote,
    GITCERT_WORKDIR: join(dir, "work"),
    GITCERT_SERVE_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_PORT: "0",
    GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
    GITCERT_SERVE_METRICS_PORT: "0",
    SOPS_AGE_KEY: demo.identities[0]!,
  };
  return { dir, demo, env };
}

test("SIGTERM: the reconcile in flight finishes within the grace period, everything it made is pushed, exit 0", async (t) => {
  const { dir, demo, env } = await demoEnv(t);
  const serve = startServe(t, env);
  await serve.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("gitcert serve: reconciling now"));
  serve.kill("SIGTERM");
  assert.equal(await serve.exited, 0);
  assert.ok(serve.lines.some((l) => l.msg === "reconcile finished"), "the reconcile in flight was let finish");
  assert.ok(serve.lines.some((l) => l.msg === "gitcert serve stopped" && l.abandoned === false));
  const clone = join(dir, "clone");
  execFileSync("git", ["clone", "--quiet", demo.remote, clone]);
  for (const f of SECRETS) assert.match(sopsDecrypt(t, join(clone, f), demo.identities[0]!), /tls\.crt/, `${f} pushed whole`);
});

test("started by an older Node, serve runs on Node 24, and the SIGTERM its parent gets stops it cleanly: nothing runs on", async (t) => {
  // The machine's own Node (20 on the build machines): what `gitcert` finds first on PATH there.
  const older = process.env.GITCERT_TEST_OLDER_NODE ?? "/usr/bin/node";
  const major = Number(execFileSync(older, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim());
  assert.ok(major < 24, `${older} is Node ${major}: set GITCERT_TEST_OLDER_NODE to a Node older than 24`);
  const { env } = await demoEnv(t);
  const serve = startServe(t, env, older);
  const started = await serve.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("gitcert serve: reconciling now"));
  await serve.waitFor((l) => l.msg === "reconcile finished");
  assert.ok(started);
  const [gitcert] = childrenOf(serve.pid);
  assert.ok(gitcert, "gitcert runs in a process of its own");
  t.after(() => {
    try {
      process.kill(gitcert, "SIGKILL"); // left running only when the hand-over is broken: not past this test
    } catch {}
  });
  assert.match(readFileSync(`/proc/${gitcert}/cmdline`, "utf8"), /node_modules\/(\.bin|node\/bin)\/node\0/, "under the bundled Node 24");
  serve.kill("SIGTERM");
  assert.equal(await serve.exited, 0);
  assert.ok(serve.lines.some((l) => l.msg === "gitcert serve stopped" && l.signal === "SIGTERM"), "gitcert itself got the SIGTERM and stopped");
  assert.throws(() => process.kill(gitcert, 0), { code: "ESRCH" }, "nothing runs on after its parent is gone");
});

/** The pids whose parent is `pid` (Linux: from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so the fields are read after its last ")".
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

test("SIGINT with no grace period: the run is abandoned, nothing half-written reaches Git, and the next start completes the work", async (t) => {
  const { dir, demo, env } = await demoEnv(t);
  const first = startServe(t, { ...env, GITCERT_SERVE_GRACE_PERIOD_SECONDS: "0" });
  await first.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("gitcert serve: reconciling now"));
  first.kill("SIGINT");
  assert.equal(await first.exited, 0);
  const remoteFiles = execFileSync("git", ["--git-dir", demo.remote, "ls-tree", "-r", "--name-only", "main"], { encoding: "utf8" }).split("\n");
  // Either the whole first reconcile reached Git or none of it did.
  const pushed = SECRETS.filter((f) => remoteFiles.includes(f));
  assert.ok(pushed.length === 0 || pushed.length === SECRETS.length, `pushed: ${pushed.join(", ")}`);

  const second = startServe(t, env);
  const settled = await second.waitFor((l) => l.msg === "reconcile finished" || l.msg === "reconcile failed");
  assert.equal(settled.msg, "reconcile finished");
  second.kill("SIGTERM");
  assert.equal(await second.exited, 0);
  const clone = join(dir, "clone");
  execFileSync("git", ["clone", "--quiet", demo.remote, clone]);
  for (const f of SECRETS) {
    assert.ok(existsSync(join(clone, f)), `${f} after the restart`);
    assert.match(sopsDecrypt(t, join(clone, f), demo.identities[0]!), /tls\.key/);
  }
});

test("the listeners answer while serving: /healthz, /readyz after the first reconcile, /metrics", async (t) => {
  const { env } = await demoEnv(t);
  const serve = startServe(t, env);
  const started = await serve.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("gitcert serve: reconciling now"));
  await serve.waitFor((l) => l.msg === "reconcile finished");
  const listeners = started.listeners as string[];
  const probes = listeners.find((l) => l.includes("health"))!.split(" ")[0]!;
  assert.equal((await fetch(`http://${probes}/readyz`)).status, 200);
  assert.match(await (await fetch(`http://${probes}/metrics`)).text(), /certmanager_certificate_expiration_timestamp_seconds\{name="blog"/);
  const hooks = listeners.find((l) => l.includes("webhook"))!.split(" ")[0]!;
  assert.equal((await fetch(`http://${hooks}/reconcile`, { method: "POST" })).status, 401, "no token configured: no work");
  serve.kill("SIGTERM");
  assert.equal(await serve.exited, 0);
});

test("log lines name the certificate, issuer, action and duration, and never a key, identity or token", async (t) => {
  const { demo, env } = await demoEnv(t);
  const serve = startServe(t, { ...env, GITCERT_SERVE_TOKEN: "api-token-never-logged", GITCERT_WEBHOOK_SECRET: "webhook-secret-never-logged" });
  await serve.waitFor((l) => l.msg === "reconcile finished");
  serve.kill("SIGTERM");
  await serve.exited;
  const issued = serve.lines.filter((l) => l.outcome === "issued");
  assert.deepEqual(issued.map((l) => l.certificate).sort(), ["blog/blog", "cert-manager/demo-root-ca", "shop/api", "shop/storefront-tls"]);
  for (const line of issued) {
    assert.match(String(line.issuer), /^ClusterIssuer\/(selfsigned|demo-ca)$/);
    assert.equal(line.action, "issue");
    assert.equal(typeof line.durationMs, "number");
  }
  const all = JSON.stringify(serve.lines);
  for (const secret of [demo.identities[0]!, "api-token-never-logged", "webhook-secret-never-logged", "PRIVATE" + " KEY"]) assert.ok(!all.includes(secret), "a secret reached the log");
});
