// The command line as a newcomer meets it: a child process, real exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers.ts";

const CLI = join(import.meta.dirname, "..", "src", "cli.ts");

function gitcert(args: string[], env: Record<string, string>, cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? process.env.HOME!, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the embedded demo issues everything on the first run and pushes nothing on the second", async (t) => {
  const dir = tempDir(t);
  const env = { GITCERT_DEMO_DIR: join(dir, "demo"), HOME: dir, GITCERT_LOG_LEVEL: "warn" };
  const cwd = join(dir, "cwd");
  spawnSync("mkdir", [cwd]);
  const first = gitcert(["run", "--once"], env, cwd);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /CERTIFICATE\s+DNS NAMES\s+ISSUER\s+NOT AFTER\s+RENEWAL\s+STATE/);
  assert.match(first.stdout, /shop\/storefront-tls\s+shop\.example\.com,www\.shop\.example\.com\s+ClusterIssuer\/demo-ca\s+\S+\s+\S+\s+Issued/);
  assert.match(first.stdout, /committed [0-9a-f]{12} and pushed/);
  assert.doesNotMatch(first.stdout + first.stderr, /AGE-SECRET-KEY|PRIVATE KEY/);

  const second = gitcert(["run", "--once"], env, cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /nothing to commit/);
  assert.match(second.stdout, /shop\/api .* Ready/);
  assert.deepEqual(readdirSync(cwd), [], "nothing is left in the folder it ran from");

  // status reads Git alone: no identity at all, nothing decrypted.
  const status = gitcert(["status"], { ...env, SOPS_AGE_KEY: "", SOPS_AGE_KEY_FILE: "" }, cwd);
  assert.equal(status.code, 0, status.stderr);
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
});

test("exit code 2 for usage and configuration errors, with a message that says what is wrong", (t) => {
  const dir = tempDir(t);
  const env = { GITCERT_DEMO_DIR: join(dir, "demo"), HOME: dir };
  const unknown = gitcert(["frobnicate"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const noOnce = gitcert(["run"], env);
  assert.equal(noOnce.code, 2);
  assert.match(noOnce.stderr, /--once/);
  const occupied = join(dir, "occupied");
  spawnSync("mkdir", [occupied]);
  writeFileSync(join(occupied, "notes.txt"), "mine\n");
  const notDemo = gitcert(["status"], { ...env, GITCERT_DEMO_DIR: occupied });
  assert.equal(notDemo.code, 2, notDemo.stderr);
  assert.match(notDemo.stderr, /not empty and was not made by gitcert/);
  assert.equal(readFileSync(join(occupied, "notes.txt"), "utf8"), "mine\n", "a folder that is not the demo's is left alone");
  const config = join(dir, "gitcert.yaml");
  writeFileSync(config, "concurrency: many\n");
  const badConfig = gitcert(["plan", "--config", config], env);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /concurrency: expected a number/);
});

test("keygen prints an age identity and the recipient to put in .sops.yaml", () => {
  const r = gitcert(["keygen"], {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
  const recipient = /public key: (age1[0-9a-z]+)/.exec(r.stdout)?.[1];
  assert.ok(recipient);
  assert.match(r.stderr, new RegExp(`age: ${recipient}`));
});
