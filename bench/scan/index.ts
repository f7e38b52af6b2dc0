// bench/scan: 10,000 manifest files (2,000 Certificates, 1,000 annotated
// Ingresses, the rest other objects). Prints the time from start to a
// finished plan and its peak memory, and — in the same run, alternating — the
// floor: reading and YAML-parsing the same files with the `yaml` library
// (gitcert's parser) and nothing else.
// Target: within 1.3× of the floor, under 2 s and 300 MB.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { generateRepository } from "./generate.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const root = mkdtempSync(join(tmpdir(), "gitcert-bench-scan-"));
try {
  generateRepository(root);
  const measure = (mode: string) =>
    JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, "measure.ts"), mode, root], { encoding: "utf8" })) as {
      ms: number;
      cpuMs: number;
      maxRssMB: number;
      files: number;
      documents: number;
      certificates?: number;
    };
  measure("floor"); // warm the page cache
  measure("plan");
  const floors = [];
  const plans = [];
  for (let i = 0; i < ROUNDS; i++) {
    floors.push(measure("floor"));
    plans.push(measure("plan"));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (label: string, runs: { ms: number; cpuMs: number; maxRssMB: number }[]) => {
    const ms = median(runs.map((r) => r.ms));
    const cpu = median(runs.map((r) => r.cpuMs));
    const mb = Math.max(...runs.map((r) => r.maxRssMB));
    console.log(`  ${label.padEnd(36)}${pad(ms)} ms  ${pad(cpu)} ms  ${mb.toFixed(0).padStart(4)} MB`);
    return { ms, cpu };
  };
  const p = plans[0]!;
  const f = floors[0]!;
  console.log(`bench/scan: ${p.files} files, ${f.documents} YAML documents (gitcert parsed ${p.documents}), ${p.certificates} certificates planned`);
  console.log(`  median of ${ROUNDS} alternating rounds, each measurement in a fresh process, load average ${loadavg()[0]!.toFixed(2)} at the end`);
  console.log(`                                        wall       CPU      peak RSS`);
  const floor = row("floor: read + parse (yaml library)", floors);
  const plan = row("gitcert scan → plan", plans);
  console.log(`  gitcert / floor:                     ${(plan.ms / floor.ms).toFixed(2)}×     ${(plan.cpu / floor.cpu).toFixed(2)}×`);
  console.log(`  targets: ≤ 1.30× the floor, < 2000 ms, < 300 MB`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

function pad(ms: number): string {
  return ms.toFixed(0).padStart(6);
}
