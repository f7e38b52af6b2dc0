// cert-manager's `spec.vault`: the server and signing path, TLS trust and
// mTLS, a Vault namespace, and one auth method. Checked as cert-manager's
// webhook checks it (validation/issuer.go ValidateVaultIssuerConfig), and
// the auth method picked as its controller picks it: several may be set,
// the first in cert-manager's order wins.
import { z } from "zod";
import {
  httpUrl,
  isRecord,
  mapping,
  optionalSecretName,
  optionalText,
  pemBundle,
  requiredText,
  secretKeySelector,
  secretName,
  stringList,
  type SecretKeySelector,
} from "../../schema/index.ts";

export type VaultAuthSpec =
  | { method: "token"; secretRef: SecretKeySelector }
  | { method: "appRole"; path: string; roleId: string; secretRef: SecretKeySelector }
  /** No secretName: the mTLS certificate of clientCertSecretRef logs in. */
  | { method: "clientCertificate"; mountPath?: string; name?: string; secretName?: string }
  | { method: "kubernetes"; role: string; mountPath?: string; secretRef?: SecretKeySelector; serviceAccountRef?: { name: string; audiences: string[] } };

export interface VaultIssuerSpec {
  server: string;
  /** As written: `pki_int/sign/web`. */
  path: string;
  namespace?: string;
  /** The decoded caBundle. */
  caBundlePem?: string;
  caBundleSecretRef?: SecretKeySelector;
  clientCertSecretRef?: SecretKeySelector;
  clientKeySecretRef?: SecretKeySelector;
  serverName?: string;
  /** The auth method that is used: the first one configured. */
  auth: VaultAuthSpec;
}

/** A path in Vault's API: `..` would leave the mount it names (`pki/../../sys/seal`). */
const apiPath = <T extends z.ZodType<string | undefined, unknown>>(text: T): T =>
  text.refine((p) => p === undefined || !p.split("/").includes(".."), { message: 'must not contain ".."' });

/** cert-manager's order of precedence (internal/vault/vault.go setToken). */
const AUTH_ORDER = ["tokenSecretRef", "appRole", "clientCertificate", "kubernetes", "aws", "gcp", "azure"] as const;
const SUPPORTED_AUTH = new Set(["tokenSecretRef", "appRole", "clientCertificate", "kubernetes"]);

const appRole = mapping({
  path: apiPath(z.string().default("approle").transform((p) => p || "approle")),
  roleId: requiredText().transform((id) => id.trim()),
  // No default key: cert-manager reads exactly the key given.
  secretRef: secretKeySelector(),
});

const clientCertificate = mapping({
  mountPath: apiPath(optionalText()),
  name: optionalText(),
  secretName: optionalSecretName(),
});

const kubernetes = mapping({
  role: requiredText(),
  mountPath: apiPath(optionalText()),
  secretRef: secretKeySelector("token").optional(),
  serviceAccountRef: mapping({ name: secretName(), audiences: stringList() }).optional(),
}).superRefine((k, ctx) => {
  if ((k.secretRef === undefined) === (k.serviceAccountRef === undefined)) {
    ctx.addIssue({ code: "custom", message: "please supply one of: secretRef, serviceAccountRef" });
  }
});

const auth = mapping({
  tokenSecretRef: secretKeySelector("token").optional(),
  appRole: appRole.optional(),
  clientCertificate: clientCertificate.optional(),
  kubernetes: kubernetes.optional(),
  aws: z.unknown().optional(),
  gcp: z.unknown().optional(),
  azure: z.unknown().optional(),
})
  .superRefine((a, ctx) => {
    const first = AUTH_ORDER.find((method) => a[method] !== undefined);
    if (first === undefined) ctx.addIssue({ code: "custom", message: "please supply one of: appRole, kubernetes, tokenSecretRef, clientCertificate" });
    else if (!SUPPORTED_AUTH.has(first)) {
      ctx.addIssue({ code: "custom", path: [first], message: `is a cert-manager auth method gitcert does not support (gitcert supports: ${[...SUPPORTED_AUTH].join(", ")})` });
    }
  })
  .transform((a): VaultAuthSpec => {
    if (a.tokenSecretRef) return { method: "token", secretRef: a.tokenSecretRef };
    if (a.appRole) return { method: "appRole", ...a.appRole };
    if (a.clientCertificate) return { method: "clientCertificate", ...a.clientCertificate };
    return { method: "kubernetes", ...a.kubernetes! };
  });

export const vaultSchema: z.ZodType<VaultIssuerSpec, unknown> = mapping({
  server: httpUrl(),
  path: apiPath(requiredText()),
  namespace: optionalText(),
  caBundle: pemBundle(),
  caBundleSecretRef: secretKeySelector("ca.crt").optional(),
  clientCertSecretRef: secretKeySelector("tls.crt").optional(),
  clientKeySecretRef: secretKeySelector("tls.key").optional(),
  serverName: optionalText(),
  auth,
})
  .superRefine((spec, ctx) => {
    if (!isRecord(spec)) return;
    if (spec.caBundle !== undefined && spec.caBundleSecretRef !== undefined) {
      ctx.addIssue({ code: "custom", path: ["caBundleSecretRef"], message: "specified caBundleSecretRef and caBundle cannot be used together" });
    }
    if (spec.clientCertSecretRef !== undefined && spec.clientKeySecretRef === undefined) {
      ctx.addIssue({ code: "custom", path: ["clientKeySecretRef"], message: "clientKeySecretRef must be provided when defining the clientCertSecretRef" });
    } else if (spec.clientCertSecretRef === undefined && spec.clientKeySecretRef !== undefined) {
      ctx.addIssue({ code: "custom", path: ["clientCertSecretRef"], message: "clientCertSecretRef must be provided when defining the clientKeySecretRef" });
    }
  })
  .transform(({ caBundle, ...spec }): VaultIssuerSpec => ({ ...spec, ...(caBundle ? { caBundlePem: caBundle } : {}) }));
