// The command line as a newcomer meets it: the bin a user runs, a child
// process, real exit codes, and what lands on stdout and stderr.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { configReference } from "../src/config.ts";
import { git, tempDir } from "./helpers.ts";
import { peerBinDir } from "./peers/tools.ts";

const BIN = join(import.meta.dirname, "..", "bin", "gitcert.js");

function gitcert(args: string[], env: Record<string, string>, cwd = process.cwd(), nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? process.env.HOME!, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, on a pseudo-terminal (`script`), as a person at a terminal runs it: stdout and stderr arrive together. */
function gitcertOnTerminal(args: string[], env: Record<string, string>, cwd: string) {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(" ");
  const r = spawnSync("script", ["-qefc", command, "/dev/null"], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? process.env.HOME!, TERM: "xterm", ...env },
  });
  return { code: r.status, output: r.stdout.replaceAll("\r\n", "\n") };
}

test("the embedded demo says it is the demo, issues everything, says where it all is and what to try next", async (t) => {
  const dir = tempDir(t);
  const demoDir = join(dir, "demo");
  // sops on PATH, as a user who followed the README has it.
  const env = { GITCERT_DEMO_DIR: demoDir, HOME: dir, PATH: `${peerBinDir()}${delimiter}${process.env.PATH}` };
  const cwd = join(dir, "cwd");
  mkdirSync(cwd);
  const first = gitcert(["run", "--once"], env, cwd);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, new RegExp(`this is the embedded demo \\(${demoDir}\\)`));
  assert.match(first.stdout, /CERTIFICATE\s+DNS NAMES\s+ISSUER\s+NOT AFTER\s+RENEWAL\s+STATE/);
  assert.match(first.stdout, /shop\/storefront-tls\s+shop\.example\.com,www\.shop\.example\.com\s+ClusterIssuer\/demo-ca\s+\S+\s+\S+\s+Issued/);
  assert.match(first.stdout, /committed [0-9a-f]{12} and pushed/);
  assert.doesNotMatch(first.stdout + first.stderr, /AGE-SECRET-KEY|PRIVATE KEY/);

  // Where everything is, and the commit it pushed, by hash and subject.
  const pushed = execFileSync("git", ["-C", join(demoDir, "remote.git"), "log", "-1", "--format=%H %s", "main"], { encoding: "utf8" }).trim();
  const [hash, ...subject] = pushed.split(" ");
  assert.match(first.stdout, new RegExp(`remote\\s+${join(demoDir, "remote.git")}`));
  assert.match(first.stdout, new RegExp(`clone\\s+${join(demoDir, "work")}`));
  assert.match(first.stdout, new RegExp(`age key\\s+${join(demoDir, "age.key")}`));
  assert.ok(first.stdout.includes(`commit     ${hash!.slice(0, 12)} ${subject.join(" ")}`), first.stdout);
  assert.match(subject.join(" "), /issued 4 certificates/);

  // The next steps are commands that work exactly as printed.
  const steps = first.stdout.split("\n").map((l) => l.trim());
  const logStep = steps.find((l) => l.startsWith("git -C "))!;
  assert.equal(logStep, `git -C ${join(demoDir, "work")} log -p -1`);
  const log = execFileSync("bash", ["-c", logStep], { encoding: "utf8", env });
  assert.ok(log.startsWith(`commit ${hash}`), log);
  const sopsStep = steps.find((l) => l.startsWith("SOPS_AGE_KEY_FILE="))!;
  assert.match(sopsStep, /^SOPS_AGE_KEY_FILE=\S+age\.key sops -d \S+\.sops\.yaml$/);
  const decrypted = execFileSync("bash", ["-c", sopsStep], { encoding: "utf8", env });
  assert.match(decrypted, /tls\.crt: \S+/);
  assert.match(decrypted, /kind: Secret/);
  assert.ok(steps.some((l) => /^npx gitcert plan --repo \S+$/.test(l)), "how to run against your own repository");

  const second = gitcert(["run", "--once"], env, cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /this is the embedded demo/);
  assert.match(second.stdout, /nothing to commit/);
  assert.match(second.stdout, /shop\/api .* Ready/);
  assert.ok(second.stdout.includes(`commit     ${hash!.slice(0, 12)} `), "the newest commit is still the one the first run pushed");
  assert.deepEqual(readdirSync(cwd), [], "nothing is left in the folder it ran from");

  // status reads Git alone: no identity at all, nothing decrypted.
  const status = gitcert(["status"], { ...env, SOPS_AGE_KEY: "", SOPS_AGE_KEY_FILE: "" }, cwd);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stderr, /this is the embedded demo/);
  assert.match(status.stdout, /blog\/blog\s+blog\.example\.com,www\.blog\.example\.com\s+ClusterIssuer\/demo-ca\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z\s+Ready/);

  const plan = gitcert(["plan", "--json"], env, cwd);
  assert.equal(plan.code, 0, plan.stderr);
  const parsed = JSON.parse(plan.stdout) as { certificates: Array<{ name: string; action: string }> };
  assert.deepEqual(parsed.certificates.map((c) => c.action), ["ok", "ok", "ok", "ok"]);

  const typo = gitcert(["renew", "shop/apii"], env, cwd);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /no such Certificate: shop\/apii/);
  const renew = gitcert(["renew", "shop/api"], env, cwd);
  assert.equal(renew.code, 0, renew.stderr);
  assert.match(renew.stdout, /shop\/api .* Renewed/);
  assert.match(renew.stdout, /blog\/blog .* Ready/);
  assert.match(renew.stdout, /commit\s+[0-9a-f]{12} gitcert: renewed 1 certificate/);
});

