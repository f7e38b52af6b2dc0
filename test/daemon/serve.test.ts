// `gitcert serve` against a real bare Git remote: ticks, webhooks, metrics.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { annotation, githubPush, serveDemo } from "./helpers.ts";

const DEMO_SECRETS = {
  "cert-manager/demo-root-ca": "platform/cert-manager/demo-root-ca.sops.yaml",
  "shop/api": "apps/shop/api-tls.sops.yaml",
  "shop/storefront-tls": "apps/shop/storefront-tls.sops.yaml", // from the Ingress: named after its Secret, as ingress-shim does
  "blog/blog": "apps/blog/blog-tls.sops.yaml",
};

test("at start it reconciles and pushes; then it is ready, and /metrics tells each certificate's expiry and readiness as cert-manager does", async (t) => {
  const served = await serveDemo(t);
  const before = await fetch(`${served.url}/readyz`);
  const started = await served.daemon.started;
  assert.equal(started.status, "done");
  if (before.status === 200) assert.fail("ready before the first reconcile finished");
  assert.equal((await fetch(`${served.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${served.url}/healthz`)).status, 200);

  const clone = served.checkout();
  const families = await served.scrape();
  const expiration = families.get("certmanager_certificate_expiration_timestamp_seconds")!;
  const ready = families.get("certmanager_certificate_ready_status")!;
  for (const [key, file] of Object.entries(DEMO_SECRETS)) {
    const [namespace, name] = key.split("/");
    const notAfter = annotation(join(clone, file), "gitcert.dev/not-after");
    assert.ok(notAfter, `${file} is pushed with its not-after annotation`);
    const series = expiration.metrics.find((m) => m.labels?.name === name && m.labels?.namespace === namespace);
    assert.equal(Number(series?.value), Date.parse(notAfter) / 1000, `${key}: expiration = notAfter`);
    assert.equal(series?.labels?.issuer_kind, "ClusterIssuer");
    const readyTrue = ready.metrics.find((m) => m.labels?.name === name && m.labels?.namespace === namespace && m.labels?.condition === "True");
    assert.equal(readyTrue?.value, "1", `${key} is ready`);
  }
  assert.equal(families.get("gitcert_commits_pushed_total")!.metrics[0]!.value, "1");
  assert.ok(Number(families.get("gitcert_last_successful_reconcile_timestamp_seconds")!.metrics[0]!.value) > 0);
});

test("100 ticks with nothing due: no commit, no file read again, no decryption", async (t) => {
  const first = await serveDemo(t);
  assert.equal((await first.daemon.started).status, "done");
  const head = first.remoteHead();
  // A second daemon on the same repository without any age identity: had any
  // tick tried to decrypt, it would have failed.
  const idle = await serveDemo(t, { remote: first.remote, identities: [] });
  const start = await idle.daemon.started;
  assert.equal(start.status, "done");
  for (let i = 0; i < 100; i++) {
    idle.clock.now = new Date(idle.clock.now.getTime() + 10 * 60_000);
    const outcome = await idle.tick();
    assert.equal(outcome.status, "done");
    if (outcome.status !== "done") return;
    const summary = outcome.result.summary as { commit?: string; parsedFiles: number; certificates: unknown[] };
    assert.equal(summary.commit, undefined, `tick ${i} made no commit`);
    assert.equal(summary.parsedFiles, 0, `tick ${i} read no file`);
    assert.deepEqual(summary.certificates, [], `tick ${i} did nothing to any certificate`);
  }
  assert.equal(idle.remoteHead(), head);
  assert.ok(idle.repository.cache.size > 0);
});

