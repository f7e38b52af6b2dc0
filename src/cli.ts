#!/usr/bin/env node
// gitcert's command line. Exit codes: 0 all good; 1 some objects failed (the
// rest were done); 2 configuration or usage error.
// Each command imports what it needs when it runs: acme-client, x509, the Git
// layer and the YAML parser together take longer to load than `help` may
// take in all (bench/startup), so only type imports sit up here.
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Config } from "./config.ts";
import { formatDiagnostic, GitcertError } from "./diagnostics.ts";
import type { Demo } from "./demo.ts";
import type { IssuerRegistry } from "./issuers/index.ts";
import type { Logger, StatusLine } from "./log.ts";
import type { Assessment } from "./reconcile.ts";
import type { Workspace } from "./repo/index.ts";

const USAGE = `gitcert — cert-manager manifests in Git in, SOPS-encrypted TLS Secrets committed back

Usage:
  gitcert run --once [--repo URL] [--branch main] [--workdir DIR] [--config FILE]
                              one reconcile: issue what is due, commit, push, exit
  gitcert serve [--config FILE]  keep reconciling: at start, on a schedule (every 10
                              minutes), on push webhooks; health, readiness, metrics
  gitcert plan [--json]       what would happen to each certificate, and why
  gitcert status [--json]     certificates as Git has them, without decrypting
  gitcert renew NS/NAME…|--all  renew now (then commit and push); asks a running
                              gitcert serve on this machine to do it, if there is one
  gitcert keygen [--output FILE]  a new age identity; prints its recipient
  gitcert help config [--markdown]  every option, its flag and environment variable

With no repository configured (no --repo, GITCERT_REPO or config file),
run, plan, status and renew use the embedded demo in DEMO_DIR.
The age identity comes from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, as for sops.`;

class UsageError extends Error {}

const COMMANDS: readonly string[] = ["run", "serve", "plan", "status", "renew", "keygen", "help"];

/** `--help` or `-h` among a command's arguments (not after `--`, where it would be a positional). */
function askedForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** One command's lines of USAGE, with where its options are listed. */
function commandHelp(command: string): string {
  const lines = USAGE.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`  gitcert ${command} `) || l === `  gitcert ${command}`);
  let end = start + 1;
  while (end < lines.length && /^ {4,}\S/.test(lines[end]!)) end++;
  const settings =
    command === "keygen"
      ? []
      : ["Every setting is also a flag (--repo, --branch, --workdir…) and an environment variable:", "`gitcert help config` lists them."];
  return ["Usage:", ...lines.slice(start, end), "", ...settings, "Exit codes: 0 all good; 1 some objects failed (the rest were done); 2 configuration or usage error."].join("\n");
}

const CONFIGURATION_CODES = new Set(["Configuration", "SopsInvalidIdentity", "SopsAgeKeyFileUnreadable", "WorkdirConflict", "GitRemoteNotFound", "GitBranchNotFound", "GitAuthenticationFailed"]);

