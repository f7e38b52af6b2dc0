// Cron syntax as cert-manager parses `spec.renewal.windows[].cron`
// (robfig/cron with Minute | Hour | Dom | Month | Dow | Descriptor): five
// fields, a descriptor, or `@every <duration>`. One reader: the validator
// reports its problem, the renewal-window rule uses what it parsed.
import { parseDuration } from "./duration.ts";

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const DESCRIPTORS: ReadonlyMap<string, string> = new Map([
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@hourly", "0 * * * *"],
]);

/** The values a field allows; `star` as robfig marks `*`/`?` without a step (it decides how the two day fields combine). */
export interface CronField {
  values: ReadonlySet<number>;
  star: boolean;
}

export type CronSpec =
  | { kind: "fields"; minute: CronField; hour: CronField; dayOfMonth: CronField; month: CronField; dayOfWeek: CronField }
  | { kind: "every"; seconds: number };

export function parseCron(spec: string): { ok: true; cron: CronSpec } | { ok: false; error: string } {
  let text = spec.trim();
  if (text === "") return { ok: false, error: "must not be empty" };
  if (text.startsWith("@every ")) {
    const d = parseDuration(text.slice("@every ".length).trim());
    if (!d.ok) return { ok: false, error: `@every: ${d.error}` };
    // robfig rounds the delay down to whole seconds, and to at least one.
    return { ok: true, cron: { kind: "every", seconds: Math.max(1, Math.floor(d.seconds)) } };
  }
  if (text.startsWith("@")) {
    const expanded = DESCRIPTORS.get(text);
    if (!expanded) return { ok: false, error: `unrecognised descriptor ${JSON.stringify(text)}` };
    text = expanded;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== FIELDS.length) return { ok: false, error: `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}` };
  const fields: CronField[] = [];
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i]!;
    const parsed = parseField(part, field);
    if ("error" in parsed) return { ok: false, error: `${field.name} ${JSON.stringify(part)}: ${parsed.error}` };
    fields.push(parsed);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [CronField, CronField, CronField, CronField, CronField];
  return { ok: true, cron: { kind: "fields", minute, hour, dayOfMonth, month, dayOfWeek } };
}

export function cronProblem(spec: string): string | undefined {
  const parsed = parseCron(spec);
  return parsed.ok ? undefined : parsed.error;
}

function parseField(part: string, field: Field): CronField | { error: string } {
  const values = new Set<number>();
  let star = false;
  for (const item of part.split(",")) {
    const [range = "", stepText, extra] = item.split("/");
    if (extra !== undefined) return { error: "too many '/'" };
    if (stepText !== undefined && !/^[1-9][0-9]*$/.test(stepText)) return { error: `invalid step ${JSON.stringify(stepText)}` };
    const step = stepText === undefined ? 1 : Number(stepText);
    let start: number;
    let end: number;
    if (range === "*" || range === "?") {
      [start, end] = [field.min, field.max];
      // robfig: `*/2` is a list of values, not "every day", for the day-field rule.
      if (step === 1) star = true;
    } else {
      const [lo = "", hi, more] = range.split("-");
      if (more !== undefined) return { error: "too many '-'" };
      const from = value(lo, field);
      if (from === undefined) return { error: `invalid value ${JSON.stringify(lo)}` };
      start = from;
      // robfig: `N/step` means `N-max/step`.
      end = hi === undefined ? (stepText === undefined ? from : field.max) : (value(hi, field) ?? -1);
      if (hi !== undefined && end === -1) return { error: `invalid value ${JSON.stringify(hi)}` };
      if (end < start) return { error: `range ${start}-${end} is backwards` };
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values, star };
}

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named !== -1) return named + field.min;
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}
