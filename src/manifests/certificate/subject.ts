// The subject: commonName, the structured `subject`, or a `literalSubject`
// in RFC 4514 form instead of both. cert-manager's rules: the common name
// fits in 64 bytes, wherever it comes from.
import { z } from "zod";
import { isRecord, mapping, optionalText } from "../../schema/index.ts";
import { COMMON_NAME_OID, parseLiteralSubject } from "../literal-subject.ts";
import type { X509Subject } from "../types.ts";
import { utf8Length } from "./fields.ts";

const SUBJECT_LISTS = [
  "organizations",
  "countries",
  "organizationalUnits",
  "localities",
  "provinces",
  "streetAddresses",
  "postalCodes",
] as const;

export const SUBJECT_FIELDS: readonly string[] = [...SUBJECT_LISTS, "serialNumber"];

const literalSubject = optionalText().check(
  z.superRefine((text: string | undefined, ctx) => {
    if (text === undefined) return;
    const parsed = parseLiteralSubject(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not a valid RFC 4514 subject: ${parsed.error}` });
      return;
    }
    for (const attribute of parsed.rdns.flat()) {
      if (attribute.oid !== undefined) continue;
      ctx.addIssue({
        code: "custom",
        message: `unrecognised attribute type ${JSON.stringify(attribute.type)} (use C, O, OU, CN, SERIALNUMBER, L, ST, STREET, DC, UID or a dotted OID; names are case-sensitive)`,
      });
    }
  }),
);

const lists = Object.fromEntries(SUBJECT_LISTS.map((key) => [key, z.array(z.string()).optional()])) as Record<
  (typeof SUBJECT_LISTS)[number],
  z.ZodOptional<z.ZodArray<z.ZodString>>
>;

/** Empty lists are left out; a subject with nothing in it is no subject. */
const subject = mapping({ ...lists, serialNumber: optionalText() }).transform((raw): X509Subject | undefined => {
  const out: X509Subject = {};
  for (const key of SUBJECT_LISTS) {
    const values = raw[key];
    if (values && values.length > 0) out[key] = values;
  }
  if (raw.serialNumber) out.serialNumber = raw.serialNumber;
  return Object.keys(out).length > 0 ? out : undefined;
});

export const subjectFields = {
  commonName: optionalText(),
  literalSubject,
  subject: subject.optional(),
};

/** The common name the certificate will carry: from commonName, or the CN of a literalSubject. */
export function effectiveCommonName(spec: { commonName?: unknown; literalSubject?: unknown }): string | undefined {
  if (typeof spec.literalSubject === "string") {
    const parsed = parseLiteralSubject(spec.literalSubject);
    if (!parsed.ok) return undefined;
    return parsed.rdns.flat().findLast((a) => a.oid === COMMON_NAME_OID)?.value;
  }
  return typeof spec.commonName === "string" ? spec.commonName : undefined;
}

/** Rules across the subject fields; `spec` may be partly unread when other fields have problems. */
export function checkSubject(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (typeof spec.literalSubject === "string") {
    if (spec.commonName !== undefined) ctx.addIssue({ code: "custom", path: ["commonName"], message: "must not be set together with spec.literalSubject" });
    if (isRecord(spec.subject)) ctx.addIssue({ code: "custom", path: ["subject"], message: "must not be set together with spec.literalSubject" });
  }
  const cn = effectiveCommonName(spec);
  if (cn !== undefined && utf8Length(cn) > 64) {
    const where = typeof spec.literalSubject === "string" ? "literalSubject" : "commonName";
    ctx.addIssue({ code: "custom", path: [where], message: `common name must be no more than 64 bytes (it has ${utf8Length(cn)})` });
  }
}
