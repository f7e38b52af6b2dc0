// ACME problem documents (RFC 8555 §6.7, RFC 7807): what the server said
// went wrong, kept whole so a certificate's diagnostic can carry the type,
// the detail and the identifier it was about.

export interface AcmeIdentifier {
  type: string;
  value: string;
}

export interface AcmeProblem {
  type: string;
  detail?: string;
  status?: number;
  identifier?: AcmeIdentifier;
  subproblems?: AcmeProblem[];
}

const PREFIX = "urn:ietf:params:acme:error:";

export const ProblemType = {
  badNonce: `${PREFIX}badNonce`,
  rateLimited: `${PREFIX}rateLimited`,
  alreadyReplaced: `${PREFIX}alreadyReplaced`,
  accountDoesNotExist: `${PREFIX}accountDoesNotExist`,
  externalAccountRequired: `${PREFIX}externalAccountRequired`,
} as const;

/** A problem document sent by the server, with the HTTP context it came in. */
export class AcmeProblemError extends Error {
  readonly problem: AcmeProblem;
  readonly status: number;
  readonly url: string;
  /** From the response's Retry-After header. */
  readonly retryAfter?: Date;

  constructor(
    problem: AcmeProblem,
    status: number,
    url: string,
    retryAfter?: Date,
  ) {
    super(describeProblem(problem));
    this.problem = problem;
    this.status = status;
    this.url = url;
    this.retryAfter = retryAfter;
    this.name = "AcmeProblemError";
  }
}

export function isProblem(value: unknown): value is AcmeProblem {
  return value !== null && typeof value === "object" && typeof (value as { type?: unknown }).type === "string";
}

function identifierText(id: AcmeIdentifier | undefined): string {
  return id ? `${id.type}:${id.value}` : "";
}

/**
 * `urn:ietf:params:acme:error:rejectedIdentifier: Order includes a blocked
 * identifier (identifier dns:x.example)`, subproblems after it.
 */
export function describeProblem(problem: AcmeProblem): string {
  const id = identifierText(problem.identifier);
  let text = problem.type + (problem.detail ? `: ${oneLine(problem.detail)}` : "") + (id ? ` (identifier ${id})` : "");
  const subs = (problem.subproblems ?? []).filter(isProblem);
  if (subs.length > 0) text += `; subproblems: ${subs.map(describeProblem).join("; ")}`;
  return text;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Challenge tokens and key authorizations out of a message: problem details
 * and self-check reports quote URLs and bodies that carry them.
 */
export function redactTokens(text: string, tokens: Iterable<string>): string {
  let out = text.replace(/(\/\.well-known\/acme-challenge\/)[A-Za-z0-9_-]+/g, "$1<token>");
  for (const token of tokens) {
    if (token.length >= 8) out = out.split(token).join("<token>");
  }
  return out;
}
