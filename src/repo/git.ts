// The Git workspace: one working clone of one branch, brought to the
// remote's head before every reconcile and written back with one commit per
// reconcile. A commit stays on the local branch until a push gets it to the
// remote: a push that loses a race is reported, not retried here (the caller
// re-plans on the new head, see push-retry.ts), and a run killed before its
// push leaves the commit for the next run's sync to replay and push.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { authEnvironment, checkSshKeyFile, parseRemote } from "./git-auth.ts";
import type { GitAuth, Remote } from "./git-auth.ts";
import { redact } from "../redact.ts";
import { GitError, toGitError } from "./git-errors.ts";
import { DEFAULT_IDLE_TIMEOUT_MS, GitExit, runGit } from "./git-process.ts";
import { GitObjects } from "./objects.ts";
import { replayCommits } from "./replay.ts";
import { testPoint } from "./test-point.ts";
import { prepareWorkdir, rebuild, type RepairLog } from "./workdir.ts";

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
  /** Where repairs of the working clone (after a killed run) and replays are reported. */
  log?: WorkspaceLog;
}

export interface WorkspaceLog extends RepairLog {
  info(fields: object, message: string): void;
}

export interface SyncResult {
  /** The remote branch's head, "" while the remote is empty. */
  head: string;
  /**
   * Commits made here that the remote does not have yet (an earlier run's
   * lost race or kill), now on top of `head`: push() sends them.
   */
  unpushed: number;
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
   * Fetch and make the working tree exactly `origin/<branch>` plus the
   * commits made here and not pushed yet, replayed onto it (replay.ts):
   * hard reset, untracked and ignored files removed. `head` is "" while the
   * remote is empty; the first push then creates the branch.
   */
  sync(): Promise<SyncResult>;
  /**
   * Stage every change (additions, modifications, deletions) and commit as
   * the configured author, locally. Nothing changed: no commit.
   */
  commit(input: CommitInput): Promise<{ commit?: string; files?: string[] }>;
  /**
   * Push every commit the remote lacks. Nothing to push: `pushed: false`.
   * Throws GitError `PushRejected` when the remote moved on meanwhile; the
   * commits stay here for the next sync.
   */
  push(): Promise<{ pushed: boolean; commit?: string }>;
  /** commit() then push(). */
  commitAndPush(input: CommitInput): Promise<CommitResult>;
  /** Commits made here that the remote branch (as last fetched) lacks. */
  unpushed(): Promise<number>;
  /** The checked-out commit, "" before the first commit. */
  headCommit(): Promise<string>;
  /** The newest `n` commits of the branch, newest first. */
  log(n?: number): Promise<LogEntry[]>;
  /**
   * The remote branch's head as the remote has it now, asked without
   * fetching (`git ls-remote`): "" when the remote has no such branch.
   */
  remoteHead(): Promise<string>;
  /**
   * Fetches the remote branch into `origin/<branch>`, leaving the local
   * branch and the working tree as they are; returns the fetched head.
   */
  fetch(): Promise<string>;
  /** The clone's object store: commits' files without the working tree. */
  readonly objects: GitObjects;
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

class GitWorkspace implements Workspace {
  readonly root: string;
  readonly branch: string;
  readonly remote: string;
  private readonly base: Record<string, string>;
  // Every secret ever used by this workspace, so that an error raised after
  // a token rotation still cannot print the old one.
  private readonly secrets = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private fetches = 0;

  private readonly options: WorkspaceOptions;
  private readonly remoteInfo: Remote;
  readonly objects: GitObjects;

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
    this.objects = new GitObjects(root, this.base);
  }

