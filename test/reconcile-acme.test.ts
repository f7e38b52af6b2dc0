// The whole pipeline against a real ACME server: Pebble resolves names through
// a real BIND, which gitcert updates over RFC 2136 with TSIG for DNS-01;
// HTTP-01 reaches gitcert's own challenge server. What lands in Git is
// checked with the sops CLI and openssl against Pebble's root.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { acmeOptionsFromConfig } from "../src/acme/index.ts";
import { loadConfig, type Config } from "../src/config.ts";
import { RepositorySnapshot } from "../src/daemon/snapshot.ts";
import { defaultIssuers } from "../src/issuers/index.ts";
import { assess } from "../src/reconcile.ts";
import { issuersReadiness } from "../src/reconcile-once.ts";
import { openWorkspace } from "../src/repo/index.ts";
import { statusRows } from "../src/report.ts";
import { generateAgeIdentity } from "../src/secrets/index.ts";
import { git, sopsDecrypt, tempDir } from "./helpers.ts";
import { issuerRepository } from "./issuer-repository.ts";
import { startBind, type BindServer } from "./peers/bind.ts";
import { freePorts, startPebble, type Pebble } from "./peers/pebble.ts";
import { peer } from "./peers/tools.ts";

let bind: BindServer;
let pebble: Pebble;
let http01Port: number;

before(async () => {
  bind = await startBind({
    keys: [{ name: "gitcert-sha256", algorithm: "hmac-sha256" }],
    zones: [{ name: "example.test", records: ["@ IN A 127.0.0.1", "* IN A 127.0.0.1"], updateKeys: ["gitcert-sha256"] }],
  });
  [http01Port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: http01Port, dnsServer: bind.nameserver, blockedDomains: [REFUSED_DOMAIN] });
});

after(async () => {
  await pebble?.stop();
  await bind?.close();
});

const ISSUER = () => `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt-prod
spec:
  acme:
    server: ${pebble.directoryUrl}
    email: ops@example.test
    caBundle: ${Buffer.from(pebble.tlsCaPem).toString("base64")}
    profile: default
    privateKeySecretRef:
      name: letsencrypt-account
    solvers:
      - selector:
          dnsZones: [dns.example.test]
        dns01:
          rfc2136:
            nameserver: ${bind.nameserver}
            tsigKeyName: gitcert-sha256
            tsigAlgorithm: HMACSHA256
            tsigSecretSecretRef: {name: rfc2136-tsig, key: secret}
      - http01:
          ingress: {}
`;

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt-prod
spec:
  tls:
    - hosts: [web.example.test, www.example.test]
      secretName: web-tls
  rules:
    - host: web.example.test
`;

const WILDCARD = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: wildcard
  namespace: shop
spec:
  secretName: wildcard-tls
  dnsNames: ["*.dns.example.test", dns.example.test]
  privateKey: {algorithm: ECDSA}
  issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}
`;

// The issuer's folder, applied by Flux or Argo CD.
const PLATFORM_KUSTOMIZATION = "resources:\n  - issuer.yaml\n  - rfc2136-tsig.sops.yaml\n";

// A name the CA refuses to issue for: the failure is the CA's answer.
const REFUSED_DOMAIN = "refused.example.test";
const REFUSED = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: refused
  namespace: shop
spec:
  secretName: refused-tls
  dnsNames: [${REFUSED_DOMAIN}]
  issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}
`;

// No such zone: gitcert's own HTTP-01 self-check cannot reach it, so the
// challenge is never handed to the CA. Not the CA's answer: no backoff.
const UNREACHABLE = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: broken
  namespace: shop
spec:
  secretName: broken-tls
  dnsNames: [web.nowhere.test]
  issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}
`;

async function setup(t: TestContext, files: Record<string, string>, options: { sopsConfig?: boolean; config?: Partial<Config> } = {}) {
  // A fresh repository: .sops.yaml, the issuer, and the TSIG secret encrypted as a user would.
  const repo = await issuerRepository(
    t,
    { "platform/issuer.yaml": ISSUER(), ...files },
    [{ path: "platform/rfc2136-tsig.sops.yaml", namespace: "cert-manager", name: "rfc2136-tsig", data: { secret: bind.keys["gitcert-sha256"]!.secret } }],
    (config) => {
      const acme = acmeOptionsFromConfig(config);
      // A domain that cannot validate should fail in seconds here, not minutes.
      return defaultIssuers({ acme: { ...acme, selfCheck: { ...acme.selfCheck, timeoutMs: 3000, intervalMs: 100 } } });
    },
    {
      sopsConfig: options.sopsConfig,
      config: {
        "acme.http01.address": "127.0.0.1",
        "acme.http01.port": http01Port,
        "acme.http01.selfCheckPort": http01Port,
        "acme.http01.selfCheckNameservers": [bind.nameserver],
        "acme.dns01.nameservers": [bind.nameserver],
        "acme.dns01.propagationTimeoutSeconds": 20,
        ...options.config,
      },
    },
  );
  const sopsConfig = `creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${repo.recipient}\n`;
  return { run: repo.run, checkout: repo.checkout, pushOther: repo.pushOther, sopsConfig, identity: repo.identity, recipient: repo.recipient, dir: repo.dir, remote: repo.remote };
}

