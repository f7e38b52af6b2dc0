// Git failures as typed errors. git only tells us what went wrong in prose on
// stderr, so we sort that prose into the three answers the reconcile needs
// (after Renovate's lib/util/git/error.ts): someone pushed first (re-run on
// the new head), the host is unwell (retry later), the configuration is
// wrong (report it; retrying will not help), or the remote's history is
// damaged (report it; retrying will not help either, and nothing the user
// configures fixes it). Every message is redacted on
// the way out, because git's prose can echo URLs and, in trace modes, headers.
import { GitcertError } from "../diagnostics.ts";
import { redact } from "../redact.ts";

export type GitFailureKind = "rejected" | "transient" | "configuration" | "damaged" | "unknown";

export type GitErrorCode =
  /** Non-fast-forward: the remote moved on. Sync and reconcile again. */
  | "PushRejected"
  /** Pushes kept being rejected for the whole retry time; the work stays committed locally. */
  | "PushRetriesExhausted"
  /** The server refused the push by policy (protected branch, hook). */
  | "PushDeclined"
  | "GitAuthenticationFailed"
  | "GitRemoteNotFound"
  | "GitBranchNotFound"
  | "GitHostUnavailable"
  /** The remote's history lacks an object or cannot read one: only repairing the remote helps. */
  | "GitRemoteCorrupt"
  | "GitConfigurationError"
  /** The workdir holds something gitcert must not overwrite. */
  | "WorkdirConflict"
  /** The working clone's own objects or index are damaged (it is rebuilt). */
  | "GitRepositoryCorrupt"
  | "GitCommandFailed";

export class GitError extends GitcertError {
  override readonly code: GitErrorCode;
  readonly kind: GitFailureKind;
  /** What gitcert was doing: `fetch`, `push`, `clone`, … */
  readonly operation: string;

  constructor(
    code: GitErrorCode,
    kind: GitFailureKind,
    operation: string,
    message: string,
  ) {
    super(code, message);
    this.code = code;
    this.kind = kind;
    this.operation = operation;
    this.name = "GitError";
  }

  /** Worth trying again later without anyone changing anything. */
  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "rejected";
  }
}

interface Rule {
  match: RegExp;
  code: GitErrorCode;
  kind: GitFailureKind;
  /** What to do; a function of git's words when it can name what failed. */
  hint: string | ((stderr: string) => string);
}

// The object git says the remote could not read or did not send, by the
// words of upload-pack (`remote: fatal: unable to read <id>`) or of the
// connectivity check after a fetch (`fatal: bad object <id>`, `missing blob object '<id>'`).
const DAMAGED_OBJECT = /(?:unable to read|bad object|Could not read|missing (?:blob|tree|commit|tag) object)\s+'?([0-9a-f]{40,64})\b/i;

function remoteCorruptHint(stderr: string): string {
  const object = DAMAGED_OBJECT.exec(stderr)?.[1];
  const what = object ? `object ${object} is missing or unreadable there` : "an object is missing or unreadable there";
  return `the remote repository's history is damaged (${what}); retrying will not help: repair the remote (push the object back from a clone that has it, or restore the repository)`;
}

