// cnameStrategy: Follow. Users delegate `_acme-challenge.example.com` to a
// zone gitcert may write (a CNAME to `_acme-challenge.example.com.acme.example.net.`);
// the ACME server follows the CNAME, so the TXT record has to go where the
// chain ends. Bounded and loop-safe: a chain that revisits a name, or runs
// past `maxHops`, is an error rather than a hang.
import { GitcertError } from "../../diagnostics.ts";
import { nameData, query } from "./query.ts";
import { serversOrSystem } from "./resolvers.ts";
import { formatServer } from "./transport.ts";
import { canonicalName } from "./wire.ts";

export type CnameStrategy = "None" | "Follow";

export interface FollowOptions {
  /** Resolvers to ask (host or host:port); default the system's. */
  nameservers?: string[];
  /** At most this many CNAMEs are followed; default 10. */
  maxHops?: number;
  timeoutMs?: number;
}

/** `*.example.com` / `example.com` → `_acme-challenge.example.com.` (RFC 8555 §8.4). */
export function challengeName(domain: string): string {
  return canonicalName(`_acme-challenge.${domain.replace(/^\*\./, "")}`);
}

async function cnameTarget(name: string, options: FollowOptions): Promise<string | undefined> {
  const failures: string[] = [];
  for (const server of serversOrSystem(options.nameservers)) {
    try {
      const r = await query(server, name, "CNAME", { recursionDesired: true, timeoutMs: options.timeoutMs ?? 3000 });
      if (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN") {
        failures.push(`${formatServer(server)} answered ${r.rcode}`);
        continue;
      }
      const cname = r.answers.find((a) => a.type === "CNAME" && canonicalName(a.name) === name);
      return cname ? canonicalName(nameData(cname)) : undefined;
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new GitcertError("Dns01CnameLookupFailed", `CNAME lookup of ${name} failed: ${failures.join("; ")}`);
}

/** The name at the end of the CNAME chain starting at `fqdn` (itself when there is none). */
export async function followCnames(fqdn: string, options: FollowOptions = {}): Promise<string> {
  const maxHops = options.maxHops ?? 10;
  const chain = [canonicalName(fqdn)];
  for (;;) {
    const current = chain[chain.length - 1]!;
    const next = await cnameTarget(current, options);
    if (next === undefined) return current;
    if (chain.includes(next)) {
      throw new GitcertError("Dns01CnameLoop", `CNAME loop while following ${chain[0]}: ${[...chain, next].join(" → ")}`);
    }
    chain.push(next);
    if (chain.length - 1 > maxHops) {
      throw new GitcertError("Dns01CnameLoop", `more than ${maxHops} CNAMEs while following ${chain[0]}: ${chain.join(" → ")}`);
    }
  }
}

/** Where the TXT record for `domain` goes under the solver's cnameStrategy. */
export async function challengeFqdn(domain: string, strategy: CnameStrategy = "None", options: FollowOptions = {}): Promise<string> {
  const name = challengeName(domain);
  return strategy === "Follow" ? followCnames(name, options) : name;
}
