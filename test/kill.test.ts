// gitcert killed at any instant of a run, or racing a busy remote, loses
// nothing and blocks nothing. The real CLI runs as a child process in its
// own process group against a local bare remote and a real ACME server
// (Pebble); it is killed at named test points, when Pebble sees an order, or
// while the remote's hooks hold its push. The next run, in the same working
// clone, must exit 0 with every Certificate's Secret on the remote and
// decrypting with the sops CLI, and must not order again what was already
// committed. Orders are counted in Pebble's own log.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import type { TestPoint } from "../src/repo/test-point.ts";
import { BUILD_DIR } from "../src/repo/workdir.ts";
import { generateAgeIdentity } from "../src/secrets/index.ts";
import { sopsDecrypt, tempDir } from "./helpers.ts";
import { busyRemote, git, preReceiveHook, remoteFiles, seededRemote } from "./peers/git-remote.ts";
import { freePorts, startPebble, type Pebble } from "./peers/pebble.ts";

const CLI = join(import.meta.dirname, "..", "src", "cli.ts");
const SECRETS = ["apps/shop/web-tls.sops.yaml", "apps/shop/api-tls.sops.yaml"];

let pebble: Pebble;
let http01Port: number;

before(async () => {
  [http01Port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: http01Port });
});

after(async () => {
  await pebble?.stop();
});

const certificate = (name: string, host: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ${name}
spec:
  secretName: ${name}-tls
  dnsNames: [${host}]
  issuerRef: {name: pebble, kind: ClusterIssuer}
`;

/** A repository asking for two ACME certificates, its own age identity, and how to run gitcert on it. */
async function setup(t: TestContext, name: string) {
  const dir = tempDir(t, "gitcert-kill-");
  const { identity, recipient } = await generateAgeIdentity();
  const keyFile = join(dir, "age.key");
  writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
  const bare = await seededRemote(dir, name, {
    ".sops.yaml": `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    "platform/issuer.yaml": `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: pebble
spec:
  acme:
    server: ${pebble.directoryUrl}
    email: ops@example.test
    caBundle: ${Buffer.from(pebble.tlsCaPem).toString("base64")}
    privateKeySecretRef: {name: pebble-account}
    solvers:
      - http01: {ingress: {}}
`,
    "apps/shop/kustomization.yaml": "namespace: shop\nresources:\n  - web.yaml\n  - api.yaml\n",
    "apps/shop/web.yaml": certificate("web", "web.shop.example.test"),
    "apps/shop/api.yaml": certificate("api", "api.shop.example.test"),
  });
  const workdir = join(dir, "work");
  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH!,
    HOME: dir,
    GITCERT_REPO: bare,
    GITCERT_WORKDIR: workdir,
    GITCERT_LOG_LEVEL: "info",
    SOPS_AGE_KEY_FILE: keyFile,
    GITCERT_ACME_HTTP01_ADDRESS: "127.0.0.1",
    GITCERT_ACME_HTTP01_PORT: String(http01Port),
    // Pebble resolves every name to 127.0.0.1, where gitcert answers; there is no public name to check first.
    GITCERT_ACME_HTTP01_SELF_CHECK: "false",
    ...extra,
  });
  return { dir, bare, workdir, identity, env };
}

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * `gitcert run --once` in a process group of its own. With `killWhen`, the
 * whole group (gitcert, its git children, their hooks) gets `signal` as soon
 * as the condition holds.
 */
async function gitcert(env: NodeJS.ProcessEnv, kill?: { when: (out: { stderr: string }) => boolean; signal?: NodeJS.Signals }): Promise<Exit> {
  const child = spawn(process.execPath, [CLI, "run", "--once"], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString("utf8")));
  const exited = new Promise<Exit>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, ...out })));
  let done = false;
  void exited.then(() => (done = true));
  try {
    if (kill) {
      while (!done && !kill.when(out)) await sleep(20);
      if (!done) process.kill(-child.pid!, kill.signal ?? "SIGKILL");
    }
    return await exited;
  } finally {
    // Whatever happened, nothing of this run outlives the test.
    if (!done) process.kill(-child.pid!, "SIGKILL");
  }
}