// Order matters: the first rule that matches wins. A failed SSH login also
// prints "Could not read from remote repository", a rejected push also says
// "failed to push some refs", so the specific causes come before the generic
// symptoms.
const RULES: readonly Rule[] = [
  // Policy on the server: branch protection and friends. Retrying the same
  // push cannot succeed, so this is configuration, not a race.
  {
    match: /protected branch hook declined|GH006|pre-receive hook declined|TF401027|is not a member of team|can only push your own commits|GitLab: |denying non-fast-forward|GH003|refusing to allow/i,
    code: "PushDeclined",
    kind: "configuration",
    hint: "the server refused the push by policy (branch protection or a hook); allow gitcert to push to this branch",
  },
  {
    match: /'refs\/heads\/[^']*' exists; cannot create|matches more than one/i,
    code: "PushDeclined",
    kind: "configuration",
    hint: "a branch or tag with a conflicting name blocks the push",
  },
  // Someone else pushed between our fetch and our push, or the server lost
  // a race on its ref lock. Both are fixed by syncing and reconciling again.
  {
    match: /\[rejected\].*\((fetch first|non-fast-forward)\)|Updates were rejected because|stale info|cannot lock ref|failed to update ref|incorrect old value provided/i,
    code: "PushRejected",
    kind: "rejected",
    hint: "the remote branch moved on since gitcert fetched it",
  },
  {
    match: /Authentication failed|Invalid username or password|could not read (Username|Password)|terminal prompts disabled|Permission denied \(|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known|returned error: 40[13]\b|HTTP Basic: Access denied|Identity file .* not accessible|Load key .*: (invalid format|bad permissions)|UNPROTECTED PRIVATE KEY FILE|access denied or repository not exported/i,
    code: "GitAuthenticationFailed",
    kind: "configuration",
    hint: "check the credentials (token, SSH key, known_hosts) and that they grant write access",
  },
  {
    match: /Repository not found|repository '[^']*' not found|does not appear to be a git repository|returned error: 404\b|No such device or address|not a git repository/i,
    code: "GitRemoteNotFound",
    kind: "configuration",
    hint: "check the repository URL",
  },
  {
    match: /couldn't find remote ref/i,
    code: "GitBranchNotFound",
    kind: "configuration",
    hint: "check the branch name",
  },
  // The remote's own history is damaged: upload-pack cannot read an object
  // (its words come prefixed `remote:`, or name the remote side). Before the
  // working-clone rule below, whose symptoms the remote prints too, and the
  // host rule ("early EOF" follows the remote's abort).
  {
    match: /corruption on the remote side|remote: (?:fatal: |error: )?(?:unable to read|bad object|Could not read|missing (?:blob|tree|commit|tag) object|object file \S+ is empty|loose object \S+ .*is corrupt|packfile \S+ cannot be accessed|inflate: data stream error)/i,
    code: "GitRemoteCorrupt",
    kind: "damaged",
    hint: remoteCorruptHint,
  },
  // The clone's own files, not the remote: damaged by a crash of the disk or
  // the machine (a killed git never leaves these, it writes by rename).
  {
    match: /loose object \S+ .*is corrupt|object file \S+ is empty|index file corrupt|bad signature 0x[0-9a-f]+|index file smaller than expected|unable to read tree|inflate: data stream error|packfile \S+ cannot be accessed|your current branch appears to be broken|fatal: bad object HEAD|invalid sha1 pointer in cache-tree/i,
    code: "GitRepositoryCorrupt",
    kind: "unknown",
    hint: "the working clone is damaged",
  },
  // A pack that lacks objects the clone does not have either: the clone's
  // own damage is ruled out just above, so the remote's history lacks them.
  {
    match: /did not send all necessary objects/i,
    code: "GitRemoteCorrupt",
    kind: "damaged",
    hint: remoteCorruptHint,
  },
  {
    match: /SSL certificate problem|server certificate verification failed|transport '[^']*' not allowed|Unsupported protocol|Protocol .* not supported/i,
    code: "GitConfigurationError",
    kind: "configuration",
    hint: "check the URL scheme and the TLS trust settings",
  },
  {
    match: /Could not resolve host|Could not resolve hostname|Temporary failure in name resolution|Failed to connect to|Connection refused|Connection timed out|Operation timed out|timed out after|Connection reset|Connection closed by|Network is unreachable|No route to host|remote end hung up unexpectedly|early EOF|unexpected disconnect|returned error: (5\d\d|429)\b|RPC failed|gnutls_handshake\(\) failed|SSL_ERROR_SYSCALL|expected flush after ref listing|kex_exchange_identification|index-pack failed|Could not write new index file|block timeout/i,
    code: "GitHostUnavailable",
    kind: "transient",
    hint: "the Git host could not be reached or failed; retry later",
  },
];

export interface GitFailureClass {
  code: GitErrorCode;
  kind: GitFailureKind;
  hint: string;
}

/** Sort git's stderr into a code and a kind; unknown prose stays `unknown`. */
export function classifyGitFailure(stderr: string): GitFailureClass {
  for (const rule of RULES) {
    if (rule.match.test(stderr)) return { code: rule.code, kind: rule.kind, hint: typeof rule.hint === "string" ? rule.hint : rule.hint(stderr) };
  }
  return { code: "GitCommandFailed", kind: "unknown", hint: "git failed for a reason gitcert does not recognise" };
}

/** The lines of git's output worth showing: errors and hints, no progress. */
export function summariseGitOutput(output: string): string {
  const lines = output
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    // Progress, git's generic advice and the "To <url>" banner say nothing
    // about this failure.
    .filter((l) => l && !/^(remote: )?(Counting|Compressing|Writing|Enumerating|Total|Delta|Receiving|Resolving|Unpacking) |^hint:|^To \S+$/.test(l));
  const shown = lines.slice(0, 8).join("; ");
  return lines.length > 8 ? `${shown}; …` : shown;
}

/**
 * Wrap whatever a git command threw into a GitError whose message names the
 * operation and the (redacted) remote, carries git's own words (redacted),
 * and says what to do about it.
 */
export function toGitError(
  operation: string,
  err: unknown,
  context: { remote?: string; secrets?: Iterable<string> } = {},
): GitError {
  if (err instanceof GitError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const cls = classifyGitFailure(raw);
  const secrets = [...(context.secrets ?? [])];
  const where = context.remote ? ` (${redact(context.remote, secrets)})` : "";
  const detail = redact(summariseGitOutput(raw), secrets);
  return new GitError(cls.code, cls.kind, operation, `git ${operation}${where} failed: ${cls.hint}: ${detail}`);
}
