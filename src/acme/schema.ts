// The ACME issuer's spec, cert-manager's `spec.acme`, as a schema: fields,
// cert-manager's defaults, and the solvers with each DNS-01 provider's own
// config block read by that provider's schema.
import { z } from "zod";
import {
  isRecord,
  looseMapping,
  mapping,
  optionalText,
  pemBundle,
  requiredText,
  secretKeySelector,
  stringMap,
  type SecretKeySelector,
} from "../schema/index.ts";
import { emptyHttp01AsDefaults, http01SolverSchema, type Http01SolverSpec } from "./http01/schema.ts";

export type { SecretKeySelector };

export interface SolverSelector {
  matchLabels?: Record<string, string>;
  dnsNames?: string[];
  dnsZones?: string[];
}

export interface Dns01SolverSpec {
  cnameStrategy: "None" | "Follow";
  /** The provider key: `rfc2136`, `cloudflare`, … */
  provider: string;
  /** That provider's block, as the provider's schema read it. */
  config: unknown;
}

export interface SolverSpec {
  /** Position in spec.acme.solvers, for messages. */
  index: number;
  selector?: SolverSelector;
  http01?: Http01SolverSpec;
  dns01?: Dns01SolverSpec;
}

export interface AcmeIssuerSpec {
  server: string;
  email?: string;
  privateKeySecretRef: SecretKeySelector;
  externalAccountBinding?: { keyID: string; keySecretRef: SecretKeySelector };
  preferredChain?: string;
  /** The decoded caBundle: PEM certificates trusted instead of the system roots. */
  caBundlePem?: string;
  skipTLSVerify: boolean;
  disableAccountKeyGeneration: boolean;
  profile?: string;
  solvers: SolverSpec[];
}

/** What reading a spec needs of a DNS-01 provider: its config schema. */
export interface Dns01ProviderInfo {
  readonly schema: z.ZodType<unknown, unknown>;
}

/** Providers cert-manager knows; those gitcert lacks get a clear "not supported". */
const CERT_MANAGER_DNS01: ReadonlySet<string> = new Set([
  "acmeDNS",
  "akamai",
  "azureDNS",
  "cloudDNS",
  "cloudflare",
  "digitalocean",
  "rfc2136",
  "route53",
  "webhook",
]);

const server = requiredText().check(
  z.superRefine((url: string, ctx) => {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(url)} is not an https:// URL` });
    }
  }),
);

const externalAccountBinding = mapping({
  keyID: requiredText(),
  keySecretRef: secretKeySelector(),
  // keyAlgorithm is deprecated in cert-manager and ignored: HS256 is always used.
}).transform((eab) => ({ keyID: eab.keyID, keySecretRef: eab.keySecretRef }));

const selector = mapping({
  matchLabels: stringMap().optional(),
  dnsNames: z.array(z.string()).optional(),
  dnsZones: z.array(z.string()).optional(),
}).transform((s) => ({ ...(s.matchLabels ? { matchLabels: s.matchLabels } : {}), dnsNames: s.dnsNames, dnsZones: s.dnsZones }));

/** One provider block, read by the provider's own schema; `cnameStrategy` beside it. */
function dns01Schema(providers: ReadonlyMap<string, Dns01ProviderInfo>) {
  const supported = `gitcert supports: ${[...providers.keys()].sort().join(", ") || "none in this build"}`;
  const shape: Record<string, z.ZodType> = { cnameStrategy: z.enum(["None", "Follow"]).default("None") };
  for (const [name, provider] of providers) shape[name] = provider.schema.optional();
  const chosen = (block: Record<string, unknown>) => Object.keys(block).filter((k) => k !== "cnameStrategy" && block[k] !== undefined);
  return looseMapping(shape)
    .superRefine(
      (block, ctx) => {
        if (!isRecord(block)) return;
        const keys = chosen(block);
        if (keys.length !== 1) ctx.addIssue({ code: "custom", message: `must configure exactly one provider (${supported})` });
        else if (!providers.has(keys[0]!)) {
          const what = CERT_MANAGER_DNS01.has(keys[0]!) ? "is a cert-manager provider gitcert does not support" : "is not a DNS-01 provider";
          ctx.addIssue({ code: "custom", path: [keys[0]!], message: `${what} (${supported})` });
        }
      },
      // Also when a provider's block has problems: two providers is the mistake to name first.
      { when: () => true },
    )
    .transform((block): Dns01SolverSpec => {
      const provider = chosen(block)[0]!;
      return { cnameStrategy: block.cnameStrategy === "Follow" ? "Follow" : "None", provider, config: block[provider] };
    });
}

function solverSchema(providers: ReadonlyMap<string, Dns01ProviderInfo>) {
  return z.preprocess(
    emptyHttp01AsDefaults,
    mapping({ selector: selector.optional(), http01: http01SolverSchema.optional(), dns01: dns01Schema(providers).optional() }).superRefine(
      (s, ctx) => {
        if ((s.http01 === undefined) === (s.dns01 === undefined)) ctx.addIssue({ code: "custom", message: "must have exactly one of http01 and dns01" });
      },
    ),
  );
}

/**
 * `spec.acme`, with the DNS-01 providers gitcert has. Build it once per
 * provider registry: the providers' schemas are part of it.
 */
export function acmeSpecSchema(providers: ReadonlyMap<string, Dns01ProviderInfo>): z.ZodType<AcmeIssuerSpec, unknown> {
  return mapping({
    server,
    email: optionalText(),
    privateKeySecretRef: secretKeySelector("tls.key"),
    externalAccountBinding: externalAccountBinding.optional(),
    preferredChain: optionalText(),
    caBundle: pemBundle(),
    skipTLSVerify: z.boolean().default(false),
    disableAccountKeyGeneration: z.boolean().default(false),
    profile: optionalText(),
    solvers: z.array(solverSchema(providers)).default([]),
  })
    .superRefine((spec, ctx) => {
      if (spec.caBundle !== undefined && spec.skipTLSVerify) {
        ctx.addIssue({ code: "custom", message: "caBundle and skipTLSVerify cannot both be set" });
      }
    })
    .transform(
      (spec): AcmeIssuerSpec => ({
        server: spec.server,
        email: spec.email,
        privateKeySecretRef: spec.privateKeySecretRef,
        externalAccountBinding: spec.externalAccountBinding,
        preferredChain: spec.preferredChain,
        caBundlePem: spec.caBundle,
        skipTLSVerify: spec.skipTLSVerify,
        disableAccountKeyGeneration: spec.disableAccountKeyGeneration,
        profile: spec.profile,
        solvers: spec.solvers.map((s, index) => ({
          index,
          ...(s.selector ? { selector: s.selector } : {}),
          ...(s.http01 ? { http01: s.http01 } : {}),
          ...(s.dns01 ? { dns01: s.dns01 } : {}),
        })),
      }),
    );
}
