// The HTTP-01 self-check: before telling the ACME server a challenge is
// ready, fetch it the way the server will — by name, on port 80, through
// the public route — until the key authorization has come back `passes`
// times in a row (cert-manager: 5, 2 s apart, so every replica behind a
// load balancer has the route) or time runs out. Names resolve through
// configured nameservers when given (cert-manager's
// --acme-http01-solver-nameservers), else the system resolver. A failure
// says what was fetched from which address and what came back, without
// spending an ACME validation attempt on it.
import { lookup, Resolver } from "node:dns/promises";
import { nodeHttp } from "../../http/node-http.ts";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { GitcertError } from "../../diagnostics.ts";
import { redactTokens } from "../problem.ts";

export interface SelfCheckOptions {
  /** Port the challenge URL is fetched on: 80 in production, where the ingress listens. */
  port: number;
  /** `ip` or `ip:port`; empty: the system resolver. */
  nameservers: readonly string[];
  timeoutMs: number;
  intervalMs: number;
  /** Consecutive good answers needed; a bad one starts the count again. Default 1. */
  passes?: number;
  requestTimeoutMs?: number;
}

const MAX_REDIRECTS = 10;

type Outcome = { ok: true } | { ok: false; report: string };

export async function http01SelfCheck(domain: string, token: string, keyAuthorization: string, options: SelfCheckOptions): Promise<void> {
  const started = Date.now();
  const url = `http://${hostForUrl(domain)}${options.port === 80 ? "" : `:${options.port}`}/.well-known/acme-challenge/${token}`;
  const required = Math.max(1, options.passes ?? 1);
  let attempts = 0;
  let inARow = 0;
  let last = "";
  for (;;) {
    attempts++;
    const outcome = await fetchChallenge(url, keyAuthorization, options);
    if (outcome.ok) {
      if (++inARow >= required) return;
    } else {
      inARow = 0;
      last = outcome.report;
    }
    if (Date.now() - started + options.intervalMs > options.timeoutMs) break;
    await sleep(options.intervalMs);
  }
  const via = options.nameservers.length > 0 ? `nameservers ${options.nameservers.join(", ")}` : "the system resolver";
  const seconds = Math.round((Date.now() - started) / 1000);
  const why =
    inARow > 0
      ? `the last ${inARow} answer(s) were right, but ${required} in a row are needed${last ? `; before them: ${last}` : ""}`
      : last;
  const message =
    `HTTP-01 self-check for ${domain} failed (${attempts} attempt(s) in ${seconds}s, names resolved via ${via}): ${why}. ` +
    `HTTP-01 needs http://${domain}/.well-known/acme-challenge/ to reach the cluster's ingress from the public internet on port 80, ` +
    `routed to gitcert's HTTP-01 server; check the DNS records of ${domain}, the ingress and any firewall, or use a dns01 solver`;
  throw new GitcertError("Http01SelfCheckFailed", redactTokens(message, [token]));
}

/** One round: resolve, then GET from each address until one answers with the key authorization. */
async function fetchChallenge(url: string, expected: string, options: SelfCheckOptions): Promise<Outcome> {
  const reports: string[] = [];
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const host = current.hostname.replace(/^\[|\]$/g, "");
    let addresses: string[];
    try {
      addresses = await resolve(host, options.nameservers);
    } catch (err) {
      return { ok: false, report: `GET ${current.href}: ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
    let redirect: URL | undefined;
    for (const address of addresses) {
      const port = Number(current.port) || (current.protocol === "https:" ? 443 : 80);
      const from = `${address.includes(":") ? `[${address}]` : address}:${port}`;
      try {
        const res = await get(current, address, port, options.requestTimeoutMs ?? 5000);
        if (res.status >= 300 && res.status < 400 && res.location) {
          redirect = new URL(res.location, current);
          reports.push(`GET ${current.href} from ${from}: HTTP ${res.status} redirect to ${redirect.href}`);
          break;
        }
        if (res.status === 200 && res.body.trim() === expected) return { ok: true };
        reports.push(`GET ${current.href} from ${from}: HTTP ${res.status}, body ${JSON.stringify(snippet(res.body))} instead of the key authorization`);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        reports.push(`GET ${current.href} from ${from}: ${e.code ?? e.message}`);
      }
    }
    if (!redirect) break;
    current = redirect;
  }
  return { ok: false, report: reports.join("; ") };
}

/** AAAA before A, as ACME validation servers dial. */
async function resolve(host: string, nameservers: readonly string[]): Promise<string[]> {
  if (isIP(host)) return [host];
  if (nameservers.length === 0) {
    const all = await lookup(host, { all: true, verbatim: true });
    return all.sort((a, b) => b.family - a.family).map((a) => a.address);
  }
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...nameservers]);
  const [v6, v4] = await Promise.allSettled([resolver.resolve6(host), resolver.resolve4(host)]);
  const addresses = [...(v6.status === "fulfilled" ? v6.value : []), ...(v4.status === "fulfilled" ? v4.value : [])];
  if (addresses.length > 0) return addresses;
  const reason = v4.status === "rejected" ? v4.reason : v6.status === "rejected" ? v6.reason : new Error("no A or AAAA records");
  throw reason;
}

function get(url: URL, address: string, port: number, timeoutMs: number): Promise<{ status: number; body: string; location?: string }> {
  const https = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : nodeHttp.request)(
      {
        host: address,
        port,
        path: url.pathname + url.search,
        method: "GET",
        headers: { host: url.host, "user-agent": "gitcert-http01-self-check" },
        agent: false,
        // Like the ACME server's validation, a redirect to https is followed
        // without checking the certificate: it may be the very certificate
        // this challenge is for, not issued yet. Only public content is read.
        ...(https ? { servername: isIP(url.hostname) ? undefined : url.hostname, rejectUnauthorized: false } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (body.length < 4096) body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > 100 ? `${flat.slice(0, 100)}…` : flat;
}

function hostForUrl(domain: string): string {
  return isIP(domain) === 6 ? `[${domain}]` : domain;
}
