// The periodic reconcile: node-cron fires, the loop decides (a tick during
// a run queues one more, never a second concurrent run). The expression is
// checked before anything starts, so a typo stops `gitcert serve` with the
// field at fault instead of a sidecar that never renews.
import { createTask, validateDetailed, type ScheduledTask } from "node-cron";

export const DEFAULT_SCHEDULE = "*/10 * * * *";

export function scheduleProblem(expression: string, timezone?: string): string | undefined {
  const check = validateDetailed(expression);
  if (!check.valid) {
    const why = check.errors.map((e) => (e.field === "expression" ? e.message : `${e.field} ${JSON.stringify(e.value)}: ${e.message.replace(/^.* is a invalid expression for .*$/, "not a valid value")}`));
    return `serve.schedule ${JSON.stringify(expression)} is not a cron schedule: ${why.join("; ")} (five fields: minute hour day-of-month month day-of-week, e.g. "${DEFAULT_SCHEDULE}" for every 10 minutes)`;
  }
  if (timezone) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch {
      return `serve.timezone ${JSON.stringify(timezone)} is not an IANA time zone`;
    }
  }
  return undefined;
}

export interface Schedule {
  next(): Date | null;
  stop(): Promise<void>;
}

export interface ScheduleLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export function startSchedule(expression: string, onTick: () => void, options: { timezone?: string; log?: ScheduleLog } = {}): Schedule {
  const problem = scheduleProblem(expression, options.timezone);
  if (problem) throw new Error(problem);
  const log = options.log;
  const task: ScheduledTask = createTask(expression, () => onTick(), {
    name: "gitcert-reconcile",
    timezone: options.timezone || undefined,
    // node-cron's own lines go through gitcert's logger (JSON in a pod).
    logger: {
      info: (message) => log?.debug({ schedule: expression }, message),
      debug: (message) => log?.debug({ schedule: expression }, String(message)),
      warn: (message) => log?.warn({ schedule: expression }, message),
      error: (message) => log?.warn({ schedule: expression }, String(message)),
    },
  });
  void task.start();
  return {
    next: () => task.getNextRun(),
    stop: async () => {
      await task.destroy();
    },
  };
}
