// The ACME account key lives in Git: the Secret `privateKeySecretRef` (in
// the Issuer's namespace, or the cluster resource namespace for a
// ClusterIssuer), SOPS-encrypted like every other Secret. Generated once,
// when missing and allowed; then every pod and every cluster signs with the
// same key and so uses the same account.
import { createPrivateKey, generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { GitcertError } from "../diagnostics.ts";
import { issuerRef, secretNamespace } from "../issuers/read.ts";
import type { IssuerEnv, SecretKey } from "../issuers/types.ts";
import type { IssuerResource } from "../manifests/types.ts";
import type { AcmeIssuerSpec, SecretKeySelector } from "./schema.ts";

const generate = promisify(generateKeyPair);

// One generation per Secret per reconcile, however many certificates of
// the issuer run at once; keyed by the env, which is one per reconcile.
const generating = new WeakMap<IssuerEnv, Map<string, Promise<string>>>();

/** The account key PEM: read from the repository, or generated and kept there. */
export async function accountKey(issuer: IssuerResource, spec: AcmeIssuerSpec, env: IssuerEnv): Promise<string> {
  const ref = spec.privateKeySecretRef;
  const key: SecretKey = { namespace: secretNamespace(issuer, env.clusterResourceNamespace), name: ref.name };
  const where = { source: issuer.source, object: issuerRef(issuer) };
  const data = await readAccountSecret(key, env);
  if (data) {
    const pem = data[ref.key]?.toString("utf8");
    if (!pem) {
      throw new GitcertError("AcmeAccountKeyInvalid", `Secret ${key.namespace}/${key.name} exists but has no key ${JSON.stringify(ref.key)} for the ACME account key (spec.acme.privateKeySecretRef)`, where);
    }
    try {
      const k = createPrivateKey(pem);
      if (k.asymmetricKeyType !== "rsa" && k.asymmetricKeyType !== "ec") throw new Error(k.asymmetricKeyType);
    } catch {
      throw new GitcertError("AcmeAccountKeyInvalid", `Secret ${key.namespace}/${key.name} key ${JSON.stringify(ref.key)} is not an RSA or ECDSA private key in PEM`, where);
    }
    return pem;
  }
  if (spec.disableAccountKeyGeneration) {
    throw new GitcertError(
      "AcmeAccountKeyMissing",
      `ACME account key Secret ${key.namespace}/${key.name} was not found in the repository, and spec.acme.disableAccountKeyGeneration forbids creating one`,
      where,
    );
  }
  let perEnv = generating.get(env);
  if (!perEnv) generating.set(env, (perEnv = new Map()));
  const id = `${key.namespace}/${key.name}`;
  let pending = perEnv.get(id);
  if (!pending) {
    pending = createAccountKey(key, ref, issuer, env);
    perEnv.set(id, pending);
  }
  return pending;
}

/**
 * The account key is kept in Git; the cluster is only asked for one that
 * cert-manager made (a migration keeps its account). A cluster that will not
 * show it is the same as one that has none: gitcert needs no right on the
 * cluster's Secrets to have an account of its own.
 */
export async function readAccountSecret(key: SecretKey, env: IssuerEnv): Promise<Record<string, Buffer> | undefined> {
  try {
    return await env.readSecret(key);
  } catch (err) {
    if (err instanceof GitcertError && err.code === "SecretForbidden") return undefined;
    throw err;
  }
}

async function createAccountKey(key: SecretKey, ref: SecretKeySelector, issuer: IssuerResource, env: IssuerEnv): Promise<string> {
  // RSA 2048 in PKCS#1, as cert-manager generates: its ACME issuer accepts
  // only RSA account keys, and moving back must stay a copy.
  const { privateKey } = await generate("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }) as string;
  await env.writeSecret(key, { [ref.key]: Buffer.from(pem) }, issuer.source);
  return pem;
}

/** The EAB key ID and HMAC key (base64url, as the CA hands it out), or undefined without EAB. */
export async function externalAccountBinding(issuer: IssuerResource, spec: AcmeIssuerSpec, env: IssuerEnv): Promise<{ kid: string; hmacKey: string } | undefined> {
  const eab = spec.externalAccountBinding;
  if (!eab) return undefined;
  const key: SecretKey = { namespace: secretNamespace(issuer, env.clusterResourceNamespace), name: eab.keySecretRef.name };
  const where = { source: issuer.source, object: issuerRef(issuer) };
  const data = await env.readSecret(key);
  const value = data?.[eab.keySecretRef.key]?.toString("utf8").trim();
  if (!value) {
    const what = data ? `has no key ${JSON.stringify(eab.keySecretRef.key)}` : "was not found in the repository";
    throw new GitcertError("AcmeEabSecretMissing", `EAB Secret ${key.namespace}/${key.name} ${what} (spec.acme.externalAccountBinding.keySecretRef)`, where);
  }
  if (!/^[A-Za-z0-9_\-+/]+=*$/.test(value)) {
    throw new GitcertError("AcmeEabSecretInvalid", `EAB Secret ${key.namespace}/${key.name} key ${JSON.stringify(eab.keySecretRef.key)} is not a base64url HMAC key`, where);
  }
  return { kid: eab.keyID, hmacKey: value };
}