/** Errors a user fixes in configuration (exit 2), not failures of the run (exit 1). */
function isConfigurationError(err: GitcertError): boolean {
  return CONFIGURATION_CODES.has(err.code) || (err as GitcertError & { kind?: string }).kind === "configuration";
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command = "help", ...rest] = argv;
  try {
    if (COMMANDS.includes(command) && askedForHelp(rest)) return await helpCommand([command]);
    switch (command) {
      case "run":
        return await runCommand(rest, env, { forceRenew: undefined });
      case "renew":
        return await runCommand(rest, env, { forceRenew: "positionals" });
      case "serve":
        return await serveCommand(rest, env);
      case "plan":
        return await planCommand(rest, env, "plan");
      case "status":
        return await planCommand(rest, env, "status");
      case "keygen":
        return await keygenCommand(rest);
      case "help":
      case "--help":
      case "-h":
        return await helpCommand(rest);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; \`gitcert help\` lists the commands`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`gitcert: ${err.message}`);
      return 2;
    }
    if (err instanceof GitcertError) {
      console.error(`gitcert: ${formatDiagnostic(err.toDiagnostic())}`);
      return isConfigurationError(err) ? 2 : 1;
    }
    console.error(`gitcert: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function helpCommand(args: string[]): Promise<number> {
  const [topic, ...flags] = args;
  if (topic === undefined) {
    const { demoDir } = await import("./demo.ts");
    console.log(USAGE.replace("DEMO_DIR", demoDir()));
    return 0;
  }
  if (COMMANDS.includes(topic) && topic !== "help") {
    if (flags.length > 0) throw new UsageError(`gitcert help ${topic} takes nothing more, not ${flags.join(" ")}`);
    console.log(commandHelp(topic));
    return 0;
  }
  if (topic !== "config") throw new UsageError(`no help on ${JSON.stringify(topic)}; \`gitcert help\` lists the commands, \`gitcert help config\` every option`);
  const unknown = flags.filter((f) => f !== "--markdown");
  if (unknown.length > 0) throw new UsageError(`gitcert help config takes only --markdown, not ${unknown.join(" ")}`);
  const { configReference, configText } = await import("./config.ts");
  console.log(flags.includes("--markdown") ? configReference() : configText(process.stdout.columns || 100));
  return 0;
}

// ---------------------------------------------------------------- options

const EXTRA_OPTIONS = {
  config: { type: "string" },
  once: { type: "boolean" },
  json: { type: "boolean" },
  all: { type: "boolean" },
  output: { type: "string", short: "o" },
  "age-recipient": { type: "string", multiple: true },
} as const;

