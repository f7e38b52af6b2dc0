// One certificate from one ACME order: new order (with profile, and
// `replaces` for an ARI renewal, dropped if the server refuses it), every
// authorization solved in parallel, finalize with the CSR, download the
// chain (the preferred one when asked). Every server refusal becomes a
// GitcertError carrying the problem's type, detail and identifier.
import { AT_CA, GitcertError } from "../diagnostics.ts";
import { identifierLabel, solveAuthorization, type AuthorizationContext } from "./authorization.ts";
import type { Order } from "./client.ts";
import { pollStatus } from "./poll.ts";
import { pickChain } from "./preferred-chain.ts";
import { AcmeProblemError, describeProblem, isProblem, redactTokens, ProblemType, type AcmeIdentifier } from "./problem.ts";

export interface OrderInput {
  identifiers: AcmeIdentifier[];
  csrPem: string;
  profile?: string;
  /** ARI CertID of the certificate this one replaces. */
  replaces?: string;
  preferredChain?: string;
}

export interface OrderResult {
  chainPem: string;
  orderUrl: string;
  /** The CertID the server accepted as replaced, if any. */
  replaced?: string;
}

export async function runOrder(input: OrderInput, ctx: AuthorizationContext): Promise<OrderResult> {
  try {
    return await run(input, ctx);
  } catch (err) {
    throw redacted(err, ctx.tokens);
  }
}

async function run(input: OrderInput, ctx: AuthorizationContext): Promise<OrderResult> {
  const { conn } = ctx;
  const names = input.identifiers.map((i) => `${i.type}:${i.value}`).join(", ");
  const { order: created, replaced } = await createOrder(input, ctx, names);
  let order: Order = created;

  if (order.status === "pending") {
    const authzs = await acme(() => conn.authorizations(order), `fetching the authorizations for ${names}`);
    const results = await Promise.allSettled(authzs.map((a) => solveAuthorization(a, ctx)));
    const failures = results.flatMap((r, i) => (r.status === "rejected" ? [{ authz: authzs[i]!, err: r.reason as unknown }] : []));
    if (failures.length > 0) throw combine(failures.map((f) => ({ err: f.err, id: identifierLabel(f.authz) })));
    order = await waitOrder(order, ["pending"], ctx, names);
  }
  if (order.status === "ready") {
    order = await acme(() => conn.finalize(order, input.csrPem), `finalizing the order for ${names}`);
    order = await waitOrder(order, ["ready", "processing"], ctx, names);
  }
  if (order.status !== "valid" || !order.certificate) {
    throw new GitcertError("AcmeOrderFailed", `the order for ${names} ended ${order.status}${isProblem(order.error) ? `: ${describeProblem(order.error)}` : ""}`, {}, AT_CA);
  }
  const chainPem = await downloadChain(order.certificate, input.preferredChain, ctx);
  return { chainPem, orderUrl: order.url, replaced };
}

async function createOrder(input: OrderInput, ctx: AuthorizationContext, names: string): Promise<{ order: Order; replaced?: string }> {
  const payload: Record<string, unknown> = { identifiers: input.identifiers };
  if (input.profile) payload.profile = input.profile;
  if (input.replaces) {
    try {
      return { order: await ctx.conn.newOrder({ ...payload, replaces: input.replaces }), replaced: input.replaces };
    } catch (err) {
      // RFC 9773 §5: a refused `replaces` (already replaced, unknown to this
      // server, another account's) must not stop the renewal itself.
      if (!(err instanceof AcmeProblemError) || err.problem.type === ProblemType.rateLimited) throw orderError(err, `creating the order for ${names}`);
    }
  }
  return { order: await acme(() => ctx.conn.newOrder(payload), `creating the order for ${names}`) };
}

async function waitOrder(order: Order, pending: string[], ctx: AuthorizationContext, names: string): Promise<Order> {
  const data = await acme(
    () => pollStatus<Order>(() => ctx.conn.fetch(order.url), { pending, timeoutMs: ctx.pollTimeoutMs, what: `order for ${names}` }),
    `waiting for the order for ${names}`,
  );
  return { ...data, url: order.url };
}

/** The default chain, or the first alternate whose root-most issuer is `preferred` (fetched only when needed). */
async function downloadChain(url: string, preferred: string | undefined, ctx: AuthorizationContext): Promise<string> {
  const res = await acme(() => ctx.conn.fetch(url), "downloading the certificate");
  const alternates = res.links
    .filter((l) => l.rel === "alternate")
    .map((link) => async () => String((await acme(() => ctx.conn.fetch(link.url), "downloading an alternate chain")).data));
  return pickChain([async () => String(res.data), ...alternates], preferred);
}

async function acme<T>(fn: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw orderError(err, doing);
  }
}

function orderError(err: unknown, doing: string): unknown {
  if (err instanceof AcmeProblemError) return new GitcertError("AcmeOrderFailed", `${doing} failed: ${describeProblem(err.problem)}`, {}, AT_CA);
  return err;
}

/** Several failed authorizations: one diagnostic naming each identifier. */
function combine(failures: Array<{ err: unknown; id: string }>): unknown {
  if (failures.length === 1) return failures[0]!.err;
  const first = failures[0]!.err;
  const code = first instanceof GitcertError ? first.code : "AcmeChallengeFailed";
  const parts = failures.map(({ err, id }) => {
    const message = err instanceof Error ? err.message : String(err);
    return message.includes(id) ? message : `${id}: ${message}`;
  });
  const atCA = failures.some(({ err }) => err instanceof GitcertError && err.atCA);
  return new GitcertError(code, parts.join("; "), {}, { atCA });
}

function redacted(err: unknown, tokens: ReadonlySet<string>): unknown {
  if (err instanceof GitcertError) return new GitcertError(err.code, redactTokens(err.message, tokens), err.where, { retryAfter: err.retryAfter, atCA: err.atCA });
  if (err instanceof Error) return new GitcertError("AcmeOrderFailed", redactTokens(err.message, tokens));
  return err;
}
