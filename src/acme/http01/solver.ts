// HTTP-01: present the key authorization on gitcert's HTTP server, check it
// is reachable the way the ACME server will fetch it, ask for validation,
// and take it down again whatever happened.
import type { Http01Server } from "./http01-server.ts";
import { http01SelfCheck, type SelfCheckOptions } from "./self-check.ts";

export interface Http01Settings {
  server: Http01Server;
  /** false skips the self-check (split-horizon DNS, cert-manager#1292). */
  selfCheck: SelfCheckOptions | false;
}

export async function solveHttp01(
  settings: Http01Settings,
  challenge: { identifier: string; token: string; keyAuthorization: string },
  validate: () => Promise<void>,
): Promise<void> {
  await settings.server.present(challenge.identifier, challenge.token, challenge.keyAuthorization);
  try {
    if (settings.selfCheck) await http01SelfCheck(challenge.identifier, challenge.token, challenge.keyAuthorization, settings.selfCheck);
    await validate();
  } finally {
    await settings.server.remove(challenge.token);
  }
}
