// DNS-01 through the provider registry: find where the TXT
// record goes (following CNAMEs when the solver says so), present it, wait
// until the nameservers that matter serve it, ask for validation, and
// remove it again whatever happened (at once when the reconcile is
// abandoned mid-wait).
import { GitcertError } from "../../diagnostics.ts";
import type { IssuerEnv } from "../../issuers/types.ts";
import { unlessAbandoned } from "../abandon.ts";
import { KeyedLock } from "../keyed-lock.ts";
import type { Dns01SolverSpec } from "../schema.ts";
import { challengeFqdn } from "./cname.ts";
import { waitForTxtRecord } from "./propagation.ts";
import type { Dns01Context, Dns01Record } from "./types.ts";
import type { Dns01Registry } from "./registry.ts";

export interface Dns01Settings {
  providers: Dns01Registry;
  /** Where propagation is checked and CNAMEs followed (cert-manager's --dns01-recursive-nameservers); empty: the zone's authoritative servers. */
  nameservers: readonly string[];
  propagationTimeoutMs: number;
  intervalMs: number;
  fetch?: typeof fetch;
  onWarning?: (message: string) => void;
}

export interface Dns01Challenge {
  /** The identifier without wildcard. */
  domain: string;
  /** base64url(SHA-256(key authorization)). */
  value: string;
  spec: Dns01SolverSpec;
  /** Namespace of the issuer's Secrets. */
  namespace: string;
}

export class Dns01Solver {
  private readonly lock = new KeyedLock();

  private readonly settings: Dns01Settings;

  constructor(settings: Dns01Settings) {
    this.settings = settings;
  }

  async solve(challenge: Dns01Challenge, env: IssuerEnv, validate: () => Promise<void>): Promise<void> {
    const { settings } = this;
    const provider = settings.providers.get(challenge.spec.provider);
    if (!provider) throw new GitcertError("Dns01ProviderUnknown", `DNS-01 provider ${challenge.spec.provider} is not available`);
    const nameservers = settings.nameservers.length > 0 ? [...settings.nameservers] : undefined;
    const fqdn = await challengeFqdn(challenge.domain, challenge.spec.cnameStrategy, { nameservers });
    const record: Dns01Record = { domain: challenge.domain, fqdn, value: challenge.value };
    const ctx: Dns01Context = {
      config: challenge.spec.config,
      fetch: settings.fetch ?? globalThis.fetch,
      readSecretKey: async (ref) => {
        const data = await env.readSecret({ namespace: challenge.namespace, name: ref.name });
        const value = data?.[ref.key];
        if (!value) {
          const what = data ? `has no key ${JSON.stringify(ref.key)}` : "was not found in the repository";
          throw new GitcertError("Dns01SecretNotFound", `Secret ${challenge.namespace}/${ref.name} for the ${provider.name} DNS-01 provider ${what}`);
        }
        return value;
      },
    };
    await this.lock.run(fqdn, async () => {
      env.signal?.throwIfAborted();
      await provider.present(record, ctx);
      let failed = false;
      try {
        await unlessAbandoned(async () => {
          await waitForTxtRecord(fqdn, record.value, { nameservers, timeoutMs: settings.propagationTimeoutMs, intervalMs: settings.intervalMs });
          env.signal?.throwIfAborted(); // abandoned meanwhile: the record is coming down, the CA must not be asked
          await validate();
        }, env.signal);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        try {
          await provider.cleanUp(record, ctx);
        } catch (err) {
          // A leftover TXT record is untidy, not harmful; the issuance outcome stands.
          const message = err instanceof Error ? err.message : String(err);
          settings.onWarning?.(`DNS-01 cleanup of ${fqdn} failed${failed ? " after a failed validation" : ""}: ${message}`);
        }
      }
    });
  }
}
