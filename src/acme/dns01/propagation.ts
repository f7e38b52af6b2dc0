// Wait until the challenge TXT record is visible where the ACME server will
// look, before asking it to validate. cert-manager's equivalent leaves users
// with "DNS record not yet propagated" and nothing else; here the timeout
// error lists every server asked and what it last answered, so the reader
// can tell a wrong zone from a slow secondary from a refused query.
import { GitcertError } from "../../diagnostics.ts";
import { authoritativeNameservers } from "./authoritative.ts";
import { nameData, query, txtValues } from "./query.ts";
import type { DnsResponse } from "./query.ts";
import { formatServer, parseServer } from "./transport.ts";
import type { DnsServer } from "./transport.ts";
import { canonicalName } from "./wire.ts";

export interface PropagationOptions {
  /**
   * Servers to check (host or host:port), e.g. cert-manager's
   * --dns01-recursive-nameservers. Unset: the zone's authoritative servers.
   */
  nameservers?: string[];
  timeoutMs: number;
  intervalMs: number;
  /** Recursive resolvers used to find the authoritative servers; default the system's. */
  resolvers?: string[];
}

interface Target {
  server: DnsServer;
  label: string;
  recursive: boolean;
}

interface Observation {
  ok: boolean;
  text: string;
}

const MAX_QUERY_MS = 2000;

function quoteList(values: string[]): string {
  const shown = values.slice(0, 5).map((v) => JSON.stringify(v));
  return values.length > 5 ? `${shown.join(", ")} and ${values.length - 5} more` : shown.join(", ");
}

/** Turns one answer into "saw it" or a sentence about what the server said instead. */
export function observe(response: DnsResponse, fqdn: string, value: string): Observation {
  // A CNAME at the name is followed inside the answer, as a resolver would.
  let owner = canonicalName(fqdn);
  const chain: string[] = [];
  for (let hop = 0; hop < 8; hop++) {
    const cname = response.answers.find((a) => a.type === "CNAME" && canonicalName(a.name) === owner);
    if (!cname) break;
    owner = canonicalName(nameData(cname));
    chain.push(owner);
  }
  const via = chain.length ? ` (via CNAME to ${chain.join(" → ")})` : "";
  const values = txtValues(response.answers, owner);
  if (response.rcode === "NOERROR" && values.includes(value)) return { ok: true, text: `has the value${via}` };
  switch (response.rcode) {
    case "NOERROR": {
      if (values.length) return { ok: false, text: `answered with other TXT values${via}: ${quoteList(values)}` };
      const referral = response.authorities.some((a) => a.type === "NS") && !response.authoritative;
      if (referral) return { ok: false, text: `answered with a referral, not authoritatively: the name is delegated to other servers${via}` };
      return { ok: false, text: `answered NOERROR with no TXT record at ${owner}${via} (NODATA: the name exists, the record does not yet)` };
    }
    case "NXDOMAIN":
      return { ok: false, text: `answered NXDOMAIN: ${owner} does not exist there${via}` };
    case "REFUSED":
      return { ok: false, text: "answered REFUSED: it does not serve this zone or does not answer this client" };
    case "SERVFAIL":
      return { ok: false, text: "answered SERVFAIL: it could not load or resolve the zone" };
    default:
      return { ok: false, text: `answered ${response.rcode}` };
  }
}

async function targetsFor(fqdn: string, options: PropagationOptions, timeoutMs: number): Promise<{ targets: Target[]; scope: string }> {
  if (options.nameservers && options.nameservers.length) {
    const targets = options.nameservers.map((n) => {
      const server = parseServer(n);
      return { server, label: formatServer(server), recursive: true };
    });
    return { targets, scope: "the configured nameservers" };
  }
  const found = await authoritativeNameservers(fqdn, { resolvers: options.resolvers, timeoutMs });
  const targets = found.servers.map((s) => ({ server: s, label: `${s.name} (${formatServer(s)})`, recursive: false }));
  return { targets, scope: `the authoritative nameservers of zone ${found.zone}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitForTxtRecord(fqdn: string, value: string, options: PropagationOptions): Promise<void> {
  const name = canonicalName(fqdn);
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let rounds = 0;
  let last: { scope: string; results: { label: string; observation: Observation }[] } | undefined;
  let discoveryError: string | undefined;

  for (;;) {
    rounds++;
    // A server that cannot answer within one interval counts as not answering;
    // waiting longer would only delay the servers that can.
    const perQuery = Math.max(100, Math.min(MAX_QUERY_MS, Math.max(options.intervalMs, 500), deadline - Date.now()));
    try {
      const { targets, scope } = await targetsFor(name, options, perQuery);
      discoveryError = undefined;
      const results = await Promise.all(
        targets.map(async (t) => {
          try {
            const response = await query(t.server, name, "TXT", { recursionDesired: t.recursive, timeoutMs: perQuery });
            return { label: t.label, observation: observe(response, name, value) };
          } catch (err) {
            return { label: t.label, observation: { ok: false, text: err instanceof Error ? err.message : String(err) } };
          }
        }),
      );
      last = { scope, results };
      if (results.every((r) => r.observation.ok)) return;
    } catch (err) {
      discoveryError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + options.intervalMs >= deadline) break;
    await sleep(options.intervalMs);
  }

  const waited = `${((Date.now() - started) / 1000).toFixed(1)} s (${rounds} check${rounds === 1 ? "" : "s"}, every ${(options.intervalMs / 1000).toFixed(1)} s)`;
  const head = `DNS-01 record not propagated: TXT ${name} ${JSON.stringify(value)}`;
  if (!last || discoveryError) {
    throw new GitcertError(
      "Dns01NotPropagated",
      `${head} could not be checked after ${waited}: ${discoveryError ?? "no nameserver to ask"}`,
    );
  }
  const missing = last.results.filter((r) => !r.observation.ok).length;
  const lines = last.results.map((r) => `  ${r.label} ${r.observation.text}`);
  throw new GitcertError(
    "Dns01NotPropagated",
    [
      `${head} is not visible on ${missing} of ${last.results.length} of ${last.scope} after ${waited}. Last answers:`,
      ...lines,
      "If the provider reported success, the record may be in a different zone or view than these servers serve " +
        "(check the zone and cnameStrategy), or secondaries have not transferred it yet (check NOTIFY/IXFR from the primary).",
    ].join("\n"),
  );
}
