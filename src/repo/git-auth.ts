// How a git process reaches the remote: which kind of URL it is, and the
// environment that carries credentials. Credentials live only in the
// environment of each git process: never in .git/config, never in the remote
// URL, so nothing on disk in the workdir and nothing git prints can hold them.
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { GitError } from "./git-errors.ts";

export interface GitAuth {
  /** Private key for ssh:// and scp-style URLs. */
  sshKeyFile?: string;
  /** known_hosts to trust; without it, the first host key seen is accepted. */
  knownHostsFile?: string;
  /** Token for https:// URLs (sent as HTTP Basic, `username:token`). */
  token?: string;
  /** File holding the token, read before every network command so a rotated token is picked up. */
  tokenFile?: string;
  /** Basic-auth user paired with the token; `x-access-token` when unset (GitHub, Gitea and GitLab accept it for tokens). */
  username?: string;
}

export type RemoteKind = "local" | "http" | "ssh";

export interface Remote {
  kind: RemoteKind;
  /** The URL as given to git and stored in .git/config: no credentials in it. */
  url: string;
  /** For http: `scheme://host[:port]/`, the scope the Authorization header is sent to. */
  origin?: string;
  /** For http: the user named in the URL, if any (the password is refused). */
  username?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function configError(message: string): GitError {
  return new GitError("GitConfigurationError", "configuration", "configure", message);
}

/**
 * Recognise the remote URL forms gitcert supports and put them in the form
 * written to .git/config. Anything else (git's `ext::` helpers above all,
 * which run commands) is refused rather than handed to git.
 */
export function parseRemote(input: string): Remote {
  const url = input.trim();
  if (!url) throw configError("the repository URL is empty");
  // A leading dash would be read by git as an option.
  if (url.startsWith("-")) throw configError(`the repository URL must not start with "-"`);
  if (/[\0\r\n]/.test(url)) throw configError("the repository URL contains a control character");

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "file") return { kind: "local", url };
  if (scheme === "ssh" || scheme === "git+ssh" || scheme === "ssh+git") {
    // ssh never uses a password from the URL, but git would keep it in .git/config.
    if (/^[^:]+:\/\/[^/@]*:[^/@]*@/.test(url)) {
      throw configError("the repository URL carries a password; ssh remotes authenticate with auth.sshKeyFile");
    }
    return { kind: "ssh", url };
  }
  if (scheme === "http" || scheme === "https") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw configError("the repository URL is not a valid URL");
    }
    if (parsed.password) {
      // Stored in .git/config and echoed by git in errors: refuse it outright.
      throw configError("the repository URL carries a password; put the token in auth.token or auth.tokenFile instead");
    }
    const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
    parsed.username = "";
    return {
      kind: "http",
      url: parsed.toString(),
      origin: `${parsed.protocol}//${parsed.host}/`,
      ...(username ? { username } : {}),
    };
  }
  if (scheme) throw configError(`unsupported repository URL scheme "${scheme}://" (use https://, ssh://, file:// or a path)`);
  if (url.includes("::")) throw configError("git remote helpers (`transport::address`) are not supported");
  // git's own rule: a colon before the first slash makes it scp-style ssh.
  if (/^[^/]*:/.test(url)) return { kind: "ssh", url };
  return { kind: "local", url: resolve(url) };
}

/** Quote for the POSIX shell git uses to run GIT_SSH_COMMAND. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The ssh command line git runs for ssh remotes. */
export function sshCommand(auth: Pick<GitAuth, "sshKeyFile" | "knownHostsFile"> = {}): string {
  const parts = ["ssh"];
  if (auth.sshKeyFile) parts.push("-i", shellQuote(auth.sshKeyFile), "-o", "IdentitiesOnly=yes");
  if (auth.knownHostsFile) {
    parts.push("-o", `UserKnownHostsFile=${shellQuote(auth.knownHostsFile)}`, "-o", "StrictHostKeyChecking=yes");
  } else {
    // No known_hosts given: trust on first use. The first host key seen is
    // recorded in ~/.ssh/known_hosts and a changed key is still refused, but
    // the very first connection is open to a man in the middle. Give
    // knownHostsFile in production.
    parts.push("-o", "StrictHostKeyChecking=accept-new");
  }
  // A passphrase or password prompt would hang a sidecar forever.
  parts.push("-o", "BatchMode=yes", "-o", "ConnectTimeout=30");
  return parts.join(" ");
}

/** `Authorization: Basic base64(user:token)`, the form every Git host accepts for tokens. */
export function basicAuthorization(username: string, token: string): string {
  return `Basic ${Buffer.from(`${username}:${token}`, "utf8").toString("base64")}`;
}

export interface GitAuthEnvironment {
  /** Variables to add to the git process environment. */
  env: Record<string, string>;
  /** Strings that must never appear in anything gitcert prints. */
  secrets: string[];
}

async function readToken(auth: GitAuth): Promise<string | undefined> {
  if (auth.token !== undefined && auth.tokenFile !== undefined) {
    throw configError("set auth.token or auth.tokenFile, not both");
  }
  if (auth.token !== undefined) return auth.token;
  if (auth.tokenFile === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(auth.tokenFile, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw configError(`cannot read auth.tokenFile ${auth.tokenFile}: ${code}`);
  }
  // Mounted Secrets and `echo > file` both leave a trailing newline.
  return text.trim();
}

/**
 * Refuse up front what ssh would refuse with a vaguer message later: a key
 * that is missing, or readable by others (ssh ignores such a key; Kubernetes
 * mounts Secrets 0644 unless told `defaultMode: 0400`).
 */
export async function checkSshKeyFile(file: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    throw configError(`cannot read auth.sshKeyFile ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (typeof process.getuid === "function" && st.uid === process.getuid() && (st.mode & 0o077) !== 0) {
    throw configError(
      `auth.sshKeyFile ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}) and ssh will not use it; ` +
        "make it 0600, or mount the Secret with defaultMode: 0400",
    );
  }
}

/**
 * The environment that authenticates one git process against `remote`.
 * Fields of `auth` that do not apply to the remote's kind are ignored, so one
 * credentials Secret can serve either URL form.
 */
export async function authEnvironment(remote: Remote, auth: GitAuth = {}): Promise<GitAuthEnvironment> {
  if (remote.kind === "ssh") {
    return { env: { GIT_SSH_COMMAND: sshCommand(auth) }, secrets: [] };
  }
  if (remote.kind !== "http") return { env: {}, secrets: [] };

  const token = await readToken(auth);
  if (token === undefined) return { env: {}, secrets: [] };
  if (!token) throw configError("the auth token is empty");
  const origin = remote.origin ?? "";
  if (origin.startsWith("http:") && !LOOPBACK.has(new URL(origin).hostname)) {
    throw configError("refusing to send a token over plain http:// to a non-loopback host; use https://");
  }
  const username = auth.username ?? remote.username ?? "x-access-token";
  const value = `Authorization: ${basicAuthorization(username, token)}`;
  return {
    env: {
      // Scoped to the remote's origin with git's http.<url>.* matching, so a
      // submodule or redirect elsewhere never receives the header.
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `http.${origin}.extraHeader`,
      GIT_CONFIG_VALUE_0: value,
    },
    secrets: [token, basicAuthorization(username, token).slice("Basic ".length), value],
  };
}
