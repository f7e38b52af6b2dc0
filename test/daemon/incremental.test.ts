// Ticks of a long-running gitcert read only what changed in Git: against a
// real bare Git remote, pushes, force-pushes, a symlink and a .gitattributes
// that make the checkout differ from Git's objects, and a Flux variable
// Secret opened once per content.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { Settled } from "../../src/daemon/loop.ts";
import type { TickReport } from "../../src/daemon/daemon.ts";
import { prepareDemo } from "../../src/demo.ts";
import { fixture } from "../gitops/fixture.ts";
import { git, tempDir } from "../helpers.ts";
import { seededRemote } from "../peers/git-remote.ts";
import { peer } from "../peers/tools.ts";
import { SopsPeer } from "../secrets/sops-peer.ts";
import { generateAgeIdentity } from "../../src/secrets/index.ts";
import { serveDemo, type Served } from "./helpers.ts";

interface Summary {
  commit?: string;
  parsedFiles: number;
  certificates: Array<{ certificate: string; action: string; result: string }>;
}

function summaryOf(outcome: Settled<TickReport>): Summary {
  assert.equal(outcome.status, "done", JSON.stringify(outcome));
  return (outcome as { result: TickReport }).result.summary as unknown as Summary;
}

const rows = (summary: Summary) => summary.certificates.map((r) => `${r.action} ${r.certificate} ${r.result}`).sort();

/** Ten minutes on, as the schedule would tick. */
async function later(served: Served): Promise<Summary> {
  served.clock.now = new Date(served.clock.now.getTime() + 10 * 60_000);
  return summaryOf(await served.tick());
}

/** A daemon on the demo, started, with the tick that reads its own first commit done. */
async function settledDemo(t: TestContext): Promise<Served> {
  const served = await serveDemo(t);
  assert.equal((await served.daemon.started).status, "done");
  await later(served);
  return served;
}

test("a push that changed one file with nothing due: the tick reads that one file, then none; no commit", async (t) => {
  const served = await settledDemo(t);
  const head = served.remoteHead();
  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, `${readFileSync(path, "utf8")}# reviewed\n`);
  }, "blog: a comment");
  const pushed = served.remoteHead();
  assert.notEqual(pushed, head);

  const after = await later(served);
  assert.equal(after.parsedFiles, 1, "only the pushed file was read");
  assert.equal(after.commit, undefined);
  assert.deepEqual(after.certificates, []);
  assert.equal(served.repository.commit, pushed, "planned from the pushed commit");

  const next = await later(served);
  assert.equal(next.parsedFiles, 0);
  assert.equal(next.commit, undefined);
  assert.equal(served.remoteHead(), pushed, "nothing pushed");
});

test("a push that changes nothing gitcert reads keeps the last plan's scan; a Certificate edited after it is still reissued", async (t) => {
  const served = await settledDemo(t);
  const carried = served.repository.carried;
  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("spec:", "spec:  # reviewed by the blog team"));
    writeFileSync(join(clone, "README.md"), "The platform repository.\n");
  }, "blog: a comment; the README");
  const quiet = await later(served);
  assert.equal(quiet.parsedFiles, 1, "the edited manifest was parsed, the README never");
  assert.deepEqual(quiet.certificates, []);
  assert.equal(served.repository.carried, carried + 1, "the edits changed nothing the scan reads: its result was kept");

  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("- www.blog.example.com", "- www.blog.example.com\n    - news.blog.example.com"));
  }, "blog: one more name");
  const edited = await later(served);
  assert.deepEqual(rows(edited), ["reissue blog/blog reissued"]);
  assert.equal(served.repository.carried, carried + 1, "a changed reading is scanned again");
});