test("logs are JSON lines without a terminal, and readable lines on one, apart from the table", async (t) => {
  const dir = tempDir(t);
  const env = { GITCERT_DEMO_DIR: join(dir, "demo"), HOME: dir };

  const piped = gitcert(["status"], env, dir);
  assert.equal(piped.code, 0, piped.stderr);
  const json = piped.stderr.split("\n").filter((l) => l.startsWith("{"));
  assert.equal(json.length, 1, piped.stderr);
  assert.deepEqual(
    (({ level, msg, dir }) => ({ level, msg, dir }))(JSON.parse(json[0]!)),
    { level: 30, msg: "embedded demo created: a local bare remote seeded from examples/demo and a demo age identity", dir: join(dir, "demo") },
  );
  assert.doesNotMatch(piped.stdout, /embedded demo created/, "logs never mix into the table on stdout");

  const terminalEnv = { ...env, GITCERT_DEMO_DIR: join(dir, "demo-tty"), NO_COLOR: "1" };
  const onTerminal = gitcertOnTerminal(["status"], terminalEnv, dir);
  assert.equal(onTerminal.code, 0, onTerminal.output);
  assert.match(onTerminal.output, new RegExp(`^\\d\\d:\\d\\d:\\d\\d INFO  embedded demo created: a local bare remote seeded from examples/demo and a demo age identity dir=${join(dir, "demo-tty")}$`, "m"));
  assert.doesNotMatch(onTerminal.output, /\{"level"/);
  assert.match(onTerminal.output, /^CERTIFICATE\s+DNS NAMES/m, "the table starts on a line of its own");
});

test("exit code 2 for usage and configuration errors, with a message that says what is wrong", (t) => {
  const dir = tempDir(t);
  const env = { GITCERT_DEMO_DIR: join(dir, "demo"), HOME: dir };
  const unknown = gitcert(["frobnicate"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const serve = gitcert(["serve", "--serve-schedule", "*/10 * * *"], env);
  assert.equal(serve.code, 2, "a broken schedule stops serve before it starts");
  assert.match(serve.stderr, /serve.schedule "\*\/10 \* \* \*" is not a cron schedule: expected 5 or 6 fields but got 4/);
  const noOnce = gitcert(["run"], env);
  assert.equal(noOnce.code, 2);
  assert.match(noOnce.stderr, /gitcert run needs --once/);
  const occupied = join(dir, "occupied");
  mkdirSync(occupied);
  writeFileSync(join(occupied, "notes.txt"), "mine\n");
  const notDemo = gitcert(["status"], { ...env, GITCERT_DEMO_DIR: occupied });
  assert.equal(notDemo.code, 2, notDemo.stderr);
  assert.match(notDemo.stderr, /not empty and was not made by gitcert/);
  assert.equal(readFileSync(join(occupied, "notes.txt"), "utf8"), "mine\n", "a folder that is not the demo's is left alone");
  const config = join(dir, "gitcert.yaml");
  writeFileSync(config, "repo: /nowhere\nconcurrency: many\n");
  const badConfig = gitcert(["plan", "--config", config], env);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /concurrency: expected a number/);
});

test("serve runs with the memory settings of a long-running process (same pid), and a user's own settings win", (t) => {
  const dir = tempDir(t);
  // What each process image that ran the command had, recorded before gitcert starts.
  const hook = join(dir, "record-settings.mjs");
  const record = join(dir, "settings.jsonl");
  writeFileSync(
    hook,
    `import { appendFileSync } from "node:fs";
     appendFileSync(${JSON.stringify(record)}, JSON.stringify({ pid: process.pid, execArgv: process.execArgv, tunables: process.env.GLIBC_TUNABLES ?? null }) + "\\n");`,
  );
  const runs = (args: string[], env: Record<string, string>, nodeArgs: string[] = []) => {
    writeFileSync(record, "");
    const r = gitcert(args, { HOME: dir, ...env }, dir, [...nodeArgs, "--import", hook]);
    assert.equal(r.code, 2, r.stderr); // a broken schedule: serve stops before it starts
    return readFileSync(record, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { pid: number; execArgv: string[]; tunables: string | null });
  };
  const broken = ["--serve-schedule", "*/10 * * *"];

  const [started, tuned, ...more] = runs(["serve", ...broken], {});
  assert.deepEqual(more, [], "started again once");
  assert.equal(tuned!.pid, started!.pid, "the same process, not a child holding a second Node");
  assert.deepEqual(tuned!.execArgv, ["--import", hook, "--max-semi-space-size=8", "--no-maglev", "--no-sparkplug"]);
  assert.equal(tuned!.tunables, "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=32768");

  const own = runs(["serve", ...broken], { NODE_OPTIONS: "--max-semi-space-size=16", GLIBC_TUNABLES: "glibc.malloc.arena_max=4" }, ["--maglev", "--no_sparkplug"]);
  assert.deepEqual(own.map((r) => [r.execArgv, r.tunables]), [[["--maglev", "--no_sparkplug", "--import", hook], "glibc.malloc.arena_max=4"]], "not started again");
  const someOwn = runs(["serve", ...broken], {}, ["--maglev-inlining"]);
  assert.deepEqual(someOwn.at(-1)!.execArgv, ["--maglev-inlining", "--import", hook, "--max-semi-space-size=8", "--no-maglev", "--no-sparkplug"], "a flag that only starts like one is not it");

  const other = runs(["serve", ...broken], { GLIBC_TUNABLES: "glibc.cpu.hwcaps=-AVX512F" });
  assert.equal(other.at(-1)!.tunables, "glibc.cpu.hwcaps=-AVX512F:glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=32768", "other tunables kept");

  // glibc's own variables for the same settings, and V8's underscore spelling, are a user's settings too.
  const aliases = runs(["serve", ...broken], { NODE_OPTIONS: "--max_semi_space_size=16", MALLOC_ARENA_MAX: "4" });
  assert.deepEqual(
    aliases.map((r) => [r.execArgv, r.tunables]),
    [
      [["--import", hook], null],
      [["--import", hook, "--no-maglev", "--no-sparkplug"], null],
    ],
    "MALLOC_ARENA_MAX and --max_semi_space_size kept as the user set them: only V8's tiers are added",
  );
  assert.equal(runs(["run"], {}).length, 1, "only serve is started again");
});

test("serve runs as started where it cannot start itself again (its node binary gone since it started)", (t) => {
  const dir = tempDir(t);
  // A node of its own, removed by a hook before gitcert starts: execve of
  // process.execPath then fails (ENOENT), as it does where the binary was
  // replaced or a sandbox refuses it. Node cannot return from a failed
  // execve (it aborts), so serve must not try.
  const node = join(dir, "node");
  try {
    linkSync(process.execPath, node);
  } catch {
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  const hook = join(dir, "remove-node.mjs");
  writeFileSync(hook, `import { rmSync } from "node:fs"; rmSync(process.execPath);`);
  const r = spawnSync(node, ["--import", hook, BIN, "serve", "--serve-schedule", "*/10 * * *"], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: dir },
  });
  assert.equal(r.signal, null, `not aborted: ${r.stderr}`);
  assert.equal(r.status, 2, r.stderr); // the broken schedule, reported by serve as started
  assert.match(r.stderr, /serve-schedule|schedule/);
});

test("a config file that is missing, or configures something but not `repo`, is an error naming the file and the cause", (t) => {
  const dir = tempDir(t);
  const env = { GITCERT_DEMO_DIR: join(dir, "demo"), HOME: dir };
  const missing = join(dir, "missing.yaml");
  const notFound = gitcert(["status", "--config", missing], env);
  assert.equal(notFound.code, 2);
  assert.match(notFound.stderr, new RegExp(`${missing}: not found`));
  assert.doesNotMatch(notFound.stderr, /YAML|ENOENT/);

  const noRepo = join(dir, "no-repo.yaml");
  writeFileSync(noRepo, "branch: production\n");
  for (const r of [gitcert(["run", "--once", "--config", noRepo], env), gitcert(["status"], { ...env, GITCERT_CONFIG: noRepo })]) {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${noRepo}: no \`repo\``));
    assert.doesNotMatch(r.stderr, /embedded demo/);
  }
  assert.deepEqual(readdirSync(dir).sort(), ["no-repo.yaml"], "no demo was created");

  // repo from a flag completes the file.
  const remote = join(dir, "remote.git");
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=production", remote]);
  const withFlag = gitcert(["status", "--config", noRepo, "--repo", remote, "--workdir", join(dir, "work")], env);
  assert.equal(withFlag.code, 0, withFlag.stderr);
  assert.doesNotMatch(withFlag.stderr, /embedded demo/);

  // A file that says nothing (comments only) is the same as no file: the demo.
  const empty = join(dir, "empty.yaml");
  writeFileSync(empty, "# nothing configured yet\n");
  const demo = gitcert(["status", "--config", empty], env);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(demo.stderr, /this is the embedded demo/);
});

