// HTTP-01: present the key authorization through every route, check it is
// reachable the way the ACME server will fetch it, ask for validation, and
// take every route down again whatever happened — also when the reconcile
// is abandoned mid-wait (SIGTERM past the grace period, leadership lost):
// the wait is given up at once so the routes come down before the process
// exits, instead of staying behind for the next leader's sweep.
import { GitcertError } from "../../diagnostics.ts";
import { unlessAbandoned } from "../abandon.ts";
import { redactTokens } from "../problem.ts";
import { routeWanted } from "./overrides.ts";
import { http01SelfCheck, type SelfCheckOptions } from "./self-check.ts";
import type { Http01Challenge, Http01Route, Http01RouteContext } from "./types.ts";

export interface Http01Settings {
  /** In the order they are presented (http01Routes()). */
  routes: readonly Http01Route[];
  /** false skips the self-check (split-horizon DNS, cert-manager#1292). */
  selfCheck: SelfCheckOptions | false;
  /** A route that could not be taken down: untidy, not a failed issuance. */
  onWarning?: (message: string) => void;
}

export async function solveHttp01(
  settings: Http01Settings,
  challenge: Http01Challenge,
  context: Http01RouteContext,
  validate: () => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const presented: Http01Route[] = [];
  const missing = missingRoute(settings.routes, context);
  if (missing) settings.onWarning?.(missing);
  try {
    // Each present runs to its end (a route cut short could leave an object its cleanup does not know of).
    for (const route of settings.routes) {
      signal?.throwIfAborted();
      await route.present(challenge, context);
      presented.push(route);
    }
    const checked = settings.selfCheck;
    await unlessAbandoned(async () => {
      if (checked) await selfCheck(challenge, checked, missing);
      signal?.throwIfAborted(); // abandoned meanwhile: the routes are coming down, the CA must not be asked
      await validate();
    }, signal);
  } finally {
    for (const route of presented.reverse()) {
      try {
        await route.cleanUp(challenge, context);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        settings.onWarning?.(redactTokens(`HTTP-01 cleanup of the ${route.name} route for ${challenge.identifier} failed: ${message}`, [challenge.token]));
      }
    }
  }
}

/**
 * Without a cluster, a solver that names an Ingress or an HTTPRoute gets
 * none: the listener alone answers, and whatever routes the domain's
 * traffic to it is the user's (the self-check says whether it does).
 */
function missingRoute(routes: readonly Http01Route[], context: Http01RouteContext): string | undefined {
  const wanted = routeWanted(context.solver, context.certificate.namespace);
  if (!wanted || routes.some((r) => r.handles?.(context))) return undefined;
  return (
    `Certificate ${context.certificate.namespace}/${context.certificate.name}: the HTTP-01 solver asks for ${wanted}, ` +
    "but no cluster is configured (--kubeconfig, KUBECONFIG or the in-cluster service account), so gitcert made none: " +
    "only its own listener answers, and traffic for /.well-known/acme-challenge/ must reach it some other way"
  );
}

async function selfCheck(challenge: Http01Challenge, options: SelfCheckOptions, missing: string | undefined): Promise<void> {
  try {
    await http01SelfCheck(challenge.identifier, challenge.token, challenge.keyAuthorization, options);
  } catch (err) {
    if (!missing || !(err instanceof GitcertError)) throw err;
    throw new GitcertError(err.code, `${err.message}. Note: ${missing}`, err.where, { retryAfter: err.retryAfter, atCA: err.atCA });
  }
}
