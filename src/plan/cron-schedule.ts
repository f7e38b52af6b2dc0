// When a cron schedule next fires, in a time zone, as robfig/cron (which
// cert-manager uses for renewal windows) computes it: fields are matched on
// the zone's wall clock; the two day fields combine with OR when both are
// restricted and AND when either is `*`; a wall time skipped by a DST change
// does not fire, a repeated one may fire twice. Pure apart from the zone
// database Intl carries.
import type { CronField, CronSpec } from "../manifests/cron.ts";

const MINUTE = 60_000;

/** robfig gives up looking after five years (a schedule like Feb 30 never fires). */
const GIVE_UP_MS = 5 * 366 * 24 * 3600_000;

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/**
 * The first time at or after `from` the schedule fires, or undefined when it
 * does not fire before `until` (or within five years).
 */
export function nextFiring(cron: CronSpec, timeZone: string, from: Date, until?: Date): Date | undefined {
  const limit = Math.min(until?.getTime() ?? Infinity, from.getTime() + GIVE_UP_MS);
  if (cron.kind === "every") {
    // robfig's ConstantDelaySchedule: Next(t) = t + delay (whole seconds); the
    // window search asks for Next(from - 1 s).
    const at = Math.ceil(from.getTime() / 1000) * 1000 - 1000 + cron.seconds * 1000;
    return at <= limit ? new Date(at) : undefined;
  }
  const clock = wallClock(timeZone);
  let t = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  while (t <= limit) {
    const w = clock(t);
    if (!cron.month.values.has(w.month)) {
      t = advance(t, clock, w.year, w.month + 1, 1);
      continue;
    }
    if (!dayMatches(cron, w)) {
      t = advance(t, clock, w.year, w.month, w.day + 1);
      continue;
    }
    if (!cron.hour.values.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!cron.minute.values.has(w.minute)) {
      const later = [...cron.minute.values].find((m) => m > w.minute);
      t += ((later ?? 60) - w.minute) * MINUTE;
      continue;
    }
    return new Date(t);
  }
  return undefined;
}

function dayMatches(cron: Extract<CronSpec, { kind: "fields" }>, w: Wall): boolean {
  const dom = cron.dayOfMonth.values.has(w.day);
  const dow = cron.dayOfWeek.values.has(new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay());
  return either(cron.dayOfMonth, cron.dayOfWeek) ? dom && dow : dom || dow;
}

function either(a: CronField, b: CronField): boolean {
  return a.star || b.star;
}

/**
 * The instant of local midnight starting the given (normalised) date, but
 * always later than `t`, so a zone whose midnight falls in a DST gap cannot
 * send the search backwards.
 */
function advance(t: number, clock: (t: number) => Wall, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  const offset = (at: number) => {
    const w = clock(at);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(at / MINUTE) * MINUTE;
  };
  const first = wall - offset(wall);
  const at = wall - offset(first);
  return Math.max(at, t + MINUTE);
}

const clocks = new Map<string, (t: number) => Wall>();

/** The wall clock of a zone; one formatter per zone (the IANA list is finite). */
function wallClock(timeZone: string): (t: number) => Wall {
  let clock = clocks.get(timeZone);
  if (clock) return clock;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
  clock = (t: number): Wall => {
    const w: Record<string, number> = {};
    for (const part of format.formatToParts(t)) if (part.type !== "literal") w[part.type] = Number(part.value);
    return { year: w.year!, month: w.month!, day: w.day!, hour: w.hour!, minute: w.minute! };
  };
  clocks.set(timeZone, clock);
  return clock;
}