test("help says only what exists, loads no dependency, and renders the options for a terminal or as Markdown", (t) => {
  const dir = tempDir(t);
  const usage = gitcert(["help"], { HOME: dir });
  assert.equal(usage.code, 0);
  for (const command of ["run --once", "serve", "plan", "status", "renew", "keygen", "help config"]) assert.ok(usage.stdout.includes(`gitcert ${command}`), command);
  assert.doesNotMatch(usage.stdout, /daemon|not built/);

  // Which packages a command loads: the files it loads, recorded by a module hook. A file
  // of the bundle (dist/) holds the packages its source map names.
  const hook = join(dir, "record-files.mjs");
  const record = join(dir, "files.txt");
  writeFileSync(
    hook,
    `import { registerHooks } from "node:module";
     import { appendFileSync } from "node:fs";
     registerHooks({ load(url, context, next) { if (url.startsWith("file:")) appendFileSync(${JSON.stringify(record)}, url + "\\n"); return next(url, context); } });`,
  );
  const packagesLoaded = (run: () => { code: number | null; stderr: string; stdout: string }) => {
    rmSync(record, { force: true });
    const result = run();
    assert.equal(result.code, 0, result.stderr);
    const packages = new Set<string>();
    for (const file of readFileSync(record, "utf8").split("\n").filter(Boolean).map((url) => fileURLToPath(url))) {
      const sources = existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] }).sources : [file];
      for (const source of sources) {
        const name = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(source)?.[1];
        if (name) packages.add(name);
      }
    }
    return { result, packages: [...packages] };
  };
  const recorded = packagesLoaded(() => gitcert(["help"], { HOME: dir }, dir, ["--import", hook]));
  assert.equal(recorded.result.stdout, usage.stdout);
  assert.deepEqual(recorded.packages, [], "`gitcert help` loads no package at all");
  const status = packagesLoaded(() => gitcert(["status"], { HOME: dir, GITCERT_DEMO_DIR: join(dir, "demo") }, dir, ["--import", hook]));
  assert.ok(status.packages.includes("yaml"), `the hook does see what a command loads: ${status.packages.join(", ")}`);

  const text = gitcert(["help", "config"], { HOME: dir });
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^repo\n {4}--repo · GITCERT_REPO · default \(empty\)\n {4}Git URL or path of the repository/m);
  assert.match(text.stdout, /^git\.token\n {4}no flag · GITCERT_GIT_TOKEN/m, "a secret has no flag");
  assert.doesNotMatch(text.stdout, /\|/, "no Markdown table on a terminal");
  assert.ok(text.stdout.split("\n").every((l) => l.length <= 100), "wrapped to the terminal");

  const markdown = gitcert(["help", "config", "--markdown"], { HOME: dir });
  assert.equal(markdown.code, 0);
  assert.equal(markdown.stdout, configReference() + "\n");
  assert.match(markdown.stdout, /^\| key \| flag \| environment \| default \| description \|$/m);

  // A command's own help, asked either way, instead of "Unknown option '--help'".
  for (const command of ["run", "serve", "plan", "status", "renew", "keygen"]) {
    for (const args of [[command, "--help"], [command, "-h"], ["help", command]]) {
      const help = gitcert(args, { HOME: dir });
      assert.equal(help.code, 0, `${args.join(" ")}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage:\\n  gitcert ${command}\\b`), args.join(" "));
      assert.equal(help.stdout.split("\n").filter((l) => l.startsWith("  gitcert ")).length, 1, `${args.join(" ")}: only that command`);
    }
  }
  assert.match(gitcert(["plan", "--help"], { HOME: dir }).stdout, /what would happen to each certificate/);

  const typo = gitcert(["help", "confgi"], { HOME: dir });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /no help on "confgi"/);
});

