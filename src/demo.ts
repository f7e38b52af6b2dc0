// The embedded demo: with nothing configured, gitcert manages a local bare
// Git remote seeded from examples/demo/, with an age identity of its own.
// It lives outside the project (GITCERT_DEMO_DIR, else the user's cache
// folder), so a second run finds the same remote and pushes nothing.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GitcertError } from "./diagnostics.ts";
import { generateAgeIdentity, parseAgeIdentities } from "./secrets/index.ts";

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
