// bench/latency: a Certificate manifest pushed to a local remote → its
// SOPS-encrypted Secret pushed back, with `gitcert serve` running and the
// push announced by a signed GitHub webhook, against Pebble (HTTP-01, one
// self-check answer, PEBBLE_VA_NOSLEEP). Median and p95 over 20 pushes;
// target: median < 5 s. Then the same issuance by `gitcert run --once` (a
// process per push, started once the push is done), so the daemon's own
// overhead, or saving, is visible. Prints, never asserts.
//   BENCH_PUSHES=20 node bench/latency/index.ts
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { generateAgeIdentity } from "../../src/secrets/index.ts";
import { freePorts, startPebble } from "../../test/peers/pebble.ts";

const PUSHES = Number(process.env.BENCH_PUSHES ?? 20);
const ONCE = Number(process.env.BENCH_ONCE ?? 5);
const SECRET = "bench-webhook-secret";
const BIN = join(import.meta.dirname, "../../bin/gitcert.js");
const dir = mkdtempSync(join(tmpdir(), "gitcert-bench-latency-"));
const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@invalid", ...args], { cwd, encoding: "utf8" });
const [httpPort, hookPort, metricsPort] = (await freePorts(3)) as [number, number, number];
const pebble = await startPebble({ httpPort });
let serve: ReturnType<typeof spawn> | undefined;
try {
  const { identity, recipient } = await generateAgeIdentity();
  const remote = join(dir, "remote.git");
  const seed = join(dir, "seed");
  mkdirSync(join(seed, "apps"), { recursive: true });
  writeFileSync(join(seed, ".sops.yaml"), `creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
  writeFileSync(
    join(seed, "issuer.yaml"),
    `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: pebble}\nspec:\n  acme:\n    server: ${pebble.directoryUrl}\n    email: bench@example.com\n    caBundle: ${Buffer.from(pebble.tlsCaPem).toString("base64")}\n    privateKeySecretRef: {name: pebble-account}\n    solvers: [{http01: {ingress: {}}}]\n`,
  );
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  git(seed, "init", "--quiet", "--initial-branch=main");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "-m", "bench repository");
  git(seed, "push", "--quiet", remote, "main");
  const clone = join(dir, "clone");
  git(dir, "clone", "--quiet", remote, clone);

  const env = {
    PATH: process.env.PATH!,
    HOME: dir,
    SOPS_AGE_KEY: identity,
    GITCERT_REPO: remote,
    GITCERT_ACME_HTTP01_ADDRESS: "127.0.0.1",
    GITCERT_ACME_HTTP01_PORT: String(httpPort),
    GITCERT_ACME_HTTP01_SELF_CHECK_PORT: String(httpPort),
    GITCERT_ACME_HTTP01_SELF_CHECK_NAMESERVERS: pebble.dnsServer,
    GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: "1",
  };
  /** Pushes a new Certificate; resolves when the push is done. */
  const pushCertificate = (name: string) => {
    mkdirSync(join(clone, "apps"), { recursive: true });
    writeFileSync(
      join(clone, "apps", `${name}.yaml`),
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: bench}\nspec:\n  secretName: ${name}-tls\n  dnsNames: [${name}.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: pebble, kind: ClusterIssuer}\n`,
    );
    git(clone, "add", "--all");
    git(clone, "commit", "--quiet", "-m", `add ${name}`);
    git(clone, "pull", "--quiet", "--rebase", "origin", "main");
    git(clone, "push", "--quiet", "origin", "main");
  };
  const secretPushed = (name: string) => git(dir, "--git-dir", remote, "ls-tree", "--name-only", "main", "apps/").includes(`apps/${name}-tls.sops.yaml`);

  serve = spawn(process.execPath, [BIN, "serve"], {
    env: {
      ...env,
      GITCERT_WORKDIR: join(dir, "serve"),
      GITCERT_SERVE_SCHEDULE: "0 0 1 1 *",
      GITCERT_SERVE_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_PORT: String(hookPort),
      GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_METRICS_PORT: String(metricsPort),
      GITCERT_WEBHOOK_SECRET: SECRET,
    },
    stdio: ["ignore", "ignore", process.env.BENCH_VERBOSE ? "inherit" : "ignore"],
  });
  for (let i = 0; (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status !== 200; i++) {
    if (i > 600) throw new Error("gitcert serve never became ready");
    await sleep(100);
  }
  const webhook = () => {
    const body = JSON.stringify({ ref: "refs/heads/main" });
    return fetch(`http://127.0.0.1:${hookPort}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}` },
      body,
    });
  };

  const daemon: number[] = [];
  for (let i = 0; i < PUSHES; i++) {
    const name = `serve-${i}`;
    pushCertificate(name);
    const t = performance.now();
    if ((await webhook()).status !== 202) throw new Error("webhook refused");
    while (!secretPushed(name)) {
      if (performance.now() - t > 120_000) throw new Error(`${name}: no Secret after 120 s`);
      await sleep(20);
    }
    daemon.push(performance.now() - t);
  }
  serve.kill("SIGTERM");
  await new Promise((r) => serve!.once("exit", r));
  serve = undefined;

  const once: number[] = [];
  for (let i = 0; i < ONCE; i++) {
    const name = `once-${i}`;
    pushCertificate(name);
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, "run", "--once"], { env: { ...env, GITCERT_WORKDIR: join(dir, "once") }, encoding: "utf8" });
    if (r.status !== 0 || !secretPushed(name)) throw new Error(`run --once: ${r.status}\n${r.stderr.slice(-2000)}`);
    once.push(performance.now() - t);
  }

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
  const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`bench/latency: Certificate pushed → encrypted Secret pushed back, Pebble, HTTP-01 with one self-check answer`);
  console.log(`  gitcert serve, webhook-triggered (${PUSHES} pushes):  median ${s(median(daemon))}  p95 ${s(p95(daemon))}  (target: median < 5 s)`);
  console.log(`  gitcert run --once, a process per push (${ONCE}):   median ${s(median(once))}  p95 ${s(p95(once))}`);
  console.log(`  load average at the end: ${loadavg()[0]!.toFixed(2)} (2 cores, shared)`);
} finally {
  serve?.kill("SIGKILL");
  await pebble.stop();
  rmSync(dir, { recursive: true, force: true });
}
