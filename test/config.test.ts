import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { envName, flagName, loadConfig } from "../src/config.ts";

test("every option comes from the file, the environment or a flag, in that order of strength", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  const file = join(dir, "gitcert.yaml");
  writeFileSync(file, "branch: from-file\nconcurrency: 2\ngit:\n  authorName: File Bot\n");
  const { config, errors } = loadConfig({
    file,
    env: { GITCERT_CONCURRENCY: "3", GITCERT_GIT_AUTHOR_NAME: "Env Bot" },
    flags: { "git.authorName": "Flag Bot" },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.branch, "from-file");
  assert.equal(config.concurrency, 3);
  assert.equal(config["git.authorName"], "Flag Bot");
  assert.equal(config.defaultNamespace, "default");
});

test("names of flags and variables follow the option key", () => {
  assert.equal(envName("git.sshKeyFile"), "GITCERT_GIT_SSH_KEY_FILE");
  assert.equal(flagName("git.sshKeyFile"), "git-ssh-key-file");
  assert.equal(flagName("ageRecipients"), "age-recipients");
});

test("bad configuration is reported, naming the option and where it came from", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  const file = join(dir, "gitcert.yaml");
  writeFileSync(file, "concurency: 2\nconcurrency: lots\n");
  const { errors } = loadConfig({ file, env: { GITCERT_AGE_RECIPIENTS: "not-a-recipient" } });
  assert.ok(errors.some((e) => e.includes("unknown option concurency")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("concurrency: expected a number")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("not an age recipient")), errors.join("\n"));
});

test("a config file that is not YAML is reported by line, without quoting the line (it may hold a token)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  const file = join(dir, "gitcert.yaml");
  writeFileSync(file, "repo: https://git.example.com/x.git\ngit:\n  token: ghp_SUPERSECRET: x\n");
  const { errors } = loadConfig({ file });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /gitcert\.yaml:3: not valid YAML/);
  assert.doesNotMatch(errors.join("\n"), /SUPERSECRET/);
});

test("the Git token is taken from the environment or the file, never from a flag", () => {
  const { config } = loadConfig({ env: { GITCERT_GIT_TOKEN: "from-env" }, flags: { "git.token": "from-flag" } });
  assert.equal(config["git.token"], "from-env");
});
