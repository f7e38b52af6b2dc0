// What the Certificate's Secret carries besides the certificate: the
// secretTemplate's labels and annotations, additional output formats, and
// keystores (validated as cert-manager does; not written yet).
import { z } from "zod";
import { isRecord, mapping, stringMap } from "../../schema/index.ts";
import type { CertificateSpec, OutputFormat } from "../types.ts";
import { qualifiedNameProblem } from "../validate-names.ts";
import { MAX_ANNOTATIONS_BYTES } from "./defaults.ts";
import { labelMap, utf8Length } from "./fields.ts";

const annotations = stringMap((key, _value, report) => {
  // cert-manager owns these on the Secret; a template must not forge them.
  if (key.startsWith("cert-manager.io/") && key !== "cert-manager.io/allow-direct-injection") {
    report("cert-manager.io/* annotations are not allowed in a secretTemplate");
    return;
  }
  const problem = qualifiedNameProblem(key);
  if (problem) report(`${JSON.stringify(key)} is not a valid annotation key: ${problem}`);
}).superRefine((map, ctx) => {
  let bytes = 0;
  for (const [key, value] of Object.entries(map)) if (typeof value === "string") bytes += utf8Length(key) + utf8Length(value);
  if (bytes > MAX_ANNOTATIONS_BYTES) ctx.addIssue({ code: "custom", message: `are too long: ${bytes} bytes, at most ${MAX_ANNOTATIONS_BYTES}` });
});

const secretTemplate = mapping({ labels: labelMap().optional(), annotations: annotations.optional() }).transform(
  (t): CertificateSpec["secretTemplate"] => ({ annotations: t.annotations ?? {}, labels: t.labels ?? {} }),
);

const additionalOutputFormats = z
  .array(mapping({ type: z.enum(["DER", "CombinedPEM"]) }))
  .superRefine((formats, ctx) => {
    formats.forEach((f, i) => {
      if (formats.findIndex((other) => other.type === f.type) < i) {
        ctx.addIssue({ code: "custom", path: [i, "type"], message: `${JSON.stringify(f.type)} is listed more than once` });
      }
    });
  })
  .transform((formats): OutputFormat[] => formats.map((f) => f.type));

function keystore(label: string) {
  return mapping({
    create: z.boolean().optional(),
    password: z.string().optional(),
    passwordSecretRef: z.record(z.string(), z.unknown()).optional(),
  }).superRefine((store, ctx) => {
    const refName = isRecord(store.passwordSecretRef) && typeof store.passwordSecretRef.name === "string" ? store.passwordSecretRef.name : "";
    if (store.password !== undefined && refName !== "") {
      ctx.addIssue({ code: "custom", message: `set exactly one of passwordSecretRef and password for ${label} keystores, not both` });
    }
    if (store.password === undefined && refName === "") ctx.addIssue({ code: "custom", message: `set exactly one of passwordSecretRef and password for ${label} keystores` });
    if (store.password === "") ctx.addIssue({ code: "custom", path: ["password"], message: `a literal password must not be empty for ${label} keystores` });
  });
}

/** The keystores that would be written, for the warning that they are not yet. */
export const KEYSTORES = [
  ["jks", "JKS"],
  ["pkcs12", "PKCS#12"],
] as const;

export const secretShapeFields = {
  secretTemplate: secretTemplate.prefault({}),
  additionalOutputFormats: additionalOutputFormats.default([]),
  keystores: mapping({ jks: keystore("JKS").optional(), pkcs12: keystore("PKCS#12").optional() }).optional(),
};