async function parse(args: string[]) {
  const { flagName, OPTIONS } = await import("./config.ts");
  const options: NonNullable<ParseArgsConfig["options"]> = { ...EXTRA_OPTIONS };
  for (const o of OPTIONS as readonly { key: string; type: string; secret?: boolean }[]) {
    if (o.secret) continue;
    options[flagName(o.key)] = o.type === "boolean" ? { type: "boolean" } : o.type === "list" ? { type: "string", multiple: true } : { type: "string" };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const flags: Record<string, string | string[] | boolean> = {};
  for (const o of OPTIONS as readonly { key: string; secret?: boolean }[]) {
    if (o.secret) continue;
    const v = values[flagName(o.key)];
    if (v !== undefined) flags[o.key] = Array.isArray(v) ? v.flatMap((x) => x.split(",")) : v;
  }
  if (values["age-recipient"]) flags.ageRecipients = values["age-recipient"] as string[];
  return { values, flags, positionals: parsed.positionals };
}

async function configFrom(values: Record<string, unknown>, flags: Record<string, string | string[] | boolean>, env: NodeJS.ProcessEnv): Promise<Config> {
  const { loadConfig } = await import("./config.ts");
  const file = (values.config as string | undefined) ?? env.GITCERT_CONFIG;
  const { config, errors } = loadConfig({ file, env, flags });
  if (errors.length > 0) throw new UsageError(`configuration:\n  ${errors.join("\n  ")}`);
  return config;
}

/** Where logs go: readable lines on a terminal, JSON lines anywhere else (a pod's log pipeline). */
async function loggerFor(config: Config): Promise<{ log: Logger; statusLine?: StatusLine }> {
  const { createLogger, StatusLine } = await import("./log.ts");
  if (!process.stderr.isTTY) return { log: createLogger(config.logLevel, { format: "json" }) };
  const statusLine = new StatusLine(process.stderr);
  return { log: createLogger(config.logLevel, { format: "text", statusLine, color: !process.env.NO_COLOR }), statusLine };
}

// ---------------------------------------------------------------- workspace

interface Target {
  workspace: Workspace;
  identities: string[];
  demo?: Demo;
}

/** `decrypting`: only `run` and `renew` read the age identity; plan and status never decrypt. */
async function openTarget(config: Config, env: NodeJS.ProcessEnv, log: Logger, decrypting: boolean): Promise<Target> {
  const { loadAgeIdentities } = await import("./secrets/index.ts");
  let identities = decrypting ? await loadAgeIdentities(env) : [];
  let { repo: url, workdir } = config;
  let demo: Demo | undefined;
  if (!url) {
    const { demoBanner, demoDir, prepareDemo } = await import("./demo.ts");
    console.error(demoBanner(demoDir(env)));
    demo = await prepareDemo(demoDir(env));
    if (demo.created) log.info({ dir: demo.dir }, "embedded demo created: a local bare remote seeded from examples/demo and a demo age identity");
    url = demo.remote;
    workdir ||= demo.workdir;
    if (decrypting && identities.length === 0) identities = demo.identities;
  }
  workdir ||= join(tmpdir(), `gitcert-${createHash("sha256").update(url).digest("hex").slice(0, 12)}`);
  const { openWorkspace } = await import("./repo/index.ts");
  const workspace = await openWorkspace({
    url,
    branch: config.branch,
    workdir,
    auth: {
      sshKeyFile: config["git.sshKeyFile"] || undefined,
      knownHostsFile: config["git.knownHostsFile"] || undefined,
      token: config["git.token"] || undefined,
      tokenFile: config["git.tokenFile"] || undefined,
      username: config["git.username"] || undefined,
    },
    author: { name: config["git.authorName"], email: config["git.authorEmail"] },
    log,
  });
  return { workspace, identities, demo };
}

// ---------------------------------------------------------------- commands

async function runCommand(args: string[], env: NodeJS.ProcessEnv, mode: { forceRenew: "positionals" | undefined }): Promise<number> {
  const { values, flags, positionals } = await parse(args);
  if (!mode.forceRenew && !values.once) {
    throw new UsageError("gitcert run needs --once: it runs one reconcile and exits (`gitcert serve` keeps running and reconciles on a schedule)");
  }
  if (mode.forceRenew && positionals.length === 0 && !values.all) throw new UsageError("gitcert renew needs NAMESPACE/NAME… or --all");
  const config = await configFrom(values, flags, env);
  if (mode.forceRenew) {
    const answered = await renewThroughServe(config, values.all ? "all" : positionals);
    if (answered !== undefined) return answered;
  }
  const { log, statusLine } = await loggerFor(config);
  const { workspace, identities, demo } = await openTarget(config, env, log, true);
  const { assess, runDiagnostics } = await import("./reconcile.ts");
  const { clusterForPlan, reconcileOnce } = await import("./reconcile-once.ts");
  const { formatTable, statusRows } = await import("./report.ts");
  const issuers = await issuersFor(config, log, env);

  let forceRenew: Set<string> | undefined;
  if (mode.forceRenew) {
    await workspace.sync();
    // Certificates found in the cluster can be renewed by name too.
    const { cluster } = await clusterForPlan(config, env, log);
    const { items } = await assess(workspace.root, config, { now: new Date(), issuers, identities, cluster });
    const known = new Set(items.filter((i) => i.certificate).map((i) => `${i.object.namespace}/${i.object.name}`));
    const unknown = positionals.filter((p) => !known.has(p));
    if (unknown.length > 0) throw new UsageError(`no such Certificate: ${unknown.join(", ")} (give NAMESPACE/NAME; \`gitcert status\` lists them)`);
    forceRenew = values.all ? known : new Set(positionals);
  }

  const { progressOn } = await import("./progress.ts");
  const onOutcome = progressOn(statusLine)?.onOutcome;
  const { report, clusterDiagnostics } = await reconcileOnce(workspace, { config, issuers, identities, now: () => new Date(), log, forceRenew, onOutcome }, env)
    .finally(() => statusLine?.clear())
    .finally(() => closeIssuers(issuers));
  const { items, diagnostics } = report.assessment;
  console.log(formatTable(statusRows(items, report.outcomes)));
  const found = runDiagnostics(report);
  printDiagnostics([...diagnostics, ...found, ...clusterDiagnostics]);
  const unsettled = report.outcomes.filter((o) => o.kind === "failed" || o.kind === "blocked").length;
  if (report.commit) console.log(`\ncommitted ${report.commit.slice(0, 12)} and pushed to ${demo ? "the demo remote" : config.branch}${report.attempts > 1 ? ` (after ${report.attempts - 1} rejected push(es))` : ""}`);
  else if (unsettled > 0) console.log(`\nnothing to commit; ${unsettled === 1 ? "1 certificate is" : `${unsettled} certificates are`} blocked or failed (above)`);
  else console.log("\nnothing to commit: every certificate is up to date");
  if (demo) {
    const { demoSummary } = await import("./demo.ts");
    const [latest] = await workspace.log(1);
    console.log("\n" + (await demoSummary(demo, { latest, secretPaths: items.map((i) => i.secretPath), env })));
  }
  const failed = unsettled > 0 || [...diagnostics, ...found].some((d) => d.severity === "error");
  return failed ? 1 : 0;
}

/** A `gitcert serve` on this machine renews in its own reconcile; undefined when none answers. */
async function renewThroughServe(config: Config, names: readonly string[] | "all"): Promise<number | undefined> {
  const { askToRenew } = await import("./daemon/client.ts");
  const { secretFrom } = await import("./daemon/secret-source.ts");
  const token = secretFrom({ value: config["serve.token"], file: config["serve.tokenFile"] || undefined });
  const answer = await askToRenew({ address: config["serve.address"], port: config["serve.port"], token }, names);
  if (!answer.reached) return undefined;
  const where = `the running gitcert serve (port ${config["serve.port"]})`;
  if (answer.status === 401) throw new UsageError(`${where} refused the request: ${String(answer.body.error)} (give this command the same serve.token or serve.tokenFile)`);
  if (answer.status === 202) {
    // A standby (several replicas): the leader renews; its result is not known here.
    console.log(`${where}: ${String(answer.body.message ?? "accepted")}`);
    return 0;
  }
  if (answer.status !== 200) {
    console.error(`gitcert: ${where}: ${String(answer.body.error ?? `answered ${answer.status}`)}`);
    return answer.status === 404 ? 2 : 1;
  }
  const rows = (answer.body.certificates ?? []) as Array<{ certificate: string; action: string; result: string; message: string }>;
  for (const r of rows) console.log(`${r.certificate}\t${r.action}\t${r.result}\t${r.message}`);
  console.log(answer.body.commit ? `\n${where} committed ${String(answer.body.commit).slice(0, 12)}${answer.body.pushed ? " and pushed it" : ""}` : `\n${where}: nothing to commit`);
  return rows.some((r) => r.result === "failed") ? 1 : 0;
}

async function serveCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, flags, positionals } = await parse(args);
  if (positionals.length > 0) throw new UsageError(`gitcert serve takes no arguments, not ${positionals.join(" ")}`);
  const config = await configFrom(values, flags, env);
  const { scheduleProblem } = await import("./daemon/schedule.ts");
  const problem = scheduleProblem(config["serve.schedule"], config["serve.timezone"] || undefined);
  if (problem) throw new UsageError(problem);
  const { log } = await loggerFor(config);
  const { workspace, identities } = await openTarget(config, env, log, true);
  const { GitcertMetrics } = await import("./metrics/index.ts");
  const { acmeRequestLabels } = await import("./daemon/acme-requests.ts");
  const metrics = new GitcertMetrics();
  const http01 = await (await import("./daemon/http01-responder.ts")).http01Responder(config, env);
  const issuers = await issuersFor(config, log, env, { onRequest: (event) => metrics.acmeRequest(acmeRequestLabels(event), event.durationMs / 1000) }, http01);
  const { runServe } = await import("./daemon/serve.ts");
  try {
    return await runServe({ config, env, workspace, issuers, identities, log, metrics, http01: http01?.server });
  } finally {
    await closeIssuers(issuers);
  }
}

