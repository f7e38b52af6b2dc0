import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { envName, flagName, loadConfig } from "../src/config.ts";

test("every option comes from the file, the environment or a flag, in that order of strength", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  const file = join(dir, "gitcert.yaml");
  writeFileSync(file, "repo: /srv/git/platform.git\nbranch: from-file\nconcurrency: 2\ngit:\n  authorName: File Bot\n");
  const { config, errors } = loadConfig({
    file,
    env: { GITCERT_CONCURRENCY: "3", GITCERT_GIT_AUTHOR_NAME: "Env Bot" },
    flags: { "git.authorName": "Flag Bot" },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.repo, "/srv/git/platform.git");
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

test("numbers outside their range are refused, naming the option, where it came from and the range", () => {
  const { config, errors } = loadConfig({
    env: { GITCERT_CONCURRENCY: "0", GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: "2.5" },
    flags: { "acme.http01.port": "70000", "git.pushRetrySeconds": "-1" },
  });
  const says = (text: string) => assert.ok(errors.some((e) => e.includes(text)), `${text}\n${errors.join("\n")}`);
  says("GITCERT_CONCURRENCY: expected a whole number from 1 to 256, got 0");
  says("GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: expected a whole number from 1 to 30, got 2.5");
  says("--acme-http01-port: expected a whole number from 0 to 65535, got 70000");
  says("--git-push-retry-seconds: expected a whole number from 0 to 3600, got -1");
  assert.equal(errors.length, 4, errors.join("\n"));
  assert.equal(config.concurrency, 4, "the default stands in, so nothing runs with the bad value");
  assert.equal(loadConfig({ env: { GITCERT_ACME_HTTP01_SELF_CHECK_PASSES: "1" } }).config["acme.http01.selfCheckPasses"], 1);
});

test("a config file nested absurdly deep is refused with its line, and the process lives", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  const file = join(dir, "gitcert.yaml");
  writeFileSync(file, `branch: main\ninclude: ${"[".repeat(200_000)}\n`);
  const { errors } = loadConfig({ file });
  assert.ok(errors.some((e) => e.startsWith(`${file}: YAML nested more than 500 levels deep at line 2`)), errors.join("\n"));
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

test("a config file that cannot be read says why in words, and one that sets options but no repo says that", () => {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-config-"));
  assert.deepEqual(loadConfig({ file: join(dir, "missing.yaml") }).errors, [`${join(dir, "missing.yaml")}: not found`]);
  assert.deepEqual(loadConfig({ file: dir }).errors, [`${dir}: is a folder, not a file`]);
  const noRepo = join(dir, "gitcert.yaml");
  writeFileSync(noRepo, "branch: production\n");
  assert.deepEqual(loadConfig({ file: noRepo }).errors, [`${noRepo}: no \`repo\`: set it to the Git URL or path of the repository to manage (or give --repo or GITCERT_REPO)`]);
  assert.deepEqual(loadConfig({ file: noRepo, env: { GITCERT_REPO: "/srv/git/platform.git" } }).errors, []);
  assert.deepEqual(loadConfig({ file: noRepo, flags: { repo: "/srv/git/platform.git" } }).errors, []);
  const empty = join(dir, "empty.yaml");
  writeFileSync(empty, "# nothing yet\n");
  assert.deepEqual(loadConfig({ file: empty }).errors, [], "a file that says nothing is no file: the demo");
});
