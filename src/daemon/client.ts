// `gitcert renew` when a `gitcert serve` runs beside it (kubectl exec into
// the pod, or the same host): the request goes to the running process, which
// renews in its own reconcile, instead of a second process racing it for the
// same commit. When nothing answers, the caller runs once itself.
import { nodeHttp } from "../http/node-http.ts";
import { SERVER_NAME } from "../server/index.ts";

export type SidecarAnswer = { reached: false } | { reached: true; status: number; body: Record<string, unknown> };

export interface SidecarAddress {
  address: string;
  port: number;
  token: string;
}

export function askToRenew(where: SidecarAddress, names: readonly string[] | "all"): Promise<SidecarAnswer> {
  const body = JSON.stringify(names === "all" ? { all: true } : { certificates: names });
  // Listening on every interface: this machine reaches it on loopback.
  const host = where.address === "" || where.address === "0.0.0.0" || where.address === "::" ? "127.0.0.1" : where.address;
  return new Promise((resolve) => {
    // node:http, not fetch: the answer comes when the renewal is done, which may be minutes.
    const req = nodeHttp.request(
      {
        host,
        port: where.port,
        path: "/renew",
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(where.token ? { authorization: `Bearer ${where.token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.headers.server !== SERVER_NAME) return resolve({ reached: false });
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          } catch {
            // an empty or cut answer: the status says enough
          }
          resolve({ reached: true, status: res.statusCode ?? 0, body: parsed });
        });
        res.on("error", () => resolve({ reached: false }));
      },
    );
    req.on("error", () => resolve({ reached: false }));
    req.end(body);
  });
}
