// cert-manager's cloudflare solver block:
//
//   apiTokenSecretRef: {name, key}   # an API token with Zone:Read and DNS:Edit (preferred)
//   apiKeySecretRef: {name, key}     # or the legacy global API key …
//   email: admin@example.com         # … with the account's email
import type { z } from "zod";
import { mapping, optionalText, secretKeySelector, type SecretKeySelector } from "../../../../schema/index.ts";

export type CloudflareConfig = { tokenRef: SecretKeySelector } | { keyRef: SecretKeySelector; email: string };

export const cloudflareSchema: z.ZodType<CloudflareConfig, unknown> = mapping({
  apiTokenSecretRef: secretKeySelector().optional(),
  apiKeySecretRef: secretKeySelector().optional(),
  email: optionalText(),
})
  .superRefine((c, ctx) => {
    const problem = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [field], message });
    if (c.apiTokenSecretRef && c.apiKeySecretRef) problem("apiTokenSecretRef", "give apiTokenSecretRef or apiKeySecretRef, not both");
    if (!c.apiTokenSecretRef && !c.apiKeySecretRef) problem("apiTokenSecretRef", "apiTokenSecretRef (or the legacy apiKeySecretRef with email) is required");
    if (c.apiKeySecretRef && c.email === undefined) problem("email", "is required with apiKeySecretRef");
  })
  .transform((c) => (c.apiTokenSecretRef ? { tokenRef: c.apiTokenSecretRef } : { keyRef: c.apiKeySecretRef!, email: c.email! }));
