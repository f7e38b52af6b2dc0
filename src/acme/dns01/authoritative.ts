// The servers that answer for a name's zone, found through recursive
// resolvers: SOA walk for the zone, its NS set, then each server's address
// (glue first). The propagation check asks these directly, because a
// resolver's cache can hide a record for its whole negative TTL.
import { GitcertError } from "../../diagnostics.ts";
import { nameData, query } from "./query.ts";
import type { DnsResponse } from "./query.ts";
import { serversOrSystem } from "./resolvers.ts";
import { formatServer } from "./transport.ts";
import type { DnsServer } from "./transport.ts";
import { canonicalName } from "./wire.ts";
import { findZone } from "./zone.ts";

export interface AuthoritativeServer extends DnsServer {
  /** The NS host name, e.g. `ns1.example.com.` */
  name: string;
}

export interface AuthoritativeOptions {
  /** Recursive resolvers (host:port) used to discover the servers; default the system's. */
  resolvers?: string[];
  timeoutMs?: number;
}

function addressesIn(records: DnsResponse["answers"], owner: string, type: "A" | "AAAA"): string[] {
  return records.filter((r) => r.type === type && canonicalName(r.name) === owner).map((r) => nameData(r));
}

async function withFirstResolver<T>(resolvers: DnsServer[], what: string, run: (server: DnsServer) => Promise<T>): Promise<T> {
  const failures: string[] = [];
  for (const server of resolvers) {
    try {
      return await run(server);
    } catch (err) {
      failures.push(`${formatServer(server)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new GitcertError("Dns01NameserversNotFound", `${what} failed on every resolver (${failures.join("; ") || "none configured"})`);
}

export async function authoritativeNameservers(
  fqdn: string,
  options: AuthoritativeOptions = {},
): Promise<{ zone: string; servers: AuthoritativeServer[] }> {
  const resolvers = serversOrSystem(options.resolvers);
  const timeoutMs = options.timeoutMs ?? 3000;
  const ask = { recursionDesired: true, timeoutMs };

  const zone = await withFirstResolver(resolvers, `finding the zone of ${canonicalName(fqdn)}`, (s) => findZone(fqdn, s, ask));
  const ns = await withFirstResolver(resolvers, `NS lookup of ${zone}`, async (s) => {
    const r = await query(s, zone, "NS", ask);
    if (r.rcode !== "NOERROR") throw new Error(`NS query answered ${r.rcode}`);
    return r;
  });
  const names = [...new Set(ns.answers.filter((a) => a.type === "NS" && canonicalName(a.name) === zone).map((a) => canonicalName(nameData(a))))];
  if (names.length === 0) throw new GitcertError("Dns01NameserversNotFound", `zone ${zone} has no NS records`);

  const servers: AuthoritativeServer[] = [];
  for (const name of names.sort()) {
    // IPv4 first: a pod without IPv6 routes would otherwise wait out every
    // AAAA address. IPv6 is used for servers that have nothing else.
    let addresses = addressesIn(ns.additionals, name, "A");
    if (addresses.length === 0) {
      addresses = await withFirstResolver(resolvers, `address lookup of ${name}`, async (s) => {
        const v4 = addressesIn((await query(s, name, "A", ask)).answers, name, "A");
        return v4.length ? v4 : addressesIn((await query(s, name, "AAAA", ask)).answers, name, "AAAA");
      });
    }
    for (const host of addresses) servers.push({ name, host, port: 53 });
  }
  if (servers.length === 0) throw new GitcertError("Dns01NameserversNotFound", `no address found for any nameserver of ${zone} (${names.join(", ")})`);
  return { zone, servers };
}
