// The ACME account key lives in Git; the cluster is only a place to find one
// cert-manager made. A cluster that will not show its Secrets must not stop
// gitcert from having an account of its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accountKey } from "../../src/acme/index.ts";
import type { AcmeIssuerSpec } from "../../src/acme/index.ts";
import { GitcertError } from "../../src/diagnostics.ts";
import type { IssuerResource } from "../../src/manifests/types.ts";
import { memoryEnv } from "./helpers.ts";

const issuer: IssuerResource = { kind: "ClusterIssuer", name: "le", namespace: "", spec: {}, source: { file: "platform/issuers.yaml", line: 3 } };
const spec = { privateKeySecretRef: { name: "le-account", key: "tls.key" }, disableAccountKeyGeneration: false } as unknown as AcmeIssuerSpec;

function clusterSays(error: GitcertError) {
  const env = memoryEnv();
  const fromGit = env.readSecret;
  env.readSecret = async (key) => (await fromGit(key)) ?? Promise.reject(error);
  return env;
}

test("a cluster that forbids reading the account key Secret: the key is made and kept in Git", async () => {
  const env = clusterSays(new GitcertError("SecretForbidden", "Secret cert-manager/le-account is not in the repository, and gitcert may not read it"));
  const pem = await accountKey(issuer, spec, env);
  assert.match(pem, /BEGIN RSA PRIV/);
  assert.deepEqual(env.writes, [{ namespace: "cert-manager", name: "le-account" }]);
  assert.equal(await accountKey(issuer, spec, env), pem, "the next read finds the one in Git");
});

test("a cluster that cannot be reached is not taken for an empty one: no new account is made", async () => {
  const env = clusterSays(new GitcertError("KubeUnreachable", "the API server did not answer"));
  await assert.rejects(accountKey(issuer, spec, env), /did not answer/);
  assert.deepEqual(env.writes, []);
});
