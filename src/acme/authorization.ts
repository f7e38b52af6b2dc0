// One authorization of an order: pick the solver (cert-manager's rule),
// solve its challenge, and wait for the server's verdict. An invalid
// authorization fails with the server's problem document and the
// identifier it was about.
import { AT_CA, GitcertError } from "../diagnostics.ts";
import type { IssuerEnv } from "../issuers/types.ts";
import type { CertificateResource, IssuerResource } from "../manifests/types.ts";
import type { AcmeConnection, Authorization, Challenge } from "./client.ts";
import type { Dns01Solver } from "./dns01/index.ts";
import { solveHttp01, withOverrides, type Http01Settings } from "./http01/index.ts";
import { pollStatus } from "./poll.ts";
import { AcmeProblemError, describeProblem, isProblem } from "./problem.ts";
import type { SolverSpec } from "./schema.ts";
import { noSolverReason, pickSolver } from "./solver-picker.ts";

export interface AuthorizationContext {
  conn: AcmeConnection;
  env: IssuerEnv;
  issuerLabel: string;
  solvers: readonly SolverSpec[];
  /** The Certificate being issued: its labels match selectors, and HTTP-01 routes are made for it. */
  certificate: CertificateResource;
  issuer: IssuerResource;
  /** Namespace of the issuer's Secrets (DNS provider credentials). */
  secretNamespace: string;
  http01: Http01Settings;
  dns01: Dns01Solver;
  pollTimeoutMs: number;
  /** Every challenge token seen, so messages can leave them out. */
  tokens: Set<string>;
}

export function identifierLabel(authz: Pick<Authorization, "identifier" | "wildcard">): string {
  return `${authz.identifier.type}:${authz.wildcard ? "*." : ""}${authz.identifier.value}`;
}

export async function solveAuthorization(authz: Authorization, ctx: AuthorizationContext): Promise<void> {
  try {
    await solve(authz, ctx);
  } catch (err) {
    if (err instanceof AcmeProblemError) {
      throw new GitcertError("AcmeChallengeFailed", `solving the challenge for ${identifierLabel(authz)} failed: ${describeProblem(err.problem)}`, {}, AT_CA);
    }
    throw err;
  }
}

async function solve(authz: Authorization, ctx: AuthorizationContext): Promise<void> {
  if (authz.status === "valid") return;
  const id = identifierLabel(authz);
  if (authz.status !== "pending") {
    throw new GitcertError("AcmeChallengeFailed", `the authorization for ${id} is ${authz.status}${challengeProblem(authz)}`, {}, AT_CA);
  }
  const domain = (authz.wildcard ? "*." : "") + authz.identifier.value;
  const offered = authz.challenges.map((c) => c.type);
  const input = { domain, offered, solvers: ctx.solvers, labels: ctx.certificate.labels };
  const picked = pickSolver(input);
  if (!picked) throw new GitcertError("AcmeNoSolver", noSolverReason(input, ctx.issuerLabel));
  const challenge = authz.challenges.find((c) => c.type === picked.challengeType) as Challenge;
  ctx.tokens.add(challenge.token);
  const keyAuthorization = await ctx.conn.keyAuthorization(challenge);

  const validate = async () => {
    await ctx.conn.completeChallenge(challenge);
    const final = await pollStatus<Authorization>(() => ctx.conn.fetch(authz.url), {
      pending: ["pending"],
      timeoutMs: ctx.pollTimeoutMs,
      what: `authorization of ${id}`,
    });
    if (final.status !== "valid") {
      throw new GitcertError("AcmeChallengeFailed", `ACME ${picked.challengeType} validation of ${id} failed${challengeProblem(final)}`, {}, AT_CA);
    }
  };

  if (picked.challengeType === "http-01") {
    const routeContext = { solver: withOverrides(picked.solver.http01!, ctx.certificate.annotations, ctx.certificate.namespace), certificate: ctx.certificate, issuer: ctx.issuer };
    await solveHttp01(ctx.http01, { identifier: authz.identifier.value, token: challenge.token, keyAuthorization }, routeContext, validate, ctx.env.signal);
  } else {
    const spec = picked.solver.dns01!;
    await ctx.dns01.solve({ domain: authz.identifier.value, value: keyAuthorization, spec, namespace: ctx.secretNamespace }, ctx.env, validate);
  }
}

/** `: <problem>` from the challenge that carries an error, or "". */
function challengeProblem(authz: Pick<Authorization, "challenges">): string {
  for (const c of authz.challenges) {
    const error = (c as { error?: unknown }).error;
    if (isProblem(error)) return `: ${describeProblem(error)}`;
  }
  return "";
}
