#!/usr/bin/env node
// gitcert's command line. Exit codes: 0 all good; 1 some objects failed (the
// rest were done); 2 configuration or usage error.
import "reflect-metadata";
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { configReference, flagName, loadConfig, OPTIONS, type Config } from "./config.ts";
import { demoDir, prepareDemo } from "./demo.ts";
import { formatDiagnostic, GitcertError } from "./diagnostics.ts";
import { acmeOptionsFromConfig } from "./acme/index.ts";
import { defaultIssuers, type IssuerRegistry } from "./issuers/index.ts";
import { createLogger, type Logger } from "./log.ts";
import { assess, reconcileRepository, type Assessment } from "./reconcile.ts";
import { formatPlan, formatTable, planJson, statusRows } from "./report.ts";
import { openWorkspace, type Workspace } from "./repo/index.ts";
import { generateAgeIdentity, loadAgeIdentities } from "./secrets/index.ts";

const USAGE = `gitcert — cert-manager manifests in Git in, SOPS-encrypted TLS Secrets committed back

Usage:
  gitcert run --once [--repo URL] [--branch main] [--workdir DIR] [--config FILE]
  gitcert plan [--json]       what would happen to each certificate, and why
  gitcert status [--json]     certificates as Git has them, without decrypting
  gitcert renew NS/NAME…|--all  renew now (then commit and push)
  gitcert keygen [--output FILE]  a new age identity; prints its recipient
  gitcert help config         every option, its flag and environment variable

With no --repo, run/plan/status use the embedded demo (${demoDir()}).
The age identity comes from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, as for sops.`;

class UsageError extends Error {}

const CONFIGURATION_CODES = new Set(["Configuration", "SopsInvalidIdentity", "SopsAgeKeyFileUnreadable", "WorkdirConflict", "GitRemoteNotFound", "GitBranchNotFound", "GitAuthenticationFailed"]);

/** Errors a user fixes in configuration (exit 2), not failures of the run (exit 1). */
function isConfigurationError(err: GitcertError): boolean {
  return CONFIGURATION_CODES.has(err.code) || (err as GitcertError & { kind?: string }).kind === "configuration";
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command = "help", ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, env, { forceRenew: undefined });
      case "renew":
        return await runCommand(rest, env, { forceRenew: "positionals" });
      case "plan":
        return await planCommand(rest, env, "plan");
      case "status":
        return await planCommand(rest, env, "status");
      case "keygen":
        return await keygenCommand(rest);
      case "help":
      case "--help":
      case "-h":
        if (rest[0] === "config") console.log(configReference());
        else console.log(USAGE);
        return 0;
      case "serve":
        throw new UsageError("gitcert serve (the long-running daemon) is not built yet; run `gitcert run --once` from a CronJob");
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
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

// ---------------------------------------------------------------- options

const EXTRA_OPTIONS = {
  config: { type: "string" },
  once: { type: "boolean" },
  json: { type: "boolean" },
  all: { type: "boolean" },
  output: { type: "string", short: "o" },
  "age-recipient": { type: "string", multiple: true },
} as const;

function parse(args: string[]) {
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

function configFrom(values: Record<string, unknown>, flags: Record<string, string | string[] | boolean>, env: NodeJS.ProcessEnv): Config {
  const file = (values.config as string | undefined) ?? env.GITCERT_CONFIG;
  const { config, errors } = loadConfig({ file, env, flags });
  if (errors.length > 0) throw new UsageError(`configuration:\n  ${errors.join("\n  ")}`);
  return config;
}

// ---------------------------------------------------------------- workspace

interface Target {
  workspace: Workspace;
  identities: string[];
  demo: boolean;
}

/** `decrypting`: only `run` and `renew` read the age identity; plan and status never decrypt. */
async function openTarget(config: Config, env: NodeJS.ProcessEnv, log: Logger, decrypting: boolean): Promise<Target> {
  let identities = decrypting ? await loadAgeIdentities(env) : [];
  let { repo: url, workdir } = config;
  let demo = false;
  if (!url) {
    const d = await prepareDemo();
    if (d.created) log.info({ dir: d.dir }, "embedded demo created: a local bare remote seeded from examples/demo and a demo age identity");
    url = d.remote;
    workdir ||= d.workdir;
    if (decrypting && identities.length === 0) identities = d.identities;
    demo = true;
  }
  workdir ||= join(tmpdir(), `gitcert-${createHash("sha256").update(url).digest("hex").slice(0, 12)}`);
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
  });
  return { workspace, identities, demo };
}

