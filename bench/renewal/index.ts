// bench/renewal: `gitcert serve` on a repository of 10,000 manifest files —
// 5,000 Certificates, each with its SOPS-encrypted Secret — in 100 kustomize
// folders. Prints the time of a tick that finds nothing due, of a tick after
// a push that changed one file (a comment, which leaves what the file yields
// as it was, and a label, which changes it), the resident memory of the idle
// process, and its growth over many ticks. Targets: < 1 s, < 100 ms, < 120 MB, < 5 MB
// growth over 1,000 ticks. Prints, never asserts.
//   node bench/renewal/index.ts   (BENCH_CERTS=5000 BENCH_TICKS=1000 BENCH_NODE_OPTIONS=…)
// BENCH_SETUP=DIR keeps the issued repository in DIR and reuses it on the
// next run (the setup takes minutes; the figures are the daemon's).
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../src/config.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { createLogger } from "../../src/log.ts";
import { reconcileRepository } from "../../src/reconcile.ts";
import { openWorkspace } from "../../src/repo/index.ts";
import { generateAgeIdentity } from "../../src/secrets/index.ts";

const CERTS = Number(process.env.BENCH_CERTS ?? 5000);
const TICKS = Number(process.env.BENCH_TICKS ?? 1000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const APPS = 100;
const TOKEN = "bench-token";
const root = mkdtempSync(join(tmpdir(), "gitcert-bench-renewal-"));
const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@invalid", ...args], { cwd, encoding: "utf8" });

const certificate = (name: string) =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: ${name}\nspec:\n  secretName: ${name}-tls\n  dnsNames: [${name}.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: selfsigned, kind: ClusterIssuer}\n`;

/** The seed repository with every certificate issued once: the repository the daemon then watches. */
async function setup(remote: string): Promise<string> {
  const { identity, recipient } = await generateAgeIdentity();
  const seed = join(root, "seed");
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  mkdirSync(join(seed, "platform"), { recursive: true });
  writeFileSync(join(seed, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
  writeFileSync(join(seed, "platform/issuer.yaml"), "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: selfsigned}\nspec: {selfSigned: {}}\n");
  for (let a = 0; a < APPS; a++) {
    const dir = join(seed, "apps", `app-${a}`);
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for (let i = a; i < CERTS; i += APPS) {
      names.push(`cert-${i}.yaml`);
      writeFileSync(join(dir, `cert-${i}.yaml`), certificate(`cert-${i}`));
    }
    writeFileSync(join(dir, "kustomization.yaml"), `namespace: app-${a}\nresources:\n${names.map((n) => `  - ${n}`).join("\n")}\n`);
  }
  git(seed, "init", "--quiet", "--initial-branch=main");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "-m", "seed");
  git(seed, "push", "--quiet", remote, "main");

  // Issue everything once, in this process: the repository the daemon then watches.
  const config = { ...loadConfig({}).config, concurrency: 8 };
  const workspace = await openWorkspace({ url: remote, branch: "main", workdir: join(root, "issue"), author: { name: "gitcert", email: "gitcert@invalid" } });
  const issuers = defaultIssuers();
  const t0 = performance.now();
  const issued = await reconcileRepository(workspace, { config, issuers, identities: [identity], now: () => new Date(), log: createLogger("error") });
  const issueMs = performance.now() - t0;
  await Promise.all([...issuers.values()].map((i) => i.close?.()));
  const files = Number(git(seed, "--git-dir", remote, "ls-tree", "-r", "main", "--name-only").split("\n").filter((f) => f.endsWith(".yaml")).length);
  console.log(`bench/renewal: ${files} manifest files, ${issued.outcomes.filter((o) => o.kind === "issued").length} Certificates issued and encrypted in ${(issueMs / 1000).toFixed(1)} s (setup, not a target)`);
  return identity;
}

async function main(): Promise<void> {
  const remote = join(root, "remote.git");
  const kept = process.env.BENCH_SETUP;
  let identity: string;
  if (kept && existsSync(join(kept, "identity.txt"))) {
    cpSync(join(kept, "remote.git"), remote, { recursive: true });
    identity = readFileSync(join(kept, "identity.txt"), "utf8");
    console.log(`bench/renewal: the issued repository kept in ${kept} (BENCH_SETUP)`);
  } else {
    identity = await setup(remote);
    if (kept) {
      mkdirSync(kept, { recursive: true });
      cpSync(remote, join(kept, "remote.git"), { recursive: true });
      writeFileSync(join(kept, "identity.txt"), identity, { mode: 0o600 });
    }
  }

  // The daemon, as a process of its own.
  const child = spawn(process.execPath, [join(import.meta.dirname, "../../bin/gitcert.js"), "serve"], {
    env: {
      PATH: process.env.PATH!,
      HOME: root,
      GITCERT_REPO: remote,
      GITCERT_WORKDIR: join(root, "serve"),
      GITCERT_SERVE_SCHEDULE: "0 0 1 1 *",
      GITCERT_SERVE_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_PORT: "0",
      GITCERT_SERVE_METRICS_ADDRESS: "127.0.0.1",
      GITCERT_SERVE_METRICS_PORT: "0",
      GITCERT_SERVE_TOKEN: TOKEN,
      GITCERT_LOG_LEVEL: "info",
      SOPS_AGE_KEY: identity,
      // bin/gitcert.js runs serve with its own memory settings (glibc malloc tunables,
      // --max-semi-space-size=8), as a user gets them; these override them, to compare.
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? "",
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
      ...(process.env.GLIBC_TUNABLES ? { GLIBC_TUNABLES: process.env.GLIBC_TUNABLES } : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    const start = performance.now();
    let probes = "";
    const hooks = await new Promise<string>((resolve, reject) => {
      let buffer = "";
      let address = "";
      child.stderr!.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
          const line = JSON.parse(buffer.slice(0, nl)) as { msg: string; listeners?: string[] };
          buffer = buffer.slice(nl + 1);
          if (line.listeners) {
            address = line.listeners.find((l) => l.includes("api"))!.split(" ")[0]!;
            probes = line.listeners.find((l) => l.includes("metrics"))!.split(" ")[0]!;
          }
          if (line.msg === "reconcile finished") resolve(address);
          if (line.msg === "reconcile failed") reject(new Error(JSON.stringify(line)));
        }
      });
      child.on("exit", (code) => reject(new Error(`gitcert serve exited with ${code}`)));
    });
    console.log(`  first reconcile of a fresh process (cold: every file read): ${((performance.now() - start) / 1000).toFixed(2)} s`);

    // CPU time of the daemon and of the git processes it ran and reaped (/proc stat, 10 ms ticks): on a
    // shared machine a tick's wall time is mostly waiting for a core; its CPU time is what it costs.
    const cpuMs = () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      // utime, stime, cutime, cstime: fields 14–17 of stat(5), 11–14 after the command.
      return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
    };
    const tick = async () => {
      const t = performance.now();
      const cpu = cpuMs();
      const ask = () => fetch(`http://${hooks}/reconcile?wait=true`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      // A kept-alive connection the server closed (idle 5 s, as while the bench clones) just as the request went out:
      // the request was never read, so it is sent again, once, on a new connection.
      const res = await ask().catch((error: Error & { cause?: { code?: string } }) => {
        if (error.cause?.code !== "UND_ERR_SOCKET") throw error;
        return ask();
      });
      const body = (await res.json()) as { commit?: string; parsedFiles: number };
      if (res.status !== 200 || body.commit) throw new Error(`unexpected tick: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return { ms: performance.now() - t, cpu: cpuMs() - cpu, parsed: body.parsedFiles };
    };
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024;
    /** Resident MB by kind of mapping: files (the node binary's pages), and anonymous memory (V8's heap, malloc, stacks). */
    const residentParts = () => {
      let mapping = "";
      const parts = { files: 0, anonymous: 0 };
      for (const line of readFileSync(`/proc/${child.pid}/smaps`, "utf8").split("\n")) {
        const resident = /^Rss:\s+(\d+) kB/.exec(line);
        if (resident) parts[/ \//.test(mapping) ? "files" : "anonymous"] += Number(resident[1]) / 1024;
        else if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mapping = line;
      }
      return parts;
    };

    await tick(); // reads what the first reconcile's own commit changed
    const idle = [];
    for (let i = 0; i < 20; i++) idle.push(await tick());
    const clone = join(root, "clone");
    git(root, "clone", "--quiet", remote, clone);
    const push = async (edit: (text: string, i: number) => string) => {
      const runs = [];
      for (let i = 0; i < 20; i++) {
        const file = join(clone, "apps/app-7/cert-7.yaml");
        writeFileSync(file, edit(readFileSync(file, "utf8"), i));
        git(clone, "commit", "--quiet", "-am", `touch ${i}`);
        git(clone, "push", "--quiet", "origin", "main");
        runs.push(await tick());
      }
      return runs;
    };
    // A comment: the file yields what it did, as a Deployment's new image tag does for gitcert.
    const pushed = await push((text, i) => `${text}# touched ${i}\n`);
    // A label on the Certificate: what the file yields changed, so the repository is scanned again (nothing becomes due).
    const relabelled = await push((text, i) => text.replace(/metadata:\n(  labels: \{rev: "\d+"\}\n)?/, `metadata:\n  labels: {rev: "${i}"}\n`));
    // Idle as a pod is between ticks (every 10 minutes by default): V8 gives memory back once allocation stops.
    const idle_ = async () => {
      const start = rss();
      await sleep(IDLE_SECONDS * 1000);
      return { start, idle: rss(), parts: residentParts() };
    };
    const idleMemory = await idle_();
    const idleRss = idleMemory.idle;
    // One scrape: a scrape allocates (a label set per Certificate), so a second one would read its garbage.
    const heapNow = async () => {
      const text = await (await fetch(`http://${probes}/metrics`)).text();
      const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? NaN) / 1048576;
      return { used: gauge("nodejs_heap_size_used_bytes"), total: gauge("nodejs_heap_size_total_bytes"), external: gauge("nodejs_external_memory_bytes") };
    };
    const heap = await heapNow();
    const t0 = performance.now();
    for (let i = 0; i < TICKS; i++) await tick();
    const longMs = performance.now() - t0;
    const afterMemory = await idle_();
    const afterRss = afterMemory.idle;
    const heapAfter = await heapNow();

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
    const row = (label: string, runs: { ms: number; cpu: number; parsed: number }[], target: string) =>
      console.log(`  ${label.padEnd(46)} median ${median(runs.map((r) => r.ms)).toFixed(0).padStart(5)} ms  p95 ${p95(runs.map((r) => r.ms)).toFixed(0).padStart(5)} ms  CPU median ${median(runs.map((r) => r.cpu)).toFixed(0).padStart(4)} ms  files read ${median(runs.map((r) => r.parsed))}  (target ${target})`);
    row("tick, nothing due (fetch, scan, plan)", idle, "< 1000 ms");
    row("tick after a push that changed one file", pushed, "< 100 ms");
    row("  … a change the scan reads (a Certificate label)", relabelled, "< 100 ms");
    console.log(`  resident memory of gitcert serve, idle ${IDLE_SECONDS} s:  ${idleRss.toFixed(0)} MB (target < 120 MB; ${idleMemory.start.toFixed(0)} MB right after the ticks); V8 heap ${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB, external ${heap.external.toFixed(0)} MB`);
    console.log(`  after ${TICKS} more ticks (${(longMs / TICKS).toFixed(0)} ms each), idle ${IDLE_SECONDS} s: ${afterRss.toFixed(0)} MB, growth ${(afterRss - idleRss).toFixed(1)} MB (target < 5 MB; ${afterMemory.start.toFixed(0)} MB right after the ticks); V8 heap ${heapAfter.used.toFixed(0)} MB used of ${heapAfter.total.toFixed(0)} MB`);
    const parts = (m: typeof idleMemory, heapTotal: number) =>
      `files mapped (the node binary) ${m.parts.files.toFixed(0)} MB, anonymous ${m.parts.anonymous.toFixed(0)} MB: V8's heap (committed) ${heapTotal.toFixed(0)} MB, the rest (malloc, stacks) ${(m.parts.anonymous - heapTotal).toFixed(0)} MB`;
    console.log(`  resident after the first idle: ${parts(idleMemory, heap.total)}; after the ${TICKS} ticks: ${parts(afterMemory, heapAfter.total)}`);
    console.log(`  load average at the end: ${loadavg()[0]!.toFixed(2)} (2 cores, shared)`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
