// Which zone a name lives in: ask for its SOA and walk up one label at a
// time (cert-manager's FindZoneByFqdn). An SOA in the answer names the zone
// apex; an SOA in the authority section (NXDOMAIN / NODATA) names the zone
// that holds the name, which saves the rest of the walk.
import { GitcertError } from "../../diagnostics.ts";
import { query } from "./query.ts";
import { formatServer } from "./transport.ts";
import type { DnsProtocol, DnsServer } from "./transport.ts";
import { canonicalName, isInZone, parentName } from "./wire.ts";

export interface FindZoneOptions {
  /** True against a recursive resolver, false against an authoritative server. */
  recursionDesired: boolean;
  timeoutMs: number;
  protocol?: DnsProtocol;
}

export async function findZone(fqdn: string, server: DnsServer, options: FindZoneOptions): Promise<string> {
  const tried: string[] = [];
  for (let name: string | undefined = canonicalName(fqdn); name && name !== "."; name = parentName(name)) {
    let response;
    try {
      response = await query(server, name, "SOA", { recursionDesired: options.recursionDesired, timeoutMs: options.timeoutMs, protocol: options.protocol ?? "udp" });
    } catch (err) {
      throw new GitcertError(
        "Dns01ZoneNotFound",
        `cannot find the zone of ${canonicalName(fqdn)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const apex = response.answers.find((a) => a.type === "SOA" && canonicalName(a.name) === name);
    if (apex && response.rcode === "NOERROR") return name;
    const enclosing = response.authorities.find((a) => a.type === "SOA");
    if (enclosing && (response.rcode === "NOERROR" || response.rcode === "NXDOMAIN") && isInZone(name, enclosing.name)) {
      return canonicalName(enclosing.name);
    }
    tried.push(`${name} ${response.rcode}`);
  }
  throw new GitcertError(
    "Dns01ZoneNotFound",
    `cannot find the zone of ${canonicalName(fqdn)}: ${formatServer(server)} returned no SOA for any enclosing name (${tried.join(", ")}); ` +
      "is this server authoritative for the zone?",
  );
}
