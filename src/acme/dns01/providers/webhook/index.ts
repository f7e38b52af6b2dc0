// DNS-01 through any HTTP service that speaks gitcert's webhook contract:
// the way to reach a DNS provider gitcert has no file for, with a few lines
// of code on the other side. The contract, in full (also in WEBHOOK.md;
// the config block is in schema.ts):
//
//   POST {url}/present   and   POST {url}/cleanup
//   Content-Type: application/json
//   Authorization: Bearer <token>                  (only with tokenSecretRef)
//   {"fqdn": "_acme-challenge.example.com.", "zone": "example.com.",
//    "value": "<base64url digest>", "domain": "example.com"}
//
//   - fqdn is absolute (trailing dot), after any CNAME was followed; zone
//     appears only when configured; domain is the name being validated,
//     without `*.`.
//   - Any 2xx means done. Anything else is a failure whose status and body
//     (first 1000 characters) become the certificate's diagnostic.
//     Redirects are not followed, so the token never travels elsewhere.
//   - present adds this value next to any other TXT values at fqdn (a
//     wildcard and its apex share one name) and is idempotent; cleanup
//     removes only this value and succeeds when it is already gone.
//   - gitcert checks propagation itself afterwards; answering 2xx once the
//     change is accepted is enough.
import { GitcertError } from "../../../../diagnostics.ts";
import { redact, redactedExcerpt } from "../../../../redact.ts";
import { readCredential } from "../../credentials.ts";
import type { Dns01Context, Dns01Provider, Dns01Record } from "../../types.ts";
import { canonicalName } from "../../wire.ts";
import { webhookSchema, type WebhookConfig } from "./schema.ts";

async function call(action: "present" | "cleanup", record: Dns01Record, ctx: Dns01Context<WebhookConfig>): Promise<void> {
  const { url, tokenRef, zone, timeoutMs } = ctx.config;
  const token = tokenRef ? await readCredential(ctx, tokenRef, "webhook tokenSecretRef") : undefined;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const secrets = token ? [token] : [];
  const body = {
    fqdn: canonicalName(record.fqdn),
    ...(zone ? { zone } : {}),
    value: record.value,
    domain: record.domain.replace(/^\*\./, ""),
  };
  const endpoint = `${url}/${action}`;
  let res: Response;
  try {
    res = await ctx.fetch(endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const message = `webhook POST ${endpoint} failed: ${err instanceof Error ? err.message : String(err)}`;
    throw new GitcertError("Dns01ProviderError", redact(message, secrets));
  }
  if (res.status >= 200 && res.status < 300) return;
  // A server or proxy that echoes the request must not put the token into a
  // diagnostic, which is committed with the failure log.
  const text = redactedExcerpt(await res.text().catch(() => ""), secrets, 1000);
  const redirect = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get("location") ?? "?"} not followed)` : "";
  throw new GitcertError(
    "Dns01ProviderError",
    redact(`webhook POST ${endpoint} for ${body.fqdn} answered HTTP ${res.status}${redirect}${text ? `: ${text}` : ""}`, secrets),
  );
}

export const webhookProvider: Dns01Provider<WebhookConfig> = {
  name: "webhook",
  schema: webhookSchema,
  secrets: (config) => (config.tokenRef ? [{ ref: config.tokenRef, purpose: "webhook token", field: "tokenSecretRef" }] : []),
  present: (record, ctx) => call("present", record, ctx),
  cleanUp: (record, ctx) => call("cleanup", record, ctx),
};