const pausedAt = (point: TestPoint) => (out: { stderr: string }) => out.stderr.includes(`paused at test point ${point}\n`);

/** Every Certificate's Secret is on the remote, decrypts with sops, and is listed for kustomize. */
function assertConverged(t: TestContext, bare: string, identity: string, dir: string): void {
  const clone = join(dir, `check-${Math.random().toString(36).slice(2)}`);
  git(dir, "clone", "--quiet", bare, clone);
  for (const file of SECRETS) {
    assert.ok(existsSync(join(clone, file)), `${file} is on the remote`);
    const doc = parseYaml(sopsDecrypt(t, join(clone, file), identity)) as { data: Record<string, string> };
    assert.match(Buffer.from(doc.data["tls.crt"]!, "base64").toString("utf8"), /BEGIN CERTIFICATE/);
    assert.match(Buffer.from(doc.data["tls.key"]!, "base64").toString("utf8"), /BEGIN (EC |RSA )?PRIVATE KEY/);
  }
  const kustomization = readFileSync(join(clone, "apps/shop/kustomization.yaml"), "utf8");
  for (const file of SECRETS) assert.ok(kustomization.includes(file.split("/").pop()!), kustomization);
  assert.ok(existsSync(join(clone, "platform/pebble-account.sops.yaml")), "the ACME account key is kept");
}

async function assertCleanClone(workdir: string): Promise<void> {
  assert.deepEqual((await readdir(join(workdir, ".git"), { recursive: true })).filter((e) => e.endsWith(".lock")), []);
  assert.equal(git(workdir, "status", "--porcelain", "--untracked-files=all"), "");
  assert.equal(git(workdir, "rev-parse", "HEAD"), git(workdir, "rev-parse", "refs/remotes/origin/main"), "nothing left unpushed");
}

interface KillCase {
  name: string;
  /** Stop the first run at this test point and kill it there… */
  pauseAt?: TestPoint;
  /** …or kill it as soon as this holds. */
  when?: (run: { dir: string; ordersAtStart: number }) => boolean;
  signal?: NodeJS.Signals;
  /** Install remote hooks before the first run. */
  arrange?: (bare: string, dir: string) => Promise<void>;
  /** The first run had committed its work before it died: the next one must not order again. */
  committed: boolean;
  /** What the next run logs about the state it found. */
  says?: RegExp;
}

