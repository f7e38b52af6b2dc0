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
  notBefore?: Date;
  notAfter?: Date;
  renewalTime?: Date;
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

function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** RFC 3339 without milliseconds, as cert-manager prints times. */
export function formatTime(d: Date): string {
  // Sliced, not a regular expression. Not kept per Date: a long-running
  // gitcert formats only the times of the items it plans again (plan-memo.ts).
  return `${d.toISOString().slice(0, 19)}Z`;
}