test("a Certificate pushed with a webhook: issued, pushed back; with a 1 h lifetime and renewBefore 50 m it renews as the clock moves", async (t) => {
  const served = await serveDemo(t);
  await served.daemon.started;
  served.pushOther((clone) => {
    writeFileSync(
      join(clone, "apps/blog/short.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: short}\nspec:\n  secretName: short-tls\n  dnsNames: [short.blog.example.com]\n  duration: 1h\n  renewBefore: 50m\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n",
    );
  }, "a short-lived certificate");
  const hook = await githubPush(served.url);
  assert.equal(hook.status, 202);
  // The webhook's reconcile: the next request joins the queue behind it, so awaiting one awaits both.
  await served.tick();
  const file = join(served.checkout(), "apps/blog/short-tls.sops.yaml");
  const firstNotAfter = annotation(file, "gitcert.dev/not-after")!;
  assert.ok(firstNotAfter, "the Secret came back");

  served.clock.now = new Date(served.clock.now.getTime() + 5 * 60_000);
  const early = await served.tick();
  assert.equal(early.status === "done" && (early.result.summary as { commit?: string }).commit, undefined, "5 minutes in: not due yet");

  served.clock.now = new Date(served.clock.now.getTime() + 6 * 60_000 + 1000);
  const due = await served.tick();
  assert.equal(due.status, "done");
  const rows = (due.status === "done" ? (due.result.summary as { certificates: Array<{ certificate: string; action: string; result: string }> }).certificates : []);
  assert.deepEqual(rows.map((r) => [r.certificate, r.action, r.result]), [["blog/short", "renew", "renewed"]]);
  const renewedNotAfter = annotation(join(served.checkout(), "apps/blog/short-tls.sops.yaml"), "gitcert.dev/not-after")!;
  assert.ok(Date.parse(renewedNotAfter) > Date.parse(firstNotAfter));
});

test("a commit on the remote that edits a Certificate spec is reissued on the next tick", async (t) => {
  const served = await serveDemo(t);
  await served.daemon.started;
  await served.tick(); // reads what the first reconcile wrote itself
  served.pushOther((clone) => {
    const path = join(clone, "apps/blog/certificate.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("- www.blog.example.com", "- www.blog.example.com\n    - news.blog.example.com"));
  }, "blog: one more name");
  const outcome = await served.tick();
  assert.equal(outcome.status, "done");
  const rows = outcome.status === "done" ? (outcome.result.summary as { certificates: Array<{ certificate: string; action: string; result: string }> }).certificates : [];
  assert.deepEqual(rows.map((r) => [r.certificate, r.action, r.result]), [["blog/blog", "reissue", "reissued"]]);
  assert.equal(outcome.status === "done" && (outcome.result.summary as { parsedFiles: number }).parsedFiles, 1, "only the edited file was read again");
});

test("a renewal window defers a due renewal until it opens (1 h certificate, renewBefore 50 m, a 5-minute window half an hour in)", async (t) => {
  const served = await serveDemo(t);
  await served.daemon.started;
  const issuedAt = served.clock.now.getTime();
  const opens = new Date(issuedAt + 30 * 60_000);
  served.pushOther((clone) => {
    writeFileSync(
      join(clone, "apps/blog/windowed.yaml"),
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: windowed}\nspec:\n  secretName: windowed-tls\n  dnsNames: [windowed.blog.example.com]\n  duration: 1h\n  renewBefore: 50m\n  renewal:\n    windows: [{cron: "${opens.getUTCMinutes()} * * * *", windowDuration: 5m}]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n`,
    );
  }, "a certificate that renews only in its window");
  await served.tick();
  const renewals = async (minutes: number) => {
    served.clock.now = new Date(issuedAt + minutes * 60_000);
    const outcome = await served.tick();
    return outcome.status === "done" ? (outcome.result.summary as { certificates: Array<{ certificate: string; result: string }> }).certificates.filter((c) => c.certificate === "blog/windowed") : [];
  };
  assert.deepEqual(await renewals(12), [], "due at 10 minutes, but the window is closed");
  assert.deepEqual(await renewals(25), [], "still closed");
  assert.deepEqual((await renewals(31)).map((c) => c.result), ["renewed"], "renewed once the window opened");
});

test("a foreign commit landing between gitcert's fetch and its push survives next to gitcert's", async (t) => {
  let beforePush: (() => void) | undefined;
  const served = await serveDemo(t, {
    workspace: (real) =>
      new Proxy(real, {
        get(target, prop) {
          if (prop === "push") {
            return () => {
              const land = beforePush;
              beforePush = undefined;
              land?.();
              return target.push();
            };
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  });
  await served.daemon.started;
  served.pushOther((clone) => {
    writeFileSync(
      join(clone, "apps/blog/extra.yaml"),
      "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: extra}\nspec:\n  secretName: extra-tls\n  dnsNames: [extra.blog.example.com]\n  privateKey: {algorithm: ECDSA}\n  issuerRef: {name: demo-ca, kind: ClusterIssuer}\n",
    );
  }, "one more certificate");
  beforePush = () => served.pushOther((clone) => writeFileSync(join(clone, "apps/blog/notes.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata: {a: b}\n"), "a colleague's commit");
  const outcome = await served.tick();
  assert.equal(outcome.status, "done");
  assert.equal(beforePush, undefined, "the colleague's commit landed while gitcert was about to push");
  const clone = served.checkout();
  const log = execFileSync("git", ["-C", clone, "log", "--format=%s", "-3"], { encoding: "utf8" });
  assert.match(log, /a colleague's commit/);
  assert.match(log, /gitcert/);
  assert.ok(annotation(join(clone, "apps/blog/extra-tls.sops.yaml"), "gitcert.dev/not-after"), "gitcert's Secret is there");
  assert.match(readFileSync(join(clone, "apps/blog/notes.yaml"), "utf8"), /name: notes/, "and so is the colleague's file");
  assert.equal((await served.scrape()).get("gitcert_push_retries_total")!.metrics[0]!.value, "1");
});
