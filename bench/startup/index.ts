// bench/startup: how long a newcomer waits for `gitcert help` and for
// `gitcert status` on the embedded demo, each a fresh process, the way the
// bin runs them (the bundled CLI in dist/ with Node's compile cache), beside
// the other ways the CLI could start: bundled without the cache, and the
// TypeScript sources through Node's type stripping, with and without it.
// Wall and CPU (user + system, git's processes included) medians; the
// machine is shared, so CPU is the steadier figure.
// Targets: help < 300 ms, status on the demo < 1000 ms (wall).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const project = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gitcert-bench-startup-"));

interface Variant {
  label: string;
  args: string[];
  cache: boolean;
}

const VARIANTS: Variant[] = [
  { label: "bin/gitcert.js → dist/, compile cache", args: [join(project, "bin", "gitcert.js")], cache: true },
  { label: "dist/cli.js, no compile cache", args: [join(project, "dist", "cli.js")], cache: false },
  { label: "src/cli.ts (type stripping), cache", args: [join(project, "src", "cli.ts")], cache: true },
  { label: "src/cli.ts (type stripping), no cache", args: [join(project, "src", "cli.ts")], cache: false },
];

try {
  execFileSync(process.execPath, [join(project, "scripts", "build.ts")], { stdio: "inherit" });
  const home = join(scratch, "home");
  mkdirSync(home);
  const env = {
    PATH: process.env.PATH!,
    HOME: home,
    GITCERT_DEMO_DIR: join(scratch, "demo"),
    NODE_COMPILE_CACHE: join(scratch, "compile-cache"),
  };
  const run = (variant: Variant | undefined, command: string[]) => {
    const argv = variant ? [process.execPath, ...variant.args, ...command] : [process.execPath, "-e", "0"];
    const variables = variant && !variant.cache ? { ...env, NODE_DISABLE_COMPILE_CACHE: "1" } : env;
    // bash's `times` reports the CPU its children used, git's processes included.
    const r = spawnSync("bash", ["-c", 'start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; code=$?; end=$EPOCHREALTIME; times; echo "$start $end $code"', "bash", ...argv], {
      cwd: scratch,
      env: variables,
      encoding: "utf8",
    });
    const lines = r.stdout.trim().split("\n");
    const [start, end, code] = lines.at(-1)!.split(" ");
    if (code !== "0") throw new Error(`${argv.join(" ")} exited ${code}`);
    const cpu = [...lines[1]!.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
    return { ms: (Number(end) - Number(start)) * 1000, cpuMs: cpu * 1000 };
  };

  const firstRun = run(VARIANTS[0], ["run", "--once"]); // creates the demo and issues its certificates
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const results = new Map<string, { ms: number[]; cpuMs: number[] }>();
  const rows: Array<[string, Variant | undefined, string[]]> = [["node -e 0 (the floor)", undefined, []]];
  for (const command of [["help"], ["status"]]) {
    for (const v of VARIANTS) rows.push([`gitcert ${command.join(" ")}: ${v.label}`, v, command]);
  }
  for (const [, variant, command] of rows) if (variant) run(variant, command); // fill each compile cache
  for (let i = 0; i < ROUNDS; i++) {
    for (const [label, variant, command] of rows) {
      const r = run(variant, command);
      const entry = results.get(label) ?? { ms: [], cpuMs: [] };
      entry.ms.push(r.ms);
      entry.cpuMs.push(r.cpuMs);
      results.set(label, entry);
    }
  }

  console.log(`bench/startup: median of ${ROUNDS} alternating rounds, each a fresh process; load average ${loadavg()[0]!.toFixed(2)} at the end`);
  console.log(`  first demo run (run --once: create the demo, issue 4 certificates, push): ${Math.round(firstRun.ms)} ms wall, ${Math.round(firstRun.cpuMs)} ms CPU`);
  console.log(`${"".padEnd(60)}   wall      CPU`);
  for (const [label] of rows) {
    const r = results.get(label)!;
    console.log(`  ${label.padEnd(58)}${pad(median(r.ms))} ms${pad(median(r.cpuMs))} ms`);
  }
  const bin = (command: string) => median(results.get(`gitcert ${command}: ${VARIANTS[0]!.label}`)!.ms);
  console.log(`  targets (bin, wall): help < 300 ms: ${verdict(bin("help"), 300)}; status on the demo < 1000 ms: ${verdict(bin("status"), 1000)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function pad(ms: number): string {
  return Math.round(ms).toLocaleString("en").padStart(7);
}

function verdict(ms: number, target: number): string {
  return `${Math.round(ms)} ms, ${ms < target ? "met" : "NOT met"}`;
}
