// Syntax of `spec.renewal.windows[].cron`, as cert-manager parses it
// (robfig/cron with Minute | Hour | Dom | Month | Dow | Descriptor): five
// fields or a descriptor. Only the syntax is checked here; when a window
// opens is the planner's business.
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

const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

export function cronProblem(spec: string): string | undefined {
  const text = spec.trim();
  if (text === "") return "must not be empty";
  if (text.startsWith("@")) {
    if (DESCRIPTORS.has(text)) return undefined;
    if (text.startsWith("@every ")) {
      const d = parseDuration(text.slice("@every ".length).trim());
      return d.ok ? undefined : `@every: ${d.error}`;
    }
    return `unrecognised descriptor ${JSON.stringify(text)}`;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== FIELDS.length) return `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i]!;
    const problem = fieldProblem(part, field);
    if (problem) return `${field.name} ${JSON.stringify(part)}: ${problem}`;
  }
  return undefined;
}

function fieldProblem(part: string, field: Field): string | undefined {
  for (const item of part.split(",")) {
    const [range = "", step, extra] = item.split("/");
    if (extra !== undefined) return "too many '/'";
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return `invalid step ${JSON.stringify(step)}`;
    if (range === "*" || range === "?") continue;
    const [lo = "", hi, more] = range.split("-");
    if (more !== undefined) return "too many '-'";
    const start = value(lo, field);
    if (start === undefined) return `invalid value ${JSON.stringify(lo)}`;
    if (hi !== undefined) {
      const end = value(hi, field);
      if (end === undefined) return `invalid value ${JSON.stringify(hi)}`;
      if (end < start) return `range ${start}-${end} is backwards`;
    }
  }
  return undefined;
}

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named !== -1) return named + field.min;
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}
