// cert-manager's defaults and limits for a Certificate
// (pkg/apis/certmanager/v1/const.go, the webhook's validation). The schema
// applies them; nothing else decides a default.
import type { KeyAlgorithm, PrivateKeySpec } from "../types.ts";

export const CERTIFICATE_API_VERSION = "cert-manager.io/v1";

/** Seconds. */
export const DEFAULT_DURATION = 90 * 24 * 3600;
export const MINIMUM_DURATION = 3600;
export const MINIMUM_RENEW_BEFORE = 5 * 60;

export const DEFAULT_REVISION_HISTORY_LIMIT = 1;

export const DEFAULT_PRIVATE_KEY: Omit<PrivateKeySpec, "size"> = { algorithm: "RSA", encoding: "PKCS1", rotationPolicy: "Always" };

/** The key size used when none is given (Ed25519 has none). */
export const DEFAULT_KEY_SIZE: Record<KeyAlgorithm, number> = { RSA: 2048, ECDSA: 256, Ed25519: 0 };

export const SIGNATURE_ALGORITHMS: Record<KeyAlgorithm, readonly string[]> = {
  RSA: ["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"],
  ECDSA: ["ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"],
  Ed25519: ["PureEd25519"],
};

/** The size limit apimachinery's ValidateAnnotations enforces. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
