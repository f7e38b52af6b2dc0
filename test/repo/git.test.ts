import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { remoteFailure } from "../../src/daemon/tick.ts";
import { openWorkspace } from "../../src/repo/git.ts";
import type { WorkspaceOptions } from "../../src/repo/git.ts";
import { authEnvironment, parseRemote, sshCommand } from "../../src/repo/git-auth.ts";
import { GitError, classifyGitFailure } from "../../src/repo/git-errors.ts";
import { startGitHttpServer } from "../peers/git-http.ts";
import type { GitHttpServer } from "../peers/git-http.ts";
import { startSshd } from "../peers/sshd.ts";
import type { SshServer } from "../peers/sshd.ts";
import { git, initBare, pushFromColleague, remoteFiles, remoteHead, seededRemote } from "../peers/git-remote.ts";

const AUTHOR = { name: "gitcert", email: "gitcert@example.test" };

function isGitError(code: string, check?: (err: GitError) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof GitError, `expected a GitError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    check?.(err);
    return true;
  };
}

describe("classifyGitFailure", () => {
  const cases: Array<[string, string, string]> = [
    [" ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs", "PushRejected", "rejected"],
    [" ! [rejected]        main -> main (non-fast-forward)", "PushRejected", "rejected"],
    ["remote: error: cannot lock ref 'refs/heads/main': is at abc but expected def", "PushRejected", "rejected"],
    [" ! [remote rejected] main -> main (protected branch hook declined)", "PushDeclined", "configuration"],
    ["remote: error: GH006: Protected branch update failed for refs/heads/main.", "PushDeclined", "configuration"],
    ["fatal: could not read Username for 'https://h': terminal prompts disabled", "GitAuthenticationFailed", "configuration"],
    ["git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.", "GitAuthenticationFailed", "configuration"],
    ["Host key verification failed.\nfatal: Could not read from remote repository.", "GitAuthenticationFailed", "configuration"],
    ["fatal: unable to access 'https://h/r/': The requested URL returned error: 403", "GitAuthenticationFailed", "configuration"],
    ["remote: Repository not found.\nfatal: repository 'https://h/r/' not found", "GitRemoteNotFound", "configuration"],
    ["fatal: '/nope' does not appear to be a git repository", "GitRemoteNotFound", "configuration"],
    ["fatal: couldn't find remote ref refs/heads/nope", "GitBranchNotFound", "configuration"],
    ["fatal: unable to access 'https://h/': SSL certificate problem: unable to get local issuer certificate", "GitConfigurationError", "configuration"],
    ["fatal: unable to access 'https://h/': Could not resolve host: h", "GitHostUnavailable", "transient"],
    ["fatal: unable to access 'https://h/': Failed to connect to h port 443: Connection refused", "GitHostUnavailable", "transient"],
    ["fatal: unable to access 'https://h/': The requested URL returned error: 502", "GitHostUnavailable", "transient"],
    ["ssh: connect to host h port 22: Connection timed out\nfatal: Could not read from remote repository.", "GitHostUnavailable", "transient"],
    ["fatal: the remote end hung up unexpectedly\nfatal: early EOF", "GitHostUnavailable", "transient"],
    ["block timeout reached", "GitHostUnavailable", "transient"],
    ["remote: fatal: unable to read 362725c96fd7bad790a1e9859448b3e4ca970043\nremote: aborting due to possible repository corruption on the remote side.\nfatal: early EOF", "GitRemoteCorrupt", "damaged"],
    ["error: missing blob object 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'\nerror: /srv/r.git did not send all necessary objects", "GitRemoteCorrupt", "damaged"],
    ["fatal: bad object HEAD", "GitRepositoryCorrupt", "unknown"],
    ["fatal: something new and strange", "GitCommandFailed", "unknown"],
  ];
  for (const [stderr, code, kind] of cases) {
    it(`${code}: ${stderr.split("\n")[0]}`, () => {
      const got = classifyGitFailure(stderr);
      assert.equal(got.code, code);
      assert.equal(got.kind, kind);
    });
  }
});

describe("parseRemote and the credentials environment", () => {
  it("recognises every supported URL form", () => {
    assert.equal(parseRemote("file:///srv/git/r.git").kind, "local");
    assert.deepEqual(parseRemote("./relative/r.git"), { kind: "local", url: join(process.cwd(), "relative/r.git") });
    assert.equal(parseRemote("/abs/r.git").kind, "local");
    assert.equal(parseRemote("ssh://git@github.com/o/r.git").kind, "ssh");
    assert.equal(parseRemote("git@github.com:o/r.git").kind, "ssh");
    const http = parseRemote("https://bot@github.com/o/r.git");
    assert.deepEqual(http, { kind: "http", url: "https://github.com/o/r.git", origin: "https://github.com/", username: "bot" });
  });

  it("refuses passwords in URLs, remote helpers, unknown schemes and option-like URLs", () => {
    for (const url of ["https://bot:hunter2-secret@github.com/o/r.git", "ssh://git:hunter2-secret@host/r.git", "ext::sh -c touch% /tmp/pwned", "ftp://h/r.git", "--upload-pack=touch /tmp/x", ""]) {
      assert.throws(() => parseRemote(url), isGitError("GitConfigurationError", (e) => assert.ok(!e.message.includes("hunter2"))), url);
    }
    assert.deepEqual(parseRemote("ssh://git@host:22/r.git"), { kind: "ssh", url: "ssh://git@host:22/r.git" });
  });

  it("builds the ssh command with the key, the known_hosts and strict checking", () => {
    assert.equal(
      sshCommand({ sshKeyFile: "/keys/id it's", knownHostsFile: "/keys/known_hosts" }),
      `ssh -i '/keys/id it'\\''s' -o IdentitiesOnly=yes -o UserKnownHostsFile='/keys/known_hosts' -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=30`,
    );
    assert.match(sshCommand({ sshKeyFile: "/k" }), /StrictHostKeyChecking=accept-new/);
  });

  it("puts the token in a per-process header scoped to the remote, never in the URL", async () => {
    const remote = parseRemote("https://git.example.test/o/r.git");
    const { env, secrets } = await authEnvironment(remote, { token: "tok-123456" });
    assert.equal(env.GIT_CONFIG_COUNT, "1");
    assert.equal(env.GIT_CONFIG_KEY_0, "http.https://git.example.test/.extraHeader");
    assert.equal(env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${Buffer.from("x-access-token:tok-123456").toString("base64")}`);
    assert.ok(!remote.url.includes("tok-123456"));
    assert.ok(secrets.includes("tok-123456"));
  });

  it("refuses to send a token over plain http to anything but loopback, and token plus tokenFile", async () => {
    await assert.rejects(authEnvironment(parseRemote("http://git.example.test/r.git"), { token: "tok-123456" }), isGitError("GitConfigurationError"));
    await assert.rejects(authEnvironment(parseRemote("https://h/r.git"), { token: "a", tokenFile: "/f" }), isGitError("GitConfigurationError"));
  });
});

describe("Workspace against a bare repository", { timeout: 30_000, concurrency: true }, () => {
  let base: string;
  const open = (o: Partial<WorkspaceOptions> & { url: string }) =>
    openWorkspace({ branch: "main", workdir: join(base, `work-${randomBytes(4).toString("hex")}`), author: AUTHOR, ...o });

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "gitcert-git-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("clones over file:// and over a plain path", async () => {
    const bare = await seededRemote(base, "clone", { "apps/web/kustomization.yaml": "resources: []\n", "README.md": "hi\n" });
    for (const url of [pathToFileURL(bare).href, bare]) {
      const ws = await open({ url });
      assert.equal(await ws.headCommit(), remoteHead(bare));
      assert.equal(await readFile(join(ws.root, "README.md"), "utf8"), "hi\n");
      assert.ok(existsSync(join(ws.root, "apps/web/kustomization.yaml")));
    }
  });

  it("says a remote whose history lacks an object is damaged, names the object, and does not call it worth a retry", async () => {
    const bare = await seededRemote(base, "damaged", { "a.yaml": "first\n", "b.yaml": "b\n" });
    const lost = git(bare, "rev-parse", "main:a.yaml");
    await pushFromColleague(bare, join(base, "damaged-colleague"), { "a.yaml": "second\n" }, "second");
    // Pushes this small arrive as loose objects: remove the older commit's blob, as a disk or a botched migration might.
    await unlink(join(bare, "objects", lost.slice(0, 2), lost.slice(2)));
    await assert.rejects(
      open({ url: pathToFileURL(bare).href }),
      isGitError("GitRemoteCorrupt", (e) => {
        assert.equal(e.kind, "damaged");
        assert.equal(e.retryable, false);
        assert.match(e.message, new RegExp(`the remote repository's history is damaged \\(object ${lost} is missing or unreadable there\\); retrying will not help`));
        assert.doesNotMatch(e.message, /retry later/);
        // The daemon's readiness reports it as the remote's failure.
        assert.equal(remoteFailure(e), e.message);
      }),
    );
  });

  it("commits additions, modifications and deletions as the configured author, and pushes", async () => {
    const bare = await seededRemote(base, "changes", { "keep.yaml": "a: 1\n", "edit.yaml": "v: 1\n", "drop.yaml": "x\n" });
    const ws = await open({ url: bare });
    await writeFile(join(ws.root, "edit.yaml"), "v: 2\n");
    await unlink(join(ws.root, "drop.yaml"));
    await mkdir(join(ws.root, "secrets"));
    await writeFile(join(ws.root, "secrets/new.sops.yaml"), "enc: true\n");

    const res = await ws.commitAndPush({ message: "gitcert: issue web/site\n\n- issue Certificate web/site" });
    assert.equal(res.pushed, true);
    assert.ok(res.commit);
    assert.deepEqual(res.files?.sort(), ["drop.yaml", "edit.yaml", "secrets/new.sops.yaml"]);
    assert.equal(remoteHead(bare), res.commit);
    assert.deepEqual(remoteFiles(bare), ["edit.yaml", "keep.yaml", "secrets/new.sops.yaml"]);
    assert.equal(git(bare, "show", "main:edit.yaml"), "v: 2");

    const who = git(bare, "log", "-1", "--format=%an|%ae|%cn|%ce|%s", "main");
    assert.equal(who, "gitcert|gitcert@example.test|gitcert|gitcert@example.test|gitcert: issue web/site");
    const [entry] = await ws.log(1);
    assert.deepEqual(entry?.author, AUTHOR);
    assert.deepEqual(entry?.committer, AUTHOR);
    assert.equal(entry?.commit, res.commit);
  });

  it("commits a message listing thousands of certificates, larger than one command-line argument may be", async () => {
    const bare = await seededRemote(base, "bigmessage", { "a.yaml": "a\n" });
    const ws = await open({ url: bare });
    await writeFile(join(ws.root, "a.yaml"), "b\n");
    const details = Array.from({ length: 5000 }, (_, i) => `- renewed app-${i % 100}/cert-${i} (Renewing) by ClusterIssuer/selfsigned`).join("\n");
    const res = await ws.commitAndPush({ message: `gitcert: renewed 5000 certificates\n\n${details}` });
    assert.equal(res.pushed, true);
    assert.equal(git(bare, "log", "-1", "--format=%B", "main").split("\n").length, 5002);
    assert.ok(!existsSync(join(ws.root, ".git", "GITCERT_COMMIT_MSG")), "the message file is gone");
  });

  it("makes no commit when nothing changed", async () => {
    const bare = await seededRemote(base, "nochange", { "a.yaml": "a\n" });
    const ws = await open({ url: bare });
    const head = remoteHead(bare);
    // Rewriting a file with the same bytes is not a change either.
    await writeFile(join(ws.root, "a.yaml"), "a\n");
    assert.deepEqual(await ws.commitAndPush({ message: "nothing" }), { pushed: false });
    assert.equal(await ws.headCommit(), head);
    assert.equal(remoteHead(bare), head);
  });

  it("stages only the given paths when asked", async () => {
    const bare = await seededRemote(base, "paths", { "a.yaml": "a\n", "b.yaml": "b\n" });
    const ws = await open({ url: bare });
    await writeFile(join(ws.root, "a.yaml"), "a2\n");
    await writeFile(join(ws.root, "b.yaml"), "b2\n");
    await unlink(join(ws.root, "a.yaml"));
    const res = await ws.commitAndPush({ message: "only a", paths: ["a.yaml", "never-existed.yaml"] });
    assert.deepEqual(res.files, ["a.yaml"]);
    assert.deepEqual(remoteFiles(bare), ["b.yaml"]);
    assert.equal(git(bare, "show", "main:b.yaml"), "b");
  });

  it("reports a non-fast-forward push as PushRejected, keeps the commit, and replays it onto the new head", async () => {
    const bare = await seededRemote(base, "race", { "a.yaml": "a\n" });
    const ws = await open({ url: bare });

    // A colleague pushes between our sync and our push.
    await pushFromColleague(bare, join(base, "race-colleague"), { "theirs.yaml": "theirs\n" }, "theirs");
    const theirs = remoteHead(bare);

    await writeFile(join(ws.root, "ours.yaml"), "ours\n");
    await assert.rejects(
      ws.commitAndPush({ message: "ours" }),
      isGitError("PushRejected", (e) => {
        assert.equal(e.kind, "rejected");
        assert.equal(e.retryable, true);
        assert.match(e.message, /git push .* failed: the remote branch moved on since gitcert fetched it/);
      }),
    );
    assert.equal(remoteHead(bare), theirs);
    assert.equal(await ws.unpushed(), 1, "the rejected commit stays in the working clone");

    // The next sync puts it on top of the new head; a push then lands both.
    assert.deepEqual(await ws.sync(), { head: theirs, unpushed: 1 });
    assert.equal(await readFile(join(ws.root, "ours.yaml"), "utf8"), "ours\n");
    assert.ok(existsSync(join(ws.root, "theirs.yaml")));
    const res = await ws.push();
    assert.equal(res.pushed, true);
    assert.equal(remoteHead(bare), res.commit);
    assert.equal(git(bare, "rev-parse", "main^"), theirs);
    assert.equal(git(bare, "log", "-1", "--format=%s", "main"), "ours");
    assert.deepEqual(await ws.push(), { pushed: false });
  });

  it("replays a kept commit file by file: a file the remote changed too stays as the remote has it", async () => {
    const bare = await seededRemote(base, "replay", { "kustomization.yaml": "resources:\n  - a.yaml\n", "a.yaml": "a\n", "gone.yaml": "g\n" });
    const ws = await open({ url: bare });
    await writeFile(join(ws.root, "kustomization.yaml"), "resources:\n  - a.yaml\n  - ours.sops.yaml\n");
    await writeFile(join(ws.root, "ours.sops.yaml"), "ours\n");
    await unlink(join(ws.root, "gone.yaml"));
    assert.ok((await ws.commit({ message: "gitcert: issued 1 certificate" })).commit);

    await pushFromColleague(bare, join(base, "replay-colleague"), { "kustomization.yaml": "resources:\n  - a.yaml\n  - theirs.yaml\n", "theirs.yaml": "theirs\n" }, "theirs");

    assert.deepEqual(await ws.sync(), { head: remoteHead(bare), unpushed: 1 });
    assert.equal(await readFile(join(ws.root, "kustomization.yaml"), "utf8"), "resources:\n  - a.yaml\n  - theirs.yaml\n", "theirs, for the reconcile to add ours again");
    assert.equal(await readFile(join(ws.root, "ours.sops.yaml"), "utf8"), "ours\n");
    assert.ok(!existsSync(join(ws.root, "gone.yaml")));
    assert.equal((await ws.log(1))[0]?.subject, "gitcert: issued 1 certificate");
    assert.equal(git(ws.root, "status", "--porcelain"), "", "nothing half-done: no rebase, no conflict");
  });

  it("sync resets modified files and removes untracked and ignored ones", async () => {
    const bare = await seededRemote(base, "clean", { ".gitignore": "*.log\n", "a.yaml": "a\n" });
    const ws = await open({ url: bare });
    await writeFile(join(ws.root, "a.yaml"), "changed\n");
    await writeFile(join(ws.root, "stray.yaml"), "stray\n");
    await writeFile(join(ws.root, "debug.log"), "ignored\n");
    await mkdir(join(ws.root, "newdir/deep"), { recursive: true });
    await writeFile(join(ws.root, "newdir/deep/x"), "x\n");
    const { head } = await ws.sync();
    assert.equal(head, remoteHead(bare));
    assert.equal(await readFile(join(ws.root, "a.yaml"), "utf8"), "a\n");
    for (const gone of ["stray.yaml", "debug.log", "newdir"]) assert.ok(!existsSync(join(ws.root, gone)), gone);
  });

  it("starts from an empty remote and creates the branch with the first push", async () => {
    const bare = initBare(join(base, "empty.git"));
    const ws = await open({ url: bare });
    assert.deepEqual(await ws.sync(), { head: "", unpushed: 0 });
    assert.equal(await ws.headCommit(), "");
    assert.deepEqual(await ws.log(), []);
    assert.deepEqual(await ws.commitAndPush({ message: "nothing yet" }), { pushed: false });
    await writeFile(join(ws.root, "kustomization.yaml"), "resources: []\n");
    const res = await ws.commitAndPush({ message: "gitcert: initialise" });
    assert.equal(res.pushed, true);
    assert.equal(remoteHead(bare), res.commit);
    assert.deepEqual(await ws.sync(), { head: res.commit, unpushed: 0 });
  });

  it("names the branches when the configured one does not exist", async () => {
    const bare = await seededRemote(base, "nobranch", { "a.yaml": "a\n" });
    await assert.rejects(
      open({ url: bare, branch: "prod" }),
      isGitError("GitBranchNotFound", (e) => assert.match(e.message, /branch "prod" does not exist .*it has: main/)),
    );
  });

  it("reports a missing remote as a configuration error", async () => {
    await assert.rejects(open({ url: join(base, "does-not-exist.git") }), isGitError("GitRemoteNotFound", (e) => assert.equal(e.kind, "configuration")));
  });

  it("reuses a workdir holding a clone of the same URL, stale lock files and all", async () => {
    const bare = await seededRemote(base, "reuse", { "a.yaml": "a\n" });
    const workdir = join(base, "reuse-work");
    const first = await openWorkspace({ url: bare, branch: "main", workdir, author: AUTHOR });
    await writeFile(join(first.root, "local-only.txt"), "x\n");
    // As left by a git killed mid-command before a container restart.
    await writeFile(join(workdir, ".git/index.lock"), "");
    const second = await openWorkspace({ url: bare, branch: "main", workdir, author: AUTHOR });
    assert.equal(second.root, first.root);
    assert.equal(await second.headCommit(), remoteHead(bare));
    assert.ok(!existsSync(join(workdir, "local-only.txt")));
  });

  it("refuses a workdir holding a clone of another URL, or other files, and leaves them alone", async () => {
    const one = await seededRemote(base, "one", { "a.yaml": "a\n" });
    const two = await seededRemote(base, "two", { "b.yaml": "b\n" });
    const workdir = join(base, "taken");
    await openWorkspace({ url: one, branch: "main", workdir, author: AUTHOR });
    await writeFile(join(workdir, "precious.txt"), "mine\n");
    await assert.rejects(
      openWorkspace({ url: two, branch: "main", workdir, author: AUTHOR }),
      isGitError("WorkdirConflict", (e) => assert.match(e.message, /holds a clone of .*one\.git/)),
    );
    assert.equal(await readFile(join(workdir, "precious.txt"), "utf8"), "mine\n");

    const busy = join(base, "busy");
    await mkdir(busy);
    await writeFile(join(busy, "notes.txt"), "keep\n");
    await assert.rejects(openWorkspace({ url: one, branch: "main", workdir: busy, author: AUTHOR }), isGitError("WorkdirConflict"));
    assert.equal(await readFile(join(busy, "notes.txt"), "utf8"), "keep\n");
  });

  it("works in a workdir inside another repository without touching that repository", async () => {
    const outer = join(base, "outer");
    await mkdir(outer);
    git(outer, "init", "--quiet");
    const bare = await seededRemote(base, "nested", { "a.yaml": "a\n" });
    const ws = await openWorkspace({ url: bare, branch: "main", workdir: join(outer, ".gitcert-work"), author: AUTHOR });
    assert.equal(await ws.headCommit(), remoteHead(bare));
    assert.throws(() => git(outer, "config", "--get", "remote.origin.url"));
  });

  it("refuses bad branch names and authors before running git", async () => {
    const bare = initBare(join(base, "names.git"));
    for (const branch of ["-evil", "a..b", "a b", "x.lock", ""]) {
      await assert.rejects(open({ url: bare, branch }), isGitError("GitConfigurationError"), branch);
    }
    await assert.rejects(open({ url: bare, author: { name: "a\nb", email: "e@x" } }), isGitError("GitConfigurationError"));
  });
});