async function planCommand(args: string[], env: NodeJS.ProcessEnv, kind: "plan" | "status"): Promise<number> {
  const { values, flags } = await parse(args);
  const config = await configFrom(values, flags, env);
  const { log } = await loggerFor(config);
  const { workspace } = await openTarget(config, env, log, false);
  await workspace.sync();
  const { assess } = await import("./reconcile.ts");
  const { formatPlan, formatTable, planJson, statusRows } = await import("./report.ts");
  const issuers = await issuersFor(config, log, env);
  const { secretIndex, cluster } = await (await import("./reconcile-once.ts")).clusterForPlan(config, env, log);
  const assessment: Assessment = await assess(workspace.root, config, { now: new Date(), issuers, consultIssuers: kind === "plan", secretIndex, cluster }).finally(() => closeIssuers(issuers));
  const { items, diagnostics } = assessment;
  if (values.json) {
    console.log(JSON.stringify(kind === "plan" ? planJson(items, diagnostics) : statusRows(items), null, 2));
  } else if (kind === "plan") {
    console.log(formatPlan(items, diagnostics) || "no certificates found");
  } else {
    console.log(formatTable(statusRows(items)));
    printDiagnostics(diagnostics);
  }
  return items.some((i) => i.action === "blocked") || diagnostics.some((d) => d.severity === "error") ? 1 : 0;
}

