// Process-wide ACME settings (not per issuer): where the HTTP-01 server
// listens, how the self-check and DNS-01 propagation resolve names, how
// long to wait. Defaults suit a pod behind an ingress; tests point them at
// local peers.
import type { Config } from "../config.ts";
import type { Dns01Registry } from "./dns01/index.ts";
import type { Http01Cluster, Http01Server } from "./http01/index.ts";
import type { RequestEvent } from "./transport.ts";

export interface AcmeOptions {
  http01?: {
    /** Listen address; empty for every interface. */
    address?: string;
    port?: number;
    /** An existing server to use instead (tests, or one mounted by src/server). */
    server?: Http01Server;
    /** The cluster challenge Ingresses and HTTPRoutes are made in (src/kube); none: the listener alone. */
    cluster?: Http01Cluster;
  };
  selfCheck?: {
    enabled?: boolean;
    /** Port the self-check fetches on: 80, where the public ingress listens. */
    port?: number;
    /** `ip` or `ip:port` (cert-manager's --acme-http01-solver-nameservers); empty: the system resolver. */
    nameservers?: string[];
    timeoutMs?: number;
    intervalMs?: number;
    /** Consecutive good answers before accepting (cert-manager: 5). */
    passes?: number;
  };
  dns01?: {
    /** cert-manager's --dns01-recursive-nameservers; empty: the zone's authoritative servers. */
    nameservers?: string[];
    propagationTimeoutMs?: number;
    intervalMs?: number;
    providers?: Dns01Registry;
    fetch?: typeof fetch;
  };
  /** Bound on each wait for an authorization or order to change state. */
  pollTimeoutMs?: number;
  userAgent?: string;
  /** Every ACME HTTP answer, for metrics and tests. */
  onRequest?: (event: RequestEvent) => void;
  /** Problems that do not fail an issuance (a DNS record left behind). */
  onWarning?: (message: string) => void;
  /** Worth a debug line (a solver field gitcert has no use for). */
  onDebug?: (message: string) => void;
}

export const ACME_DEFAULTS = {
  http01Address: "",
  /** cert-manager's HTTP-01 solver port. */
  http01Port: 8089,
  selfCheckPort: 80,
  selfCheckTimeoutMs: 60_000,
  selfCheckIntervalMs: 2_000,
  /** cert-manager's required passes: 5 good answers, 2 s apart. */
  selfCheckPasses: 5,
  dns01PropagationTimeoutMs: 300_000,
  dns01IntervalMs: 5_000,
  pollTimeoutMs: 120_000,
} as const;

/** The `acme.*` rows of the configuration, as options for defaultIssuers(). */
export function acmeOptionsFromConfig(config: Config): AcmeOptions {
  return {
    http01: { address: config["acme.http01.address"], port: config["acme.http01.port"] },
    selfCheck: {
      enabled: config["acme.http01.selfCheck"],
      port: config["acme.http01.selfCheckPort"],
      nameservers: config["acme.http01.selfCheckNameservers"],
      passes: config["acme.http01.selfCheckPasses"],
    },
    dns01: {
      nameservers: config["acme.dns01.nameservers"],
      propagationTimeoutMs: config["acme.dns01.propagationTimeoutSeconds"] * 1000,
    },
  };
}
