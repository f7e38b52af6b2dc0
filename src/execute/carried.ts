// A push can be rejected because the remote moved; the reconcile then runs
// again on the new head. What the rejected attempt wrote is carried over in
// memory, so the CA is not asked twice for the same certificate (nor an
// ACME account key made twice: a new key would be a new account).
import type { SourceRef } from "../diagnostics.ts";
import { ANNOTATION, ISSUING_ACTIONS, type PlanItem } from "../plan/index.ts";
import type { SecretContent } from "./tls-secret.ts";

/** A Secret written in an attempt whose commit may not have reached the remote. */
export interface Written {
  content: SecretContent;
  /** Request hash it was issued for (certificates). */
  requestHash?: string;
  /** Where it was stored (Secrets issuers asked to keep). */
  near?: SourceRef;
}

/** Work of an earlier attempt of this reconcile, by `namespace/secretName`. */
export type Carried = ReadonlyMap<string, Written>;

export function carriedKey(content: Pick<SecretContent, "namespace" | "name">): string {
  return `${content.namespace}/${content.name}`;
}

/**
 * The certificate an earlier attempt obtained for the same request, with
 * the revision counted from the new head: a rejected push must not cost a
 * second order from the CA (and its duplicate-certificate limit).
 */
export function reuseCarried(item: PlanItem, carried: Carried | undefined): SecretContent | undefined {
  if (!ISSUING_ACTIONS.has(item.action)) return undefined;
  const found = carried?.get(carriedKey({ namespace: item.certificate!.namespace, name: item.certificate!.spec.secretName }));
  if (!found || found.near || found.requestHash !== item.requestHash) return undefined;
  const annotations = { ...found.content.annotations, [ANNOTATION.revision]: String((item.state?.revision ?? 0) + 1) };
  return { ...found.content, annotations };
}
