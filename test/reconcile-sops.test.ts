// The repository's SOPS conventions and recipient rotation, end to end: the
// embedded demo pushed to a real bare remote, its .sops.yaml changed as a
// user would, and what lands in Git checked with the real sops and kubectl.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadConfig, type Config } from "../src/config.ts";
import { prepareDemo } from "../src/demo.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import { createLogger } from "../src/log.ts";
import { assess, reconcileRepository, type ReconcileDeps } from "../src/reconcile.ts";
import { formatPlan } from "../src/report.ts";
import { openWorkspace } from "../src/repo/index.ts";
import { git, remoteClones, tempDir } from "./helpers.ts";
import { peer } from "./peers/tools.ts";

const LEAVES = ["apps/shop/api-tls", "apps/shop/storefront-tls", "apps/blog/blog-tls"];
const ROOT = "platform/cert-manager/demo-root-ca";

async function setup(t: TestContext, overrides: Partial<Config> = {}) {
  const dir = tempDir(t);
  const demo = await prepareDemo(join(dir, "demo"));
  const { config } = loadConfig({});
  const cfg: Config = { ...config, logLevel: "error", ...overrides };
  const workspace = await openWorkspace({ url: demo.remote, branch: "main", workdir: join(dir, "work"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const reconcile = (extra: Partial<ReconcileDeps> = {}, now = new Date()) =>
    reconcileRepository(workspace, { config: cfg, issuers: defaultIssuers(), identities: demo.identities, now: () => now, log: createLogger("error"), ...extra });
  const plan = async () => {
    await workspace.sync();
    return assess(workspace.root, cfg, { now: new Date(), issuers: defaultIssuers() });
  };
  const { checkout, pushOther } = remoteClones(dir, demo.remote);
  const recipient = /public key: (age1\w+)/.exec(readFileSync(demo.keyFile, "utf8"))![1]!;
  return { dir, demo, reconcile, plan, checkout, pushOther, recipient, identity: demo.identities[0]! };
}

/** `sops -d` as a user would run it; the result carries the exit status. */
function sopsDecrypt(t: TestContext, file: string, identity: string): { status: number | null; stdout: string } {
  const dir = tempDir(t, "gitcert-sops-");
  writeFileSync(join(dir, "keys.txt"), identity + "\n", { mode: 0o600 });
  try {
    const stdout = execFileSync(peer("sops"), ["--decrypt", file], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") } });
    return { status: 0, stdout };
  } catch (err) {
    return { status: (err as { status: number | null }).status, stdout: "" };
  }
}

function newIdentity(): { identity: string; recipient: string } {
  const out = execFileSync(peer("age-keygen"), [], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { identity: out.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!, recipient: /public key: (age1\w+)/.exec(out)![1]! };
}

const sopsYaml = (rule: string, recipients: string[], indent?: number) =>
  `${indent ? `stores:\n  yaml:\n    indent: ${indent}\n` : ""}creation_rules:\n  - path_regex: ${rule}\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipients.join(",")}\n`;

test("a .sops.yaml for *.enc.age.yaml with indent 2: plan names the files and why, and they are written that way", async (t) => {
  const { reconcile, plan, pushOther, checkout, recipient, identity } = await setup(t);
  pushOther((clone) => writeFileSync(join(clone, ".sops.yaml"), sopsYaml(".*\\.enc\\.age\\.yaml$", [recipient], 2)), "the team's convention");

  const planned = await plan();
  const api = planned.items.find((i) => i.object.name === "api");
  assert.equal(api?.secretPath, "apps/shop/api-tls.enc.age.yaml");
  const listing = formatPlan(planned.items, []);
  assert.match(listing, /→ apps\/shop\/api-tls\.enc\.age\.yaml \(api-tls\.enc\.age\.yaml: the first of gitcert's names \.sops\.yaml creation_rules\[0\] \(line 5\) matches\)/);

  const report = await reconcile();
  assert.deepEqual(report.outcomes.map((o) => o.kind), ["issued", "issued", "issued", "issued"]);
  const clone = checkout();
  for (const base of [ROOT, ...LEAVES]) {
    const file = join(clone, `${base}.enc.age.yaml`);
    assert.ok(existsSync(file), `${base}.enc.age.yaml is in the pushed commit`);
    assert.ok(!existsSync(join(clone, `${base}.sops.yaml`)));
    const text = readFileSync(file, "utf8");
    assert.match(text, /^metadata:\n {2}name: /m, "stores.yaml.indent: 2");
    assert.match(text, /^sops:\n {2}age:\n {4}- recipient: age1\w+\n {6}enc: \|\n {8}-----BEGIN AGE ENCRYPTED FILE-----$/m);
    assert.equal(sopsDecrypt(t, file, identity).status, 0);
  }
  assert.match(readFileSync(join(clone, "apps/shop/kustomization.yaml"), "utf8"), /- api-tls\.enc\.age\.yaml/);
});

test("a secrets/ folder rule: Secrets go into secrets/, listed in the app's kustomization.yaml, and kustomize builds them", async (t) => {
  const { reconcile, pushOther, checkout, recipient, identity } = await setup(t);
  pushOther((clone) => writeFileSync(join(clone, ".sops.yaml"), sopsYaml("(^|/)secrets/[^/]+\\.yaml$", [recipient])), "secrets live in secrets/");
  const report = await reconcile();
  assert.equal(report.outcomes.filter((o) => o.kind === "issued").length, 4);
  const clone = checkout();
  const file = join(clone, "apps/shop/secrets/api-tls.sops.yaml");
  assert.ok(existsSync(file));
  assert.equal(sopsDecrypt(t, file, identity).status, 0);
  assert.match(readFileSync(join(clone, "apps/shop/kustomization.yaml"), "utf8"), /- secrets\/api-tls\.sops\.yaml/);
  const built = execFileSync(peer("kubectl"), ["kustomize", join(clone, "apps/shop")], { encoding: "utf8" });
  const names = built.split(/^---$/m).map((d) => parseYaml(d) as { kind?: string; metadata?: { name?: string } }).filter((d) => d?.kind === "Secret").map((d) => d.metadata?.name);
  assert.deepEqual(names.sort(), ["api-tls", "storefront-tls"]);
});

test("recipients rotated in .sops.yaml: one commit rekeys every Secret, for the new key only, values and MAC unchanged, and the next run does nothing", async (t) => {
  const { reconcile, plan, pushOther, checkout, recipient, identity } = await setup(t);
  const first = await reconcile();
  assert.ok(first.commit);
  const before = checkout();
  const files = [ROOT, ...LEAVES].map((b) => `${b}.sops.yaml`);
  const plaintext = new Map(files.map((f) => [f, sopsDecrypt(t, join(before, f), identity).stdout]));

  const next = newIdentity();
  pushOther((clone) => {
    const f = join(clone, ".sops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace(recipient, next.recipient));
  }, "rotate the team's age key");

  const planned = await plan();
  assert.deepEqual(planned.items.map((i) => i.action), ["rekey", "rekey", "rekey", "rekey"]);
  assert.match(planned.items[0]!.message, new RegExp(`adds ${next.recipient}; removes ${recipient}.*needs an age identity for one of ${recipient} when run`));

  const blind = await reconcile({ identities: [] });
  assert.ok(blind.outcomes.every((o) => o.kind === "blocked" && o.reason === "NoIdentityForRekey"), blind.outcomes.map((o) => `${o.kind}:${o.reason}`).join());
  assert.equal(blind.commit, undefined);

  const report = await reconcile();
  assert.deepEqual(report.outcomes.map((o) => o.kind), ["rekeyed", "rekeyed", "rekeyed", "rekeyed"]);
  assert.equal(report.assessment.items.filter((i) => i.action !== "rekey").length, 0, "no certificate was issued");
  const after = checkout();
  assert.equal(git(after, "rev-list", "--count", `${first.commit}..HEAD`).trim(), "2", "the user's commit and one commit of gitcert's");
  const message = git(after, "log", "-1", "--format=%B");
  assert.match(message, /^gitcert: rekeyed 4 Secrets\n/);
  assert.match(message, new RegExp(`- rekeyed shop/api: apps/shop/api-tls\\.sops\\.yaml \\(adds ${next.recipient}; removes ${recipient}\\)`));
  assert.deepEqual(git(after, "diff", "--name-only", "HEAD~1", "HEAD").trim().split("\n").sort(), [...files].sort(), "only the Secret files changed");

  for (const f of files) {
    const text = readFileSync(join(after, f), "utf8");
    const old = readFileSync(join(before, f), "utf8");
    assert.equal(sopsDecrypt(t, join(after, f), next.identity).stdout, plaintext.get(f), `${f}: the new identity reads the same values`);
    assert.notEqual(sopsDecrypt(t, join(after, f), identity).status, 0, `${f}: the removed identity no longer opens it`);
    const [m1, m2] = [parseYaml(old).sops, parseYaml(text).sops];
    assert.equal(m2.mac, m1.mac);
    assert.equal(m2.lastmodified, m1.lastmodified);
    assert.equal(text.slice(0, text.indexOf("\nsops:")), old.slice(0, old.indexOf("\nsops:")), `${f}: every value byte for byte`);
  }

  const again = await reconcile({ identities: [next.identity] });
  assert.equal(again.commit, undefined, "no churn");
  assert.ok(again.assessment.items.every((i) => i.action === "ok"));
});

test("an explicit secretPath is used as written when a rule matches it", async (t) => {
  const { reconcile, pushOther, checkout, recipient, identity } = await setup(t, { secretPath: "{dir}/{namespace}-{secretName}.enc.yaml" });
  pushOther((clone) => writeFileSync(join(clone, ".sops.yaml"), sopsYaml("\\.enc\\.ya?ml$", [recipient])), "enc files");
  const report = await reconcile();
  assert.equal(report.outcomes.filter((o) => o.kind === "issued").length, 4);
  const file = join(checkout(), "apps/shop/shop-api-tls.enc.yaml");
  assert.equal(sopsDecrypt(t, file, identity).status, 0);
});
