// The DNS-01 provider registry: solver key → implementation. Adding a
// provider is a new file and one line here.
import { cloudflareProvider } from "./cloudflare.ts";
import { rfc2136Provider } from "./rfc2136.ts";
import { route53Provider } from "./route53.ts";
import type { Dns01Provider } from "./types.ts";
import { webhookProvider } from "./webhook.ts";

export type Dns01Registry = ReadonlyMap<string, Dns01Provider>;

export function defaultDns01Providers(): Dns01Registry {
  return new Map<string, Dns01Provider>([
    [rfc2136Provider.name, rfc2136Provider],
    [cloudflareProvider.name, cloudflareProvider],
    [route53Provider.name, route53Provider],
    [webhookProvider.name, webhookProvider],
  ]);
}