test("a push that edits a .sops.yaml the plan read is planned afresh: a recipient added there rekeys every Secret", async (t) => {
  const served = await settledDemo(t);
  const carried = served.repository.carried;
  const { recipient } = await generateAgeIdentity();
  served.pushOther((clone) => {
    const path = join(clone, ".sops.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace(/age: (\S+)/, `age: $1,${recipient}`));
  }, "a second age recipient");
  const after = await later(served);
  assert.ok(after.commit, "the rekeyed Secrets were committed");
  assert.deepEqual(rows(after), ["rekey blog/blog rekeyed", "rekey cert-manager/demo-root-ca rekeyed", "rekey shop/api rekeyed", "rekey shop/storefront-tls rekeyed"]);
  assert.equal(served.repository.carried, carried, "the edited .sops.yaml was read by the plan: nothing was carried");
});

test("a manifest left out for its size is read once a push brings it under the limit", async (t) => {
  const extra = `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: extra, namespace: blog}\nspec:\n  secretName: extra-tls\n  dnsNames: [extra.blog.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n`;
  // In the repository before the daemon starts: its size is known from the first listing of the tree.
  const demo = await prepareDemo(join(tempDir(t), "demo"));
  const clone = join(tempDir(t), "clone");
  git(tempDir(t), "clone", "--quiet", demo.remote, clone);
  writeFileSync(join(clone, "apps/blog/extra.yaml"), `${extra}${"# padding\n".repeat(10_000)}`);
  git(clone, "add", "--all");
  git(clone, "commit", "--quiet", "-m", "blog: an extra certificate, padded past the limit");
  git(clone, "push", "--quiet", "origin", "main");

  const served = await serveDemo(t, { remote: demo.remote, identities: demo.identities, config: { maxFileBytes: 64 * 1024 } });
  assert.equal((await served.daemon.started).status, "done");
  const large = await later(served);
  assert.deepEqual(large.certificates, [], "over maxFileBytes: not read");
  assert.equal(large.commit, undefined);

  served.pushOther((other) => writeFileSync(join(other, "apps/blog/extra.yaml"), extra), "blog: the padding gone");
  assert.deepEqual(rows(await later(served)), ["issue blog/extra issued"]);
});

test("a force-push back to an older commit is planned from that commit: the same as before, or everything issued again when its Secrets are gone", async (t) => {
  const served = await settledDemo(t);
  const issued = served.remoteHead();
  const [seed] = git(served.checkout(), "rev-list", "--max-parents=0", "main").trim().split("\n");
  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("- www.blog.example.com", "- www.blog.example.com\n    - news.blog.example.com"));
  }, "blog: one more name");
  const reissue = await later(served);
  assert.deepEqual(rows(reissue), ["reissue blog/blog reissued"]);

  // Back to the commit where the Secrets were first issued, for the spec they were issued for: nothing is due.
  const clone = served.checkout();
  git(clone, "reset", "--quiet", "--hard", issued);
  git(clone, "push", "--quiet", "--force", "origin", "main");
  const back = await later(served);
  assert.equal(back.commit, undefined, "nothing due at the commit the remote went back to");
  assert.deepEqual(back.certificates, []);
  // The Certificate file as it was there; its Secret file there is the one the reissue tick had read before it wrote.
  assert.equal(back.parsedFiles, 1);
  assert.equal(served.repository.commit, issued);
  assert.equal(served.remoteHead(), issued);

  // Back to before anything was issued: every Secret file is gone, so every Certificate is issued again.
  git(clone, "reset", "--quiet", "--hard", seed!);
  git(clone, "push", "--quiet", "--force", "origin", "main");
  const bare = await later(served);
  assert.deepEqual(rows(bare), ["issue blog/blog issued", "issue cert-manager/demo-root-ca issued", "issue shop/api issued", "issue shop/storefront-tls issued"]);
  assert.ok(bare.commit);
  assert.equal(git(served.checkout(), "rev-parse", "main^").trim(), seed, "gitcert's commit sits on the commit the remote was reset to");
  assert.equal((await later(served)).commit, undefined);
});

test("a symlinked manifest: planned from the checkout, which follows the link; issued, then quiet, then reissued when its target changes", async (t) => {
  const served = await settledDemo(t);
  const extra = (names: string) =>
    `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: extra}\nspec:\n  secretName: extra-tls\n  dnsNames: [${names}]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n`;
  served.pushOther((clone) => {
    // Not a manifest by its name (include is **/*.yaml): only the link makes it one, as the walk of a checkout sees it.
    mkdirSync(join(clone, "shared"));
    writeFileSync(join(clone, "shared/extra-certificate.txt"), extra("extra.blog.example.com"));
    symlinkSync("../../shared/extra-certificate.txt", join(clone, "apps/blog/extra.yaml"));
  }, "blog: an extra certificate, linked");
  assert.deepEqual(rows(await later(served)), ["issue blog/extra issued"]);
  assert.equal(await served.repository.faithful(), false, "a symlink: Git's objects are not what the checkout shows");

  for (let i = 0; i < 3; i++) {
    const quiet = await later(served);
    assert.equal(quiet.commit, undefined, `tick ${i} after the issue made no commit`);
    assert.deepEqual(quiet.certificates, []);
  }

  served.pushOther((clone) => writeFileSync(join(clone, "shared/extra-certificate.txt"), extra("extra.blog.example.com, more.blog.example.com")), "extra: one more name");
  assert.deepEqual(rows(await later(served)), ["reissue blog/extra reissued"]);
});

