// The Git workspace: one working clone of one branch, kept identical to the
// remote before every reconcile and written back with one commit per
// reconcile. A push that loses a race is reported, not retried here: the
// caller re-runs the whole reconcile on the new head, because the files it
// would commit were computed from the old one.
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { GitError as SimpleGitError, simpleGit } from "simple-git";
import type { SimpleGit } from "simple-git";
import { authEnvironment, checkSshKeyFile, parseRemote } from "./git-auth.ts";
import type { GitAuth, Remote } from "./git-auth.ts";
import { redact } from "../redact.ts";
import { GitError, toGitError } from "./git-errors.ts";

export type { GitAuth } from "./git-auth.ts";

export interface GitAuthor {
  name: string;
  email: string;
}

export interface WorkspaceOptions {
  /** https://, ssh://, scp-style `git@host:path`, file:// or a local path. */
  url: string;
  branch: string;
  /** Where the working clone lives; created if absent, reused if it already holds a clone of `url`. */
  workdir: string;
  auth?: GitAuth;
  /** Author and committer of gitcert's commits. */
  author: GitAuthor;
  /** Kill a git command that prints nothing for this long (default 120 s). */
  idleTimeoutMs?: number;
}

export interface CommitInput {
  message: string;
  /** Stage only these repository-relative paths; everything changed when absent. */
  paths?: string[];
}

export interface CommitResult {
  /** The new commit, when there was something to commit. */
  commit?: string;
  pushed: boolean;
  /** Repository-relative paths the commit changed. */
  files?: string[];
}

export interface LogEntry {
  commit: string;
  author: GitAuthor;
  committer: GitAuthor;
  /** Committer date, ISO 8601. */
  date: string;
  subject: string;
}

export interface Workspace {
  /** Absolute path of the working tree. */
  readonly root: string;
  readonly branch: string;
  /** The remote URL, safe to log. */
  readonly remote: string;
  /**
   * Fetch and make the working tree exactly `origin/<branch>`: hard reset,
   * untracked and ignored files removed. `head` is "" while the remote is
   * empty; the first commitAndPush then creates the branch.
   */
  sync(): Promise<{ head: string }>;
  /**
   * Stage every change (additions, modifications, deletions), commit as the
   * configured author and push. Nothing changed: no commit, `pushed: false`.
   * Throws GitError `PushRejected` when the remote moved on meanwhile.
   */
  commitAndPush(input: CommitInput): Promise<CommitResult>;
  /** The checked-out commit, "" before the first commit. */
  headCommit(): Promise<string>;
  /** The newest `n` commits of the branch, newest first. */
  log(n?: number): Promise<LogEntry[]>;
}

/** A git command that exited non-zero, with what it printed. */
// Extends simple-git's own error class, which it passes through untouched
// (anything else it flattens into a string).
class GitExit extends SimpleGitError {
  readonly exitCode: number;
  readonly output: string;

  constructor(
    exitCode: number,
    output: string,
  ) {
    super(undefined, output || `git exited with code ${exitCode}`);
    this.exitCode = exitCode;
    this.output = output;
  }
}

