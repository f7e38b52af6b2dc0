// Shared plumbing for the DNS-01 tests: a provider context whose Secrets are
// a plain map, dig as an independent reader of what a DNS server serves, and
// a local HTTP server for the API doubles.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { GitcertError } from "../../../src/diagnostics.ts";
import type { Dns01Context, Dns01Provider } from "../../../src/acme/dns01/types.ts";
import { problemText, read } from "../../../src/schema/index.ts";
import { listenOnLoopback } from "../../peers/loopback.ts";

/** A provider's config block, read as the ACME spec reads it: `field: problem` for each mistake. */
export function configProblems(provider: Dns01Provider<unknown>, config: unknown): string[] {
  const r = read(provider.schema, config);
  return r.ok ? [] : r.problems.map((p) => problemText("", p));
}

/** A context for `provider` with `config` read by its schema; `secrets` is keyed `name/key`. */
export function context<Config>(
  provider: Dns01Provider<Config>,
  config: Record<string, unknown>,
  secrets: Record<string, string> = {},
  fetchImpl: typeof fetch = fetch,
): Dns01Context<Config> {
  const r = read(provider.schema, config);
  if (!r.ok) throw new Error(`invalid ${provider.name} config: ${r.problems.map((p) => problemText("", p)).join("; ")}`);
  return {
    config: r.value,
    async readSecretKey(ref) {
      const value = secrets[`${ref.name}/${ref.key}`];
      if (value === undefined) throw new GitcertError("SecretNotFound", `Secret ${ref.name} has no key ${ref.key}`);
      return Buffer.from(value);
    },
    fetch: fetchImpl,
  };
}

/** TXT values at `name` as dig prints them with +short, quotes removed. */
export function digTxt(server: { host: string; port: number }, name: string): string[] {
  const out = execFileSync("dig", [`@${server.host}`, "-p", String(server.port), "+short", "+tries=1", "+time=2", name, "TXT"], {
    encoding: "utf8",
  });
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"'))
    .map((l) => l.replace(/^"|"$/g, ""));
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface HttpDouble {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A node HTTP server on 127.0.0.1, port 0, recording every request it answers. */
export async function startHttpDouble(
  handle: (req: RecordedRequest, res: ServerResponse) => void | Promise<void>,
): Promise<HttpDouble> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
    requests.push(recorded);
    try {
      await handle(recorded, res);
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
    }
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, requests, close };
}
