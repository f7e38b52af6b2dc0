// A real BIND 9 for tests: named in the foreground as the current user on
// 127.0.0.1, a port chosen at run time, zones and TSIG keys made for this
// run only (secrets from node:crypto, so no tsig-keygen needed), every zone
// open to DNS UPDATE signed with the keys it lists. Needs /usr/sbin/named
// (Debian: `apt-get install bind9 bind9-utils bind9-dnsutils`; dig comes
// from bind9-dnsutils).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NAMED = "/usr/sbin/named";

export type TsigAlgorithm = "hmac-md5" | "hmac-sha1" | "hmac-sha256" | "hmac-sha512";

export interface BindKey {
  /** Key name as configured, absolute: `gitcert-sha256.` */
  name: string;
  algorithm: TsigAlgorithm;
  /** base64, as in the key statement and in a cert-manager tsigSecretSecretRef. */
  secret: string;
}

export interface BindZoneSpec {
  /** Zone apex without trailing dot: `example.test`. */
  name: string;
  /** Zone-file lines after the SOA and the NS record, relative names allowed. */
  records?: string[];
  /** Names of keys allowed to update the zone; none means no updates at all. */
  updateKeys?: string[];
}

export interface BindServer {
  host: "127.0.0.1";
  port: number;
  /** `127.0.0.1:PORT`, for rfc2136 `nameserver` and propagation `nameservers`. */
  nameserver: string;
  keys: Record<string, BindKey>;
  /** named's output so far, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

const SECRET_BYTES: Record<TsigAlgorithm, number> = { "hmac-md5": 16, "hmac-sha1": 20, "hmac-sha256": 32, "hmac-sha512": 64 };

/** A port free for both TCP and UDP on 127.0.0.1 at the time of asking. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = tcp.address() as AddressInfo;
    const udp = createSocket("udp4");
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new Error("no port free for both TCP and UDP on 127.0.0.1");
}

function zoneFile(zone: BindZoneSpec): string {
  return [
    "$TTL 60",
    `@ IN SOA ns1.${zone.name}. hostmaster.${zone.name}. ( 1 60 60 600 5 )`,
    `@ IN NS ns1.${zone.name}.`,
    `ns1 IN A 127.0.0.1`,
    ...(zone.records ?? []),
    "",
  ].join("\n");
}

function namedConf(dir: string, port: number, keys: BindKey[], zones: BindZoneSpec[]): string {
  const keyBlocks = keys.map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`);
  const zoneBlocks = zones.map((z) => {
    const allow = z.updateKeys && z.updateKeys.length ? z.updateKeys.map((k) => `key "${k}";`).join(" ") : "none;";
    return `zone "${z.name}" { type primary; file "${join(dir, `${z.name}.zone`)}"; allow-update { ${allow} }; };`;
  });
  return [
    "options {",
    `  directory "${dir}";`,
    `  pid-file "${join(dir, "named.pid")}";`,
    `  session-keyfile "${join(dir, "session.key")}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    "  listen-on-v6 { none; };",
    "  recursion no;",
    "  dnssec-validation no;",
    "  notify no;",
    "  allow-query { any; };",
    "};",
    // No rndc: nothing here needs it, and it would want a key of its own.
    "controls { };",
    ...keyBlocks,
    ...zoneBlocks,
    "",
  ].join("\n");
}

function waitForRunning(child: ChildProcess, port: number, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`named did not start within 10 s:\n${log()}`)), 10_000);
    const check = () => {
      const text = log();
      if (/could not listen|address in use|loading configuration: failure|exiting \(due to fatal error\)/.test(text)) {
        clearTimeout(timer);
        reject(new Error(`named failed to start:\n${text}`));
      } else if (text.includes(`127.0.0.1#${port}`) && /\brunning\b/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`named exited with code ${code}:\n${log()}`));
    });
  });
}

/**
 * named logs "running" a moment before it answers: the first query after it
 * can still get SERVFAIL. Ready means every zone's SOA comes back.
 */
async function waitForAnswers(port: number, zones: string[], log: () => string): Promise<void> {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 5000;
  for (const zone of zones) {
    for (;;) {
      try {
        await resolver.resolveSoa(zone);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`named does not answer for ${zone}: ${String(err)}\n${log()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

export async function startBind(options: { zones: BindZoneSpec[]; keys: { name: string; algorithm: TsigAlgorithm }[] }): Promise<BindServer> {
  if (!existsSync(NAMED)) {
    throw new Error(`${NAMED} is not installed: apt-get install -y bind9 bind9-utils bind9-dnsutils`);
  }
  const dir = await mkdtemp(join(tmpdir(), "gitcert-bind-"));
  const keys: Record<string, BindKey> = {};
  for (const k of options.keys) {
    const name = k.name.endsWith(".") ? k.name : `${k.name}.`;
    keys[k.name] = { name, algorithm: k.algorithm, secret: randomBytes(SECRET_BYTES[k.algorithm]).toString("base64") };
  }
  const zones = options.zones.map((z) => ({ ...z, updateKeys: z.updateKeys?.map((k) => keys[k]?.name ?? k) }));
  for (const z of zones) await writeFile(join(dir, `${z.name}.zone`), zoneFile(z));

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Another process may take the port between probe and bind; try again.
    const port = await freePort();
    const conf = join(dir, "named.conf");
    await writeFile(conf, namedConf(dir, port, Object.values(keys), zones), { mode: 0o600 });
    let output = "";
    const child = spawn(NAMED, ["-g", "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    // A test process that dies without its after hooks must not leave named behind.
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
    try {
      await waitForRunning(child, port, () => output);
      await waitForAnswers(port, zones.map((z) => z.name), () => output);
    } catch (err) {
      lastError = err;
      await stop(child);
      continue;
    }
    return {
      host: "127.0.0.1",
      port,
      nameserver: `127.0.0.1:${port}`,
      keys,
      log: () => output,
      close: async () => {
        await stop(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(killer);
}
