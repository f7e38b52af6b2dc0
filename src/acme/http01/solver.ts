// HTTP-01: present the key authorization through every route, check it is
// reachable the way the ACME server will fetch it, ask for validation, and
// take every route down again whatever happened.
import { redactTokens } from "../problem.ts";
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
): Promise<void> {
  const presented: Http01Route[] = [];
  try {
    for (const route of settings.routes) {
      await route.present(challenge, context);
      presented.push(route);
    }
    if (settings.selfCheck) await http01SelfCheck(challenge.identifier, challenge.token, challenge.keyAuthorization, settings.selfCheck);
    await validate();
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
