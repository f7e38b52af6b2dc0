// The whole pipeline against a real bare Git remote, with the real sops CLI
// and openssl checking what lands in Git.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadConfig, type Config } from "../src/config.ts";
import { prepareDemo } from "../src/demo.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import { createLogger } from "../src/log.ts";
import type { Outcome } from "../src/execute/index.ts";
import { reconcileRepository, type ReconcileDeps, type ReconcileReport } from "../src/reconcile.ts";
import { GitError, openWorkspace } from "../src/repo/index.ts";
import { git, remoteClones, sopsDecrypt, tempDir } from "./helpers.ts";
import { busyRemote } from "./peers/git-remote.ts";
import { peer } from "./peers/tools.ts";

const SECRET_FILES = [
  "platform/cert-manager/demo-root-ca.sops.yaml",
  "apps/shop/api-tls.sops.yaml",
  "apps/shop/storefront-tls.sops.yaml",
  "apps/blog/blog-tls.sops.yaml",
];

/** The real issuers, counting what they sign. */
function countingIssuers() {
  let signed = 0;
  const issuers = new Map([...defaultIssuers()].map(([type, issuer]) => [type, { ...issuer, sign: (...args: Parameters<typeof issuer.sign>) => (signed++, issuer.sign(...args)) }]));
  return { issuers, signed: () => signed };
}

