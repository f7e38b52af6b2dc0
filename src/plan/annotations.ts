// The plaintext state gitcert keeps on each Secret it writes. SOPS leaves
// metadata unencrypted (encrypted_regex ^(data|stringData)$), so plan and
// status read these without any key.

export const ANNOTATION = {
  certificate: "gitcert.dev/certificate",
  source: "gitcert.dev/source",
  notBefore: "gitcert.dev/not-before",
  notAfter: "gitcert.dev/not-after",
  renewalTime: "gitcert.dev/renewal-time",
  requestHash: "gitcert.dev/request-hash",
  secretHash: "gitcert.dev/secret-hash",
  revision: "gitcert.dev/revision",
  issuer: "gitcert.dev/issuer",
  /** On a Secret an issuer asked gitcert to keep (an ACME account key): the manifest it is kept for. */
  storedFor: "gitcert.dev/stored-for",
} as const;

export interface SecretState {
  certificate: string;
  // Milliseconds since the epoch, not Dates: a long-running gitcert keeps a
  // state for each of thousands of Secrets, and a Date costs an object each.
  notBefore?: number;
  notAfter?: number;
  renewalTime?: number;
  requestHash?: string;
  secretHash?: string;
  revision: number;
  issuer?: string;
}

// The scan of a long-running gitcert keeps each Secret's annotations object
// between ticks: its state is read once. (Nothing changes a read state.)
const states = new WeakMap<Record<string, string>, SecretState | null>();

/** gitcert's state from a Secret's annotations; undefined when gitcert did not write it. */
export function readSecretState(annotations: Record<string, string>): SecretState | undefined {
  let state = states.get(annotations);
  if (state === undefined) {
    state = stateOf(annotations) ?? null;
    states.set(annotations, state);
  }
  return state ?? undefined;
}

function stateOf(annotations: Record<string, string>): SecretState | undefined {
  const certificate = annotations[ANNOTATION.certificate];
  if (!certificate) return undefined;
  return {
    certificate,
    notBefore: parseDate(annotations[ANNOTATION.notBefore]),
    notAfter: parseDate(annotations[ANNOTATION.notAfter]),
    renewalTime: parseDate(annotations[ANNOTATION.renewalTime]),
    requestHash: annotations[ANNOTATION.requestHash],
    secretHash: annotations[ANNOTATION.secretHash],
    revision: Number.parseInt(annotations[ANNOTATION.revision] ?? "0", 10) || 0,
    issuer: annotations[ANNOTATION.issuer],
  };
}

function parseDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** RFC 3339 without milliseconds, as cert-manager prints times; a number is milliseconds since the epoch. */
export function formatTime(d: Date | number): string {
  // Sliced, not a regular expression. Not kept per Date: a long-running
  // gitcert formats only the times of the items it plans again (plan-memo.ts).
  return `${isoTime(d).slice(0, 19)}Z`;
}

/** A Date's toISOString, for a Date or milliseconds since the epoch. */
export function isoTime(d: Date | number): string {
  return (typeof d === "number" ? new Date(d) : d).toISOString();
}
