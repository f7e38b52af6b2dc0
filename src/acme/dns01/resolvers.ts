// Recursive resolvers to ask when no nameservers are configured: the ones
// this process resolves with (/etc/resolv.conf, as node reads it), the same
// default cert-manager has for --dns01-recursive-nameservers.
import { getServers } from "node:dns";
import { parseServer } from "./transport.ts";
import type { DnsServer } from "./transport.ts";

export function serversOrSystem(configured: readonly string[] | undefined): DnsServer[] {
  const list = configured && configured.length ? configured : getServers();
  return list.map((s) => parseServer(s));
}