async function setup(t: TestContext, overrides: Partial<Config> = {}, issuers = defaultIssuers()) {
  const dir = tempDir(t);
  const demo = await prepareDemo(join(dir, "demo"));
  const { config } = loadConfig({});
  const cfg: Config = { ...config, logLevel: "error", ...overrides };
  const workspace = await openWorkspace({ url: demo.remote, branch: "main", workdir: join(dir, "work"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const reconcile = (now = new Date(), extra: Partial<ReconcileDeps> = {}): Promise<ReconcileReport> =>
    reconcileRepository(workspace, { config: cfg, issuers, identities: demo.identities, now: () => now, log: createLogger("error"), ...extra });
  const { checkout, pushOther } = remoteClones(dir, demo.remote);
  return { demo, workspace, reconcile, checkout, pushOther, identity: demo.identities[0]! };
}

function secretData(t: TestContext, file: string, identity: string): Record<string, string> {
  const doc = parseYaml(sopsDecrypt(t, file, identity)) as { data: Record<string, string> };
  return Object.fromEntries(Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { encoding: "utf8", input });
}

test("self-signed → CA → leaves converge in one reconcile, encrypted, committed and pushed", async (t) => {
  const { reconcile, checkout, identity } = await setup(t);
  const progress: string[] = [];
  const report = await reconcile(new Date(), { onOutcome: (o: Outcome, done: number, total: number) => progress.push(`${done}/${total} ${o.certificate.name}`) });
  assert.equal(progress.length, 4, "one progress call per Certificate");
  assert.deepEqual(progress.map((p) => p.split(" ")[0]), ["1/4", "2/4", "3/4", "4/4"]);
  assert.equal(progress[0], "1/4 demo-root-ca", "the CA first: the others need its Secret");
  assert.deepEqual(report.outcomes.filter((o) => o.kind === "failed").map((o) => o.diagnostics), []);
  assert.deepEqual(report.outcomes.map((o) => `${o.certificate.name}:${o.kind}`).sort(), ["api:issued", "blog:issued", "demo-root-ca:issued", "storefront-tls:issued"]);
  const api = report.outcomes.find((o) => o.certificate.name === "api");
  assert.equal(api?.kind, "issued");
  if (api?.kind === "issued") {
    assert.equal(api.secretPath, "apps/shop/api-tls.sops.yaml");
    assert.deepEqual(api.issuer, { kind: "ClusterIssuer", name: "demo-ca" });
    assert.equal(api.secret.revision, 1);
    assert.match(api.secret.serial, /^[0-9a-f]+$/);
    assert.equal(api.secret.notAfter - api.secret.notBefore, 90 * 86400_000);
    assert.deepEqual(api.kustomization, { file: "apps/shop/kustomization.yaml", resource: "api-tls.sops.yaml", change: "added" });
  }
  assert.ok(report.commit && report.pushed);

  const clone = checkout();
  for (const f of SECRET_FILES) assert.ok(existsSync(join(clone, f)), `${f} is in the pushed commit`);
  const message = git(clone, "log", "-1", "--format=%B");
  assert.match(message, /issued 4 certificates/);
  assert.match(message, /issued shop\/api \(DoesNotExist\) by ClusterIssuer\/demo-ca/);

  // Real sops decrypts (MAC verified); openssl verifies the chain.
  const dir = tempDir(t);
  const root = secretData(t, join(clone, SECRET_FILES[0]!), identity);
  writeFileSync(join(dir, "root.pem"), root["tls.crt"]!);
  assert.match(openssl(["x509", "-noout", "-text", "-in", join(dir, "root.pem")]), /CA:TRUE/);
  for (const f of SECRET_FILES.slice(1)) {
    const data = secretData(t, join(clone, f), identity);
    assert.equal(data["ca.crt"], root["tls.crt"], `${f}: ca.crt is the demo root`);
    writeFileSync(join(dir, "leaf.pem"), data["tls.crt"]!);
    assert.match(openssl(["verify", "-CAfile", join(dir, "root.pem"), join(dir, "leaf.pem")]), /leaf.pem: OK/);
    const pub1 = openssl(["x509", "-noout", "-pubkey", "-in", join(dir, "leaf.pem")]);
    const pub2 = openssl(["pkey", "-pubout"], data["tls.key"]);
    assert.equal(pub1, pub2, `${f}: tls.key belongs to tls.crt`);
  }

  const blog = secretData(t, join(clone, "apps/blog/blog-tls.sops.yaml"), identity);
  writeFileSync(join(dir, "blog.pem"), blog["tls.crt"]!);
  const text = openssl(["x509", "-noout", "-text", "-in", join(dir, "blog.pem")]);
  assert.match(text, /DNS:blog\.example\.com, DNS:www\.blog\.example\.com/);
  assert.match(text, /NIST CURVE: P-384|secp384r1/);
  const dates = openssl(["x509", "-noout", "-startdate", "-enddate", "-in", join(dir, "blog.pem")]);
  const [start, end] = dates.trim().split("\n").map((l) => new Date(l.split("=")[1]!).getTime());
  assert.equal((end! - start!) / 3600_000, 2160, "blog lives its 2160h duration");

  const storefront = secretData(t, join(clone, "apps/shop/storefront-tls.sops.yaml"), identity);
  writeFileSync(join(dir, "sf.pem"), storefront["tls.crt"]!);
  assert.match(openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", join(dir, "sf.pem")]), /DNS:shop\.example\.com, DNS:www\.shop\.example\.com/);

  // The Secret's metadata is plaintext for planning; the kustomization lists it.
  const secretDoc = parseYaml(readFileSync(join(clone, "apps/shop/api-tls.sops.yaml"), "utf8")) as Record<string, any>;
  assert.equal(secretDoc.metadata.namespace, "shop");
  assert.equal(secretDoc.type, "kubernetes.io/tls");
  assert.equal(secretDoc.metadata.annotations["cert-manager.io/alt-names"], "api.shop.example.com");
  assert.match(secretDoc.data["tls.key"], /^ENC\[AES256_GCM,/);
  const kustomization = readFileSync(join(clone, "apps/shop/kustomization.yaml"), "utf8");
  assert.match(kustomization, /- api-tls\.sops\.yaml/);
  assert.match(kustomization, /- storefront-tls\.sops\.yaml/);
});

test("a second run with nothing due makes no commit and rewrites no file", async (t) => {
  const { reconcile, checkout } = await setup(t);
  const first = await reconcile();
  const second = await reconcile();
  assert.equal(second.commit, undefined);
  assert.equal(second.pushed, false);
  assert.ok(second.assessment.items.every((i) => i.action === "ok"), second.assessment.items.map((i) => `${i.object.name}:${i.action}`).join());
  assert.equal(git(checkout(), "rev-parse", "HEAD").trim(), first.commit);
});

test("renewal: past the renewal time only the due certificates are renewed, with a new revision", async (t) => {
  const { reconcile, checkout, identity } = await setup(t);
  await reconcile();
  // 80 days on: the 90-day leaves are past 2/3 of their life, the 10-year root is not.
  const later = new Date(Date.now() + 80 * 86400_000);
  const report = await reconcile(later);
  const renewed = report.outcomes.filter((o) => o.kind !== "unchanged").map((o) => `${o.certificate.name}:${o.kind}`).sort();
  assert.deepEqual(renewed, ["api:renewed", "blog:renewed", "storefront-tls:renewed"]);
  assert.deepEqual(report.outcomes.map((o) => (o.kind === "renewed" ? o.secret.revision : undefined)).filter(Boolean), [2, 2, 2]);
  const clone = checkout();
  const doc = parseYaml(readFileSync(join(clone, "apps/blog/blog-tls.sops.yaml"), "utf8")) as Record<string, any>;
  assert.equal(doc.metadata.annotations["gitcert.dev/revision"], "2");
  assert.match(git(clone, "log", "-1", "--format=%B"), /renewed 3 certificates/);
  secretData(t, join(clone, "apps/blog/blog-tls.sops.yaml"), identity);
});

test("bad input is reported with file:line and every other certificate proceeds", async (t) => {
  const { reconcile, pushOther, checkout } = await setup(t);
  pushOther((clone) => {
    writeFileSync(join(clone, "apps/shop/broken.yaml"), "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: x\n");
    writeFileSync(
      join(clone, "apps/blog/typo.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: typo\nspec:\n  secretName: typo-tls\n  dnsNames: [typo.example.com]\n  issuerRef: {name: no-such-issuer, kind: ClusterIssuer}\n",
    );
    writeFileSync(
      join(clone, "apps/blog/invalid.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: invalid\nspec:\n  secretName: invalid-tls\n  dnsNames: ['not a name']\n  duration: 90d\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n",
    );
    const cert = (name: string, secret: string) =>
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: ${name}\nspec:\n  secretName: ${secret}\n  dnsNames: [${name}.example.com]\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n`;
    writeFileSync(join(clone, "apps/blog/dup-a.yaml"), cert("dup-a", "dup-tls"));
    writeFileSync(join(clone, "apps/blog/dup-b.yaml"), cert("dup-b", "dup-tls"));
    writeFileSync(join(clone, "apps/blog/escape.yaml"), cert("escape", "../../etc/owned"));
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) bomb.push(`${"abcdefghijkl"[i]}: &${"abcdefghijkl"[i]} [*${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}, *${"abcdefghijkl"[i - 1]}]`);
    writeFileSync(join(clone, "apps/blog/bomb.yaml"), `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: bomb}\nspec:\n${bomb.map((l) => "  " + l).join("\n")}\n`);
    // Deep enough to abort a process that hands it to the yaml library.
    writeFileSync(join(clone, "apps/blog/deep-1.yaml"), `kind: Certificate\nspec: ${"[".repeat(20_000)}\n`);
    writeFileSync(join(clone, "apps/blog/deep-2.yaml"), `kind: Certificate\nmetadata: {name: deep}\nspec:\n  dnsNames: ${"[".repeat(300_000)}\n`);
    writeFileSync(join(clone, "apps/blog/deep-3.yaml"), `kind: Certificate\nspec: &s\n  x: ${"- ".repeat(300_000)}x\n`);
    symlinkSync("/etc/passwd", join(clone, "apps/blog/leak.yaml"));
    const huge = openSync(join(clone, "apps/blog/huge.yaml"), "w");
    ftruncateSync(huge, 50 * 1024 * 1024);
    closeSync(huge);
  }, "add broken manifests");
  const report = await reconcile();
  const issued = report.outcomes.filter((o) => o.kind === "issued").map((o) => o.certificate.name).sort();
  assert.deepEqual(issued, ["api", "blog", "demo-root-ca", "storefront-tls"]);
  const all = [...report.assessment.diagnostics, ...report.assessment.items.flatMap((i) => i.diagnostics)];
  const broken = all.find((d) => d.source?.file === "apps/shop/broken.yaml");
  assert.ok(broken && broken.source!.line >= 3, "invalid YAML names its file and line");
  const typo = report.assessment.items.find((i) => i.object.name === "typo");
  assert.equal(typo?.action, "blocked");
  assert.match(typo!.message, /no-such-issuer/);
  assert.equal(typo?.source?.file, "apps/blog/typo.yaml");
  const invalid = all.filter((d) => d.source?.file === "apps/blog/invalid.yaml").map((d) => d.message).join("\n");
  assert.match(invalid, /not a valid DNS name/);
  assert.match(invalid, /duration/);
  assert.ok(!existsSync(join(checkout(), "apps/blog/typo-tls.sops.yaml")));
  const codeOf = (file: string) => all.filter((d) => d.source?.file === file).map((d) => d.code);
  for (const name of ["dup-a", "dup-b"]) {
    const item = report.assessment.items.find((i) => i.object.name === name);
    assert.equal(item?.action, "blocked", `${name} shares its Secret and is blocked`);
    assert.match(item!.message, /dup-tls/);
  }
  assert.ok(codeOf("apps/blog/escape.yaml").length > 0, "a secretName that climbs out of the folder is refused");
  assert.ok(codeOf("apps/blog/bomb.yaml").length > 0, "the alias bomb is reported");
  assert.ok(codeOf("apps/blog/leak.yaml").length > 0, "the symlink out of the repository is reported");
  assert.ok(codeOf("apps/blog/huge.yaml").length > 0, "the 50 MB file is reported, not read");
  assert.deepEqual(codeOf("apps/blog/deep-2.yaml"), ["YAMLTooDeep"], "absurd nesting is reported, and the process lives");
  assert.deepEqual(codeOf("apps/blog/deep-3.yaml"), ["YAMLTooDeep"]);
  assert.equal(all.find((d) => d.source?.file === "apps/blog/deep-2.yaml")?.source?.line, 4);
  const clone = checkout();
  assert.doesNotMatch(git(clone, "ls-files"), /owned/, "nothing was written for the escaping secretName");
});

test("a Certificate that is deleted takes its Secret file and kustomization entry with it", async (t) => {
  const { reconcile, pushOther, checkout } = await setup(t);
  await reconcile();
  pushOther((clone) => {
    unlinkSync(join(clone, "apps/shop/certificate.yaml"));
    const k = join(clone, "apps/shop/kustomization.yaml");
    writeFileSync(k, readFileSync(k, "utf8").replace("  - certificate.yaml\n", ""));
  }, "drop the api certificate");
  const report = await reconcile();
  const changed = report.outcomes.filter((o) => o.kind !== "unchanged");
  assert.deepEqual(changed.map((o) => `${o.certificate.name}:${o.kind}`), ["api:removed"]);
  assert.deepEqual(changed[0]?.kustomization, { file: "apps/shop/kustomization.yaml", resource: "api-tls.sops.yaml", change: "removed" });
  const clone = checkout();
  assert.ok(!existsSync(join(clone, "apps/shop/api-tls.sops.yaml")));
  assert.doesNotMatch(readFileSync(join(clone, "apps/shop/kustomization.yaml"), "utf8"), /api-tls/);
  assert.match(git(clone, "log", "-1", "--format=%B"), /removed shop\/api/);
});

test("a push rejected because the remote moved is retried on the new head, without asking the issuer again", async (t) => {
  const counting = countingIssuers();
  const { reconcile, workspace, pushOther, checkout } = await setup(t, {}, counting.issuers);
  // Someone pushes between our sync and our push: simulate by wrapping sync.
  const sync = workspace.sync.bind(workspace);
  let raced = false;
  workspace.sync = async () => {
    const result = await sync();
    if (!raced) {
      raced = true;
      pushOther((clone) => writeFileSync(join(clone, "README.md"), "someone else was here\n"), "concurrent change");
    }
    return result;
  };
  const report = await reconcile();
  assert.equal(report.attempts, 2);
  assert.ok(report.pushed);
  const clone = checkout();
  assert.ok(existsSync(join(clone, "README.md")), "the other commit is kept");
  assert.equal(counting.signed(), 4, "the certificates of the rejected attempt were reused, not issued twice");
  assert.ok(existsSync(join(clone, "apps/shop/api-tls.sops.yaml")));
});

test("a forced renewal that loses races renews each certificate once: one commit, one revision more", async (t) => {
  const counting = countingIssuers();
  const { reconcile, workspace, pushOther, checkout } = await setup(t, {}, counting.issuers);
  await reconcile();
  const revision = (clone: string) => (parseYaml(readFileSync(join(clone, "apps/shop/api-tls.sops.yaml"), "utf8")) as { metadata: { annotations: Record<string, string> } }).metadata.annotations["gitcert.dev/revision"];
  assert.equal(revision(checkout()), "1");

  // Two colleagues' pushes land between gitcert's sync and its push.
  const sync = workspace.sync.bind(workspace);
  let races = 2;
  workspace.sync = async () => {
    const result = await sync();
    if (races-- > 0) pushOther((clone) => writeFileSync(join(clone, "README.md"), `colleague ${races}\n`), `colleague ${races}`);
    return result;
  };
  const report = await reconcile(new Date(), { forceRenew: new Set(["shop/api", "blog/blog"]) });
  assert.equal(report.attempts, 3);
  assert.ok(report.pushed);
  assert.equal(counting.signed(), 4 + 2, "each forced certificate signed once");
  const clone = checkout();
  assert.equal(revision(clone), "2");
  assert.deepEqual(git(clone, "log", "--format=%an", "-4").trim().split("\n"), ["gitcert", "test", "test", "gitcert"], "one renewal commit, on top of both colleagues'");
});

test("work kept from a lost race is pushed by the next run; a Certificate the remote changed meanwhile is planned again, the rest are not issued again", async (t) => {
  const counting = countingIssuers();
  const { demo, reconcile, pushOther, checkout, identity } = await setup(t, { "git.pushRetrySeconds": 0 }, counting.issuers);
  const busy = await busyRemote(demo.remote, join(tempDir(t), "colleague"));
  await assert.rejects(reconcile(), (e: unknown) => e instanceof GitError && e.code === "PushRetriesExhausted");
  assert.equal(counting.signed(), 4);

  await busy.stop();
  pushOther((clone) => {
    const file = join(clone, "apps/shop/certificate.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("api.shop.example.com", "api-v2.shop.example.com"));
  }, "api: a new name");
  const report = await reconcile();
  assert.ok(report.pushed);
  assert.equal(report.fromEarlierRuns, 1);
  assert.equal(counting.signed(), 5, "only the Certificate the remote changed is issued again");
  assert.equal(report.outcomes.find((o) => o.item.object.name === "api")?.item.action, "reissue");

  const clone = checkout();
  const api = secretData(t, join(clone, "apps/shop/api-tls.sops.yaml"), identity);
  assert.match(openssl(["x509", "-noout", "-ext", "subjectAltName"], api["tls.crt"]), /DNS:api-v2\.shop\.example\.com/);
  for (const f of SECRET_FILES) assert.ok(existsSync(join(clone, f)), f);
  assert.match(git(clone, "log", "--format=%s"), /api: a new name[\s\S]*foreign change/, "the colleagues' commits are kept");
});

test("no plaintext private key or age identity anywhere in the Git history", async (t) => {
  const { reconcile, checkout } = await setup(t);
  await reconcile();
  await reconcile(new Date(Date.now() + 80 * 86400_000));
  const history = git(checkout(), "log", "--all", "-p", "--format=%H %B");
  assert.ok(history.includes("ENC[AES256_GCM"), "the history holds the encrypted Secrets");
  assert.doesNotMatch(history, /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/);
  assert.doesNotMatch(history, /AGE-SECRET-KEY-1/);
  assert.doesNotMatch(history, /LS0tLS1CRUdJTi/); // base64 of "-----BEGIN" in a plaintext data value
});

test("rotationPolicy Never keeps the key in Git across renewals; output formats and template changes rewrite the Secret only", async (t) => {
  const { reconcile, pushOther, checkout, identity } = await setup(t);
  pushOther((clone) => {
    writeFileSync(
      join(clone, "apps/blog/pinned.yaml"),
      [
        "apiVersion: cert-manager.io/v1",
        "kind: Certificate",
        "metadata: {name: pinned}",
        "spec:",
        "  secretName: pinned-tls",
        "  dnsNames: [pinned.example.com]",
        "  privateKey: {algorithm: Ed25519, rotationPolicy: Never}",
        "  additionalOutputFormats: [{type: CombinedPEM}, {type: DER}]",
        "  issuerRef: {name: demo-ca, kind: ClusterIssuer}",
        "",
      ].join("\n"),
    );
  }, "add a pinned-key certificate");
  await reconcile();
  const path = "apps/blog/pinned-tls.sops.yaml";
  const first = secretData(t, join(checkout(), path), identity);
  assert.ok(first["tls-combined.pem"]!.startsWith(first["tls.key"]!.trimEnd() + "\n"), "CombinedPEM is key then chain");
  assert.ok(first["tls-combined.pem"]!.endsWith(first["tls.crt"]!));
  assert.ok("key.der" in first);
  assert.match(first["tls.key"]!, /BEGIN PRIVATE KEY/, "Ed25519 is PKCS8");

  const later = new Date(Date.now() + 80 * 86400_000);
  const renewed = await reconcile(later);
  assert.ok(renewed.outcomes.some((o) => o.certificate.name === "pinned" && o.kind === "renewed"));
  const second = secretData(t, join(checkout(), path), identity);
  assert.equal(second["tls.key"], first["tls.key"], "the key in Git was reused");
  assert.notEqual(second["tls.crt"], first["tls.crt"], "a new certificate was issued");

  // A label added through secretTemplate: same certificate, rewritten Secret.
  pushOther((clone) => {
    const f = join(clone, "apps/blog/pinned.yaml");
    writeFileSync(f, readFileSync(f, "utf8") + "  secretTemplate: {labels: {team: blog}}\n");
  }, "label the pinned secret");
  const updated = await reconcile(later);
  const item = updated.outcomes.find((o) => o.certificate.name === "pinned");
  assert.equal(item?.kind, "updated");
  const clone = checkout();
  const third = secretData(t, join(clone, path), identity);
  assert.equal(third["tls.crt"], second["tls.crt"]);
  const doc = parseYaml(readFileSync(join(clone, path), "utf8")) as Record<string, any>;
  assert.equal(doc.metadata.labels.team, "blog");
});

test("a CA Secret written by the sops CLI signs; a tampered one is refused by its MAC and the rest proceed", async (t) => {
  const { reconcile, pushOther, checkout, identity, demo } = await setup(t);
  const dir = tempDir(t);
  // A CA made with openssl, encrypted by the real sops CLI.
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "365", "-subj", "/CN=ops CA", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"), "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const b64 = (f: string) => readFileSync(join(dir, f)).toString("base64");
  const plain = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ops-ca\n  namespace: blog\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${b64("ca.pem")}\n  tls.key: ${b64("ca.key")}\n`;
  writeFileSync(join(dir, "ops-ca.yaml"), plain);
  const recipient = /public key: (age1\S+)/.exec(readFileSync(demo.keyFile, "utf8"))![1]!;
  const encrypted = execFileSync(peer("sops"), ["encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", join(dir, "ops-ca.yaml")], { encoding: "utf8", cwd: dir });
  pushOther((clone) => {
    writeFileSync(join(clone, "apps/blog/ops-ca.sops.yaml"), encrypted);
    writeFileSync(join(clone, "apps/blog/ops-issuer.yaml"), "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ops}\nspec:\n  ca: {secretName: ops-ca}\n");
    writeFileSync(join(clone, "apps/blog/internal.yaml"), "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: internal}\nspec:\n  secretName: internal-tls\n  dnsNames: [internal.blog.svc]\n  issuerRef: {name: ops}\n");
  }, "bring an ops CA encrypted with sops");
  const report = await reconcile();
  assert.equal(report.outcomes.find((o) => o.certificate.name === "internal")?.kind, "issued");
  const leaf = secretData(t, join(checkout(), "apps/blog/internal-tls.sops.yaml"), identity);
  writeFileSync(join(dir, "leaf.pem"), leaf["tls.crt"]!);
  assert.match(openssl(["verify", "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")]), /OK/);

  // Someone edits a plaintext field of the CA file: the MAC no longer matches.
  pushOther((clone) => {
    const f = join(clone, "apps/blog/ops-ca.sops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace("type: kubernetes.io/tls", "type: Opaque"));
    writeFileSync(join(clone, "apps/blog/internal2.yaml"), "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: internal2}\nspec:\n  secretName: internal2-tls\n  dnsNames: [internal2.blog.svc]\n  issuerRef: {name: ops}\n");
    writeFileSync(join(clone, "apps/blog/other.yaml"), "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: other}\nspec:\n  secretName: other-tls\n  dnsNames: [other.example.com]\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n");
  }, "tamper with the CA file");
  const tampered = await reconcile();
  const failed = tampered.outcomes.find((o) => o.certificate.name === "internal2");
  assert.equal(failed?.kind, "failed");
  assert.equal(failed?.reason, "SopsMacMismatch");
  assert.equal(failed?.kind === "failed" && failed.atCA, false, "a tampered file is not the CA's doing: no backoff");
  assert.match(failed!.message, /apps\/blog\/ops-ca\.sops\.yaml/);
  assert.equal(tampered.outcomes.find((o) => o.certificate.name === "other")?.kind, "issued");
  assert.equal(tampered.failureLogChanged, false);
  assert.ok(!existsSync(join(checkout(), ".gitcert/issuance-failures")), "nothing is recorded for it in Git");
});

test("whatever the repository's .sops.yaml crypt rule, tls.key is encrypted and the metadata stays readable", async (t) => {
  const { reconcile, pushOther, checkout, identity } = await setup(t);
  pushOther((clone) => {
    const f = join(clone, ".sops.yaml");
    // A rule written for other files: it would leave data in the clear.
    writeFileSync(f, readFileSync(f, "utf8").replace("encrypted_regex: ^(data|stringData)$", "encrypted_regex: ^(password|token)$"));
  }, "a .sops.yaml rule for other files");
  await reconcile();
  const clone = checkout();
  const text = readFileSync(join(clone, "apps/shop/api-tls.sops.yaml"), "utf8");
  const doc = parseYaml(text) as Record<string, any>;
  assert.match(doc.data["tls.key"], /^ENC\[AES256_GCM,/);
  assert.equal(doc.metadata.name, "api-tls");
  assert.equal(doc.sops.encrypted_regex, "^(data|stringData)$");
  secretData(t, join(clone, "apps/shop/api-tls.sops.yaml"), identity);
  assert.equal((await reconcile()).commit, undefined, "and it is stable: no churn");
});

test("a CA Secret an Issuer still uses is kept when its Certificate goes; two Certificates never share a file", async (t) => {
  const { reconcile, pushOther, checkout } = await setup(t);
  await reconcile();
  pushOther((clone) => {
    const k = join(clone, "platform/cert-manager/kustomization.yaml");
    writeFileSync(k, readFileSync(k, "utf8").replace("  - root-ca.yaml\n", ""));
    unlinkSync(join(clone, "platform/cert-manager/root-ca.yaml"));
    const cert = (ns: string) =>
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: site, namespace: ${ns}}\nspec:\n  secretName: site-tls\n  dnsNames: [site.${ns}.example.com]\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n`;
    writeFileSync(join(clone, "site.yaml"), cert("team-a") + "---\n" + cert("team-b"));
  }, "drop the root CA Certificate, keep its issuer; add two sites");
  const report = await reconcile();
  const root = report.assessment.items.find((i) => i.object.name === "demo-root-ca");
  assert.equal(root?.action, "ok");
  assert.match(root!.message, /Issuer still uses/);
  const sites = report.assessment.items.filter((i) => i.object.name === "site");
  assert.deepEqual(sites.map((i) => i.reason), ["DuplicateSecretPath", "DuplicateSecretPath"]);
  const clone = checkout();
  assert.ok(existsSync(join(clone, "platform/cert-manager/demo-root-ca.sops.yaml")));
  assert.ok(!existsSync(join(clone, "site-tls.sops.yaml")));
});

test("no age identity: renewals that must read the CA key fail here, not at the CA; nothing is recorded, and with the identity the next run renews at once", async (t) => {
  const { reconcile, checkout } = await setup(t);
  await reconcile();
  const later = new Date(Date.now() + 80 * 86400_000);
  const blind = await reconcile(later, { identities: [] });
  const failed = blind.outcomes.filter((o) => o.kind === "failed");
  assert.deepEqual(failed.map((o) => o.certificate.name).sort(), ["api", "blog", "storefront-tls"]);
  for (const o of failed) {
    assert.equal(o.kind === "failed" && o.atCA, false);
    assert.match(o.message, /no age identity/);
  }
  assert.equal(blind.failureLogChanged, false);
  assert.equal(blind.commit, undefined, "a local failure is committed nowhere");
  assert.ok(!existsSync(join(checkout(), ".gitcert/issuance-failures")));

  const seeing = await reconcile(new Date(later.getTime() + 60_000));
  assert.deepEqual(seeing.outcomes.filter((o) => o.kind === "renewed").map((o) => o.certificate.name).sort(), ["api", "blog", "storefront-tls"], "no backoff held them");
});

test("a .sops.yaml whose rules match no Secret path blocks the plan with the reason; the fixed rule issues at once", async (t) => {
  const { reconcile, pushOther, checkout } = await setup(t);
  pushOther((clone) => {
    const f = join(clone, ".sops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace("path_regex: \\.sops\\.yaml$", "path_regex: ^secrets/"));
  }, "a rule for another folder");
  const report = await reconcile();
  assert.ok(report.outcomes.every((o) => o.kind === "blocked"), report.outcomes.map((o) => `${o.certificate.name}:${o.kind}`).join());
  const api = report.outcomes.find((o) => o.certificate.name === "api");
  assert.equal(api?.reason, "NoRecipients");
  assert.match(api!.message, /^cannot encrypt Secret api-tls: no creation rule in \.sops\.yaml matches any name gitcert tries in apps\/shop\/ \(api-tls\.sops\.yaml, .*secrets\/api-tls\.yaml\)/);
  assert.equal(report.commit, undefined);
  assert.ok(!existsSync(join(checkout(), ".gitcert/issuance-failures")));

  pushOther((clone) => {
    const f = join(clone, ".sops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace("path_regex: ^secrets/", "path_regex: \\.sops\\.yaml$"));
  }, "the rule fixed");
  const fixed = await reconcile();
  assert.equal(fixed.outcomes.filter((o) => o.kind === "issued").length, 4);
});

test("a Secret that cannot be written is found before the issuer is asked: no certificate is thrown away", async (t) => {
  const counting = countingIssuers();
  const { reconcile, pushOther } = await setup(t, {}, counting.issuers);
  pushOther((clone) => writeFileSync(join(clone, "apps/shop/api-tls.sops.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: someone-elses}\n"), "a file where api's Secret would go");
  const report = await reconcile();
  const api = report.outcomes.find((o) => o.certificate.name === "api");
  assert.equal(api?.kind, "failed");
  assert.equal(api?.reason, "FileExists");
  assert.equal(counting.signed(), 3, "the three others were signed; api was not");
  assert.equal(report.failureLogChanged, false);
});

test("leadership lost mid-reconcile: no further issuance starts and nothing is committed or pushed", async (t) => {
  const { reconcile, checkout } = await setup(t);
  const { issuers, signed } = countingIssuers();
  const leadership = new AbortController();
  const run = reconcile(new Date(), {
    issuers,
    signal: leadership.signal,
    // The root CA is the first wave; leadership goes as soon as it is issued.
    onOutcome: (o) => {
      if (o.kind === "issued") leadership.abort(new Error("lost leadership: the Lease is now held by replica-b"));
    },
  });
  await assert.rejects(run, /lost leadership: the Lease is now held by replica-b/);
  assert.equal(signed(), 1, "the leaves of the next wave were never signed");
  assert.equal(git(checkout(), "log", "--format=%s").trim().split("\n").length, 1, "the remote has only its first commit");
});
