// The embedded demo: with nothing configured, gitcert manages a local bare
// Git remote seeded from examples/demo/, with an age identity of its own.
// It lives outside the project (GITCERT_DEMO_DIR, else the user's cache
// folder), so a second run finds the same remote and pushes nothing. Every
// demo run says it is the demo, and ends by saying where everything is and
// what to try next.
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GitcertError } from "./diagnostics.ts";
import type { LogEntry } from "./repo/index.ts";

const run = promisify(execFile);
const MARKER = ".gitcert-demo";
const EXAMPLE = fileURLToPath(new URL("../examples/demo/", import.meta.url));

export interface Demo {
  dir: string;
  remote: string;
  workdir: string;
  keyFile: string;
  identities: string[];
  created: boolean;
}

export function demoDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITCERT_DEMO_DIR) return env.GITCERT_DEMO_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gitcert", "demo");
}

export async function prepareDemo(dir = demoDir()): Promise<Demo> {
  // Loaded here, not above: `gitcert help` imports this file for nothing else.
  const { generateAgeIdentity, parseAgeIdentities } = await import("./secrets/index.ts");
  const remote = join(dir, "remote.git");
  const keyFile = join(dir, "age.key");
  const demo = { dir, remote, workdir: join(dir, "work"), keyFile };
  const marker = join(dir, MARKER);
  if (existsSync(marker) && existsSync(join(remote, "HEAD")) && existsSync(keyFile)) {
    return { ...demo, identities: parseAgeIdentities(await readFile(keyFile, "utf8")), created: false };
  }
  // Only a folder gitcert made (or an empty one) is ever cleared: the demo
  // location can be pointed anywhere, and anything else there is the user's.
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(marker)) {
    throw new GitcertError("Configuration", `the demo folder ${dir} is not empty and was not made by gitcert; point GITCERT_DEMO_DIR elsewhere`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(marker, "This folder holds gitcert's embedded demo and may be deleted.\n");
  const { identity, recipient } = await generateAgeIdentity();
  await writeFile(keyFile, `# gitcert demo identity\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);

  await run("git", ["init", "--quiet", "--bare", "--initial-branch=main", remote]);
  const seed = await mkdtemp(join(tmpdir(), "gitcert-demo-seed-"));
  try {
    await cp(EXAMPLE, seed, { recursive: true });
    await writeFile(
      join(seed, ".sops.yaml"),
      [
        "# Secrets gitcert writes are encrypted for the demo's age recipient.",
        "creation_rules:",
        "  - path_regex: \\.sops\\.yaml$",
        "    encrypted_regex: ^(data|stringData)$",
        `    age: ${recipient}`,
        "",
      ].join("\n"),
    );
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=gitcert demo", "-c", "user.email=demo@gitcert.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: seed });
    await git("init", "--quiet", "--initial-branch=main");
    await git("add", "--all");
    await git("commit", "--quiet", "-m", "Demo platform repository");
    await git("push", "--quiet", remote, "main");
  } finally {
    await rm(seed, { recursive: true, force: true });
  }
  return { ...demo, identities: [identity], created: true };
}

/** The first thing every demo run prints (on stderr, so `--json` output stays JSON). */
export function demoBanner(dir: string): string {
  return `gitcert: no repository configured, so this is the embedded demo (${dir})`;
}

export interface SummaryInput {
  /** The newest commit of the demo remote's branch. */
  latest?: LogEntry;
  /** Secret files the plan knows, repository-relative. */
  secretPaths: readonly (string | undefined)[];
  env: NodeJS.ProcessEnv;
}

/** Where the demo's pieces are, the commit it holds, and three things to try next. */
export async function demoSummary(demo: Demo, input: SummaryInput): Promise<string> {
  const secret = input.secretPaths.filter((p): p is string => p !== undefined && existsSync(join(demo.workdir, p))).sort((a, b) => Number(b.startsWith("apps/")) - Number(a.startsWith("apps/")) || a.localeCompare(b))[0];
  const sops = findSops(input.env);
  const lines = [
    "This was the embedded demo. Where it is:",
    `  remote     ${demo.remote}   (a bare Git repository, seeded from examples/demo)`,
    `  clone      ${demo.workdir}`,
    `  age key    ${demo.keyFile}`,
    input.latest ? `  commit     ${input.latest.commit.slice(0, 12)} ${input.latest.subject}` : "  commit     none yet",
    "",
    "Next:",
    "  1. See what gitcert committed:",
    `       git -C ${demo.workdir} log -p -1`,
  ];
  if (secret) {
    lines.push("  2. Decrypt one of the Secrets it wrote, as Flux or Argo CD would:", `       SOPS_AGE_KEY_FILE=${demo.keyFile} ${sops.command} -d ${join(demo.workdir, secret)}`);
    if (!sops.found) lines.push("     (sops is not on PATH: `bash scripts/peers.sh sops` builds it into ~/.cache/gitcert-peers/bin)");
  }
  lines.push(
    `  ${secret ? 3 : 2}. Run it against your own repository (plan changes nothing; run commits):`,
    "       npx gitcert keygen --output age.key      # put the recipient it prints in your .sops.yaml",
    "       npx gitcert plan --repo git@github.com:you/platform.git",
    "       SOPS_AGE_KEY_FILE=age.key npx gitcert run --once --repo git@github.com:you/platform.git",
  );
  return lines.join("\n");
}

/** `sops` on PATH, else the one scripts/peers.sh builds, else the bare name. */
function findSops(env: NodeJS.ProcessEnv): { command: string; found: boolean } {
  const peers = join(env.GITCERT_PEERS_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gitcert-peers"), "bin");
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    if (executable(join(dir, "sops"))) return { command: "sops", found: true };
  }
  if (executable(join(peers, "sops"))) return { command: join(peers, "sops"), found: true };
  return { command: "sops", found: false };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
