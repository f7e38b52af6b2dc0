// One gitcert measurement in its own process (so its peak memory is its
// own): a repository with an ACME ClusterIssuer and N Certificates, and one
// full reconcile — scan, plan, N orders `concurrency` at a time, SOPS
// encryption, writes, one commit, push to a local bare remote. Prints one
// JSON line.
//   gitcert.ts DIRECTORY_URL CA_FILE HTTP_PORT DNS_SERVER COUNT CONCURRENCY SELF_CHECK_PASSES [PREFIX]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acmeOptionsFromConfig } from "../../src/acme/index.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { defaultIssuers } from "../../src/issuers/index.ts";
import { createLogger } from "../../src/log.ts";
import { reconcileRepository } from "../../src/reconcile.ts";
import { openWorkspace } from "../../src/repo/index.ts";
import { generateAgeIdentity } from "../../src/secrets/index.ts";

const [directoryUrl, caFile, portArg, dnsServer, countArg, concurrencyArg, passesArg, prefix = "bench"] = process.argv.slice(2);
if (!directoryUrl || !caFile || !dnsServer || !concurrencyArg || !passesArg) {
  throw new Error("usage: gitcert.ts DIRECTORY_URL CA_FILE HTTP_PORT DNS_SERVER COUNT CONCURRENCY SELF_CHECK_PASSES [PREFIX]");
}
const port = Number(portArg);
const count = Number(countArg);
const started = process.hrtime.bigint();
const dir = mkdtempSync(join(tmpdir(), "gitcert-bench-reconcile-"));
try {
  // The repository: .sops.yaml, the issuer, one Certificate per name (ECDSA
  // P-256, lego's default key type, so both do the same work).
  const { identity, recipient } = await generateAgeIdentity();
  const seed = join(dir, "seed");
  mkdirSync(join(seed, "apps"), { recursive: true });
  writeFileSync(join(seed, ".sops.yaml"), `creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
  writeFileSync(
    join(seed, "issuer.yaml"),
    `apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: pebble}\nspec:\n  acme:\n    server: ${directoryUrl}\n    email: bench@example.com\n    caBundle: ${readFileSync(caFile).toString("base64")}\n    profile: default\n    privateKeySecretRef: {name: pebble-account}\n    solvers: [{http01: {ingress: {}}}]\n`,
  );
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    writeFileSync(
      join(seed, "apps", `${name}.yaml`),
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: bench}\nspec:\n  secretName: ${name}-tls\n  dnsNames: [${name}.example.com]\n  privateKey: {algorithm: ECDSA, size: 256}\n  issuerRef: {name: pebble, kind: ClusterIssuer}\n`,
    );
  }
  const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], { cwd });
  const remote = join(dir, "remote.git");
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  git(seed, "init", "--quiet", "--initial-branch=main");
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "-m", "bench repository");
  git(seed, "push", "--quiet", remote, "main");

  const { config: defaults } = loadConfig({});
  const config: Config = {
    ...defaults,
    concurrency: Number(concurrencyArg),
    "acme.http01.address": "127.0.0.1",
    "acme.http01.port": port,
    "acme.http01.selfCheckPort": port,
    "acme.http01.selfCheckNameservers": [dnsServer],
    "acme.http01.selfCheckPasses": Number(passesArg),
  };
  const issuers = defaultIssuers({ acme: acmeOptionsFromConfig(config) });
  const workspace = await openWorkspace({ url: remote, branch: "main", workdir: join(dir, "work"), author: { name: "gitcert", email: "gitcert@example.com" } });
  const report = await reconcileRepository(workspace, { config, issuers, identities: [identity], now: () => new Date(), log: createLogger("error") });
  await Promise.all([...issuers.values()].map((i) => i.close?.()));
  const issued = report.outcomes.filter((o) => o.kind === "issued").length;
  const failures = report.outcomes.flatMap((o) => (o.kind === "failed" ? [o.message] : [])).slice(0, 3);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(JSON.stringify({ issued, pushed: report.pushed, issueMs: ms, failures }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
