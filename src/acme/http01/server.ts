// gitcert's own HTTP-01 responder: GET /.well-known/acme-challenge/<token>
// answers the key authorization, for the host the challenge is about. It
// listens only while some challenge is presented, so `run --once` exits and
// holds no port between orders — unless opened for the process's life
// (`serve` with a cluster: every replica answers, a standby from the
// cluster's record). Safe for concurrent orders: tokens are unique, and
// opening and closing are serialised.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { nodeHttp } from "../../http/node-http.ts";
import type { AddressInfo } from "node:net";
import { GitcertError } from "../../diagnostics.ts";

export interface Http01ServerOptions {
  /** Listen address; empty for every interface. */
  address?: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * Requests arrive through another server that calls handle() (gitcert's
   * own HTTP server in src/server): present() and remove() then only keep
   * the tokens, and nothing listens here.
   */
  mounted?: boolean;
  /**
   * For a token this process did not present: the key authorization another
   * replica presented, from the cluster (every replica behind the solver
   * Service answers, whichever leads). Undefined: not found.
   */
  lookup?: (token: string, host: string | undefined) => Promise<string | undefined>;
}

// A token is base64url (RFC 8555 §8.3: at least 128 bits of entropy); anything else is not worth asking the cluster about.
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

const PREFIX = "/.well-known/acme-challenge/";

export class Http01Server {
  // Counted: two orders of one account may be handed the same pending authorization.
  private readonly challenges = new Map<string, { keyAuthorization: string; host: string; refs: number }>();
  private server?: Server;
  private users = 0;
  private held = false;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly options: Http01ServerOptions;

  constructor(options: Http01ServerOptions) {
    this.options = options;
  }

  /** The port listened on, once listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Serves the key authorization for `token` to requests for `host` until removed. */
  async present(host: string, token: string, keyAuthorization: string): Promise<void> {
    this.users++;
    try {
      if (!this.options.mounted) await this.serial(() => (this.server ? undefined : this.listen()));
    } catch (err) {
      this.users--;
      throw err;
    }
    const entry = this.challenges.get(token);
    if (entry) entry.refs++;
    else this.challenges.set(token, { keyAuthorization, host: host.toLowerCase(), refs: 1 });
  }

  async remove(token: string): Promise<void> {
    const entry = this.challenges.get(token);
    if (!entry) return;
    if (--entry.refs === 0) this.challenges.delete(token);
    this.users--;
    await this.serial(() => (this.server && this.users === 0 && !this.held ? this.shutdown() : undefined));
  }

  /** Listens from now until close(), whether or not anything is presented. */
  async open(): Promise<void> {
    if (this.options.mounted) return;
    this.held = true;
    await this.serial(() => (this.server ? undefined : this.listen()));
  }

  /**
   * Answers a challenge request; false when the request is not one, so a
   * server with other routes (health, metrics) can mount this handler.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? "").split("?")[0]!;
    if (!path.startsWith(PREFIX)) return false;
    const token = path.slice(PREFIX.length);
    const entry = this.challenges.get(token);
    // As cert-manager's solver: a token answers only for its own host.
    const host = hostOf(req.headers.host);
    const lookup = this.options.lookup;
    if (req.method !== "GET" && req.method !== "HEAD") return notFound(res);
    if (!entry && lookup && TOKEN.test(token)) {
      lookup(token, host).then(
        (keyAuthorization) => (keyAuthorization === undefined ? notFound(res) : answer(req, res, keyAuthorization)),
        () => notFound(res),
      );
      return true;
    }
    if (!entry || (host !== undefined && host !== entry.host)) return notFound(res);
    return answer(req, res, entry.keyAuthorization);
  }

  /** Stops listening at once, whatever is presented (shutdown, tests). */
  async close(): Promise<void> {
    this.challenges.clear();
    this.users = 0;
    this.held = false;
    await this.serial(() => (this.server ? this.shutdown() : undefined));
  }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private listen(): Promise<void> {
    const server = nodeHttp.createServer((req, res) => {
      if (!this.handle(req, res)) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    });
    server.keepAliveTimeout = 2000;
    const address = this.options.address || undefined;
    return new Promise((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        const where = `${address ?? "*"}:${this.options.port}`;
        reject(new GitcertError("Http01ListenFailed", `the HTTP-01 server cannot listen on ${where}: ${err.code ?? err.message}`));
      });
      server.listen(this.options.port, address, () => {
        this.server = server;
        resolve();
      });
    });
  }

  private shutdown(): Promise<void> {
    const server = this.server!;
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function notFound(res: ServerResponse): true {
  res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  return true;
}

function answer(req: IncomingMessage, res: ServerResponse, keyAuthorization: string): true {
  res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(keyAuthorization) });
  res.end(req.method === "HEAD" ? undefined : keyAuthorization);
  return true;
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}
