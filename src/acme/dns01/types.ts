// The DNS-01 extension point: a provider is one folder in providers/
// (index.ts implementing Dns01Provider, schema.ts reading its config block)
// plus one line in registry.ts.
import type { z } from "zod";
import type { SecretKeySelector } from "../../schema/index.ts";

export interface Dns01Record {
  /** The name validated, without wildcard: `example.com` for `*.example.com`. */
  domain: string;
  /** Where the TXT record goes, absolute with trailing dot, after any CNAME was followed. */
  fqdn: string;
  /** The TXT value: base64url(SHA-256(key authorization)). */
  value: string;
}

export interface Dns01Context<Config = unknown> {
  /** This provider's block of the solver (`solver.dns01.rfc2136`), as its schema read it. */
  config: Config;
  /**
   * A key of a Secret the config refers to, in the issuer's namespace (the
   * cluster resource namespace for a ClusterIssuer). Throws GitcertError
   * when it cannot be found.
   */
  readSecretKey(ref: SecretKeySelector): Promise<Buffer>;
  /** Where to send HTTP requests (tests point providers at a local double). */
  fetch: typeof fetch;
}

/** A Secret a provider's config names, and what it holds. */
export interface Dns01SecretRef {
  ref: SecretKeySelector;
  /** What the key holds, for messages: `TSIG secret`, `Cloudflare API token`. */
  purpose: string;
  /** The config field that names it: `tsigSecretSecretRef`. */
  field: string;
}

export interface Dns01Provider<Config = unknown> {
  /** The key of the dns01 block: `rfc2136`, `cloudflare`, `route53`, `webhook`. */
  readonly name: string;
  /** Reads the provider's config block; its output is the `config` present and cleanUp get. */
  readonly schema: z.ZodType<Config, unknown>;
  /** The Secrets a read config refers to, so they are checked before any order is placed. */
  secrets(config: Config): Dns01SecretRef[];
  present(record: Dns01Record, ctx: Dns01Context<Config>): Promise<void>;
  cleanUp(record: Dns01Record, ctx: Dns01Context<Config>): Promise<void>;
}
