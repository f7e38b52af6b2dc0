// What ACME issuers share inside one gitcert process: one keep-alive
// transport per TLS trust setting, one connection per (server, account key),
// the HTTP-01 listener and routes, the DNS-01 solver, the schema of
// `spec.acme` (it holds the DNS-01 providers'), and the ARI answers still
// fresh.
// Connections outlive a reconcile, so the account registration, nonces and
// a rate limit carry over; the key itself is always read from Git first.
import { createHash } from "node:crypto";
import type { z } from "zod";
import { AT_CA, GitcertError } from "../diagnostics.ts";
import { fetchRenewalInfo, renewalTimeInWindow, type RenewalWindow } from "./ari.ts";
import { AcmeConnection, type Directory } from "./client.ts";
import { defaultDns01Providers, Dns01Solver, type Dns01Registry } from "./dns01/index.ts";
import { http01Routes, Http01Server, type Http01Settings } from "./http01/index.ts";
import { ACME_DEFAULTS, type AcmeOptions } from "./options.ts";
import { AcmeProblemError, describeProblem } from "./problem.ts";
import { acmeSpecSchema, type AcmeIssuerSpec } from "./schema.ts";
import { Transport } from "./transport.ts";

export interface RenewalHint {
  /** When to renew: a point inside the server's window, the same one on every check. */
  renewalTime: Date;
  window: RenewalWindow;
  explanationURL?: string;
  /** Do not ask the server again before this (its Retry-After, bounded). */
  nextCheck: Date;
}

const DIRECTORY_TTL_MS = 3600_000;
const HINT_DEFAULT_MS = 6 * 3600_000;
const HINT_MIN_MS = 60_000;
const HINT_MAX_MS = 24 * 3600_000;

export class AcmeService {
  readonly http01: Http01Settings;
  readonly dns01: Dns01Solver;
  readonly providers: Dns01Registry;
  /** `spec.acme` with these DNS-01 providers. */
  readonly schema: z.ZodType<AcmeIssuerSpec, unknown>;
  readonly pollTimeoutMs: number;
  /** The listener this service made, and so closes; undefined when it was given one. */
  private readonly ownListener?: Http01Server;
  private readonly transports = new Map<string, Transport>();
  private readonly connections = new Map<string, AcmeConnection>();
  private readonly directories = new Map<string, { at: number; promise: Promise<Directory> }>();
  private readonly hints = new Map<string, RenewalHint>();

  private readonly options: AcmeOptions;

  constructor(options: AcmeOptions = {}) {
    this.options = options;
    const sc = options.selfCheck ?? {};
    if (!options.http01?.server) {
      const cluster = options.http01?.cluster;
      this.ownListener = new Http01Server({
        address: options.http01?.address ?? ACME_DEFAULTS.http01Address,
        port: options.http01?.port ?? ACME_DEFAULTS.http01Port,
        lookup: cluster ? (token, host) => cluster.keyAuthorization(token, host) : undefined,
      });
    }
    this.http01 = {
      routes: http01Routes({ listener: options.http01?.server ?? this.ownListener!, cluster: options.http01?.cluster, onNote: options.onDebug }),
      onWarning: options.onWarning,
      selfCheck:
        sc.enabled === false
          ? false
          : {
              port: sc.port ?? ACME_DEFAULTS.selfCheckPort,
              nameservers: sc.nameservers ?? [],
              timeoutMs: sc.timeoutMs ?? ACME_DEFAULTS.selfCheckTimeoutMs,
              intervalMs: sc.intervalMs ?? ACME_DEFAULTS.selfCheckIntervalMs,
              passes: sc.passes ?? ACME_DEFAULTS.selfCheckPasses,
            },
    };
    this.providers = options.dns01?.providers ?? defaultDns01Providers();
    this.schema = acmeSpecSchema(this.providers);
    this.dns01 = new Dns01Solver({
      providers: this.providers,
      nameservers: options.dns01?.nameservers ?? [],
      propagationTimeoutMs: options.dns01?.propagationTimeoutMs ?? ACME_DEFAULTS.dns01PropagationTimeoutMs,
      intervalMs: options.dns01?.intervalMs ?? ACME_DEFAULTS.dns01IntervalMs,
      fetch: options.dns01?.fetch,
      onWarning: options.onWarning,
    });
    this.pollTimeoutMs = options.pollTimeoutMs ?? ACME_DEFAULTS.pollTimeoutMs;
  }

