// The DNS-01 extension point: a provider is one file implementing
// Dns01Provider plus one line in registry.ts.

export interface Dns01Record {
  /** The name validated, without wildcard: `example.com` for `*.example.com`. */
  domain: string;
  /** Where the TXT record goes, absolute with trailing dot, after any CNAME was followed. */
  fqdn: string;
  /** The TXT value: base64url(SHA-256(key authorization)). */
  value: string;
}

export interface Dns01Context {
  /** This provider's block of the solver, e.g. `solver.dns01.rfc2136`. */
  config: Record<string, unknown>;
  /**
   * A key of a Secret the config refers to (`{name, key}` SecretKeySelector),
   * in the issuer's namespace (the cluster resource namespace for a
   * ClusterIssuer). Throws GitcertError when it cannot be found.
   */
  readSecretKey(ref: { name: string; key: string }): Promise<Buffer>;
  /** Where to send HTTP requests (tests point providers at a local double). */
  fetch: typeof fetch;
}

export interface Dns01Provider {
  /** The key of the dns01 block: `rfc2136`, `cloudflare`, `route53`, `webhook`. */
  readonly name: string;
  /** Problems with the provider's config block, as `field: problem` strings. */
  validate(config: Record<string, unknown>): string[];
  present(record: Dns01Record, ctx: Dns01Context): Promise<void>;
  cleanUp(record: Dns01Record, ctx: Dns01Context): Promise<void>;
}
