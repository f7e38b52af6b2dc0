// The live check of each issuer in use (an ACME server's directory and
// account, Vault's sys/health and login, Venafi's credentials), for the
// Issuers' Ready condition in the cluster. Each issuer is asked once per
// run, all at once, and the whole wait is bounded: a server that does not
// answer in time is "did not answer", not a hang of the reconcile.
import type { IssuerResource } from "../manifests/types.ts";
import { issuerType, type IssuerRegistry } from "./read.ts";
import type { IssuerEnv, IssuerReadiness } from "./types.ts";

/** How long all checks may take together. */
export const READINESS_DEADLINE_MS = 10_000;

export async function liveReadiness(
  issuers: Iterable<IssuerResource>,
  registry: IssuerRegistry,
  env: IssuerEnv,
  deadlineMs = READINESS_DEADLINE_MS,
): Promise<Map<IssuerResource, IssuerReadiness>> {
  const out = new Map<IssuerResource, IssuerReadiness>();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deadlineMs);
  });
  const checks = [...new Set(issuers)].map(async (issuer) => {
    const type = issuerType(issuer, registry.keys());
    const impl = type ? registry.get(type) : undefined;
    if (!impl?.ready) return;
    const answer = await Promise.race([impl.ready(issuer, env).catch((err: unknown): IssuerReadiness => ({ ready: false, message: err instanceof Error ? err.message : String(err) })), late]);
    out.set(issuer, answer === "late" ? { ready: false, message: `its server did not answer within ${deadlineMs / 1000} s` } : answer);
  });
  await Promise.all(checks).finally(() => clearTimeout(timer));
  return out;
}

/** The env a readiness check gets: it reads Secrets, never writes one. */
export function readOnlyEnv(env: Omit<IssuerEnv, "writeSecret">): IssuerEnv {
  return {
    ...env,
    writeSecret: async () => {
      throw new Error("a readiness check writes nothing");
    },
  };
}