test("keygen prints an age identity and the recipient to put in .sops.yaml", () => {
  const r = gitcert(["keygen"], {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
  const recipient = /public key: (age1[0-9a-z]+)/.exec(r.stdout)?.[1];
  assert.ok(recipient);
  assert.match(r.stderr, new RegExp(`age: ${recipient}`));
});

/** A bare remote holding `files`, committed once; returns its file:// URL and a way to push more. */
function remoteWith(dir: string, files: Record<string, string>) {
  const bare = join(dir, "remote.git");
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  const seed = join(dir, "seed");
  git(dir, "init", "--quiet", "--initial-branch=main", seed);
  git(seed, "remote", "add", "origin", bare);
  let pushed = false;
  const push = (more: Record<string, string>, message: string) => {
    // gitcert pushes too: start from what the remote has now.
    if (pushed) git(seed, "pull", "--quiet", "--rebase", "origin", "main");
    pushed = true;
    for (const [path, text] of Object.entries(more)) {
      mkdirSync(dirname(join(seed, path)), { recursive: true });
      writeFileSync(join(seed, path), text);
    }
    git(seed, "add", "--all");
    git(seed, "commit", "--quiet", "-m", message);
    git(seed, "push", "--quiet", "origin", "HEAD:main");
  };
  push(files, "issuers and certificates");
  return { url: `file://${bare}`, push, seed };
}

const clusterIssuer = (name: string, spec: string) => `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ${name}}\nspec:\n${spec}\n---\n`;
const certificate = (name: string, issuer: string, extra = "") =>
  `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: ${extra.includes("isCA") ? "cert-manager" : "shop"}}\nspec:\n  secretName: ${name}\n  dnsNames: [${name}.example.com]\n  issuerRef: {name: ${issuer}, kind: ClusterIssuer}\n${extra}---\n`;
const ACCOUNT = "    privateKeySecretRef: {name: acme-account}\n";

test("plan shows the Certificates of each kind of invalid issuer blocked with the reason; run leaves them out of the failure log; fixed, they are issued at once", (t) => {
  const dir = tempDir(t);
  const { url, push } = remoteWith(dir, {
    "platform/issuers.yaml":
      clusterIssuer("no-server", `  acme:\n${ACCOUNT}`) +
      clusterIssuer("ca", "  ca: {secretName: ca-key-pair}") +
      clusterIssuer("half-ca", "  ca: {secretName: half-ca}") +
      clusterIssuer("tsig", `  acme:\n    server: https://acme.invalid/dir\n${ACCOUNT}    solvers:\n      - dns01:\n          rfc2136: {nameserver: 127.0.0.1, tsigKeyName: k, tsigSecretSecretRef: {name: tsig, key: secret}}`) +
      clusterIssuer("eab", `  acme:\n    server: https://acme.invalid/dir\n${ACCOUNT}    externalAccountBinding: {keyID: kid, keySecretRef: {name: eab, key: secret}}\n    solvers: [{http01: {}}]`) +
      clusterIssuer("selfsigned", "  selfSigned: {}"),
    // Key names only: gitcert checks them without reading the values.
    "platform/half-ca.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: half-ca, namespace: cert-manager}\ntype: kubernetes.io/tls\ndata: {tls.crt: \"\"}\n",
    "apps/certificates.yaml": ["no-server", "ca", "half-ca", "tsig", "eab", "selfsigned"].map((i) => certificate(`by-${i}`, i)).join(""),
  });
  const { stdout: keys } = gitcert(["keygen"], {});
  const recipient = /public key: (age1[0-9a-z]+)/.exec(keys)![1]!;
  const env = { HOME: dir, GITCERT_LOG_LEVEL: "warn", GITCERT_REPO: url, GITCERT_WORKDIR: join(dir, "work"), GITCERT_AGE_RECIPIENTS: recipient };

  const plan = gitcert(["plan"], env);
  assert.equal(plan.code, 1, plan.stderr);
  const line = (name: string) => plan.stdout.split("\n").find((l) => l.includes(`shop/${name} `)) ?? `no line for ${name}:\n${plan.stdout}`;
  assert.match(line("by-no-server"), /^blocked\b.* ClusterIssuer no-server at platform\/issuers\.yaml:1 is invalid: spec\.acme\.server: is required$/);
  assert.match(line("by-ca"), /ClusterIssuer ca at platform\/issuers\.yaml:\d+ is not ready: Secret cert-manager\/ca-key-pair \(CA key pair, spec\.ca\.secretName\): not found in the repository \(no cluster configured\)$/);
  assert.match(line("by-half-ca"), /Secret cert-manager\/half-ca \(CA key pair, spec\.ca\.secretName\) at platform\/half-ca\.yaml:1 has no key "tls\.key"$/);
  assert.match(line("by-tsig"), /Secret cert-manager\/tsig \(TSIG secret, spec\.acme\.solvers\[0\]\.dns01\.rfc2136\.tsigSecretSecretRef\): not found/);
  assert.match(line("by-eab"), /Secret cert-manager\/eab \(EAB HMAC key, spec\.acme\.externalAccountBinding\.keySecretRef\): not found/);
  assert.match(line("by-selfsigned"), /^issue /);

  const runEnv = { ...env, SOPS_AGE_KEY: keys.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))! };
  const first = gitcert(["run", "--once"], runEnv);
  assert.equal(first.code, 1, "blocked Certificates make the run exit 1");
  assert.match(first.stdout, /shop\/by-selfsigned .* Issued/);
  assert.match(first.stdout, /shop\/by-ca .* Blocked: ClusterIssuer ca at/);
  const clone = join(dir, "check");
  git(dir, "clone", "--quiet", url, clone);
  assert.ok(existsSync(join(clone, "apps/by-selfsigned.sops.yaml")));
  assert.ok(!existsSync(join(clone, ".gitcert/issuance-failures")), "a configuration mistake is not a failure at the CA: nothing to back off from");

  // The fix: the CA key pair comes from an isCA Certificate in the repository.
  push({ "platform/ca.yaml": certificate("ca-key-pair", "selfsigned", "  isCA: true\n") }, "a CA for the ca issuer");
  const second = gitcert(["run", "--once"], runEnv);
  assert.match(second.stdout, /cert-manager\/ca-key-pair .* Issued/);
  assert.match(second.stdout, /shop\/by-ca .* Issued/, "issued in the same run as its CA, without waiting out a backoff");
});
