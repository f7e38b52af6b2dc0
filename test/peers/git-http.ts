// A real smart-HTTP Git server for tests: node's http server in front of
// `git http-backend` run as CGI, the same program Apache or nginx would run.
// It demands HTTP Basic auth with one token, so tests can prove a token
// reaches the server and a wrong one is refused.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

export interface GitHttpRequest {
  method: string;
  path: string;
  authorized: boolean;
  /** `gzip` when git compressed the request body. */
  contentEncoding?: string;
  /** True when the body came chunked (no Content-Length): git streams large pushes. */
  chunked: boolean;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`, append `/<repo>.git`. */
  url: string;
  /** Every request seen, in order. */
  requests: GitHttpRequest[];
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** Folder holding the bare repositories to serve. */
  projectRoot: string;
  username: string;
  token: string;
}

function splitHeaders(buf: Buffer): { head: string; rest: Buffer } | undefined {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { head: buf.subarray(0, crlf).toString("latin1"), rest: buf.subarray(crlf + 4) };
  if (lf !== -1) return { head: buf.subarray(0, lf).toString("latin1"), rest: buf.subarray(lf + 2) };
  return undefined;
}

function runBackend(req: IncomingMessage, res: ServerResponse, options: GitHttpServerOptions): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    // With REMOTE_USER set, http-backend enables receive-pack (push).
    REMOTE_USER: options.username,
    REMOTE_ADDR: "127.0.0.1",
    GATEWAY_INTERFACE: "CGI/1.1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  // git gzips large request bodies; http-backend inflates them itself when told.
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
  if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = String(req.headers["git-protocol"]);

  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.on("error", () => undefined);
  req.pipe(child.stdin);

  let pending: Buffer = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const split = splitHeaders(pending);
    if (!split) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of split.head.split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i === -1) continue;
      const key = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (key.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    if (split.rest.length > 0) res.write(split.rest);
  });
  child.on("close", (code) => {
    if (!headersSent) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
}

/** Start the server on 127.0.0.1, on a port the OS picks. */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.token}`).toString("base64")}`;
  const requests: GitHttpRequest[] = [];
  const server = createServer((req, res) => {
    const authorized = req.headers.authorization === expected;
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorized,
      ...(req.headers["content-encoding"] ? { contentEncoding: String(req.headers["content-encoding"]) } : {}),
      chunked: req.headers["content-length"] === undefined && /chunked/i.test(String(req.headers["transfer-encoding"] ?? "")),
    });
    if (!authorized) {
      req.resume();
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="gitcert-test"', "Content-Type": "text/plain" });
      res.end("unauthorized\n");
      return;
    }
    runBackend(req, res, options);
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, requests, close };
}
