// ACME: certificates from an ACME server (Let's Encrypt, or Pebble in
// tests) through cert-manager's `spec.acme`. The account key is a Secret in
// Git; challenges are solved by gitcert itself (HTTP-01 on its own server,
// DNS-01 through the provider registry). Concurrent sign() calls share one
// account safely. Besides the Issuer contract it answers renewal hints
// (ARI) for certificates it issued.
import { AT_CA, diagnostic, GitcertError, type Diagnostic } from "../diagnostics.ts";
import {
  ACME_ANNOTATION,
  accountKey,
  AcmeProblemError,
  AcmeService,
  ariCertId,
  describeProblem,
  externalAccountBinding,
  noSolverReason,
  orderIdentifiers,
  parseAcmeSpec,
  pickSolver,
  runOrder,
  secretNamespace,
  type AcmeIssuerSpec,
  type AcmeOptions,
  type RenewalHint,
} from "../acme/index.ts";
import type { CertificateRequest, IssuerEnv } from "./types.ts";
import type { IssuerResource } from "../manifests/types.ts";
import type { Issuer } from "./types.ts";
import { issuerRef } from "./spec.ts";

export interface AcmeIssuer extends Issuer {
  /**
   * The server's renewal hint (RFC 9773) for a certificate this issuer
   * issued, from its Secret's annotations; undefined when the Secret has no
   * ARI CertID or the server offers no renewalInfo. Cached until the
   * server's Retry-After. Throws GitcertError when the server cannot answer.
   */
  renewalHint(issuer: IssuerResource, annotations: Readonly<Record<string, string>>, now: Date): Promise<RenewalHint | undefined>;
  /** Stops the HTTP-01 server and drops kept-alive connections. */
  close(): Promise<void>;
}

export function createAcmeIssuer(options: AcmeOptions = {}): AcmeIssuer {
  const service = new AcmeService(options);

  const specOf = (issuer: IssuerResource): AcmeIssuerSpec => {
    const { spec, errors } = parseAcmeSpec(issuer.spec.acme, service.providers);
    if (!spec) throw new GitcertError("InvalidIssuer", errors.join("; "), { source: issuer.source, object: issuerRef(issuer) });
    return spec;
  };

  return {
    type: "acme",

    validate(issuer: IssuerResource): Diagnostic[] {
      const where = { source: issuer.source, object: issuerRef(issuer) };
      return parseAcmeSpec(issuer.spec.acme, service.providers).errors.map((e) => diagnostic("InvalidIssuer", e, where));
    },

    // The account key is created by the issuer itself and EAB or DNS
    // credentials are never written by a Certificate: nothing to wait for.
    secretsNeeded: () => [],

    async sign(request: CertificateRequest, env: IssuerEnv) {
      const issuer = request.issuer;
      const spec = specOf(issuer);
      const identifiers = orderIdentifiers(request.certificate.spec);
      const issuerLabel = `${issuer.kind} ${issuer.name}`;
      const labels = request.certificate.labels;
      // Before any order: a name no solver could ever answer (a wildcard
      // without DNS-01) fails now, not after an account and an order.
      for (const id of identifiers) {
        const offered = id.value.startsWith("*.") ? ["dns-01"] : ["http-01", "dns-01"];
        const input = { domain: id.value, offered, solvers: spec.solvers, labels };
        if (!pickSolver(input)) throw new GitcertError("AcmeNoSolver", noSolverReason(input, issuerLabel));
      }

      const eab = await externalAccountBinding(issuer, spec, env);
      const conn = service.connection(spec, await accountKey(issuer, spec, env), eab);
      const account = await conn.account();
      let directory;
      try {
        directory = await conn.directory();
      } catch (err) {
        if (err instanceof AcmeProblemError) throw new GitcertError("AcmeServerError", `reading the ACME directory ${spec.server}: ${describeProblem(err.problem)}`, {}, AT_CA);
        throw err;
      }
      const replaces = directory.renewalInfo ? await previousCertId(request, env) : undefined;

      const result = await runOrder(
        { identifiers, csrPem: request.csrPem, profile: spec.profile, replaces, preferredChain: spec.preferredChain },
        {
          conn,
          env,
          issuerLabel,
          solvers: spec.solvers,
          labels,
          secretNamespace: secretNamespace(issuer, env),
          http01: service.http01,
          dns01: service.dns01,
          pollTimeoutMs: service.pollTimeoutMs,
          tokens: new Set(),
        },
      );

      const annotations: Record<string, string> = { [ACME_ANNOTATION.accountUrl]: account.url };
      const certId = safeCertId(result.chainPem);
      if (certId) annotations[ACME_ANNOTATION.ariCertId] = certId;
      if (result.replaced) annotations[ACME_ANNOTATION.replaces] = result.replaced;
      // ca.crt stays empty, as with cert-manager: an ACME server does not say which root a client trusts.
      return { chainPem: result.chainPem, annotations };
    },

    async renewalHint(issuer, annotations, now) {
      const certId = annotations[ACME_ANNOTATION.ariCertId];
      if (!certId) return undefined;
      return service.renewalHint(specOf(issuer), certId, now);
    },

    close: () => service.close(),
  };
}

/** The CertID of the certificate now in the Secret, for `replaces`; none when there is none to read. */
async function previousCertId(request: CertificateRequest, env: IssuerEnv): Promise<string | undefined> {
  try {
    const data = await env.readSecret({ namespace: request.certificate.namespace, name: request.certificate.spec.secretName });
    const pem = data?.["tls.crt"]?.toString("utf8");
    return pem ? safeCertId(pem) : undefined;
  } catch {
    // An unreadable old Secret only costs the `replaces` hint.
    return undefined;
  }
}

function safeCertId(pem: string): string | undefined {
  try {
    return ariCertId(pem);
  } catch {
    return undefined;
  }
}