  // One git command at a time per workspace: two concurrent commands would
  // fight over .git/index.lock.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private run(args: string[], env: Record<string, string>): Promise<string> {
    return runGit(args, { cwd: this.root, env, idleTimeoutMs: this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS });
  }

  /** Run one git command; `network` commands get the credentials. */
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
      return await this.run(args, env);
    } catch (err) {
      throw toGitError(operation, err, { remote: this.remoteInfo.url, secrets: this.secrets });
    }
  }

  /** Like git(), but a plain non-zero exit with no output is an answer, not an error. */
  private async probe(operation: string, args: string[]): Promise<string | undefined> {
    try {
      return await this.run(args, this.base);
    } catch (err) {
      if (err instanceof GitExit && err.exitCode === 1 && !err.output) return undefined;
      throw toGitError(operation, err, { remote: this.remoteInfo.url, secrets: this.secrets });
    }
  }

  private get workdir() {
    return { root: this.root, url: this.remoteInfo.url, branch: this.branch, log: this.options.log };
  }

  private runner() {
    return { git: (op: string, args: string[]) => this.git(op, args), probe: (op: string, args: string[]) => this.probe(op, args) };
  }

  /** Make the workdir a clone of the remote, or recognise and repair the one there. */
  prepare(): Promise<void> {
    return prepareWorkdir(this.workdir, this.runner());
  }

  sync(): Promise<SyncResult> {
    return this.exclusive(async () => {
      try {
        return await this.syncOnce();
      } catch (err) {
        if (!(err instanceof GitError) || err.code !== "GitRepositoryCorrupt") throw err;
        await rebuild(this.workdir, this.runner(), err.message);
        return this.syncOnce();
      }
    });
  }

  remoteHead(): Promise<string> {
    return this.exclusive(async () => {
      const out = await this.git("ls-remote", ["ls-remote", "--heads", "origin", `refs/heads/${this.branch}`], true);
      return out.split("\n").find((l) => l.endsWith(`\trefs/heads/${this.branch}`))?.split("\t")[0] ?? "";
    });
  }

  fetch(): Promise<string> {
    return this.exclusive(async () => {
      // Into a ref of gitcert's own, not origin/<branch>: that one says what the remote held when the checkout was last synced (see syncOnce).
      // (--refmap= : without it git would move origin/<branch> along, as a configured remote's fetch does.)
      const fetched = `refs/gitcert/fetched/${this.branch}`;
      // After each fetch git runs `git maintenance run --auto`: a process per tick that almost always finds nothing to do, since
      // a push brings a handful of objects. The clone is gitcert's own, and housekeeping happens at every sync (before each write)
      // and after one fetch in MAINTAIN_EVERY, which keeps loose objects and packs under gc's limits however long nothing is written.
      // (--no-auto-maintenance: git 2.29, as --no-write-fetch-head.)
      const maintain = this.fetches++ % MAINTAIN_EVERY === 0;
      await this.fetchBranch(fetched, ["--refmap=", ...(maintain ? [] : ["--no-auto-maintenance"])]);
      return (await storedRef(join(this.root, ".git"), fetched)) ?? (await this.git("fetch", ["rev-parse", "--verify", fetched])).trim();
    });
  }

  private async fetchBranch(into: string, options: string[] = []): Promise<void> {
    // Nothing reads FETCH_HEAD or which updates were forced (a walk of the history): neither is worked out.
    const quiet = ["--no-write-fetch-head", "--no-show-forced-updates"];
    await this.git("fetch", ["fetch", ...quiet, ...options, "--prune", "--no-tags", "--no-recurse-submodules", "origin", `+refs/heads/${this.branch}:${into}`], true);
  }

  private async syncOnce(): Promise<SyncResult> {
    await testPoint("before-fetch");
    const tracking = `refs/remotes/origin/${this.branch}`;
    // What the remote held when last seen: commits it had are not gitcert's to push again, even when a force-push dropped them since.
    const seen = (await this.probe("sync", ["rev-parse", "--quiet", "--verify", `${tracking}^{commit}`]))?.trim();
    try {
      await this.fetchBranch(tracking);
    } catch (err) {
      if (!(err instanceof GitError) || err.code !== "GitBranchNotFound") throw err;
      return this.syncMissingBranch(tracking);
    }
    const head = (await this.git("sync", ["rev-parse", "--verify", tracking])).trim();
    const local = (await this.probe("sync", ["rev-parse", "--quiet", "--verify", `refs/heads/${this.branch}^{commit}`]))?.trim();
    const pending = local ? await this.commitsBetween(head, local, seen) : [];
    if (pending.length === 0 || (await this.isAncestor(head, local!))) {
      // Nothing unpushed, or it already sits on the remote's head.
      await this.checkout(pending.length === 0 ? head : local!);
      return { head, unpushed: pending.length };
    }
    // The branch moved under commits we could not push: replay them on a
    // detached HEAD, and move the branch only once they all are made.
    const base = (await this.probe("sync", ["merge-base", head, local!]))?.trim() || undefined;
    await this.git("sync", ["checkout", "--force", "--detach", head]);
    await this.git("sync", ["reset", "--hard", head]);
    await this.git("sync", ["clean", "-ffdx"]);
    const replayed = await replayCommits(this.runner(), pending, base, head);
    await this.git("sync", ["checkout", "--force", "--no-track", "-B", this.branch, "HEAD"]);
    const theirs = replayed.superseded.length > 0 ? `; left ${replayed.superseded.length} file(s) the remote also changed as it has them (${replayed.superseded.slice(0, 5).join(", ")}${replayed.superseded.length > 5 ? ", …" : ""}), to be planned again` : "";
    const dropped = pending.length - replayed.commits;
    const empty = dropped > 0 ? `; ${dropped} had nothing left to add and were dropped` : "";
    this.options.log?.info({ head, commits: pending.length, replayed: replayed.commits }, `replayed ${pending.length} commit(s) not yet pushed onto the remote's new head ${head.slice(0, 12)}${theirs}${empty}`);
    return { head, unpushed: replayed.commits };
  }

  /** Point the branch at `commit` and make the working tree exactly that. */
  private async checkout(commit: string): Promise<void> {
    await this.git("sync", ["checkout", "--force", "--no-track", "-B", this.branch, commit]);
    await this.git("sync", ["reset", "--hard", commit]);
    await this.git("sync", ["clean", "-ffdx"]);
  }

  /** Commits reachable from `to` and not from `from`, oldest first. */
  private async commitsBetween(from: string | undefined, to: string, alsoNotIn?: string): Promise<string[]> {
    const range = [...(from ? [`${from}..${to}`] : [to]), ...(alsoNotIn ? [`^${alsoNotIn}`] : [])];
    return (await this.git("sync", ["rev-list", "--reverse", "--topo-order", ...range])).split("\n").filter(Boolean);
  }

  private async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return (await this.probe("sync", ["merge-base", "--is-ancestor", ancestor, of])) !== undefined;
  }

  // The branch is not on the remote. On an empty remote that is a fresh
  // start: an unborn branch with an empty tree, created by the first push
  // (or the commits an earlier run made and could not push). Beside other
  // branches it is most likely a typo, so say so.
  private async syncMissingBranch(tracking: string): Promise<SyncResult> {
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
    await this.git("sync", ["update-ref", "-d", tracking]);
    const local = (await this.probe("sync", ["rev-parse", "--quiet", "--verify", `refs/heads/${this.branch}^{commit}`]))?.trim();
    if (local) {
      await this.checkout(local);
      return { head: "", unpushed: (await this.commitsBetween(undefined, local)).length };
    }
    await this.git("sync", ["symbolic-ref", "HEAD", `refs/heads/${this.branch}`]);
    await this.git("sync", ["read-tree", "--empty"]);
    await this.git("sync", ["clean", "-ffdx"]);
    return { head: "", unpushed: 0 };
  }

  commit(input: CommitInput): Promise<{ commit?: string; files?: string[] }> {
    return this.exclusive(() => this.commitStaged(input));
  }

  private async commitStaged(input: CommitInput): Promise<{ commit?: string; files?: string[] }> {
    if (!input.message.trim()) {
      throw new GitError("GitConfigurationError", "configuration", "commit", "the commit message is empty");
    }
    await this.stage(input.paths);
    const files = (await this.git("commit", ["diff", "--cached", "--name-only", "-z", "--no-renames"]))
      .split("\0")
      .filter(Boolean);
    if (files.length === 0) return {};
    // Hooks would be the repository's code running in gitcert, and signing
    // is not configured: a global commit.gpgsign must not block us on a
    // pinentry prompt.
    // The message goes through a file: one listing thousands of renewed
    // certificates is larger than the kernel lets a single argument be (E2BIG).
    const messageFile = join(this.root, ".git", "GITCERT_COMMIT_MSG");
    await writeFile(messageFile, input.message);
    try {
      await this.git("commit", ["commit", "--no-verify", "--no-gpg-sign", "-F", messageFile]);
    } finally {
      await rm(messageFile, { force: true });
    }
    return { commit: (await this.git("commit", ["rev-parse", "--verify", "HEAD"])).trim(), files };
  }

  push(): Promise<{ pushed: boolean; commit?: string }> {
    return this.exclusive(() => this.pushBranch());
  }

  private async pushBranch(): Promise<{ pushed: boolean; commit?: string }> {
    if ((await this.countUnpushed()) === 0) return { pushed: false };
    const commit = (await this.git("push", ["rev-parse", "--verify", "HEAD"])).trim();
    await testPoint("before-push");
    await this.git("push", ["push", "--no-verify", "origin", `HEAD:refs/heads/${this.branch}`], true);
    return { pushed: true, commit };
  }

  commitAndPush(input: CommitInput): Promise<CommitResult> {
    return this.exclusive(async () => {
      const { commit, files } = await this.commitStaged(input);
      const pushed = await this.pushBranch();
      return pushed.pushed ? { commit: commit ?? pushed.commit, pushed: true, ...(files ? { files } : {}) } : { pushed: false };
    });
  }

  unpushed(): Promise<number> {
    return this.exclusive(() => this.countUnpushed());
  }

  private async countUnpushed(): Promise<number> {
    if (!(await this.probe("push", ["rev-parse", "--quiet", "--verify", "HEAD"]))) return 0;
    const tracking = (await this.probe("push", ["rev-parse", "--quiet", "--verify", `refs/remotes/origin/${this.branch}`]))?.trim();
    return Number((await this.git("push", ["rev-list", "--count", tracking ? `${tracking}..HEAD` : "HEAD"])).trim());
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

/** Ticks' fetches per one that lets git's auto maintenance run (see fetch()). */
const MAINTAIN_EVERY = 64;

/**
 * The commit `ref` names, read as git's files backend stores it
 * (gitrepository-layout(5)): its own file under the git folder, else its
 * line in packed-refs. undefined for anything else (a reftable store, a
 * symbolic ref, no such ref): git is asked then. Saves a `git rev-parse`
 * after each fetch.
 */
async function storedRef(gitDir: string, ref: string): Promise<string | undefined> {
  const id = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
  const loose = await readFile(join(gitDir, ref), "utf8").catch(() => undefined);
  if (loose !== undefined) return id.exec(loose.trim())?.[1];
  const packed = await readFile(join(gitDir, "packed-refs"), "utf8").catch(() => "");
  for (const line of packed.split("\n")) {
    // "<id> <ref>"; lines starting with "#" or "^" (a peeled tag) never end with a space and the ref.
    if (line.endsWith(` ${ref}`)) return id.exec(line.slice(0, -ref.length - 1))?.[1];
  }
  return undefined;
}

/**
 * Open the working clone of `options.url` at `options.workdir`: clone into it
 * when it is missing or empty, reuse it when it already holds a clone of the
 * same URL (repairing what a killed run left, workdir.ts), refuse (GitError
 * `WorkdirConflict`) when it holds anything else, since that may be
 * someone's data. Returns after a first sync().
 */
export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  checkAuthor(options.author);
  checkBranch(options.branch);
  const remote = parseRemote(options.url);
  if (remote.kind === "ssh" && options.auth?.sshKeyFile) await checkSshKeyFile(options.auth.sshKeyFile);
  const root = resolve(options.workdir);
  await mkdir(root, { recursive: true });
  await testPoint("workdir-created");
  const ws = new GitWorkspace(root, options, remote);
  await ws.prepare();
  await ws.sync();
  return ws;
}
