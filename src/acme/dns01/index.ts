export { defaultDns01Providers, type Dns01Registry } from "./registry.ts";
export { createRfc2136Provider, rfc2136Provider, type Rfc2136Options } from "./rfc2136.ts";
export { CLOUDFLARE_API, cloudflareProvider, createCloudflareProvider, type CloudflareOptions } from "./cloudflare.ts";
export { createRoute53Provider, route53Provider, type Route53Options } from "./route53.ts";
export { webhookProvider } from "./webhook.ts";
export { waitForTxtRecord, type PropagationOptions } from "./propagation.ts";
export { authoritativeNameservers, type AuthoritativeServer } from "./authoritative.ts";
export { challengeFqdn, challengeName, followCnames, type CnameStrategy, type FollowOptions } from "./cname.ts";
export type * from "./types.ts";