describe("Workspace over HTTPS-style token auth (git http-backend)", { timeout: 30_000, concurrency: true }, () => {
  let base: string;
  let server: GitHttpServer;
  const token = `tok-${randomBytes(12).toString("hex")}`;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "gitcert-http-"));
    await mkdir(join(base, "srv"));
    await seededRemote(join(base, "srv"), "repo", { "a.yaml": "a\n" });
    server = await startGitHttpServer({ projectRoot: join(base, "srv"), username: "x-access-token", token });
  });
  after(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  it("clones and pushes with a token, which never reaches disk or the remote URL", async () => {
    const workdir = join(base, "work");
    const ws = await openWorkspace({ url: `${server.url}/repo.git`, branch: "main", workdir, auth: { token }, author: AUTHOR });
    assert.equal(await ws.headCommit(), remoteHead(join(base, "srv/repo.git")));
    await writeFile(join(ws.root, "new.yaml"), "over: http\n");
    const res = await ws.commitAndPush({ message: "over http" });
    assert.equal(res.pushed, true);
    assert.equal(remoteHead(join(base, "srv/repo.git")), res.commit);

    assert.ok(server.requests.some((r) => r.authorized && r.path.includes("git-receive-pack")));
    const config = await readFile(join(workdir, ".git/config"), "utf8");
    assert.ok(!config.includes(token) && !config.toLowerCase().includes("extraheader"), config);
    assert.equal(git(workdir, "remote", "get-url", "origin"), `${server.url}/repo.git`);
    assert.equal(ws.remote, `${server.url}/repo.git`);
  });

  it("fetches with a gzip-compressed request and pushes a streamed (chunked) one", async () => {
    const bare = await seededRemote(join(base, "srv"), "gz", { "a.yaml": "a\n" });
    const ws = await openWorkspace({ url: `${server.url}/gz.git`, branch: "main", workdir: join(base, "work-gz"), auth: { token }, author: AUTHOR });
    // Local history the server lacks makes the client list many "have"
    // lines, and git gzips a fetch request over 1 KiB. Negotiation walks
    // newest first, so the local commits are dated after the shared base:
    // with equal timestamps git may offer the base first and stop early.
    for (let i = 0; i < 40; i++) {
      execFileSync("git", ["commit", "--quiet", "--allow-empty", "-m", `local ${i}`], {
        cwd: ws.root,
        env: { ...process.env, GIT_AUTHOR_NAME: "Me", GIT_AUTHOR_EMAIL: "me@example.test", GIT_COMMITTER_NAME: "Me", GIT_COMMITTER_EMAIL: "me@example.test", GIT_COMMITTER_DATE: `@${4_000_000_000 + i} +0000` },
      });
    }
    const colleague = join(base, "gz-colleague");
    git(base, "clone", "--quiet", bare, colleague);
    git(colleague, "commit", "--quiet", "--allow-empty", "-m", "theirs");
    git(colleague, "push", "--quiet", "origin", "main");
    assert.deepEqual(await ws.sync(), { head: remoteHead(bare), unpushed: 0 });
    // A pack over http.postBuffer (1 MiB) is streamed without Content-Length.
    await writeFile(join(ws.root, "big.yaml"), `data: ${randomBytes(1_200_000).toString("base64")}\n`);
    const res = await ws.commitAndPush({ message: "big" });
    assert.equal(remoteHead(bare), res.commit);

    const mine = server.requests.filter((r) => r.path.startsWith("/gz.git/") && r.method === "POST");
    assert.ok(mine.some((r) => r.path.endsWith("/git-upload-pack") && r.contentEncoding === "gzip"), JSON.stringify(mine));
    assert.ok(mine.some((r) => r.path.endsWith("/git-receive-pack") && r.chunked), JSON.stringify(mine));
  });

  it("reads the token from a file, trailing newline and all", async () => {
    const tokenFile = join(base, "token");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const ws = await openWorkspace({ url: `${server.url}/repo.git`, branch: "main", workdir: join(base, "work-file"), auth: { tokenFile }, author: AUTHOR });
    assert.equal(await ws.headCommit(), remoteHead(join(base, "srv/repo.git")));
  });

  it("fails cleanly with a wrong token, without printing it", async () => {
    const wrong = `wrong-${randomBytes(12).toString("hex")}`;
    await assert.rejects(
      openWorkspace({ url: `${server.url}/repo.git`, branch: "main", workdir: join(base, "work-wrong"), auth: { token: wrong }, author: AUTHOR }),
      isGitError("GitAuthenticationFailed", (e) => {
        assert.equal(e.kind, "configuration");
        const encoded = Buffer.from(`x-access-token:${wrong}`).toString("base64");
        for (const text of [e.message, String(e.stack)]) {
          assert.ok(!text.includes(wrong) && !text.includes(encoded), text);
        }
      }),
    );
    assert.ok(server.requests.some((r) => !r.authorized));
  });

  it("fails cleanly without any token", async () => {
    await assert.rejects(
      openWorkspace({ url: `${server.url}/repo.git`, branch: "main", workdir: join(base, "work-none"), author: AUTHOR }),
      isGitError("GitAuthenticationFailed"),
    );
  });

  it("classifies an unreachable host as transient", async () => {
    const closed = await startGitHttpServer({ projectRoot: join(base, "srv"), username: "u", token });
    await closed.close();
    await assert.rejects(
      openWorkspace({ url: `${closed.url}/repo.git`, branch: "main", workdir: join(base, "work-down"), auth: { token }, author: AUTHOR }),
      isGitError("GitHostUnavailable", (e) => {
        assert.equal(e.kind, "transient");
        assert.ok(!e.message.includes(token));
      }),
    );
  });
});

