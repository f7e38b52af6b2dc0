// A platform repository for reconcile tests of issuers backed by an outside
// CA (Vault, Venafi): a real bare Git remote with a .sops.yaml, the given
// manifests, and the issuers' Secrets encrypted as a user would encrypt
// them; a reconcile into it; and what landed there read back with the real
// sops CLI, and openssl as the judge of the chains.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadConfig, type Config } from "../src/config.ts";
import { prepareDemo } from "../src/demo.ts";
import type { IssuerRegistry } from "../src/issuers/index.ts";
import { createLogger } from "../src/log.ts";
import { reconcileRepository } from "../src/reconcile.ts";
import { openWorkspace } from "../src/repo/index.ts";
import { encryptYaml, renderSecretManifest } from "../src/secrets/index.ts";
import { git, remoteClones, sopsDecrypt, tempDir } from "./helpers.ts";

export interface RepositorySecret {
  /** Repository path of the SOPS file. */
  path: string;
  namespace: string;
  name: string;
  data: Record<string, string>;
}

export interface RepositoryOptions {
  /** Settings over the defaults. */
  config?: Partial<Config>;
  /** false: the repository has no .sops.yaml. */
  sopsConfig?: boolean;
}

export async function issuerRepository(
  t: TestContext,
  files: Record<string, string>,
  secrets: RepositorySecret[],
  issuers: (config: Config) => IssuerRegistry,
  options: RepositoryOptions = {},
) {
  const dir = tempDir(t);
  const demo = await prepareDemo(join(dir, "demo"));
  const recipient = /public key: (age1\S+)/.exec(readFileSync(demo.keyFile, "utf8"))![1]!;
  const seed = join(dir, "seed");
  execFileSync("git", ["clone", "--quiet", demo.remote, seed]);
  git(seed, "rm", "-r", "--quiet", "apps", "platform");
  if (options.sopsConfig === false) git(seed, "rm", "--quiet", ".sops.yaml");
  const all: Record<string, string> = { ...files };
  for (const s of secrets) {
    const data = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v)]));
    const manifest = renderSecretManifest({ name: s.name, namespace: s.namespace, type: "Opaque", annotations: {}, labels: {}, data });
    all[s.path] = await encryptYaml(manifest, { recipients: [recipient], encryptedRegex: "^(data|stringData)$" });
  }
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(seed, path)), { recursive: true });
    writeFileSync(join(seed, path), text);
  }
  git(seed, "add", "--all");
  git(seed, "commit", "--quiet", "-m", "platform with issuers");
  git(seed, "push", "--quiet", "origin", "main");

  const { config: defaults } = loadConfig({});
  const config: Config = { ...defaults, logLevel: "error", ...options.config };
  const run = async (workdir = "work", now = new Date()) => {
    const registry = issuers(config);
    const workspace = await openWorkspace({ url: demo.remote, branch: "main", workdir: join(dir, workdir), author: { name: "gitcert", email: "gitcert@test.invalid" } });
    try {
      return await reconcileRepository(workspace, { config, issuers: registry, identities: demo.identities, now: () => now, log: createLogger("error") });
    } finally {
      await Promise.all([...registry.values()].map((i) => i.close?.()));
    }
  };
  const { checkout, pushOther } = remoteClones(dir, demo.remote);
  /** A Secret gitcert wrote, decrypted by `sops -d`, its values as text. */
  const secretData = (clone: string, path: string): Record<string, string> => {
    const doc = parseYaml(sopsDecrypt(t, join(clone, path), demo.identities[0]!)) as { data: Record<string, string> };
    return Object.fromEntries(Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  };
  return { dir, remote: demo.remote, recipient, identity: demo.identities[0]!, run, checkout, pushOther, secretData };
}

const yamlString = (s: string) => JSON.stringify(s);

/** A cert-manager Certificate manifest. */
export function certificateManifest(o: { name: string; namespace: string; issuer: string; kind?: "Issuer" | "ClusterIssuer"; dnsNames: string[]; extra?: string }): string {
  return [
    "apiVersion: cert-manager.io/v1",
    "kind: Certificate",
    `metadata: {name: ${o.name}, namespace: ${o.namespace}}`,
    "spec:",
    `  secretName: ${o.name}-tls`,
    `  dnsNames: [${o.dnsNames.map(yamlString).join(", ")}]`,
    `  issuerRef: {name: ${o.issuer}, kind: ${o.kind ?? "ClusterIssuer"}}`,
    ...(o.extra ? [o.extra.replace(/\n$/, "")] : []),
    "---",
    "",
  ].join("\n");
}

/** An Issuer or ClusterIssuer manifest; `spec` is YAML indented under `spec:`. */
export function issuerManifest(o: { kind: "Issuer" | "ClusterIssuer"; name: string; namespace?: string; spec: string }): string {
  const meta = o.kind === "Issuer" ? `{name: ${o.name}, namespace: ${o.namespace}}` : `{name: ${o.name}}`;
  return `apiVersion: cert-manager.io/v1\nkind: ${o.kind}\nmetadata: ${meta}\nspec:\n${o.spec.replace(/\n$/, "")}\n---\n`;
}

/** The line an object starts on in `text`, 1-based: where `plan` says an issuer is defined. */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} is not in the text`);
  // The document starts at its `apiVersion:` line.
  const start = text.lastIndexOf("apiVersion:", at);
  return text.slice(0, start).split("\n").length;
}
