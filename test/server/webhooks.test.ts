import assert from "node:assert/strict";
import { test } from "node:test";
import { hmacHex, serve } from "./helpers.ts";

const SECRET = "s3cret-for-webhooks";

interface Forge {
  name: string;
  /** A push to `branch`, in the forge's documented payload shape. */
  push(branch: string): string;
  /** Another event the forge sends. */
  other: { event: Record<string, string>; body: string };
  pushEvent: Record<string, string>;
  /** Headers authenticating `body` with `secret`. */
  sign(body: string, secret: string): Record<string, string>;
  /** The header carrying the signature or token. */
  authHeader: string;
}

const forges: Forge[] = [
  {
    name: "GitHub",
    push: (b) => JSON.stringify({ ref: `refs/heads/${b}`, before: "a".repeat(40), after: "b".repeat(40), repository: { full_name: "acme/infra" } }),
    pushEvent: { "x-github-event": "push", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
    other: { event: { "x-github-event": "ping" }, body: JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }) },
    sign: (body, secret) => ({ "x-hub-signature-256": `sha256=${hmacHex(secret, body)}` }),
    authHeader: "x-hub-signature-256",
  },
  {
    name: "Gitea",
    push: (b) => JSON.stringify({ ref: `refs/heads/${b}`, before: "a".repeat(40), after: "b".repeat(40), commits: [] }),
    // Gitea sends GitHub's event header too: it must still be read as Gitea.
    pushEvent: { "x-gitea-event": "push", "x-gitea-event-type": "push", "x-github-event": "push" },
    other: { event: { "x-gitea-event": "issues", "x-github-event": "issues" }, body: JSON.stringify({ action: "opened" }) },
    sign: (body, secret) => ({ "x-gitea-signature": hmacHex(secret, body) }),
    authHeader: "x-gitea-signature",
  },
  {
    name: "Forgejo",
    push: (b) => JSON.stringify({ ref: `refs/heads/${b}`, after: "b".repeat(40) }),
    pushEvent: { "x-forgejo-event": "push", "x-gitea-event": "push" },
    other: { event: { "x-forgejo-event": "create", "x-gitea-event": "create" }, body: JSON.stringify({ ref: "v1", ref_type: "tag" }) },
    sign: (body, secret) => ({ "x-forgejo-signature": hmacHex(secret, body), "x-gitea-signature": hmacHex(secret, body) }),
    authHeader: "x-forgejo-signature",
  },
  {
    name: "GitLab",
    push: (b) => JSON.stringify({ object_kind: "push", event_name: "push", ref: `refs/heads/${b}`, checkout_sha: "b".repeat(40) }),
    pushEvent: { "x-gitlab-event": "Push Hook" },
    other: { event: { "x-gitlab-event": "Tag Push Hook" }, body: JSON.stringify({ object_kind: "tag_push", ref: "refs/tags/v1" }) },
    sign: (_body, secret) => ({ "x-gitlab-token": secret }),
    authHeader: "x-gitlab-token",
  },
  {
    name: "Bitbucket Cloud",
    push: (b) => JSON.stringify({ push: { changes: [{ new: { type: "branch", name: b, target: { hash: "b".repeat(40) } }, old: { type: "branch", name: b } }] } }),
    pushEvent: { "x-event-key": "repo:push", "x-hook-uuid": "0f1e2d3c" },
    other: { event: { "x-event-key": "pullrequest:created" }, body: JSON.stringify({ pullrequest: { id: 1 } }) },
    sign: (body, secret) => ({ "x-hub-signature": `sha256=${hmacHex(secret, body)}` }),
    authHeader: "x-hub-signature",
  },
  {
    name: "Bitbucket Data Center",
    push: (b) => JSON.stringify({ eventKey: "repo:refs_changed", changes: [{ ref: { id: `refs/heads/${b}`, displayId: b, type: "BRANCH" }, type: "UPDATE", toHash: "b".repeat(40) }] }),
    pushEvent: { "x-event-key": "repo:refs_changed", "x-request-id": "8c7b" },
    other: { event: { "x-event-key": "diagnostics:ping" }, body: JSON.stringify({ test: true }) },
    sign: (body, secret) => ({ "x-hub-signature": `sha256=${hmacHex(secret, body)}` }),
    authHeader: "x-hub-signature",
  },
];

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${url}/webhook`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

for (const forge of forges) {
  test(`${forge.name}: a signed push to the watched branch triggers one reconcile`, async (t) => {
    const server = await serve(t, { webhookSecret: () => SECRET });
    const body = forge.push("main");
    const res = await post(server.url, { ...forge.pushEvent, ...forge.sign(body, SECRET) }, body);
    assert.equal(res.status, 202);
    assert.deepEqual(server.triggers, [{ trigger: "webhook" }]);
  });

  test(`${forge.name}: a wrong, missing or replayed-with-another-body signature gets 401 and triggers nothing`, async (t) => {
    const server = await serve(t, { webhookSecret: () => SECRET });
    const body = forge.push("main");
    const wrong = await post(server.url, { ...forge.pushEvent, ...forge.sign(body, "not-the-secret") }, body);
    assert.equal(wrong.status, 401);
    const missing = await post(server.url, forge.pushEvent, body);
    assert.equal(missing.status, 401);
    assert.match(String(missing.body.error), new RegExp(forge.authHeader, "i"));
    // The signature of one delivery, replayed with a body of the attacker's choosing.
    const signed = forge.sign(forge.push("other"), SECRET);
    const replayed = await post(server.url, { ...forge.pushEvent, ...signed }, body);
    if (forge.name === "GitLab") {
      // GitLab's token is not bound to the body (its documented scheme): the replay is
      // accepted, and it can only make gitcert reconcile what Git already holds.
      assert.equal(replayed.status, 202);
      assert.equal(server.triggers.length, 1);
    } else {
      assert.equal(replayed.status, 401);
      assert.deepEqual(server.triggers, []);
    }
  });

  test(`${forge.name}: a push to another branch, and other events, trigger nothing`, async (t) => {
    const server = await serve(t, { webhookSecret: () => SECRET });
    const body = forge.push("feature/x");
    const push = await post(server.url, { ...forge.pushEvent, ...forge.sign(body, SECRET) }, body);
    assert.equal(push.status, 202);
    assert.match(String(push.body.ignored), /feature\/x/);
    const other = await post(server.url, { ...forge.other.event, ...forge.sign(forge.other.body, SECRET) }, forge.other.body);
    assert.equal(other.status, 202);
    assert.ok(other.body.ignored);
    assert.deepEqual(server.triggers, []);
  });
}

test("a request from no known forge, or with no secret configured, gets 401", async (t) => {
  const open = await serve(t, { webhookSecret: () => "" });
  const body = forges[0]!.push("main");
  const unconfigured = await post(open.url, { ...forges[0]!.pushEvent, ...forges[0]!.sign(body, "") }, body);
  assert.equal(unconfigured.status, 401);
  assert.match(String(unconfigured.body.error), /no webhook secret is configured/);
  const server = await serve(t, { webhookSecret: () => SECRET });
  const anonymous = await post(server.url, { "x-hub-signature-256": `sha256=${hmacHex(SECRET, body)}` }, body);
  assert.equal(anonymous.status, 401);
  assert.deepEqual([...open.triggers, ...server.triggers], []);
});

test("a body over the limit is refused with 413 before it is read, and triggers nothing", async (t) => {
  const server = await serve(t, { webhookSecret: () => SECRET, maxBodyBytes: 1024 });
  const body = JSON.stringify({ ref: "refs/heads/main", padding: "x".repeat(4096) });
  const res = await post(server.url, { "x-github-event": "push", "x-hub-signature-256": `sha256=${hmacHex(SECRET, body)}` }, body);
  assert.equal(res.status, 413);
  assert.deepEqual(server.triggers, []);
});

test("the webhook secret is read at each request: a rotated secret applies at once", async (t) => {
  let secret = SECRET;
  const server = await serve(t, { webhookSecret: () => secret });
  const body = forges[0]!.push("main");
  secret = "rotated";
  assert.equal((await post(server.url, { ...forges[0]!.pushEvent, ...forges[0]!.sign(body, SECRET) }, body)).status, 401);
  assert.equal((await post(server.url, { ...forges[0]!.pushEvent, ...forges[0]!.sign(body, "rotated") }, body)).status, 202);
});
