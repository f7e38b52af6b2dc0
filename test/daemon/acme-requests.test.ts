import assert from "node:assert/strict";
import { test } from "node:test";
import { acmeRequestLabels } from "../../src/daemon/acme-requests.ts";

const cases: Array<[method: string, url: string, action: string]> = [
  ["GET", "https://acme-v02.api.letsencrypt.org/directory", "get_directory"],
  ["HEAD", "https://acme-v02.api.letsencrypt.org/acme/new-nonce", "unnamed_action"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/new-acct", "register_account"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/new-order", "authorize_order"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/authz/123/456", "get_authorization"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/chall/123/456/Ab", "accept_challenge"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/finalize/123/789", "finalize_order"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/order/123/789", "get_order"],
  ["POST", "https://acme-v02.api.letsencrypt.org/acme/cert/fa12", "get_cert"],
  ["GET", "https://acme-v02.api.letsencrypt.org/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "get_renewal_info"],
  ["GET", "https://127.0.0.1:14000/dir", "get_directory"],
  ["POST", "https://127.0.0.1:14000/sign-me-up", "register_account"],
  ["POST", "https://127.0.0.1:14000/order-plz", "authorize_order"],
  ["POST", "https://127.0.0.1:14000/authZ/x", "get_authorization"],
  ["POST", "https://127.0.0.1:14000/chalZ/x", "accept_challenge"],
  ["POST", "https://127.0.0.1:14000/finalize-order/x", "finalize_order"],
  ["POST", "https://127.0.0.1:14000/my-order/x", "get_order"],
  ["POST", "https://127.0.0.1:14000/certZ/x", "get_cert"],
  ["POST", "https://127.0.0.1:14000/my-account/1", "update_registration"],
  ["GET", "https://127.0.0.1:14000/draft-ietf-acme-ari-03/renewalInfo/x.y", "get_renewal_info"],
];

for (const [method, url, action] of cases) {
  test(`ACME request labels: ${method} ${new URL(url).pathname} → ${action}`, () => {
    const labels = acmeRequestLabels({ method, url, status: 200 });
    assert.equal(labels.action, action);
    assert.equal(labels.host, new URL(url).host);
    assert.equal(labels.scheme, "https");
  });
}