// ---------------------------------------------------------------- commands

async function runCommand(args: string[], env: NodeJS.ProcessEnv, mode: { forceRenew: "positionals" | undefined }): Promise<number> {
  const { values, flags, positionals } = parse(args);
  if (!mode.forceRenew && !values.once) {
    throw new UsageError("gitcert run needs --once (the long-running daemon is `gitcert serve`, not built yet)");
  }
  if (mode.forceRenew && positionals.length === 0 && !values.all) throw new UsageError("gitcert renew needs NAMESPACE/NAME… or --all");
  const config = configFrom(values, flags, env);
  const log = createLogger(config.logLevel);
  const issuers = issuersFor(config, log);
  const { workspace, identities, demo } = await openTarget(config, env, log, true);

  let forceRenew: Set<string> | undefined;
  if (mode.forceRenew) {
    await workspace.sync();
    const { items } = await assess(workspace.root, config, { now: new Date(), issuers });
    const known = new Set(items.filter((i) => i.certificate).map((i) => `${i.object.namespace}/${i.object.name}`));
    const unknown = positionals.filter((p) => !known.has(p));
    if (unknown.length > 0) throw new UsageError(`no such Certificate: ${unknown.join(", ")} (give NAMESPACE/NAME; \`gitcert status\` lists them)`);
    forceRenew = values.all ? known : new Set(positionals);
  }

  const report = await reconcileRepository(workspace, { config, issuers, identities, now: () => new Date(), log, forceRenew }).finally(() => closeIssuers(issuers));
  const { items, diagnostics } = report.assessment;
  console.log(formatTable(statusRows(items, report.outcomes)));
  const planned = new Set(items);
  printDiagnostics([...diagnostics, ...report.outcomes.filter((o) => !planned.has(o.item)).flatMap((o) => o.diagnostics)]);
  if (report.commit) console.log(`\ncommitted ${report.commit.slice(0, 12)} and pushed to ${demo ? "the demo remote" : config.branch}${report.attempts > 1 ? ` (after ${report.attempts - 1} rejected push(es))` : ""}`);
  else console.log("\nnothing to commit: every certificate is up to date");
  const failed = report.outcomes.some((o) => o.status === "failed") || items.some((i) => i.action === "blocked") || diagnostics.some((d) => d.severity === "error");
  return failed ? 1 : 0;
}

async function planCommand(args: string[], env: NodeJS.ProcessEnv, kind: "plan" | "status"): Promise<number> {
  const { values, flags } = parse(args);
  const config = configFrom(values, flags, env);
  const log = createLogger(config.logLevel);
  const { workspace } = await openTarget(config, env, log, false);
  await workspace.sync();
  const issuers = issuersFor(config, log);
  const assessment: Assessment = await assess(workspace.root, config, { now: new Date(), issuers, consultIssuers: kind === "plan" }).finally(() => closeIssuers(issuers));
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

function issuersFor(config: Config, log: Logger): IssuerRegistry {
  return defaultIssuers({ acme: { ...acmeOptionsFromConfig(config), onWarning: (message) => log.warn(message) } });
}

async function closeIssuers(issuers: IssuerRegistry): Promise<void> {
  await Promise.all([...issuers.values()].map((i) => i.close?.()));
}

async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parse(args);
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
