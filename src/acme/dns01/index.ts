// The DNS-01 room: the provider registry and providers/ (one folder each),
// the solver that presents, waits for propagation and cleans up, and the DNS
// plumbing they share (queries, zones, CNAMEs, authoritative servers).
export { defaultDns01Providers, type Dns01Registry } from "./registry.ts";
export { Dns01Solver, type Dns01Challenge, type Dns01Settings } from "./solver.ts";
export { createRfc2136Provider, rfc2136Provider, type Rfc2136Options } from "./providers/rfc2136/index.ts";
export { CLOUDFLARE_API, cloudflareProvider, createCloudflareProvider, type CloudflareOptions } from "./providers/cloudflare/index.ts";
export { createRoute53Provider, route53Provider, type Route53Options } from "./providers/route53/index.ts";
export { webhookProvider } from "./providers/webhook/index.ts";
export { waitForTxtRecord, type PropagationOptions } from "./propagation.ts";
export { authoritativeNameservers, type AuthoritativeServer } from "./authoritative.ts";
export { challengeFqdn, challengeName, followCnames, type CnameStrategy, type FollowOptions } from "./cname.ts";
export type * from "./types.ts";
