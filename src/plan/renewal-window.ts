// cert-manager v1.21's renewal windows (pkg/util/pki/renewaltime.go
// applyRenewBeforeWithWindows): a window opens when its cron fires and stays
// open for windowDuration, in its time zone (UTC by default). A desired
// renewal time inside an open window stands; otherwise renewal waits for the
// earliest window opening after it (looking from notBefore − duration to
// notAfter + duration). Renewal is never moved earlier. When no window fits,
// the certificate renews at the desired time anyway, and the reason is said.
// An expired certificate is not this rule's business: it is issued at once.
import { parseCron } from "../manifests/cron.ts";
import type { RenewalWindow } from "../manifests/types.ts";
import { nextFiring } from "./cron-schedule.ts";

export type { RenewalWindow };

export interface WindowedRenewal {
  at: Date;
  /** Set when no window fits: why the desired time stands. */
  unfitted?: string;
}

export function renewalInWindows(desired: Date, notBefore: Date, notAfter: Date, windows: readonly RenewalWindow[]): WindowedRenewal {
  if (windows.length === 0) return { at: desired };
  const want = desired.getTime();
  let inside = false;
  let earliestAfter: number | undefined;
  for (const window of windows) {
    const parsed = parseCron(window.cron);
    if (!parsed.ok || !(window.windowDuration > 0)) continue; // rejected when the manifest was read
    const zone = window.timezone || "UTC";
    const open = window.windowDuration * 1000;
    const searchMin = notBefore.getTime() - open;
    const searchMax = notAfter.getTime() + open;
    // Inside a window: one opened no earlier than `open` before the desired time (closing edge included, as cert-manager).
    if (want >= searchMin) {
      const opened = nextFiring(parsed.cron, zone, new Date(Math.max(searchMin, want - open)), new Date(Math.min(want, searchMax)));
      if (opened) inside = true;
    }
    const next = nextFiring(parsed.cron, zone, new Date(Math.max(want, searchMin)), new Date(searchMax));
    if (next && (earliestAfter === undefined || next.getTime() < earliestAfter)) earliestAfter = next.getTime();
  }
  if (inside) return { at: desired };
  if (earliestAfter !== undefined) return { at: new Date(earliestAfter) };
  return {
    at: desired,
    unfitted: `no renewal window opens between ${notBefore.toISOString()} and ${notAfter.toISOString()} for the renewal time ${desired.toISOString()}; renewing at that time`,
  };
}
