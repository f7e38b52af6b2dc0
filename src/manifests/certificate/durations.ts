// How long a certificate lives and when it is renewed: duration (default 90
// days, at least 1h), renewBefore (at least 5m, less than the duration) or
// renewBeforePercentage, and the renewal policy.
import { z } from "zod";
import { integer, mapping, optionalText } from "../../schema/index.ts";
import { cronProblem } from "../cron.ts";
import { formatDuration } from "../duration.ts";
import type { CertificateSpec, RenewalWindow } from "../types.ts";
import { DEFAULT_DURATION, MINIMUM_DURATION, MINIMUM_RENEW_BEFORE } from "./defaults.ts";
import { goDuration } from "./fields.ts";

function atLeast(minimum: number, what: string) {
  return z.superRefine((seconds: number, ctx) => {
    if (seconds < minimum) ctx.addIssue({ code: "custom", message: `${formatDuration(seconds)} is too short: ${what} must be at least ${formatDuration(minimum)}` });
  });
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const renewalWindow = mapping({
  windowDuration: goDuration().check(
    z.superRefine((seconds: number, ctx) => {
      if (seconds <= 0) ctx.addIssue({ code: "custom", message: "must be a positive duration" });
    }),
  ),
  timezone: optionalText().check(
    z.superRefine((zone: string | undefined, ctx) => {
      if (zone !== undefined && !isTimeZone(zone)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(zone)} is not an IANA time zone` });
    }),
  ),
  cron: z
    .string()
    .default("")
    .check(
      z.superRefine((cron: string, ctx) => {
        const problem = cronProblem(cron);
        if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(cron)} is not valid cron syntax: ${problem}` });
      }),
    ),
});

const renewal = mapping({
  policy: optionalText().pipe(z.enum(["RenewBefore", "Disabled"]).default("RenewBefore")),
  windows: z.array(renewalWindow).default([]),
})
  .superRefine((r, ctx) => {
    if (r.policy === "Disabled" && r.windows.length > 0) {
      ctx.addIssue({ code: "custom", path: ["windows"], message: "must not be set when spec.renewal.policy is Disabled" });
    }
  })
  .transform((r): Renewal => ({
    policy: r.policy,
    windows: r.windows.map((w) => ({ cron: w.cron, ...(w.timezone ? { timezone: w.timezone } : {}), windowDuration: w.windowDuration })),
  }));

export interface Renewal {
  policy: CertificateSpec["renewalPolicy"];
  windows: RenewalWindow[];
}

export const durationFields = {
  duration: goDuration().check(atLeast(MINIMUM_DURATION, "a certificate duration")).default(DEFAULT_DURATION),
  renewBefore: goDuration().check(atLeast(MINIMUM_RENEW_BEFORE, "renewBefore")).optional(),
  renewBeforePercentage: integer()
    .check(z.refine((p: number) => p > 0 && p < 100, { error: (issue) => `must be between 1 and 99 (got ${String(issue.input)})` }))
    .optional(),
  renewal: renewal.default({ policy: "RenewBefore", windows: [] }),
};

/** Rules across the duration fields; a duration that did not read is left out of them (it is reported once). */
export function checkDurations(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const { duration, renewBefore, renewBeforePercentage } = spec;
  if (spec.renewBefore !== undefined && spec.renewBeforePercentage !== undefined) {
    ctx.addIssue({ code: "custom", path: ["renewBefore"], message: "must not be set together with spec.renewBeforePercentage" });
  }
  if (typeof duration !== "number") return;
  if (typeof renewBefore === "number" && renewBefore >= duration) {
    ctx.addIssue({ code: "custom", path: ["renewBefore"], message: `${formatDuration(renewBefore)} must be less than the duration ${formatDuration(duration)}` });
  }
  if (typeof renewBeforePercentage === "number" && renewBeforePercentage > 0 && renewBeforePercentage < 100) {
    // The renewBefore cert-manager actually uses (pkg/util/pki/renewaltime.go).
    const effective = (duration * renewBeforePercentage) / 100;
    if (effective < MINIMUM_RENEW_BEFORE) {
      ctx.addIssue({
        code: "custom",
        path: ["renewBeforePercentage"],
        message: `${renewBeforePercentage}% of ${formatDuration(duration)} is ${formatDuration(effective)}, less than the minimum renewBefore of ${formatDuration(MINIMUM_RENEW_BEFORE)}`,
      });
    }
  }
}
