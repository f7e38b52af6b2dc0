// How each annotation's text is read, after cert-manager's
// translateAnnotations: lists, integers, CSV and JSON are parsed here, and
// each value lands at its place in a raw Certificate spec. What the values
// must be (valid IPs, durations of at least 1h, known usages…) is left to
// the Certificate schema, which names the annotation a bad value came from
// (fieldOrigins). Each annotation is read on its own, so one bad annotation
// does not hide the others.
import { z } from "zod";
import { isRecord, read } from "../../schema/index.ts";
import { ANNOTATION } from "./annotations.ts";
import { parseCsvRecord } from "./csv.ts";

// An unquoted YAML value arrives as a number or a boolean: say how to fix it.
const text = z.string({ error: (issue) => `must be a string, not ${JSON.stringify(issue.input)} (quote it in YAML)` });

/**
 * Comma-separated list, trimmed, empties dropped: `a.example.com, b.example.com,`.
 * cert-manager does not trim alt-names; a space there only ever makes an
 * invalid DNS name, so trimming loses nothing.
 */
const list = text.transform((value) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
);

const csv = text.transform((value, ctx) => {
  const parsed = parseCsvRecord(value);
  if (parsed.ok) return parsed.values;
  ctx.issues.push({ code: "custom", message: parsed.error, input: value });
  return z.NEVER;
});

/** Go's strconv.ParseInt(s, 10, 32). */
const goInt32 = text.transform((value, ctx) => {
  const n = /^[+-]?[0-9]+$/.test(value) ? Number(value) : NaN;
  if (n >= -(2 ** 31) && n < 2 ** 31) return n;
  ctx.issues.push({ code: "custom", message: `${JSON.stringify(value)} is not an integer`, input: value });
  return z.NEVER;
});

// 0 would silently mean "default size" in a Certificate; here it is a typo.
const keySize = goInt32.check(
  z.superRefine((n: number, ctx) => {
    if (n <= 0) ctx.addIssue({ code: "custom", message: `${JSON.stringify(String(n))} is not a valid key size` });
  }),
);

/** Strict like Go's json.Decoder with DisallowUnknownFields. */
const secretTemplate = text.transform((value, ctx) => {
  const fail = (message: string) => {
    ctx.issues.push({ code: "custom", message, input: value });
    return z.NEVER;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    return fail(`is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isRecord(parsed)) return fail('must be a JSON object like {"labels": {…}, "annotations": {…}}');
  const unknown = Object.keys(parsed).find((k) => k !== "labels" && k !== "annotations");
  if (unknown !== undefined) return fail(`unknown field ${JSON.stringify(unknown)} (only labels and annotations)`);
  const template: Record<string, unknown> = {};
  for (const key of ["labels", "annotations"] as const) {
    const map = parsed[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map) || !Object.values(map).every((v) => typeof v === "string")) return fail(`${key} must be an object of strings`);
    if (Object.keys(map).length > 0) template[key] = map;
  }
  return Object.keys(template).length > 0 ? template : undefined;
});

interface AnnotationField {
  schema: z.ZodType<unknown, unknown>;
  /** Where the value goes in the raw Certificate spec; none for names merged with the hosts. */
  field?: string;
}

const FIELDS: Readonly<Record<string, AnnotationField>> = {
  [ANNOTATION.commonName]: { schema: text, field: "commonName" },
  [ANNOTATION.altNames]: { schema: list },
  [ANNOTATION.ipSans]: { schema: list },
  [ANNOTATION.emailSans]: { schema: list, field: "emailAddresses" },
  [ANNOTATION.subjectOrganizations]: { schema: csv, field: "subject.organizations" },
  [ANNOTATION.subjectOrganizationalUnits]: { schema: csv, field: "subject.organizationalUnits" },
  [ANNOTATION.subjectCountries]: { schema: csv, field: "subject.countries" },
  [ANNOTATION.subjectProvinces]: { schema: csv, field: "subject.provinces" },
  [ANNOTATION.subjectLocalities]: { schema: csv, field: "subject.localities" },
  [ANNOTATION.subjectPostalCodes]: { schema: csv, field: "subject.postalCodes" },
  [ANNOTATION.subjectStreetAddresses]: { schema: csv, field: "subject.streetAddresses" },
  [ANNOTATION.subjectSerialNumber]: { schema: text, field: "subject.serialNumber" },
  [ANNOTATION.duration]: { schema: text, field: "duration" },
  [ANNOTATION.renewBefore]: { schema: text, field: "renewBefore" },
  [ANNOTATION.renewBeforePercentage]: { schema: goInt32, field: "renewBeforePercentage" },
  [ANNOTATION.usages]: { schema: text.transform((value) => value.split(",").map((u) => u.trim())), field: "usages" },
  [ANNOTATION.revisionHistoryLimit]: { schema: goInt32, field: "revisionHistoryLimit" },
  [ANNOTATION.privateKeyAlgorithm]: { schema: text, field: "privateKey.algorithm" },
  [ANNOTATION.privateKeyEncoding]: { schema: text, field: "privateKey.encoding" },
  [ANNOTATION.privateKeySize]: { schema: keySize, field: "privateKey.size" },
  [ANNOTATION.privateKeyRotationPolicy]: { schema: text, field: "privateKey.rotationPolicy" },
  [ANNOTATION.secretTemplate]: { schema: secretTemplate, field: "secretTemplate" },
};

/** Spec paths and the annotation each is read from, for messages: `spec.duration` ← `cert-manager.io/duration`. */
export const fieldOrigins: ReadonlyArray<readonly [string, string]> = Object.entries(FIELDS).flatMap(([key, { field }]) =>
  field ? [[`spec.${field}`, key] as const] : [],
);

export interface ReadAnnotations {
  /** Every annotation whose value is text (issuer choice and listener names read these). */
  text: Record<string, string>;
  /** The part of a raw Certificate spec the annotations give. */
  spec: Record<string, unknown>;
  altNames: string[];
  ipSans: string[];
  /** `annotation <key>: <problem>`. */
  problems: string[];
}

export function readAnnotations(annotations: Record<string, unknown>): ReadAnnotations {
  const out: ReadAnnotations = { text: {}, spec: {}, altNames: [], ipSans: [], problems: [] };
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === "string") out.text[key] = value;
    // Only cert-manager's own annotations are gitcert's to judge.
    const ours = key.startsWith("cert-manager.io/") || key === ANNOTATION.tlsAcme;
    if (value === null || value === undefined || !ours) continue;
    const r = read(FIELDS[key]?.schema ?? text, value);
    if (!r.ok) {
      out.problems.push(...r.problems.map((p) => `annotation ${key}: ${p.message}`));
      continue;
    }
    if (key === ANNOTATION.altNames) out.altNames = r.value as string[];
    else if (key === ANNOTATION.ipSans) out.ipSans = r.value as string[];
    const field = FIELDS[key]?.field;
    if (field && r.value !== undefined) place(out.spec, field.split("."), r.value);
  }
  return out;
}

function place(spec: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    spec[head] = value;
    return;
  }
  const inner = isRecord(spec[head]) ? spec[head] : {};
  spec[head] = inner;
  place(inner, rest, value);
}