test("a .gitattributes that rewrites content on checkout: planned from the checkout, and right", async (t) => {
  const served = await settledDemo(t);
  served.pushOther((clone) => {
    writeFileSync(join(clone, ".gitattributes"), "*.yaml text eol=crlf\n");
    writeFileSync(
      join(clone, "apps/blog/crlf.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: crlf}\nspec:\n  secretName: crlf-tls\n  dnsNames: [crlf.blog.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n",
    );
  }, "line endings for Windows colleagues");
  assert.deepEqual(rows(await later(served)), ["issue blog/crlf issued"]);
  assert.equal(await served.repository.faithful(), false);
  for (let i = 0; i < 3; i++) {
    const quiet = await later(served);
    assert.equal(quiet.commit, undefined, `tick ${i} after the issue made no commit`);
    assert.deepEqual(quiet.certificates, []);
  }
});

test("Flux substituting from a SOPS Secret: the Secret is opened once for its content, not at every tick, even when other files change", async (t) => {
  const sops = new SopsPeer();
  t.after(() => sops.cleanup());
  const key = sops.keygen();
  const files = fixture("flux", { AGE_RECIPIENT: key.recipient });
  const sealed = "clusters/production/cluster-secrets.sops.yaml";
  files[sealed] = sops.encrypt(files[sealed]!, ["--age", key.recipient, "--encrypted-regex", "^(data|stringData)$"]);
  const dir = tempDir(t);
  const remote = await seededRemote(dir, "flux", files);
  const identities = [key.identity];
  const served = await serveDemo(t, { remote, identities, config: { "gitops.clusterPath": "clusters/production" } });
  const started = await served.daemon.started;
  assert.equal(started.status, "done");
  const first = summaryOf(started);
  // The Ingress's host comes from the sealed variable: only an opened Secret plans it.
  assert.deepEqual(rows(first), ["issue shop/api issued", "issue shop/storefront-tls issued"]);
  await later(served);

  // From now on any decryption fails: the identity is another one.
  identities[0] = sops.keygen().identity;
  const planned = (outcome: Settled<TickReport>) => (outcome as { result: TickReport }).result.certificates.map((c) => `${c.namespace}/${c.name} ${c.ready}`).sort();
  for (let i = 0; i < 100; i++) {
    if (i === 50) {
      served.pushOther((clone) => {
        const path = join(clone, "apps/base/shop/certificate.yaml");
        writeFileSync(path, `${readFileSync(path, "utf8")}# reviewed\n`);
      }, "shop: a comment");
    }
    served.clock.now = new Date(served.clock.now.getTime() + 10 * 60_000);
    const outcome = await served.tick();
    const summary = summaryOf(outcome);
    assert.equal(summary.commit, undefined, `tick ${i}: no commit`);
    assert.deepEqual(summary.certificates, [], `tick ${i}: nothing done`);
    assert.equal(summary.parsedFiles, i === 50 ? 1 : 0, `tick ${i}: files read`);
    assert.deepEqual(planned(outcome), ["shop/api True", "shop/storefront-tls True"], `tick ${i}: the substituted Ingress is still planned, from the values opened once`);
  }
});

test("a push that edits a Flux variable Secret's plaintext value is planned afresh, even when the last scan found the Secret opened already", async (t) => {
  const sops = new SopsPeer();
  t.after(() => sops.cleanup());
  const key = sops.keygen();
  const files = fixture("flux", { AGE_RECIPIENT: key.recipient });
  const sealed = "clusters/production/cluster-secrets.sops.yaml";
  // mac_only_encrypted: what is left in plaintext (stringData here) may be edited by hand, and the file still decrypts.
  const rules = sops.file(`creation_rules:\n  - encrypted_regex: ^data$\n    mac_only_encrypted: true\n    age: ${key.recipient}\n`, "rules.yaml");
  const encrypted = sops.run(peer("sops"), ["--config", rules, "encrypt", "--filename-override", sealed, sops.file(files[sealed]!)]);
  assert.equal(encrypted.status, 0, encrypted.stderr);
  files[sealed] = encrypted.stdout;
  // The settings inline, so no ConfigMap is searched for (a search reads every file).
  const apps = "clusters/production/apps.yaml";
  files[apps] = files[apps]!.replace("APP_ENV: production", "APP_ENV: production\n      CLUSTER_DOMAIN: prod.example.test").replace(/ +- kind: ConfigMap\n +name: cluster-settings\n/, "");
  assert.doesNotMatch(files[apps]!, /cluster-settings/);
  const remote = await seededRemote(tempDir(t), "flux", files);
  const served = await serveDemo(t, { remote, identities: [key.identity], config: { "gitops.clusterPath": "clusters/production" } });
  assert.equal((await served.daemon.started).status, "done");
  await later(served);
  // A file added: the scan is made again, and finds the variable Secret opened for its content already.
  served.pushOther((clone) => writeFileSync(join(clone, "apps/base/shop/notes.yaml"), "# the shop team's notes\n"), "shop: notes");
  assert.deepEqual((await later(served)).certificates, []);

  served.pushOther((clone) => {
    const path = join(clone, sealed);
    writeFileSync(path, readFileSync(path, "utf8").replace("hidden.example.test", "moved.example.test"));
  }, "the shop moves to another domain");
  assert.deepEqual(rows(await later(served)), ["reissue shop/storefront-tls reissued"], "the Ingress's host is substituted from the edited value");
});