  transport(spec: Pick<AcmeIssuerSpec, "caBundlePem" | "skipTLSVerify">): Transport {
    const id = `${spec.skipTLSVerify ? "insecure" : "verify"}:${spec.caBundlePem ? sha256(spec.caBundlePem) : "system"}`;
    let t = this.transports.get(id);
    if (!t) {
      if (spec.skipTLSVerify) this.options.onWarning?.("an ACME issuer sets spec.acme.skipTLSVerify: its server's TLS certificate is not checked");
      t = new Transport({ caPem: spec.caBundlePem, skipTLSVerify: spec.skipTLSVerify, userAgent: this.options.userAgent, onRequest: this.options.onRequest });
      this.transports.set(id, t);
    }
    return t;
  }

  connection(spec: AcmeIssuerSpec, accountKeyPem: string, eab: { kid: string; hmacKey: string } | undefined): AcmeConnection {
    const id = sha256([spec.server, accountKeyPem, eab?.kid ?? "", spec.caBundlePem ?? "", String(spec.skipTLSVerify), spec.email ?? ""].join("\n"));
    let c = this.connections.get(id);
    if (!c) {
      c = new AcmeConnection({ directoryUrl: spec.server, accountKeyPem, eab, email: spec.email, transport: this.transport(spec) });
      this.connections.set(id, c);
    }
    return c;
  }

  /** The server's directory, unauthenticated (ARI needs no account). */
  directory(spec: AcmeIssuerSpec): Promise<Directory> {
    const cached = this.directories.get(spec.server);
    if (cached && Date.now() - cached.at < DIRECTORY_TTL_MS) return cached.promise;
    const promise = this.transport(spec)
      .request(spec.server, "GET")
      .then((res) => {
        if (typeof res.data !== "object" || res.data === null) throw new GitcertError("AcmeServerError", `GET ${spec.server} did not return an ACME directory`, {}, AT_CA);
        return res.data as Directory;
      })
      .catch((err: unknown) => {
        this.directories.delete(spec.server);
        if (err instanceof AcmeProblemError) throw new GitcertError("AcmeServerError", `GET ${spec.server}: ${describeProblem(err.problem)}`, {}, AT_CA);
        throw err;
      });
    this.directories.set(spec.server, { at: Date.now(), promise });
    return promise;
  }

  /** The server's renewal hint for a certificate, or undefined when it offers no ARI. */
  async renewalHint(spec: AcmeIssuerSpec, certId: string, now: Date): Promise<RenewalHint | undefined> {
    const key = `${spec.server} ${certId}`;
    const cached = this.hints.get(key);
    if (cached && cached.nextCheck > now) return cached;
    const url = (await this.directory(spec)).renewalInfo;
    if (!url) return undefined;
    const info = await fetchRenewalInfo(this.transport(spec), url, certId, now);
    const wait = info.retryAfter ? info.retryAfter.getTime() - now.getTime() : HINT_DEFAULT_MS;
    const hint: RenewalHint = {
      renewalTime: renewalTimeInWindow(info.window, certId),
      window: info.window,
      explanationURL: info.explanationURL,
      nextCheck: new Date(now.getTime() + Math.min(Math.max(wait, HINT_MIN_MS), HINT_MAX_MS)),
    };
    // A long-running gitcert asks about each new certificate: hints past
    // their next check are asked again anyway, so they go, and the map holds
    // no more than the certificates of the last few hours.
    for (const [k, h] of this.hints) if (h.nextCheck <= now) this.hints.delete(k);
    this.hints.set(key, hint);
    return hint;
  }

  async close(): Promise<void> {
    await this.ownListener?.close();
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
    this.connections.clear();
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