// Inherited variables that would change what git does behind our back (a
// different repository, a pager, trace output that prints headers) are
// dropped; these TLS and proxy tunables are kept because operators set them
// for good reasons.
const KEPT_GIT_VARIABLES = new Set([
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_SSL_NO_VERIFY",
  "GIT_SSL_CERT",
  "GIT_SSL_KEY",
  "GIT_HTTP_LOW_SPEED_LIMIT",
  "GIT_HTTP_LOW_SPEED_TIME",
  "GIT_HTTP_USER_AGENT",
]);
const DROPPED_VARIABLES = new Set(["EDITOR", "VISUAL", "PAGER", "PREFIX", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE"]);

function baseEnvironment(root: string, author: GitAuthor): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if (DROPPED_VARIABLES.has(upper)) continue;
    if (upper.startsWith("GIT_") && !KEPT_GIT_VARIABLES.has(upper)) continue;
    // Git and ssh never need the age identity or gitcert's own settings
    // (the token among them): keep them out of every child process.
    if (upper.startsWith("SOPS_") || upper.startsWith("GITCERT_")) continue;
    env[key] = value;
  }
  return {
    ...env,
    // Git's messages are what we classify errors by: keep them in English.
    LC_ALL: "C",
    // Never wait for a human: no username/password prompt.
    GIT_TERMINAL_PROMPT: "0",
    // Stop repository discovery at the workdir, so a workdir without .git
    // inside another repository (gitcert's own checkout, say) is never
    // mistaken for that repository.
    GIT_CEILING_DIRECTORIES: dirname(root),
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

function checkAuthor(author: GitAuthor): void {
  for (const [field, value] of [
    ["name", author?.name],
    ["email", author?.email],
  ] as const) {
    if (typeof value !== "string" || !value.trim() || /[<>\n\r\0]/.test(value)) {
      throw new GitError("GitConfigurationError", "configuration", "configure", `the commit author ${field} is empty or contains <, > or a line break`);
    }
  }
}

function checkBranch(branch: string): void {
  // The same rules as `git check-ref-format --branch`, without a process.
  const bad =
    !branch ||
    branch.startsWith("-") ||
    branch.startsWith("/") ||
    branch.endsWith("/") ||
    branch.endsWith(".") ||
    branch.endsWith(".lock") ||
    branch === "@" ||
    /\.\.|@\{|\/\/|\/\.|^\.|[\0-\x20\x7f~^:?*[\\]/.test(branch);
  if (bad) throw new GitError("GitConfigurationError", "configuration", "configure", `"${branch}" is not a valid branch name`);
}

function sameRemote(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, "").replace(/\.git$/, "");
  return norm(a) === norm(b);
}

class GitWorkspace implements Workspace {
  readonly root: string;
  readonly branch: string;
  readonly remote: string;
  private readonly base: Record<string, string>;
  // Every secret ever used by this workspace, so that an error raised after
  // a token rotation still cannot print the old one.
  private readonly secrets = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  private readonly options: WorkspaceOptions;
  private readonly remoteInfo: Remote;

  constructor(
    root: string,
    options: WorkspaceOptions,
    remoteInfo: Remote,
  ) {
    this.options = options;
    this.remoteInfo = remoteInfo;
    this.root = root;
    this.branch = options.branch;
    this.remote = redact(remoteInfo.url);
    this.base = baseEnvironment(root, options.author);
  }

  // One git command at a time per workspace: two concurrent commands would
  // fight over .git/index.lock.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private client(env: Record<string, string>): SimpleGit {
    return simpleGit({
      baseDir: this.root,
      timeout: { block: this.options.idleTimeoutMs ?? 120_000 },
      // Both are ours, built in git-auth.ts, never taken from input.
      unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true },
      // simple-git treats a non-zero exit with empty stderr as success; for
      // us any non-zero exit is a failure.
      errors(error, result) {
        // A rejection is git never starting, a timeout or a blocked option.
        if (error instanceof Error) return error;
        if (result.exitCode === 0) return undefined;
        const output = Buffer.concat([...result.stdErr, ...result.stdOut]).toString("utf8").trim();
        return new GitExit(result.exitCode, output);
      },
    }).env(env);
  }

  /**
   * Run one git command; `network` commands get the credentials. Commands
   * run without --quiet on purpose: simple-git waits an extra 50 ms for a
   * command that printed nothing, and the output is never shown anyway.
   */
  private async git(operation: string, args: string[], network = false): Promise<string> {
    let env = this.base;
    if (network) {
      let auth;
      try {
        auth = await authEnvironment(this.remoteInfo, this.options.auth);
      } catch (err) {
        throw toGitError(operation, err, { remote: this.remoteInfo.url, secrets: this.secrets });
      }
      for (const s of auth.secrets) this.secrets.add(s);
      env = { ...this.base, ...auth.env };
    }
    try {
      return await this.client(env).raw(args);
    } catch (err) {
      throw toGitError(operation, err, { remote: this.remoteInfo.url, secrets: this.secrets });
    }
  }

  /** Like git(), but a plain non-zero exit with no output is an answer, not an error. */
  private async probe(operation: string, args: string[]): Promise<string | undefined> {
    try {
      return await this.client(this.base).raw(args);
    } catch (err) {
      if (err instanceof GitExit && err.exitCode === 1 && !err.output) return undefined;
      throw toGitError(operation, err, { remote: this.remoteInfo.url, secrets: this.secrets });
    }
  }

  /** Make the workdir a clone of the remote, or confirm it already is one. */
  async prepare(): Promise<void> {
    const dotGit = join(this.root, ".git");
    if (existsSync(dotGit)) {
      const st = await lstat(dotGit);
      if (!st.isDirectory()) {
        throw this.conflict(`its .git is not a directory (a worktree or submodule checkout)`);
      }
      const current = (await this.probe("config", ["config", "--get", "remote.origin.url"]))?.trim();
      if (!current) throw this.conflict("it holds a Git repository without an origin remote");
      if (!sameRemote(current, this.remoteInfo.url)) {
        throw this.conflict(`it holds a clone of ${redact(current)}`);
      }
      await this.removeStaleLocks();
      return;
    }
    const entries = await readdir(this.root);
    if (entries.length > 0) throw this.conflict("it is not empty and holds no Git clone");
    await this.git("init", ["init", `--initial-branch=${this.branch}`]);
    await this.git("init", ["remote", "add", "origin", "--", this.remoteInfo.url]);
  }

  // A git killed mid-command (the container restarted, the workdir is an
  // emptyDir that survived) leaves its lock files behind, and every later
  // command fails on them. Nothing else writes to this clone, so a lock
  // found while opening it is stale by definition.
  private async removeStaleLocks(): Promise<void> {
    const locks = [
      "index.lock",
      "HEAD.lock",
      "config.lock",
      "packed-refs.lock",
      "shallow.lock",
      `refs/heads/${this.branch}.lock`,
      `refs/remotes/origin/${this.branch}.lock`,
    ];
    await Promise.all(locks.map((l) => rm(join(this.root, ".git", l), { force: true })));
  }

  private conflict(why: string): GitError {
    return new GitError(
      "WorkdirConflict",
      "configuration",
      "open",
      `refusing to use workdir ${this.root} for ${this.remote}: ${why}; point gitcert at an empty or missing folder, or remove this one yourself`,
    );
  }

  sync(): Promise<{ head: string }> {
    return this.exclusive(async () => {
      const tracking = `refs/remotes/origin/${this.branch}`;
      try {
        await this.git(
          "fetch",
          ["fetch", "--prune", "--no-tags", "--no-recurse-submodules", "origin", `+refs/heads/${this.branch}:${tracking}`],
          true,
        );
      } catch (err) {
        if (!(err instanceof GitError) || err.code !== "GitBranchNotFound") throw err;
        return this.syncMissingBranch(tracking);
      }
      await this.git("sync", ["checkout", "--force", "--no-track", "-B", this.branch, tracking]);
      await this.git("sync", ["reset", "--hard", tracking]);
      await this.git("sync", ["clean", "-ffdx"]);
      return { head: (await this.git("sync", ["rev-parse", "--verify", "HEAD"])).trim() };
    });
  }

  // The branch is not on the remote. On an empty remote that is a fresh
  // start: an unborn branch with an empty tree, created by the first push.
  // Beside other branches it is most likely a typo, so say so.
  private async syncMissingBranch(tracking: string): Promise<{ head: string }> {
    const heads = (await this.git("ls-remote", ["ls-remote", "--heads", "origin"], true))
      .split("\n")
      .map((l) => l.split("\t")[1]?.replace(/^refs\/heads\//, ""))
      .filter((b): b is string => !!b);
    if (heads.length > 0) {
      const listed = heads.slice(0, 10).join(", ") + (heads.length > 10 ? ", …" : "");
      throw new GitError(
        "GitBranchNotFound",
        "configuration",
        "fetch",
        `branch "${this.branch}" does not exist on ${this.remote} (it has: ${listed}); create it or fix the configured branch`,
      );
    }
    await this.git("sync", ["symbolic-ref", "HEAD", `refs/heads/${this.branch}`]);
    await this.git("sync", ["update-ref", "-d", `refs/heads/${this.branch}`]);
    await this.git("sync", ["update-ref", "-d", tracking]);
    await this.git("sync", ["read-tree", "--empty"]);
    await this.git("sync", ["clean", "-ffdx"]);
    return { head: "" };
  }

  commitAndPush(input: CommitInput): Promise<CommitResult> {
    return this.exclusive(async () => {
      if (!input.message.trim()) {
        throw new GitError("GitConfigurationError", "configuration", "commit", "the commit message is empty");
      }
      await this.stage(input.paths);
      const files = (await this.git("commit", ["diff", "--cached", "--name-only", "-z", "--no-renames"]))
        .split("\0")
        .filter(Boolean);
      if (files.length === 0) return { pushed: false };

      // Hooks would be the repository's code running in gitcert, and signing
      // is not configured: a global commit.gpgsign must not block us on a
      // pinentry prompt.
      await this.git("commit", ["commit", "--no-verify", "--no-gpg-sign", "-m", input.message]);
      const commit = (await this.git("commit", ["rev-parse", "--verify", "HEAD"])).trim();
      await this.git("push", ["push", "--no-verify", "origin", `HEAD:refs/heads/${this.branch}`], true);
      return { commit, pushed: true, files };
    });
  }

  private async stage(paths: string[] | undefined): Promise<void> {
    if (paths === undefined) {
      await this.git("commit", ["add", "--all"]);
      return;
    }
    for (const p of paths) {
      if (isAbsolute(p) || p.split(/[\\/]/).includes("..")) {
        throw new GitError("GitConfigurationError", "configuration", "commit", `cannot stage "${p}": paths must be relative to the repository`);
      }
    }
    if (paths.length === 0) return;
    // A path that neither exists nor is tracked makes `git add` fail the
    // whole command; such a path has nothing to stage anyway.
    const tracked = new Set(
      (await this.git("commit", ["--literal-pathspecs", "ls-files", "-z", "--", ...paths])).split("\0").filter(Boolean),
    );
    const isTracked = (p: string) => {
      const dir = `${p.replace(/\/+$/, "")}/`;
      return tracked.has(p) || [...tracked].some((t) => t.startsWith(dir));
    };
    const stageable = paths.filter((p) => existsSync(join(this.root, p)) || isTracked(p));
    if (stageable.length === 0) return;
    await this.git("commit", ["--literal-pathspecs", "add", "--all", "--", ...stageable]);
  }

  headCommit(): Promise<string> {
    return this.exclusive(async () => (await this.probe("rev-parse", ["rev-parse", "--quiet", "--verify", "HEAD"]))?.trim() ?? "");
  }

  log(n = 10): Promise<LogEntry[]> {
    return this.exclusive(async () => {
      if (!(await this.probe("log", ["rev-parse", "--quiet", "--verify", "HEAD"]))) return [];
      const out = await this.git("log", ["log", `--max-count=${Math.max(1, Math.floor(n))}`, "--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%cI%x1f%s%x1e", "HEAD"]);
      return out
        .split("\x1e")
        .map((r) => r.trim())
        .filter(Boolean)
        .map((record) => {
          const [commit = "", an = "", ae = "", cn = "", ce = "", date = "", subject = ""] = record.split("\x1f");
          return { commit, author: { name: an, email: ae }, committer: { name: cn, email: ce }, date, subject };
        });
    });
  }
}

/**
 * Open the working clone of `options.url` at `options.workdir`: clone into it
 * when it is missing or empty, reuse it when it already holds a clone of the
 * same URL, refuse (GitError `WorkdirConflict`) when it holds anything else,
 * since that may be someone's data. Returns after a first sync().
 */
export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  checkAuthor(options.author);
  checkBranch(options.branch);
  const remote = parseRemote(options.url);
  if (remote.kind === "ssh" && options.auth?.sshKeyFile) await checkSshKeyFile(options.auth.sshKeyFile);
  const root = resolve(options.workdir);
  await mkdir(root, { recursive: true });
  const ws = new GitWorkspace(root, options, remote);
  await ws.prepare();
  await ws.sync();
  return ws;
}
