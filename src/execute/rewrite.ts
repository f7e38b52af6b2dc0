// An `update`: the Secret's layout changed (secretTemplate, output formats,
// key encoding) but not what was issued, so the certificate and key already
// in Git go into the new layout. Needs the age identity to read them.
import { GitcertError } from "../diagnostics.ts";
import { secretSource } from "../discovery/secret-source.ts";
import { renewalTime, type PlanItem } from "../plan/index.ts";
import { parseCertificate, parsePrivateKey } from "../pki/index.ts";
import type { ExecuteContext } from "./execute.ts";
import { buildTlsSecret, issuerAnnotationsOf, type SecretContent } from "./tls-secret.ts";

export async function rewriteSecret(item: PlanItem, ctx: Pick<ExecuteContext, "store">): Promise<SecretContent> {
  const existing = item.existing!;
  const data = await ctx.store.read({ namespace: existing.namespace, name: existing.name });
  const chainPem = data?.["tls.crt"]?.toString("utf8");
  const keyPem = data?.["tls.key"]?.toString("utf8");
  if (!chainPem || !keyPem) throw new GitcertError("MissingData", `Secret ${existing.name} has no tls.crt or tls.key`);
  const leaf = parseCertificate(chainPem);
  return buildTlsSecret(
    {
      certificate: item.certificate!,
      issuer: item.issuer!,
      chainPem,
      caPem: data?.["ca.crt"]?.toString("utf8"),
      privateKey: parsePrivateKey(keyPem),
      revision: item.state?.revision ?? 1,
      requestHash: item.requestHash!,
      secretHash: item.secretHash!,
      renewalTime: renewalTime(leaf.notBefore, leaf.notAfter, item.certificate!.spec),
      sourceFile: secretSource(item.certificate!),
      issuerAnnotations: issuerAnnotationsOf(existing.annotations),
    },
    leaf,
  );
}
