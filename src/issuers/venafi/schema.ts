// cert-manager's `spec.venafi`: a zone and exactly one of `tpp` (CyberArk
// Certificate Manager, Self-Hosted) and `cloud` (SaaS), checked as
// cert-manager's webhook checks them (validation/issuer.go
// ValidateVenafiIssuerConfig).
import { z } from "zod";
import { httpUrl, isRecord, mapping, optionalText, pemBundle, requiredText, secretKeySelector, secretName, type SecretKeySelector } from "../../schema/index.ts";

export interface VenafiTppSpec {
  url: string;
  /** Holds `access-token`, or `username` and `password`. */
  credentialsRef: { name: string };
  caBundlePem?: string;
  caBundleSecretRef?: SecretKeySelector;
}

export interface VenafiCloudSpec {
  /** Default https://api.venafi.cloud/. */
  url?: string;
  apiTokenSecretRef: SecretKeySelector;
}

export type VenafiIssuerSpec = { zone: string } & ({ platform: "tpp"; tpp: VenafiTppSpec } | { platform: "cloud"; cloud: VenafiCloudSpec });

const tpp = mapping({
  url: httpUrl(),
  credentialsRef: mapping({ name: secretName() }),
  caBundle: pemBundle(),
  caBundleSecretRef: secretKeySelector("ca.crt").optional(),
})
  .superRefine((t, ctx) => {
    if (isRecord(t) && t.caBundle !== undefined && t.caBundleSecretRef !== undefined) {
      ctx.addIssue({ code: "custom", message: "may not specify more than one of caBundle/caBundleSecretRef as TPP CA Bundle" });
    }
  })
  .transform(({ caBundle, ...t }): VenafiTppSpec => ({ ...t, ...(caBundle ? { caBundlePem: caBundle } : {}) }));

const cloud = mapping({
  url: optionalText().pipe(httpUrl().optional()),
  apiTokenSecretRef: secretKeySelector("api-key"),
});

export const venafiSchema: z.ZodType<VenafiIssuerSpec, unknown> = mapping({
  zone: requiredText(),
  tpp: tpp.optional(),
  cloud: cloud.optional(),
})
  .superRefine((v, ctx) => {
    if (!isRecord(v)) return;
    if ((v.tpp === undefined) === (v.cloud === undefined)) ctx.addIssue({ code: "custom", message: "please supply one of: tpp, cloud" });
  })
  .transform((v): VenafiIssuerSpec => (v.tpp ? { zone: v.zone, platform: "tpp", tpp: v.tpp } : { zone: v.zone, platform: "cloud", cloud: v.cloud! }));
