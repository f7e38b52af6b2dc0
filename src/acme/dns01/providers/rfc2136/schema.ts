// cert-manager's rfc2136 solver block:
//
//   nameserver: 10.0.0.1:53          # required; port defaults to 53
//   tsigKeyName: gitcert-key          # with tsigSecretSecretRef, or neither
//   tsigAlgorithm: HMACSHA256         # HMACMD5 (cert-manager's default), HMACSHA1, HMACSHA256, HMACSHA512
//   tsigSecretSecretRef: {name, key}  # the base64 secret, as in BIND's `secret "…";`
//   protocol: TCP                     # TCP (gitcert's default) or UDP (cert-manager's)
//   zone: example.com                 # gitcert only: skip the SOA walk
import { z } from "zod";
import { mapping, optionalText, requiredText, secretKeySelector, type SecretKeySelector } from "../../../../schema/index.ts";
import { parseServer, type DnsProtocol, type DnsServer } from "../../transport.ts";
import { canonicalName } from "../../wire.ts";
import { TSIG_ALGORITHMS } from "./tsig.ts";

export interface Rfc2136Config {
  server: DnsServer;
  protocol: DnsProtocol;
  zone?: string;
  tsig?: { keyName: string; algorithm: string; secretRef: SecretKeySelector };
}

const nameserver = requiredText().transform((text, ctx) => {
  try {
    return parseServer(text);
  } catch (err) {
    ctx.issues.push({ code: "custom", message: err instanceof Error ? err.message : String(err), input: text });
    return z.NEVER;
  }
});

// cert-manager accepts the algorithm in any case.
const tsigAlgorithm = optionalText()
  .transform((a) => (a ?? "HMACMD5").toUpperCase())
  .check(
    z.superRefine((a: string, ctx) => {
      if (!TSIG_ALGORITHMS[a]) ctx.addIssue({ code: "custom", message: `${a} is not supported (use one of ${Object.keys(TSIG_ALGORITHMS).join(", ")})` });
    }),
  );

const protocol = optionalText()
  .transform((p) => (p ?? "TCP").toUpperCase())
  .check(
    z.superRefine((p: string, ctx) => {
      if (p !== "TCP" && p !== "UDP") ctx.addIssue({ code: "custom", message: `must be TCP or UDP, not ${p}` });
    }),
  );

export const rfc2136Schema: z.ZodType<Rfc2136Config, unknown> = mapping({
  nameserver,
  tsigKeyName: optionalText(),
  tsigAlgorithm,
  tsigSecretSecretRef: secretKeySelector().optional(),
  protocol,
  zone: optionalText(),
})
  .superRefine((c, ctx) => {
    if (c.tsigKeyName !== undefined && c.tsigSecretSecretRef === undefined) {
      ctx.addIssue({ code: "custom", path: ["tsigSecretSecretRef"], message: "is required with tsigKeyName" });
    }
    if (c.tsigKeyName === undefined && c.tsigSecretSecretRef !== undefined) {
      ctx.addIssue({ code: "custom", path: ["tsigKeyName"], message: "is required with tsigSecretSecretRef" });
    }
  })
  .transform((c) => ({
    server: c.nameserver,
    protocol: c.protocol === "UDP" ? ("udp" as const) : ("tcp" as const),
    ...(c.zone === undefined ? {} : { zone: canonicalName(c.zone) }),
    ...(c.tsigKeyName !== undefined && c.tsigSecretSecretRef
      ? { tsig: { keyName: c.tsigKeyName, algorithm: c.tsigAlgorithm, secretRef: c.tsigSecretSecretRef } }
      : {}),
  }));
