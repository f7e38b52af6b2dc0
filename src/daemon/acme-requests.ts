// An ACME request as cert-manager labels it in
// certmanager_http_acme_client_request_{count,duration_seconds}: scheme,
// host, method, status (999 when no answer came) and `action`, the logical
// ACME operation. cert-manager names the action where it calls the API; here
// it is read from the URL's path, which names the resource in Boulder (Let's
// Encrypt) and Pebble alike. What cannot be told apart gets cert-manager's
// own fallback, `unnamed_action`.
import type { RequestEvent } from "../acme/transport.ts";
import type { AcmeRequestLabels } from "../metrics/index.ts";

const ACTIONS: ReadonlyArray<[RegExp, string]> = [
  [/renewal-?info/i, "get_renewal_info"],
  [/new-?acct|sign-me-up/i, "register_account"],
  [/new-?order|order-plz/i, "authorize_order"],
  [/finalize/i, "finalize_order"],
  [/\/authz/i, "get_authorization"],
  [/\/chal/i, "accept_challenge"],
  [/\/(acme\/)?order\/|my-order/i, "get_order"],
  [/\/cert(z|\/)/i, "get_cert"],
  [/\/acct\/|my-account/i, "update_registration"],
  [/\/(directory|dir)$/i, "get_directory"],
];

export function acmeRequestLabels(event: Pick<RequestEvent, "method" | "url" | "status">): AcmeRequestLabels {
  const url = new URL(event.url);
  const action = ACTIONS.find(([pattern]) => pattern.test(url.pathname))?.[1] ?? "unnamed_action";
  return { scheme: url.protocol.replace(/:$/, ""), host: url.host, action, method: event.method, status: event.status };
}
