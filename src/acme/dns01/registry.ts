// The DNS-01 provider registry: solver key → implementation. Adding a
// provider is a folder in providers/ and one line here.
import { cloudflareProvider } from "./providers/cloudflare/index.ts";
import { rfc2136Provider } from "./providers/rfc2136/index.ts";
import { route53Provider } from "./providers/route53/index.ts";
import { webhookProvider } from "./providers/webhook/index.ts";
import type { Dns01Provider } from "./types.ts";

export type Dns01Registry = ReadonlyMap<string, Dns01Provider>;

export function defaultDns01Providers(): Dns01Registry {
  return new Map<string, Dns01Provider>([
    [rfc2136Provider.name, rfc2136Provider],
    [cloudflareProvider.name, cloudflareProvider],
    [route53Provider.name, route53Provider],
    [webhookProvider.name, webhookProvider],
  ]);
}
