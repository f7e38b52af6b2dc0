// gitcert's HTTP server on 127.0.0.1 at a free port, with the work it is
// asked to do recorded instead of reconciles run.
import { createHmac } from "node:crypto";
import type { TestContext } from "node:test";
import { startServers, type Route, type ServerDeps, type TriggerRequest } from "../../src/server/index.ts";

export interface Served {
  url: string;
  triggers: TriggerRequest[];
}

export const ALL_ROUTES: ReadonlySet<Route> = new Set(["health", "metrics", "webhook", "api"]);

export async function serve(t: TestContext, overrides: Partial<ServerDeps> = {}): Promise<Served> {
  const triggers: TriggerRequest[] = [];
  const deps: ServerDeps = {
    health: () => ({ ok: true, detail: "idle" }),
    ready: () => ({ ok: true, detail: "ready" }),
    trigger: (request) => {
      triggers.push(request);
      return { accepted: true, done: Promise.resolve({ status: 200, body: { reconciled: request.trigger } }) };
    },
    webhookSecret: () => "",
    apiToken: () => "",
    branch: "main",
    maxBodyBytes: 64 * 1024,
    ...overrides,
  };
  const running = await startServers([{ address: "127.0.0.1", port: 0, routes: ALL_ROUTES }], deps);
  t.after(() => running.close());
  return { url: `http://127.0.0.1:${running.addresses[0]!.port}`, triggers };
}

export function hmacHex(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}
