// cert-manager's route53 solver block:
//
//   region: us-east-1                      # picks the partition; Route 53 itself is global
//   hostedZoneID: Z0123456789              # optional; else found by name
//   accessKeyID: AKIA…                     # or accessKeyIDSecretRef: {name, key}
//   secretAccessKeySecretRef: {name, key}  # required: gitcert has no ambient AWS credentials
//   endpoint: https://…                    # gitcert only: another API endpoint (LocalStack, tests)
import { z } from "zod";
import { mapping, optionalText, secretKeySelector, type SecretKeySelector } from "../../../../schema/index.ts";

export interface Route53Config {
  region: string;
  hostedZoneId?: string;
  /** The access key ID itself, or the Secret holding it. */
  accessKeyId: { value: string } | { ref: SecretKeySelector };
  secretAccessKeyRef: SecretKeySelector;
  endpoint?: string;
}

const NO_AMBIENT = "(gitcert has no ambient AWS credentials)";

export const route53Schema: z.ZodType<Route53Config, unknown> = mapping({
  region: optionalText().transform((r) => r ?? "us-east-1"),
  hostedZoneID: optionalText(),
  accessKeyID: optionalText(),
  accessKeyIDSecretRef: secretKeySelector().optional(),
  secretAccessKeySecretRef: secretKeySelector().optional(),
  endpoint: optionalText().check(
    z.refine((e: string | undefined) => e === undefined || /^https?:\/\//.test(e), { message: "must be an http(s) URL" }),
  ),
  role: z.unknown().optional(),
  auth: z.unknown().optional(),
})
  .superRefine((c, ctx) => {
    const problem = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [field], message });
    if (c.accessKeyID !== undefined && c.accessKeyIDSecretRef) problem("accessKeyID", "give accessKeyID or accessKeyIDSecretRef, not both");
    if (c.accessKeyID === undefined && !c.accessKeyIDSecretRef) problem("accessKeyID", `accessKeyID or accessKeyIDSecretRef is required ${NO_AMBIENT}`);
    if (!c.secretAccessKeySecretRef) problem("secretAccessKeySecretRef", `is required ${NO_AMBIENT}`);
    if (c.role !== undefined) problem("role", "assuming a role is not supported by gitcert yet");
    if (c.auth !== undefined) problem("auth", "ServiceAccount (IRSA) authentication is not supported by gitcert");
  })
  .transform((c) => ({
    region: c.region,
    ...(c.hostedZoneID === undefined ? {} : { hostedZoneId: c.hostedZoneID }),
    accessKeyId: c.accessKeyID !== undefined ? { value: c.accessKeyID } : { ref: c.accessKeyIDSecretRef! },
    secretAccessKeyRef: c.secretAccessKeySecretRef!,
    ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }),
  }));
