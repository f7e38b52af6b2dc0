// Errors as values. Every problem gitcert finds in a repository becomes a
// Diagnostic carrying the object and the file:line it came from, so one bad
// manifest is reported and every other certificate proceeds.

/** Where a document starts: repository-relative POSIX path, 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** The Kubernetes object a diagnostic is about. */
export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** `info`: worth showing in `plan`, not a problem (an object gitcert cannot see from Git alone). */
export type Severity = "error" | "warning" | "info" | "debug";

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable reason, e.g. `InvalidYAML`, `UnknownIssuer`. */
  code: string;
  message: string;
  source?: SourceRef;
  object?: ObjectRef;
  /** The server asked not to be retried before this time (RFC 3339). */
  retryAfter?: string;
  /**
   * The CA answered with an error or could not be reached: the only kind of
   * failure that counts for backoff. Anything else is the user's to fix
   * (configuration) or ours (a bug), and is tried again on the next run.
   */
  atCA?: true;
}

export function diagnostic(
  code: string,
  message: string,
  where: { source?: SourceRef; object?: ObjectRef } = {},
  severity: Severity = "error",
): Diagnostic {
  return { severity, code, message, ...where };
}

export function objectLabel(o: ObjectRef): string {
  return o.namespace ? `${o.kind} ${o.namespace}/${o.name}` : `${o.kind} ${o.name}`;
}

/** `examples/a.yaml:12: Certificate web/site: dnsNames[0] "x y" is not a valid DNS name` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}: ` : "";
  // A message that goes on from the object's name (`is not ready: …`) reads as one sentence with it.
  const what = d.object ? `${objectLabel(d.object)}${d.message.startsWith("is ") ? " " : ": "}` : "";
  return `${where}${what}${d.message}`;
}

/**
 * An error that already knows which object and file it belongs to. Thrown
 * inside one certificate's work and turned into a Diagnostic at the edge of
 * that certificate, never let through the reconcile.
 */
export class GitcertError extends Error {
  readonly code: string;
  readonly where: { source?: SourceRef; object?: ObjectRef };
  /** When the other side asked us to come back (a rate limit's Retry-After). */
  readonly retryAfter?: Date;
  /**
   * Set only where a CA's answer or a failure to reach the CA becomes an
   * error (the ACME client): see Diagnostic.atCA.
   */
  readonly atCA: boolean;

  constructor(
    code: string,
    message: string,
    where: { source?: SourceRef; object?: ObjectRef } = {},
    options: { retryAfter?: Date; atCA?: boolean } = {},
  ) {
    super(message);
    this.code = code;
    this.where = where;
    this.retryAfter = options.retryAfter;
    this.atCA = options.atCA ?? false;
    this.name = "GitcertError";
  }

  toDiagnostic(): Diagnostic {
    const d: Diagnostic = diagnostic(this.code, this.message, this.where);
    if (this.retryAfter) d.retryAfter = this.retryAfter.toISOString();
    if (this.atCA) d.atCA = true;
    return d;
  }
}

/** The mark for GitcertError's options where a CA's answer becomes an error. */
export const AT_CA = { atCA: true } as const;

/** Any thrown value as a Diagnostic, keeping context the thrower had. */
export function toDiagnostic(
  err: unknown,
  fallback: { code: string; source?: SourceRef; object?: ObjectRef },
): Diagnostic {
  if (err instanceof GitcertError) {
    const d = err.toDiagnostic();
    return { ...d, source: d.source ?? fallback.source, object: d.object ?? fallback.object };
  }
  const message = err instanceof Error ? err.message : String(err);
  return diagnostic(fallback.code, message, { source: fallback.source, object: fallback.object });
}
