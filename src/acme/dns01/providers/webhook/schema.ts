// gitcert's webhook solver block (WEBHOOK.md):
//
//   url: https://dns-hook.internal/acme   (required, http or https)
//   tokenSecretRef: {name, key}           (optional: sent as a bearer token)
//   zone: example.com                     (optional: passed through)
//   timeoutSeconds: 30                    (optional, default 30)
//
// cert-manager's own `webhook` solver (groupName / solverName) is a
// Kubernetes API service, a different thing; its config is refused with a
// message saying so.
import { z } from "zod";
import { mapping, optionalText, requiredText, secretKeySelector, type SecretKeySelector } from "../../../../schema/index.ts";
import { canonicalName } from "../../wire.ts";

export interface WebhookConfig {
  url: string;
  tokenRef?: SecretKeySelector;
  zone?: string;
  timeoutMs: number;
}

const CERT_MANAGER_WEBHOOK =
  "cert-manager webhook solvers (groupName/solverName) run as Kubernetes API services and are not supported; " +
  "gitcert's webhook takes url (and optionally tokenSecretRef, zone), see src/acme/dns01/providers/webhook/WEBHOOK.md";

export const webhookSchema: z.ZodType<WebhookConfig, unknown> = mapping({
  groupName: z.unknown().optional().check(z.refine((v) => v === undefined, { message: CERT_MANAGER_WEBHOOK })),
  url: requiredText().check(z.refine((u: string) => /^https?:\/\/[^/]/.test(u), { message: "must be an http(s) URL" })),
  tokenSecretRef: secretKeySelector().optional(),
  zone: optionalText(),
  timeoutSeconds: z
    .number({ error: "must be a number of seconds between 0 and 600" })
    .check(z.refine((t: number) => t > 0 && t <= 600, { message: "must be a number of seconds between 0 and 600" }))
    .default(30),
}).transform((c) => ({
  url: c.url.replace(/\/+$/, ""),
  ...(c.tokenSecretRef ? { tokenRef: c.tokenSecretRef } : {}),
  ...(c.zone === undefined ? {} : { zone: canonicalName(c.zone) }),
  timeoutMs: c.timeoutSeconds * 1000,
}));
