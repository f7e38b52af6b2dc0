// DNS-01 through any HTTP service that speaks gitcert's webhook contract:
// the way to reach a DNS provider gitcert has no file for, with a few lines
// of code on the other side. The contract, in full (also in WEBHOOK.md):
//
//   config:  url: https://dns-hook.internal/acme   (required, http or https)
//            tokenSecretRef: {name, key}           (optional: sent as a bearer token)
//            zone: example.com                     (optional: passed through)
//            timeoutSeconds: 30                    (optional, default 30)
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
//
// cert-manager's own `webhook` solver (groupName / solverName) is a
// Kubernetes API service, a different thing; its config is refused with a
// message saying so.
import { GitcertError } from "../../diagnostics.ts";
import { redact, redactedExcerpt } from "../../redact.ts";
import { assertValid, optionalSecretRef, optionalString, readCredential, requiredString } from "./config.ts";
import type { SecretRef } from "./config.ts";
import type { Dns01Context, Dns01Provider, Dns01Record } from "./types.ts";
import { canonicalName } from "./wire.ts";

interface Settings {
  url: string;
  tokenRef?: SecretRef;
  zone?: string;
  timeoutMs: number;
}

function parse(config: Record<string, unknown>, problems: string[]): Settings | undefined {
  if (config.groupName !== undefined || config.solverName !== undefined) {
    problems.push(
      "groupName: cert-manager webhook solvers (groupName/solverName) run as Kubernetes API services and are not supported; " +
        "gitcert's webhook takes url (and optionally tokenSecretRef, zone), see src/acme/dns01/WEBHOOK.md",
    );
    return undefined;
  }
  const url = requiredString(config, "url", problems);
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) problems.push("url: must be an http(s) URL");
  const tokenRef = optionalSecretRef(config, "tokenSecretRef", problems);
  const zone = optionalString(config, "zone", problems);
  let timeoutMs = 30_000;
  if (config.timeoutSeconds !== undefined) {
    const t = config.timeoutSeconds;
    if (typeof t !== "number" || !(t > 0) || t > 600) problems.push("timeoutSeconds: must be a number of seconds between 0 and 600");
    else timeoutMs = t * 1000;
  }
  if (problems.length || url === undefined) return undefined;
  return { url: url.replace(/\/+$/, ""), tokenRef, zone: zone === undefined ? undefined : canonicalName(zone), timeoutMs };
}

async function call(action: "present" | "cleanup", record: Dns01Record, ctx: Dns01Context): Promise<void> {
  const problems: string[] = [];
  const s = parse(ctx.config, problems);
  assertValid("webhook", problems);
  const { url, tokenRef, zone, timeoutMs } = s!;
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

export const webhookProvider: Dns01Provider = {
  name: "webhook",
  validate(config) {
    const problems: string[] = [];
    parse(config, problems);
    return problems;
  },
  present: (record, ctx) => call("present", record, ctx),
  cleanUp: (record, ctx) => call("cleanup", record, ctx),
};
