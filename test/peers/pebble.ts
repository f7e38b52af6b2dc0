// Pebble (Let's Encrypt's test ACME server) and pebble-challtestsrv (its DNS
// server), both real, on 127.0.0.1 with ports chosen at run time. Pebble's
// TLS listener gets a certificate from a CA made here with openssl, and
// clients trust that CA: TLS verification is never turned off.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { peer } from "./tools.ts";

export interface PebbleOptions {
  /** Where Pebble's VA sends HTTP-01 requests: the port gitcert's HTTP-01 server listens on. */
  httpPort: number;
  /** kid → base64url HMAC key. */
  eabKeys?: Record<string, string>;
  eabRequired?: boolean;
  /** PEBBLE_WFE_NONCEREJECT, 0 unless a test is about bad nonces. */
  nonceRejectPercent?: number;
  /** PEBBLE_ALTERNATE_ROOTS. */
  alternateRoots?: number;
  blockedDomains?: string[];
  /** Where Pebble resolves names (`127.0.0.1:PORT`, e.g. a BIND); default: its challtestsrv. */
  dnsServer?: string;
}

export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  /** The CA that signed Pebble's listener certificate, PEM: what ACME clients trust. */
  tlsCaPem: string;
  tlsCaFile: string;
  /** `127.0.0.1:PORT` of challtestsrv's DNS server (UDP and TCP). */
  dnsServer: string;
  /** The root of chain `n` (0 is the default chain), from the management API. */
  root(n?: number): Promise<string>;
  /** Overrides the ARI response for one certificate. */
  setRenewalInfo(certificatePem: string, ariResponse: unknown): Promise<void>;
  /** POST to challtestsrv's management API (`add-a`, `set-txt`, …). */
  challtestsrv(endpoint: string, body: unknown): Promise<void>;
  /** New orders Pebble has accepted so far (its log says `Added order` for each). */
  orders(): number;
  /** Output of both processes so far, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export const PEBBLE_PROFILES = {
  default: { description: "the default profile", validityPeriod: 7776000 },
  shortlived: { description: "six days", validityPeriod: 518400 },
} as const;

/** Free TCP ports on 127.0.0.1, held together while picking so they differ. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<import("node:net").Server>((resolve, reject) => {
        const s = createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function makeTlsCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", "/CN=gitcert test CA for Pebble", "-keyout", "ca.key", "-out", "ca.pem");
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "leaf.csr");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile", "ext.cnf", "-out", "cert.pem");
}

interface Proc {
  child: ChildProcess;
  logFile: string;
}

// Output goes to a file, not a pipe: Pebble logs every request, and a pipe
// the test process is too busy to drain would stall Pebble itself.
function startProcess(bin: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Proc {
  const fd = openSync(logFile, "a");
  try {
    return { child: spawn(bin, args, { env, stdio: ["ignore", fd, fd] }), logFile };
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, bytes = 4000): string {
  try {
    const text = readFileSync(file, "utf8");
    return text.slice(-bytes);
  } catch {
    return "";
  }
}

async function stopProcess(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers: { "user-agent": "gitcert-tests" }, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function post(url: string, body: unknown, ca?: string): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  const send = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "POST", ca, headers: { "content-type": "application/json", "user-agent": "gitcert-tests" }, timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, logs: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms\n${logs()}`);
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-pebble-"));
  const procs: Proc[] = [];
  const killAll = () => procs.forEach((p) => p.child.kill("SIGKILL"));
  process.once("exit", killAll);
  const stop = async () => {
    await Promise.all(procs.map(stopProcess));
    process.removeListener("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => procs.map((p) => `${p.logFile}:\n${tail(p.logFile)}`).join("\n---\n");

  try {
    makeTlsCertificates(dir);
    const [acmePort, mgmtPort, dnsPort, chttPort] = (await freePorts(4)) as [number, number, number, number];
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: join(dir, "cert.pem"),
        privateKey: join(dir, "key.pem"),
        httpPort: options.httpPort,
        tlsPort: 0,
        ocspResponderURL: "",
        externalAccountBindingRequired: options.eabRequired ?? false,
        externalAccountMACKeys: options.eabKeys ?? {},
        domainBlocklist: options.blockedDomains ?? [],
        keyAlgorithm: "ecdsa",
        profiles: PEBBLE_PROFILES,
      },
    };
    writeFileSync(join(dir, "pebble.json"), JSON.stringify(config));

    const dnsServer = `127.0.0.1:${dnsPort}`;
    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir };
    procs.push(
      startProcess(
        peer("pebble-challtestsrv"),
        ["-dnsserver", dnsServer, "-management", `127.0.0.1:${chttPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
        base,
        join(dir, "challtestsrv.log"),
      ),
    );
    procs.push(
      startProcess(peer("pebble"), ["-config", join(dir, "pebble.json"), "-dnsserver", options.dnsServer ?? dnsServer], {
        ...base,
        PEBBLE_VA_NOSLEEP: "1",
        PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
        PEBBLE_AUTHZREUSE: "0",
        PEBBLE_ALTERNATE_ROOTS: String(options.alternateRoots ?? 0),
      }, join(dir, "pebble.log")),
    );

    const tlsCaFile = join(dir, "ca.pem");
    const tlsCaPem = readFileSync(tlsCaFile, "utf8");
    const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
    const managementUrl = `https://127.0.0.1:${mgmtPort}`;
    const chtt = `http://127.0.0.1:${chttPort}`;
    await waitUntil("pebble", async () => (await get(directoryUrl, tlsCaPem)).status === 200, logs);
    await waitUntil("pebble-challtestsrv", async () => (await post(`${chtt}/set-default-ipv4`, { ip: "127.0.0.1" })).status === 200, logs);

    const challtestsrv = async (endpoint: string, body: unknown) => {
      const res = await post(`${chtt}/${endpoint}`, body);
      if (res.status !== 200) throw new Error(`challtestsrv ${endpoint}: HTTP ${res.status} ${res.body}`);
    };
    return {
      directoryUrl,
      managementUrl,
      tlsCaPem,
      tlsCaFile,
      dnsServer,
      async root(n = 0) {
        const res = await get(`${managementUrl}/roots/${n}`, tlsCaPem);
        if (res.status !== 200) throw new Error(`pebble /roots/${n}: HTTP ${res.status}`);
        return res.body;
      },
      async setRenewalInfo(certificatePem, ariResponse) {
        const res = await post(`${managementUrl}/set-renewal-info/`, { certificate: certificatePem, ARIResponse: typeof ariResponse === "string" ? ariResponse : JSON.stringify(ariResponse) }, tlsCaPem);
        if (res.status !== 200) throw new Error(`pebble set-renewal-info: HTTP ${res.status} ${res.body}`);
      },
      challtestsrv,
      orders: () => (readFileSync(join(dir, "pebble.log"), "utf8").match(/Added order "[^"]+" to the db/g) ?? []).length,
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
