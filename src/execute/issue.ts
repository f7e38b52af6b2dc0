// A new certificate for a plan item: key (kept or new, per rotationPolicy)
// → CSR → issuer.sign → the Secret's content, and the issuer's warnings as
// diagnostics on the Certificate. Nothing is written here.
import type { KeyObject } from "node:crypto";
import { diagnostic, GitcertError, type Diagnostic } from "../diagnostics.ts";
import { secretSource } from "../discovery/secret-source.ts";
import { issuerRef, issuerType } from "../issuers/index.ts";
import type { IssuerEnv } from "../issuers/types.ts";
import { renewalTime, type PlanItem } from "../plan/index.ts";
import { certificateMatchesKey, createCsr, generatePrivateKey, keyMatchesSpec, parseCertificate, parsePrivateKey, publicKeyOf } from "../pki/index.ts";
import type { ExecuteContext } from "./execute.ts";
import { buildTlsSecret, type SecretContent } from "./tls-secret.ts";

export async function issue(
  item: PlanItem,
  ctx: Pick<ExecuteContext, "issuers" | "store">,
  env: IssuerEnv,
  warn: (d: Diagnostic) => void = () => {},
): Promise<SecretContent> {
  const certificate = item.certificate!;
  const issuerResource = item.issuer!;
  const type = issuerType(issuerResource, ctx.issuers.keys());
  const issuer = type ? ctx.issuers.get(type) : undefined;
  if (!issuer) {
    throw new GitcertError("UnsupportedIssuer", `issuer ${issuerResource.kind}/${issuerResource.name} has no supported type`, { object: issuerRef(issuerResource), source: issuerResource.source });
  }

  const privateKey = await keyFor(item, ctx);
  const publicKey = publicKeyOf(privateKey);
  const csrPem = await createCsr(certificate.spec, privateKey);
  const issued = await issuer.sign({ certificate, issuer: issuerResource, csrPem, privateKey, publicKey }, env);
  if (!certificateMatchesKey(issued.chainPem, privateKey)) {
    throw new GitcertError("IssuedCertificateMismatch", "the issuer returned a certificate for a different key");
  }
  for (const w of issued.warnings ?? []) warn(diagnostic(w.code, w.message, { source: item.source, object: item.object }, "warning"));
  const leaf = parseCertificate(issued.chainPem);
  return buildTlsSecret(
    {
      certificate,
      issuer: issuerResource,
      chainPem: issued.chainPem,
      caPem: issued.caPem,
      privateKey,
      revision: (item.state?.revision ?? 0) + 1,
      requestHash: item.requestHash!,
      secretHash: item.secretHash!,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, certificate.spec),
      sourceFile: secretSource(certificate),
      issuerAnnotations: issued.annotations,
    },
    leaf,
  );
}

/** rotationPolicy Never keeps the key already in Git; Always makes a new one. */
async function keyFor(item: PlanItem, ctx: Pick<ExecuteContext, "store">): Promise<KeyObject> {
  const spec = item.certificate!.spec.privateKey;
  if (spec.rotationPolicy === "Never" && item.existing) {
    const data = await ctx.store.read({ namespace: item.existing.namespace, name: item.existing.name });
    const pem = data?.["tls.key"]?.toString("utf8");
    if (pem) {
      const key = parsePrivateKey(pem);
      if (!keyMatchesSpec(key, spec)) {
        throw new GitcertError("KeyMismatch", `rotationPolicy is Never, but the key in the Secret is not ${spec.algorithm} ${spec.size || ""}`.trimEnd() + "; delete tls.key or set rotationPolicy: Always");
      }
      return key;
    }
  }
  return generatePrivateKey(spec);
}
