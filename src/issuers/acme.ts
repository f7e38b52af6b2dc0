// ACME: certificates from an ACME server (Let's Encrypt, or Pebble in
// tests) through cert-manager's `spec.acme` (its schema is the ACME room's:
// src/acme/schema.ts, with the DNS-01 providers' blocks). The account key is
// a Secret in Git; challenges are solved by gitcert itself (HTTP-01 through
// the route registry, DNS-01 through the provider registry). Concurrent
// sign() calls share one account safely. Besides the Issuer contract it
// answers renewal hints (ARI) for certificates it issued.
import { AT_CA, GitcertError } from "../diagnostics.ts";
import {
  ACME_ANNOTATION,
  accountKey,
  AcmeProblemError,
  AcmeService,
  ariCertId,
  describeProblem,
  externalAccountBinding,
  readAccountSecret,
  noSolverReason,
  orderIdentifiers,
  pickSolver,
  runOrder,
  type AcmeIssuerSpec,
  type AcmeOptions,
  type AcmeIdentifier,
  type RenewalHint,
  type SolverSpec,
} from "../acme/index.ts";
import type { CertificateResource, IssuerResource } from "../manifests/types.ts";
import { secretNamespace, specOf } from "./read.ts";
import type { CertificateRequest, Issuer, IssuerEnv, SecretNeed } from "./types.ts";

export interface AcmeIssuer extends Issuer<AcmeIssuerSpec> {
  /**
   * The server's renewal hint (RFC 9773) for a certificate this issuer
   * issued, from its Secret's annotations; undefined when the Secret has no
   * ARI CertID or the server offers no renewalInfo. Cached until the
   * server's Retry-After. Throws GitcertError when the server cannot answer.
   */
  renewalHint(issuer: IssuerResource, annotations: Readonly<Record<string, string>>, now: Date): Promise<RenewalHint | undefined>;
  /** Stops the HTTP-01 listener and drops kept-alive connections. */
  close(): Promise<void>;
}

/** The challenge types an ACME server offers for an identifier: only DNS-01 for a wildcard. */
function offeredFor(id: AcmeIdentifier): string[] {
  return id.value.startsWith("*.") ? ["dns-01"] : ["http-01", "dns-01"];
}

/** The solvers a Certificate's names would pick; every solver when the names cannot be known. */
function solversFor(spec: AcmeIssuerSpec, certificate: CertificateResource | undefined): SolverSpec[] {
  if (!certificate) return spec.solvers;
  let identifiers: AcmeIdentifier[];
  try {
    identifiers = orderIdentifiers(certificate.spec);
  } catch {
    return spec.solvers; // signing says what is wrong with the names
  }
  const picked = new Set<SolverSpec>();
  for (const id of identifiers) {
    const found = pickSolver({ domain: id.value, offered: offeredFor(id), solvers: spec.solvers, labels: certificate.labels });
    if (found) picked.add(found.solver);
  }
  return spec.solvers.filter((s) => picked.has(s));
}

export function createAcmeIssuer(options: AcmeOptions = {}): AcmeIssuer {
  const service = new AcmeService(options);

  const issuer: AcmeIssuer = {
    type: "acme",
    schema: service.schema,

    secrets(spec, { namespace, certificate }) {
      const account = spec.privateKeySecretRef;
      const needs: SecretNeed[] = [
        {
          namespace,
          name: account.name,
          keys: [account.key],
          purpose: "ACME account key",
          field: "spec.acme.privateKeySecretRef",
          ...(spec.disableAccountKeyGeneration ? {} : { createdIfMissing: true as const }),
        },
      ];
      const eab = spec.externalAccountBinding?.keySecretRef;
      if (eab) {
        needs.push({ namespace, name: eab.name, keys: [eab.key], purpose: "EAB HMAC key", field: "spec.acme.externalAccountBinding.keySecretRef" });
      }
      for (const solver of solversFor(spec, certificate)) {
        const dns01 = solver.dns01;
        const provider = dns01 && service.providers.get(dns01.provider);
        if (!dns01 || !provider) continue;
        for (const s of provider.secrets(dns01.config)) {
          needs.push({
            namespace,
            name: s.ref.name,
            keys: [s.ref.key],
            purpose: s.purpose,
            field: `spec.acme.solvers[${solver.index}].dns01.${dns01.provider}.${s.field}`,
          });
        }
      }
      return needs;
    },

    async sign(request: CertificateRequest, env: IssuerEnv) {
      const resource = request.issuer;
      const spec = specOf(issuer, resource);
      const identifiers = orderIdentifiers(request.certificate.spec);
      const issuerLabel = `${resource.kind} ${resource.name}`;
      const labels = request.certificate.labels;
      // Before any order: a name no solver could ever answer (a wildcard
      // without DNS-01) fails now, not after an account and an order.
      for (const id of identifiers) {
        const input = { domain: id.value, offered: offeredFor(id), solvers: spec.solvers, labels };
        if (!pickSolver(input)) throw new GitcertError("AcmeNoSolver", noSolverReason(input, issuerLabel));
      }

      const eab = await externalAccountBinding(resource, spec, env);
      const conn = service.connection(spec, await accountKey(resource, spec, env), eab);
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
          certificate: request.certificate,
          issuer: resource,
          secretNamespace: secretNamespace(resource, env.clusterResourceNamespace),
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

    async renewalHint(resource, annotations, now) {
      const certId = annotations[ACME_ANNOTATION.ariCertId];
      if (!certId) return undefined;
      return service.renewalHint(specOf(issuer, resource), certId, now);
    },

    // As cert-manager's setup: the directory, then the account — only when
    // its key exists already, since a check must not make one.
    async ready(resource, env) {
      const spec = specOf(issuer, resource);
      try {
        await service.directory(spec);
      } catch (err) {
        return { ready: false, message: `the ACME server ${spec.server} does not answer: ${err instanceof Error ? err.message : String(err)}` };
      }
      try {
        const ref = spec.privateKeySecretRef;
        // Read as issuing reads it: a cluster that will not show the Secret has no account key for gitcert.
        const stored = await readAccountSecret({ namespace: secretNamespace(resource, env.clusterResourceNamespace), name: ref.name }, env);
        if (!stored?.[ref.key]) return { ready: true, message: `the ACME server ${spec.server} answers its directory; the account is registered with the first order (no account key yet)` };
        const eab = await externalAccountBinding(resource, spec, env);
        await service.connection(spec, await accountKey(resource, spec, env), eab).account();
        return { ready: true, message: "The ACME account was registered with the ACME server" };
      } catch (err) {
        return { ready: false, message: `Failed to register ACME account: ${err instanceof Error ? err.message : String(err)}` };
      }
    },

    close: () => service.close(),
  };
  return issuer;
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
