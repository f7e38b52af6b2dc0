// Who can open a Secret file now, against who the repository says should:
// compared as sets, as `sops updatekeys` diffs key groups (order and
// repeats are not a change).

export interface RecipientChange {
  add: string[];
  remove: string[];
  /** `adds age1…; removes age1…`, for plan and commit messages. */
  summary: string;
}

export function recipientChange(current: readonly string[], wanted: readonly string[]): RecipientChange | undefined {
  const have = new Set(current);
  const want = new Set(wanted);
  const add = [...want].filter((r) => !have.has(r));
  const remove = [...have].filter((r) => !want.has(r));
  if (add.length === 0 && remove.length === 0) return undefined;
  const summary = [add.length ? `adds ${add.join(", ")}` : "", remove.length ? `removes ${remove.join(", ")}` : ""].filter(Boolean).join("; ");
  return { add, remove, summary };
}