/** A hook that holds the first push it receives, and leaves a file saying so. */
async function holdFirstPush(bare: string, dir: string, hook: "pre-receive" | "post-receive"): Promise<void> {
  const held = join(dir, "push-held");
  const body = `[ -e '${held}' ] && exit 0\ntouch '${held}'\nsleep 120`;
  if (hook === "pre-receive") await preReceiveHook(bare, body);
  else writeFileSync(join(bare, "hooks", "post-receive"), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

const pushHeld = ({ dir }: { dir: string }) => existsSync(join(dir, "push-held"));
const KEPT = /1 commit\(s\) an earlier run made and could not push/;

const CASES: KillCase[] = [
  { name: "right after the clone folder appears", pauseAt: "workdir-created", committed: false },
  { name: "between git init and the rename of the clone into place", pauseAt: "clone-assembled", committed: false, says: /repaired the working clone: removed the clone a killed run had started building/ },
  { name: "between init and the first fetch", pauseAt: "before-fetch", committed: false },
  { name: "during issuance (the ACME server has an order)", when: ({ ordersAtStart }) => pebble.orders() > ordersAtStart, committed: false },
  { name: "after the commit, before the push", pauseAt: "before-push", committed: true, says: KEPT },
  { name: "after the commit, before the push, by SIGTERM", pauseAt: "before-push", signal: "SIGTERM", committed: true, says: KEPT },
  { name: "during the push, before the remote took it", arrange: (bare, dir) => holdFirstPush(bare, dir, "pre-receive"), when: pushHeld, committed: true, says: KEPT },
  { name: "during the push, after the remote took it", arrange: (bare, dir) => holdFirstPush(bare, dir, "post-receive"), when: pushHeld, committed: true },
];

for (const c of CASES) {
  test(`killed ${c.name}: the next run in the same working clone exits 0 and the remote converges`, { timeout: 180_000 }, async (t) => {
    const { dir, bare, workdir, identity, env } = await setup(t, "kill");
    await c.arrange?.(bare, dir);
    const ordersAtStart = pebble.orders();
    const when = c.pauseAt ? pausedAt(c.pauseAt) : () => c.when!({ dir, ordersAtStart });
    const first = await gitcert(env(c.pauseAt ? { GITCERT_TEST_PAUSE_AT: c.pauseAt } : {}), { when, signal: c.signal });
    assert.equal(first.signal, c.signal ?? "SIGKILL", `the first run was killed, not finished: ${first.stdout}${first.stderr}`);
    const ordersBefore = pebble.orders();

    const next = await gitcert(env({}));
    assert.equal(next.code, 0, next.stdout + next.stderr);
    const ordered = pebble.orders() - ordersBefore;
    if (c.committed) assert.equal(ordered, 0, "what was committed is pushed, not ordered again");
    else assert.equal(ordered, SECRETS.length, "each certificate ordered once by the next run");
    if (c.says) assert.match(next.stderr, c.says);
    assertConverged(t, bare, identity, dir);
    await assertCleanClone(workdir);
    assert.ok(!existsSync(join(workdir, BUILD_DIR)));
    t.diagnostic(`killed by ${first.signal}; orders: ${ordersBefore - ordersAtStart} by the killed run, ${ordered} by the next`);
  });
}

test("racing a remote that keeps moving for longer than the retry time: the run keeps its work, the next pushes it without ordering again", { timeout: 180_000 }, async (t) => {
  const { dir, bare, workdir, identity, env } = await setup(t, "race");
  // The colleague edits the kustomization.yaml gitcert lists its Secrets in, too.
  const busy = await busyRemote(bare, join(dir, "colleague"), { alsoEdit: "apps/shop/kustomization.yaml" });
  const ordersAtStart = pebble.orders();

  const first = await gitcert(env({ GITCERT_GIT_PUSH_RETRY_SECONDS: "3" }));
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const said = /rejected (\d+) time\(s\) over (\d+\.\d) s because the remote branch kept moving; (\d+) commit\(s\) holding this run's work are kept in the working clone (\S+), and the next run pushes them without issuing again/.exec(first.stderr);
  assert.ok(said, first.stderr);
  const attempts = Number(said[1]);
  assert.ok(attempts >= 2, first.stderr);
  // The round that lost first committed the certificates; a later one may add
  // a commit listing them again in the kustomization.yaml the colleague edited.
  assert.ok(Number(said[3]) >= 1, first.stderr);
  assert.equal(said[4], workdir);
  assert.equal(busy.foreignCommits(), attempts, "every attempt lost to a real push");
  assert.ok(!SECRETS.some((s) => remoteFiles(bare).includes(s)), "nothing of this run reached the remote");
  const orderedFirst = pebble.orders() - ordersAtStart;
  assert.equal(orderedFirst, SECRETS.length, "each certificate ordered once, however many attempts");

  await busy.stop();
  const next = await gitcert(env({}));
  assert.equal(next.code, 0, next.stdout + next.stderr);
  // A kept commit whose every file the colleague also changed is dropped on replay, and its change made again.
  assert.match(next.stderr, /\d+ commit\(s\) an earlier run made and could not push/);
  assert.equal(pebble.orders() - ordersAtStart, orderedFirst, "the next run pushed the kept work without contacting the CA for an order");
  assertConverged(t, bare, identity, dir);
  await assertCleanClone(workdir);
  assert.equal(busy.foreignCommits(), attempts, "every foreign commit is kept");
  assert.equal(git(bare, "show", "main:apps/shop/kustomization.yaml").match(/# colleague was here/g)?.length, attempts, "and every edit of theirs to the shared kustomization.yaml");
  t.diagnostic(`busy remote, 3 s retry budget: ${attempts} attempts over ${said[2]} s; orders ${orderedFirst} by the racing run, 0 by the next`);
});
