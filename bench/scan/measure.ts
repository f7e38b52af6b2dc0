// One measurement in a fresh process, so each has its own peak memory:
//   measure.ts floor ROOT   read + YAML-parse every file with the `yaml`
//                           library (gitcert's parser), nothing else
//   measure.ts plan ROOT    gitcert's scan → resolve → plan
// Prints one JSON line: {"ms": wall, "cpuMs": user+system, "maxRssMB": …, …}.
import "reflect-metadata";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { assess } from "../../src/reconcile.ts";

const [mode, root] = process.argv.slice(2);
if (!root || (mode !== "floor" && mode !== "plan")) throw new Error("usage: measure.ts floor|plan ROOT");

const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
let detail: Record<string, number> = {};
if (mode === "floor") {
  let documents = 0;
  let files = 0;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    // As gitcert's default include: *.yaml and *.yml, dotfiles (.sops.yaml) left out.
    if (!entry.isFile() || entry.name.startsWith(".") || !/\.ya?ml$/.test(entry.name)) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), "utf8");
    for (const doc of parseAllDocuments(text)) {
      doc.toJS();
      documents++;
    }
    files++;
  }
  detail = { files, documents };
} else {
  const { config } = loadConfig({});
  const { scan, items } = await assess(root, config, { now: new Date(), issuers: defaultIssuers() });
  detail = { files: scan.stats.files, documents: scan.stats.documents, certificates: items.length, errors: scan.diagnostics.filter((d) => d.severity === "error").length };
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const cpu = process.cpuUsage(cpuStart);
console.log(JSON.stringify({ mode, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024, ...detail }));
