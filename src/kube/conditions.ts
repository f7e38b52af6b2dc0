// Status conditions as cert-manager keeps them (apiutil.SetCertificateCondition):
// lastTransitionTime moves only when the status flips; reason, message and
// observedGeneration always follow the newest observation.

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export type WantedCondition = Pick<Condition, "type" | "status" | "reason" | "message">;

/**
 * The conditions after an observation: `wanted` set (in the order given),
 * `removed` types dropped, any other condition already present kept.
 */
export function nextConditions(
  current: readonly Condition[] | undefined,
  wanted: readonly WantedCondition[],
  removed: readonly string[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  const before = new Map((current ?? []).map((c) => [c.type, c]));
  const set = new Set([...wanted.map((w) => w.type), ...removed]);
  const next: Condition[] = (current ?? []).filter((c) => !set.has(c.type));
  for (const w of wanted) {
    const old = before.get(w.type);
    next.push({
      type: w.type,
      status: w.status,
      lastTransitionTime: old && old.status === w.status && old.lastTransitionTime ? old.lastTransitionTime : kubeTime(now),
      reason: w.reason,
      message: w.message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
  }
  return next;
}

/** metav1.Time's JSON form: RFC 3339 in UTC, whole seconds. */
export function kubeTime(date: Date | number): string {
  return (typeof date === "number" ? new Date(date) : date).toISOString().replace(/\.\d{3}Z$/, "Z");
}
