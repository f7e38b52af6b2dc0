// The private key: algorithm (RSA by default), size with cert-manager's
// per-algorithm defaults and limits, encoding (PKCS#1 by default; Ed25519
// is always PKCS#8) and rotation policy; and the signature algorithms a key
// allows.
import { z } from "zod";
import { integer, isRecord, mapping, optionalText } from "../../schema/index.ts";
import type { PrivateKeySpec } from "../types.ts";
import { DEFAULT_KEY_SIZE, DEFAULT_PRIVATE_KEY, SIGNATURE_ALGORITHMS } from "./defaults.ts";

const privateKey = mapping({
  algorithm: optionalText().pipe(z.enum(["RSA", "ECDSA", "Ed25519"]).default(DEFAULT_PRIVATE_KEY.algorithm)),
  size: integer().default(0),
  encoding: optionalText().pipe(z.enum(["PKCS1", "PKCS8"]).default(DEFAULT_PRIVATE_KEY.encoding)),
  rotationPolicy: optionalText().pipe(z.enum(["Always", "Never"]).default(DEFAULT_PRIVATE_KEY.rotationPolicy)),
})
  .superRefine((key, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: "custom", path: ["size"], message });
    if (key.size === 0) return;
    if (key.algorithm === "RSA" && (key.size < 2048 || key.size > 8192)) problem(`must be between 2048 and 8192 for RSA keys (got ${key.size})`);
    if (key.algorithm === "ECDSA" && ![256, 384, 521].includes(key.size)) problem(`must be 256, 384 or 521 for ECDSA keys (got ${key.size})`);
  })
  .transform(
    (key): PrivateKeySpec => ({
      algorithm: key.algorithm,
      // Ignored for Ed25519, as in cert-manager.
      size: key.algorithm === "Ed25519" ? 0 : key.size || DEFAULT_KEY_SIZE[key.algorithm],
      // Ed25519 has no PKCS#1 form; cert-manager writes PKCS#8 whatever is asked.
      encoding: key.algorithm === "Ed25519" ? "PKCS8" : key.encoding,
      rotationPolicy: key.rotationPolicy,
    }),
  );

export const privateKeyFields = {
  privateKey: privateKey.prefault({}),
  signatureAlgorithm: optionalText(),
  encodeUsagesInRequest: z.boolean().optional(),
};

export function checkSignatureAlgorithm(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const { signatureAlgorithm, privateKey: key } = spec;
  if (typeof signatureAlgorithm !== "string" || !isRecord(key) || typeof key.algorithm !== "string") return;
  const allowed = SIGNATURE_ALGORITHMS[key.algorithm as PrivateKeySpec["algorithm"]] ?? [];
  if (!allowed.includes(signatureAlgorithm)) {
    ctx.addIssue({
      code: "custom",
      path: ["signatureAlgorithm"],
      message: `${JSON.stringify(signatureAlgorithm)} is not allowed for key algorithm ${key.algorithm} (use one of ${allowed.join(", ")})`,
    });
  }
}