function tlsData(t: TestContext, file: string, identity: string): Record<string, string> {
  const doc = parseYaml(sopsDecrypt(t, file, identity)) as { data: Record<string, string> };
  return Object.fromEntries(Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

function verifyAgainst(t: TestContext, chain: string, root: string): string {
  const dir = tempDir(t);
  const [leaf, ...rest] = chain.split(/(?<=-----END CERTIFICATE-----\n)/).filter((s) => s.trim());
  writeFileSync(join(dir, "root.pem"), root);
  writeFileSync(join(dir, "untrusted.pem"), rest.join(""));
  writeFileSync(join(dir, "leaf.pem"), leaf!);
  const ok = execFileSync("openssl", ["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "untrusted.pem"), join(dir, "leaf.pem")], { encoding: "utf8" });
  return ok + execFileSync("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", join(dir, "leaf.pem")], { encoding: "utf8" });
}

test("an annotated Ingress (HTTP-01) and a wildcard (DNS-01 over RFC 2136 + TSIG) come from the ACME server into Git; a name the CA refuses backs off alone", async (t) => {
  const { run, checkout, identity } = await setup(t, {
    "apps/shop/ingress.yaml": INGRESS,
    "apps/shop/wildcard.yaml": WILDCARD,
    "apps/shop/refused.yaml": REFUSED,
    "apps/shop/broken.yaml": UNREACHABLE,
    "platform/kustomization.yaml": PLATFORM_KUSTOMIZATION,
  });
  const started = new Date();
  const report = await run("work", started);
  const kinds = Object.fromEntries(report.outcomes.map((o) => [o.certificate.name, o.kind]));
  assert.equal(kinds["web-tls"], "issued", JSON.stringify(report.outcomes.map((o) => o.diagnostics)));
  assert.equal(kinds["wildcard"], "issued", JSON.stringify(report.outcomes.map((o) => o.diagnostics)));
  const refused = report.outcomes.find((o) => o.certificate.name === "refused")!;
  assert.equal(refused.kind, "failed");
  assert.ok(refused.kind === "failed" && refused.atCA, "the CA's refusal counts for backoff");
  assert.match(refused.message, /rejectedIdentifier/);
  assert.equal(refused.kind === "failed" && refused.retryAt?.getTime(), started.getTime() + 3600_000, "one hour after the first failure");
  const broken = report.outcomes.find((o) => o.certificate.name === "broken")!;
  assert.equal(broken.kind, "failed");
  assert.equal(broken.reason, "Http01SelfCheckFailed");
  assert.ok(broken.kind === "failed" && !broken.atCA, "a self-check that fails here is not the CA's answer");
  assert.match(broken.message, /web\.nowhere\.test/);
  assert.ok(report.pushed);

  const clone = checkout();
  const root = await pebble.root();
  const web = tlsData(t, join(clone, "apps/shop/web-tls.sops.yaml"), identity);
  assert.match(verifyAgainst(t, web["tls.crt"]!, root), /leaf\.pem: OK[\s\S]*DNS:web\.example\.test, DNS:www\.example\.test|leaf\.pem: OK[\s\S]*DNS:www\.example\.test, DNS:web\.example\.test/);
  const wildcard = tlsData(t, join(clone, "apps/shop/wildcard-tls.sops.yaml"), identity);
  assert.match(verifyAgainst(t, wildcard["tls.crt"]!, root), /\*\.dns\.example\.test/);
  assert.ok(existsSync(join(clone, "platform/letsencrypt-account.sops.yaml")), "the ACME account key is kept, encrypted, beside its issuer");
  const account = readFileSync(join(clone, "platform/letsencrypt-account.sops.yaml"), "utf8");
  assert.doesNotMatch(account, /PRIVATE KEY/);
  assert.equal(readFileSync(join(clone, "platform/kustomization.yaml"), "utf8"), PLATFORM_KUSTOMIZATION, "acme.applyAccountKey is off: the key stays in Git, out of the cluster");
  const failures = JSON.parse(readFileSync(join(clone, ".gitcert/issuance-failures"), "utf8"));
  assert.deepEqual(Object.keys(failures), ["shop/refused"], "only the failure at the CA is recorded");
  assert.equal(failures["shop/refused"].attempts, 1);
  const message = git(clone, "log", "-1", "--format=%B");
  assert.match(message, /failed shop\/refused/);
  assert.doesNotMatch(message, /broken/);

  // A fresh pod (new work directory), a minute later: same account, nothing
  // issued again; the refused certificate waits out its backoff, and says
  // until when and how to skip it; the local failure is tried again.
  const again = await run("work-2", new Date(started.getTime() + 60_000));
  assert.equal(again.commit, undefined);
  const held = again.assessment.items.find((i) => i.object.name === "refused");
  assert.equal(held?.reason, "Backoff");
  assert.equal(held?.retryAt?.getTime(), started.getTime() + 3600_000);
  const row = statusRows(again.assessment.items, again.outcomes).find((r) => r.certificate === "shop/refused");
  assert.match(row!.state, /^Backoff: 1 failed attempt at the CA, last: .*rejectedIdentifier.*; next attempt after \S+Z \(`gitcert renew shop\/refused` tries now\)$/);
  assert.equal(again.outcomes.find((o) => o.certificate.name === "broken")?.kind, "failed", "tried again at once");
  assert.equal(readFileSync(join(checkout(), "platform/letsencrypt-account.sops.yaml"), "utf8"), account, "one account, reused");
});

test("no age recipient: blocked by the plan, no order, nothing in Git; with the recipient the next run issues at once", async (t) => {
  const { run, checkout, pushOther, sopsConfig } = await setup(
    t,
    { "apps/shop/ingress.yaml": INGRESS, "platform/kustomization.yaml": PLATFORM_KUSTOMIZATION },
    { sopsConfig: false, config: { "acme.applyAccountKey": true } },
  );
  const first = await run();
  const web = first.outcomes.find((o) => o.certificate.name === "web-tls");
  assert.equal(web?.kind, "blocked");
  assert.equal(web?.reason, "NoRecipients");
  assert.match(web!.message, /cannot encrypt apps\/shop\/web-tls\.sops\.yaml: no \.sops\.yaml was found above it, and no --age-recipient is configured/);
  assert.equal(first.commit, undefined, "nothing to commit: no failure log, no account key");
  const clone = checkout();
  assert.ok(!existsSync(join(clone, ".gitcert/issuance-failures")));
  assert.ok(!existsSync(join(clone, "platform/letsencrypt-account.sops.yaml")), "the CA was not asked for anything");

  pushOther((c) => writeFileSync(join(c, ".sops.yaml"), sopsConfig), "add the age recipient");
  const second = await run("work-2");
  assert.equal(second.outcomes.find((o) => o.certificate.name === "web-tls")?.kind, "issued", JSON.stringify(second.outcomes.map((o) => o.diagnostics)));
  assert.ok(second.pushed);
  const clone2 = checkout();
  assert.ok(existsSync(join(clone2, "apps/shop/web-tls.sops.yaml")));
  assert.equal(
    readFileSync(join(clone2, "platform/kustomization.yaml"), "utf8"),
    "resources:\n  - issuer.yaml\n  - letsencrypt-account.sops.yaml\n  - rfc2136-tsig.sops.yaml\n",
    "acme.applyAccountKey: the account key is listed, so a cert-manager controller could take over with it",
  );
});

test("ARI: when the CA moves the renewal window, the certificate is renewed inside it and the order says what it replaces", async (t) => {
  const { run, checkout, identity } = await setup(t, { "apps/shop/ingress.yaml": INGRESS });
  await run();
  const first = tlsData(t, join(checkout(), "apps/shop/web-tls.sops.yaml"), identity);
  const now = new Date();
  await pebble.setRenewalInfo(first["tls.crt"]!, {
    suggestedWindow: { start: new Date(now.getTime() - 3600_000).toISOString(), end: new Date(now.getTime() - 60_000).toISOString() },
  });
  const report = await run("work-ari");
  const web = report.outcomes.find((o) => o.certificate.name === "web-tls");
  assert.equal(web?.kind, "renewed", JSON.stringify(web?.diagnostics));
  assert.match(web!.message, /ARI/);
  const doc = parseYaml(readFileSync(join(checkout(), "apps/shop/web-tls.sops.yaml"), "utf8")) as Record<string, any>;
  assert.ok(doc.metadata.annotations["acme.gitcert.dev/replaces"], "the renewal order carried `replaces`");
  assert.equal(doc.metadata.annotations["gitcert.dev/revision"], "2");
});

test("the ACME account key is named by the repository's .sops.yaml like any Secret, and rekeyed when the recipients change; a user's own SOPS Secret is left alone", async (t) => {
  const { run, checkout, pushOther, identity, recipient } = await setup(t, { "apps/shop/ingress.yaml": INGRESS });
  pushOther((c) => writeFileSync(join(c, ".sops.yaml"), `creation_rules:\n  - path_regex: .*\\.enc\\.age\\.yaml$\n    age: ${recipient}\n`), "the team's convention");
  const first = await run();
  assert.equal(first.outcomes.find((o) => o.certificate.name === "web-tls")?.kind, "issued", JSON.stringify(first.outcomes.map((o) => o.diagnostics)));
  assert.deepEqual(first.stored.map((s) => s.path), ["platform/letsencrypt-account.enc.age.yaml"]);
  const clone = checkout();
  assert.ok(existsSync(join(clone, "apps/shop/web-tls.enc.age.yaml")));
  assert.match(sopsDecrypt(t, join(clone, "platform/letsencrypt-account.enc.age.yaml"), identity), /tls\.key/);

  const other = execFileSync(peer("age-keygen"), [], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const added = /public key: (age1\w+)/.exec(other)![1]!;
  pushOther((c) => {
    const f = join(c, ".sops.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace(recipient, `${recipient},${added}`));
  }, "a second operator");
  const second = await run("work-2");
  assert.deepEqual(second.outcomes.filter((o) => o.kind === "rekeyed").map((o) => `${o.certificate.kind}/${o.certificate.name}`).sort(), ["Certificate/web-tls", "Secret/letsencrypt-account"]);
  const after = checkout();
  const operator = tempDir(t);
  writeFileSync(join(operator, "keys.txt"), other, { mode: 0o600 });
  for (const f of ["platform/letsencrypt-account.enc.age.yaml", "apps/shop/web-tls.enc.age.yaml"]) {
    const text = execFileSync(peer("sops"), ["--decrypt", join(after, f)], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: operator, SOPS_AGE_KEY_FILE: join(operator, "keys.txt") } });
    assert.match(text, /tls\.key/, `${f} opens with the operator's new key`);
  }
  assert.equal(readFileSync(join(after, "platform/rfc2136-tsig.sops.yaml"), "utf8"), readFileSync(join(clone, "platform/rfc2136-tsig.sops.yaml"), "utf8"), "not gitcert's: untouched");
});

test("serve's issuer check opens the ACME account key once per content of its file: no decryption on a tick where it did not change", async (t) => {
  const { run, dir, remote, identity } = await setup(t, { "apps/shop/ingress.yaml": INGRESS });
  const report = await run();
  assert.equal(report.outcomes.find((o) => o.certificate.name === "web-tls")?.kind, "issued");
  // The account key is now a SOPS file in Git; the issuer check reads it to look the account up.
  const { config } = loadConfig({});
  const issuers = defaultIssuers({ acme: acmeOptionsFromConfig(config) });
  t.after(() => Promise.all([...issuers.values()].map((i) => i.close?.())));
  const workspace = await openWorkspace({ url: remote, branch: "main", workdir: join(dir, "serve"), author: { name: "gitcert", email: "gitcert@test.invalid" } });
  const snapshot = new RepositorySnapshot(workspace.objects, workspace.root);
  const head = await workspace.remoteHead();
  await snapshot.moveTo(head);
  const kept = snapshot.at(async () => head);
  // Git's objects, read-only, as a quiet tick reads them.
  const tree = { read: snapshot.tree().read, write: async () => assert.fail("nothing is written"), remove: async () => assert.fail("nothing is removed") };
  const now = () => new Date();
  const assessment = await assess(workspace.root, config, { now: now(), issuers, repository: kept, tree });
  const check = async (identities: string[], repository?: typeof kept) => {
    const readiness = await issuersReadiness(workspace.root, assessment, { config, issuers, now, identities }, {}, tree, repository);
    return [...readiness].filter(([issuer]) => issuer.name === "letsencrypt-prod").map(([, r]) => `${r.ready} ${r.message}`);
  };

  assert.deepEqual(await check([identity], kept), ["true The ACME account was registered with the ACME server"]);
  // Another identity from now on: opening the account key again would fail.
  const stranger = [(await generateAgeIdentity()).identity];
  const [unopened] = await check(stranger);
  assert.match(unopened!, /^false Failed to register ACME account: /, "opened again, without the kept repository, it cannot be");
  for (let tick = 0; tick < 3; tick++) {
    assert.deepEqual(await check(stranger, kept), ["true The ACME account was registered with the ACME server"], `tick ${tick}: the key opened before`);
  }
});