describe("Workspace over SSH (OpenSSH sshd)", { timeout: 30_000, concurrency: true }, () => {
  let base: string;
  let sshd: SshServer;
  let bare: string;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "gitcert-ssh-"));
    bare = await seededRemote(base, "repo", { "a.yaml": "a\n" });
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.close();
    await rm(base, { recursive: true, force: true });
  });

  it("clones and pushes over ssh:// with a key and a known_hosts", async () => {
    const ws = await openWorkspace({
      url: sshd.url(bare),
      branch: "main",
      workdir: join(base, "work"),
      auth: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile },
      author: AUTHOR,
    });
    assert.equal(await ws.headCommit(), remoteHead(bare));
    await writeFile(join(ws.root, "over-ssh.yaml"), "ssh: true\n");
    const res = await ws.commitAndPush({ message: "over ssh" });
    assert.equal(res.pushed, true);
    assert.equal(remoteHead(bare), res.commit);
  });

  it("refuses a server whose host key is not the known one", async () => {
    await assert.rejects(
      openWorkspace({
        url: sshd.url(bare),
        branch: "main",
        workdir: join(base, "work-mitm"),
        auth: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.wrongKnownHostsFile },
        author: AUTHOR,
      }),
      isGitError("GitAuthenticationFailed", (e) => assert.match(e.message, /host key|Host key/)),
    );
  });

  it("refuses a key the server does not know", async () => {
    const stranger = join(base, "stranger");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    await assert.rejects(
      openWorkspace({
        url: sshd.url(bare),
        branch: "main",
        workdir: join(base, "work-stranger"),
        auth: { sshKeyFile: stranger, knownHostsFile: sshd.knownHostsFile },
        author: AUTHOR,
      }),
      isGitError("GitAuthenticationFailed", (e) => assert.match(e.message, /Permission denied/)),
    );
  });

  it("says so up front when the key file is readable by others", async () => {
    const loose = join(base, "loose-key");
    await copyFile(sshd.clientKeyFile, loose);
    await chmod(loose, 0o644);
    await assert.rejects(
      openWorkspace({ url: sshd.url(bare), branch: "main", workdir: join(base, "work-loose"), auth: { sshKeyFile: loose, knownHostsFile: sshd.knownHostsFile }, author: AUTHOR }),
      isGitError("GitConfigurationError", (e) => assert.match(e.message, /readable by others .*0600/)),
    );
  });
});
