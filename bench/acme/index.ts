// bench/acme: 50 certificates from one Pebble (PEBBLE_VA_NOSLEEP=1), HTTP-01
// answered on Pebble's httpPort. First gitcert: one reconcile of a
// repository holding 50 Certificates, commit and push included, with the
// executor's default concurrency and the default HTTP-01 self-check (5
// good answers 2 s apart, as cert-manager); then, in the same run against
// the same Pebble, the same 50 names issued one after another by lego (one
// `lego run` each, its account reused from --path). Wall time of the whole
// process(es) and peak RSS, both measured by /usr/bin/time. lego does no
// self-check, so gitcert also runs with a single-answer self-check, at its
// default concurrency and at concurrency 1 (lego's one-after-another shape).
// Target: gitcert ≤ 0.5× lego's time. lego waits 5 s before its first
// authorization poll when the server sends no Retry-After (Pebble does not
// by default); that wait, not CPU, is most of lego's time here.
//   BENCH_COUNT=50 BENCH_CONCURRENCY=4 node bench/acme/index.ts
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, startPebble } from "../../test/peers/pebble.ts";
import { peer } from "../../test/peers/tools.ts";

const COUNT = Number(process.env.BENCH_COUNT ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

interface Timed {
  ms: number;
  maxRssMB: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time: wall time and peak RSS of the process. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, dir: string): Promise<Timed> {
  const out = join(dir, `time-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "%M", "-o", out, cmd, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${stderr.slice(-3000)}`));
      const kb = Number(readFileSync(out, "utf8").trim().split("\n").pop());
      resolve({ ms, maxRssMB: kb / 1024, stdout });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "gitcert-bench-acme-"));
const [port] = (await freePorts(1)) as [number];
const pebble = await startPebble({ httpPort: port });
try {
  // gitcert: one process, COUNT certificates, `concurrency` at a time; each
  // run uses its own names, so no run profits from another's authorizations.
  const runGitcert = async (concurrency: number, passes: number, prefix: string) => {
    const t = await timed(
      process.execPath,
      [join(import.meta.dirname, "gitcert.ts"), pebble.directoryUrl, pebble.tlsCaFile, String(port), pebble.dnsServer, String(COUNT), String(concurrency), String(passes), prefix],
      process.env,
      dir,
    );
    const out = JSON.parse(t.stdout.trim().split("\n").pop()!) as { issued: number; pushed: boolean; issueMs: number; failures: string[] };
    if (out.issued !== COUNT || !out.pushed) throw new Error(`gitcert issued ${out.issued} of ${COUNT} (pushed: ${out.pushed}): ${out.failures.join("; ")}`);
    return { ...t, issueMs: out.issueMs };
  };
  await runGitcert(CONCURRENCY, 1, "warmup"); // load the modules once, as a deployed build would have them
  const g = await runGitcert(CONCURRENCY, 5, "bench");
  const gOnce = await runGitcert(CONCURRENCY, 1, "once");
  const g1 = await runGitcert(1, 1, "serial");

  // lego: the same names, one `lego run` after another.
  const lego = peer("lego");
  const legoPath = join(dir, "lego");
  const legoEnv = { PATH: process.env.PATH, HOME: dir, LEGO_CA_CERTIFICATES: pebble.tlsCaFile };
  const legoStarted = process.hrtime.bigint();
  let legoPeakMB = 0;
  for (let i = 0; i < COUNT; i++) {
    const r = await timed(
      lego,
      ["--server", pebble.directoryUrl, "--email", "bench@example.com", "--accept-tos", "--path", legoPath, "--key-type", "ec256", "--http", "--http.port", `127.0.0.1:${port}`, "--domains", `bench-${i}.example.com`, "run", "--profile", "default"],
      legoEnv,
      dir,
    );
    legoPeakMB = Math.max(legoPeakMB, r.maxRssMB);
  }
  const legoMs = Number(process.hrtime.bigint() - legoStarted) / 1e6;
  const legoIssued = execFileSync("find", [join(legoPath, "certificates"), "-name", "*.crt", "-not", "-name", "*.issuer.crt"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).length;
  if (legoIssued !== COUNT) throw new Error(`lego issued ${legoIssued} of ${COUNT}`);

  const version = execFileSync(lego, ["--version"], { encoding: "utf8" }).trim();
  console.log(`bench/acme: ${COUNT} certificates (HTTP-01, ECDSA P-256) from Pebble v2.10.1, PEBBLE_VA_NOSLEEP=1; ${version}`);
  console.log(`  load average ${loadavg()[0]!.toFixed(2)} at the end; wall time and peak RSS by /usr/bin/time`);
  const row = (label: string, t: { ms: number; maxRssMB: number }, note: string) =>
    console.log(`  ${label.padEnd(58)}${pad(t.ms)} ms  ${t.maxRssMB.toFixed(0).padStart(5)} MB   ${note}`);
  console.log(`${"".padEnd(60)}wall        peak RSS`);
  row(`gitcert, defaults: concurrency ${CONCURRENCY}, self-check 5 answers`, g, `(reconcile + commit + push done ${g.issueMs.toFixed(0)} ms after start)`);
  row(`gitcert, concurrency ${CONCURRENCY}, self-check 1 answer`, gOnce, "");
  row("gitcert, concurrency 1, self-check 1 answer", g1, "(one after another, as lego)");
  row(`lego, ${COUNT} runs one after another`, { ms: legoMs, maxRssMB: legoPeakMB }, "(largest run)");
  console.log(`  gitcert / lego, defaults:               ${(g.ms / legoMs).toFixed(2)}×   (target ≤ 0.50×)`);
  console.log(`  gitcert / lego, self-check 1 answer:    ${(gOnce.ms / legoMs).toFixed(2)}×   (lego does no self-check)`);
} finally {
  await pebble.stop();
  rmSync(dir, { recursive: true, force: true });
}

function pad(ms: number): string {
  return ms.toFixed(0).padStart(7);
}
