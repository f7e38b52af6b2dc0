// Push webhooks from the forges, judged before any work: the sender is
// authenticated first (an HMAC-SHA256 of the exact body, or GitLab's shared
// token, compared in constant time), and only then is the body read; only a
// push to the watched branch triggers a reconcile. Pure: headers, body,
// secret and branch in, a verdict out.
//
// Formats, from each forge's documentation:
//  GitHub     X-GitHub-Event: push      X-Hub-Signature-256: sha256=<hex>   {ref}
//  Gitea      X-Gitea-Event: push       X-Gitea-Signature: <hex>            {ref}
//  Forgejo    X-Forgejo-Event: push     X-Forgejo-Signature: <hex>          {ref}
//  GitLab     X-Gitlab-Event: Push Hook X-Gitlab-Token: <secret>            {ref}
//  Bitbucket  X-Event-Key: repo:push (Cloud) / repo:refs_changed (Data Center)
//             X-Hub-Signature: sha256=<hex>
//             Cloud {push.changes[].new{type,name}}, Data Center {changes[].ref.id}
// Gitea and Forgejo also send GitHub's headers, so they are recognised first.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type Forge = "github" | "gitea" | "gitlab" | "bitbucket";

export type WebhookVerdict =
  | { result: "trigger"; forge: Forge; event: string }
  | { result: "ignored"; forge: Forge; reason: string }
  | { result: "rejected"; forge: Forge; reason: string }
  | { result: "unauthorized"; forge?: Forge; reason: string };

export function judgeWebhook(headers: IncomingHttpHeaders, body: Buffer, secret: string, branch: string): WebhookVerdict {
  const sender = identify(headers);
  if (!sender) return { result: "unauthorized", reason: "not a webhook from GitHub, GitLab, Gitea, Forgejo or Bitbucket (no event header)" };
  const { forge, event } = sender;
  if (secret === "") return { result: "unauthorized", forge, reason: "no webhook secret is configured (webhook.secretFile)" };
  const problem = authenticate(forge, headers, body, secret);
  if (problem) return { result: "unauthorized", forge, reason: problem };

  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return { result: "rejected", forge, reason: "the body is not JSON (set the webhook's content type to application/json)" };
  }
  const refs = pushedBranches(forge, event, payload);
  if (refs === undefined) return { result: "ignored", forge, reason: `${event} is not a push` };
  if (!refs.includes(branch)) return { result: "ignored", forge, reason: `a push to ${refs.join(", ") || "no branch"}, not to ${branch}` };
  return { result: "trigger", forge, event };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function identify(headers: IncomingHttpHeaders): { forge: Forge; event: string } | undefined {
  const gitea = header(headers, "x-forgejo-event") ?? header(headers, "x-gitea-event") ?? header(headers, "x-gogs-event");
  if (gitea !== undefined) return { forge: "gitea", event: gitea };
  const gitlab = header(headers, "x-gitlab-event");
  if (gitlab !== undefined) return { forge: "gitlab", event: gitlab };
  const github = header(headers, "x-github-event");
  if (github !== undefined) return { forge: "github", event: github };
  const bitbucket = header(headers, "x-event-key");
  if (bitbucket !== undefined) return { forge: "bitbucket", event: bitbucket };
  return undefined;
}

function authenticate(forge: Forge, headers: IncomingHttpHeaders, body: Buffer, secret: string): string | undefined {
  switch (forge) {
    case "gitlab": {
      const token = header(headers, "x-gitlab-token");
      if (token === undefined) return "no X-Gitlab-Token header";
      return sameSecret(token, secret) ? undefined : "X-Gitlab-Token does not match";
    }
    case "gitea": {
      const name = header(headers, "x-forgejo-event") !== undefined ? "X-Forgejo-Signature" : "X-Gitea-Signature";
      const signature = header(headers, "x-forgejo-signature") ?? header(headers, "x-gitea-signature") ?? header(headers, "x-gogs-signature");
      if (signature === undefined) return `no ${name} header`;
      return sameDigest(signature, hmacHex(body, secret)) ? undefined : `${name} does not match the body`;
    }
    case "github":
    case "bitbucket": {
      const name = forge === "github" ? "X-Hub-Signature-256" : "X-Hub-Signature";
      const signature = header(headers, name.toLowerCase());
      if (signature === undefined) return `no ${name} header`;
      if (!signature.startsWith("sha256=")) return `${name} is not sha256=<hex>`;
      return sameDigest(signature.slice("sha256=".length), hmacHex(body, secret)) ? undefined : `${name} does not match the body`;
    }
  }
}

function hmacHex(body: Buffer, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/** Hex digests compared in constant time (their length is public). */
function sameDigest(given: string, expected: string): boolean {
  const a = Buffer.from(given.trim().toLowerCase(), "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Secrets compared in constant time whatever their lengths: both are hashed first. */
export function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHmac("sha256", "gitcert-compare").update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** Branch names a push updated; undefined when the event is not a push. */
function pushedBranches(forge: Forge, event: string, payload: unknown): string[] | undefined {
  const p = record(payload);
  switch (forge) {
    case "github":
    case "gitea":
      return event === "push" ? branchOf(p.ref) : undefined;
    case "gitlab":
      return event === "Push Hook" || (event === "System Hook" && p.object_kind === "push") ? branchOf(p.ref) : undefined;
    case "bitbucket":
      if (event === "repo:push") {
        // Cloud: a deleted branch has `new: null`; nothing to reconcile for it.
        const changes = Array.isArray(record(p.push).changes) ? (record(p.push).changes as unknown[]) : [];
        return changes.map((c) => record(record(c).new)).filter((n) => n.type === "branch" && typeof n.name === "string").map((n) => n.name as string);
      }
      if (event === "repo:refs_changed") {
        const changes = Array.isArray(p.changes) ? (p.changes as unknown[]) : [];
        return changes.filter((c) => record(c).type !== "DELETE").flatMap((c) => branchOf(record(record(c).ref).id));
      }
      return undefined;
  }
}

function branchOf(ref: unknown): string[] {
  return typeof ref === "string" && ref.startsWith("refs/heads/") ? [ref.slice("refs/heads/".length)] : [];
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