/**
 * The issuers; with a cluster configured, ACME's HTTP-01 routes make challenge
 * Ingresses and HTTPRoutes in it. `responder`: serve's always-on HTTP-01
 * server, which the issuers present into instead of listening themselves.
 */
async function issuersFor(
  config: Config,
  log: Logger,
  env: NodeJS.ProcessEnv,
  extra: Partial<import("./acme/index.ts").AcmeOptions> = {},
  responder?: import("./daemon/http01-responder.ts").Http01Responder,
): Promise<IssuerRegistry> {
  const { acmeOptionsFromConfig } = await import("./acme/index.ts");
  const { defaultIssuers } = await import("./issuers/index.ts");
  const { clusterConfigured } = await import("./kube/configured.ts");
  const cluster = responder?.cluster ?? (clusterConfigured(config, env) ? (await import("./kube/index.ts")).http01ClusterFor(config, env) : undefined);
  const acme = acmeOptionsFromConfig(config);
  return defaultIssuers({
    acme: { ...acme, http01: { ...acme.http01, cluster, ...(responder ? { server: responder.server } : {}) }, onWarning: (message) => log.warn(message), onDebug: (message) => log.debug(message), ...extra },
  });
}

async function closeIssuers(issuers: IssuerRegistry): Promise<void> {
  await Promise.all([...issuers.values()].map((i) => i.close?.()));
}

async function keygenCommand(args: string[]): Promise<number> {
  const { values } = await parse(args);
  const { generateAgeIdentity } = await import("./secrets/index.ts");
  const { identity, recipient } = await generateAgeIdentity();
  const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  if (typeof values.output === "string") {
    await writeFile(values.output, text, { mode: 0o600, flag: "wx" });
    console.error(`wrote the identity to ${values.output} (mode 0600); keep it out of Git`);
  } else {
    process.stdout.write(text);
  }
  console.error(`Public key: ${recipient}\nPut it in .sops.yaml:\n  creation_rules:\n    - path_regex: \\.sops\\.yaml$\n      encrypted_regex: ^(data|stringData)$\n      age: ${recipient}`);
  return 0;
}

function printDiagnostics(diagnostics: readonly { severity: string }[]): void {
  const shown = diagnostics.filter((d) => d.severity !== "debug");
  if (shown.length === 0) return;
  console.log("");
  for (const d of shown as Parameters<typeof formatDiagnostic>[0][]) console.log(`${d.severity}: ${formatDiagnostic(d)}`);
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
