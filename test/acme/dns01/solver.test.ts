// The DNS-01 solver when the reconcile is abandoned (SIGTERM past serve's
// grace period, leadership lost) while it waits for the TXT record to
// propagate: the wait is given up at once and the record removed, instead
// of the process exiting with the record still at the provider.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { Dns01Solver } from "../../../src/acme/dns01/index.ts";
import type { Dns01Provider } from "../../../src/acme/dns01/types.ts";
import type { IssuerEnv } from "../../../src/issuers/types.ts";
import { freePorts } from "../../peers/pebble.ts";

test("abandoned while waiting for propagation: the wait is given up and the TXT record removed", async () => {
  const events: string[] = [];
  const abandon = new AbortController();
  const recording: Dns01Provider = {
    name: "recording",
    schema: z.unknown(),
    secrets: () => [],
    async present(record) {
      events.push(`present ${record.fqdn}`);
      // Once the solver is waiting on a nameserver that never answers.
      setTimeout(() => abandon.abort(new Error("the shutdown grace period (0 s) is over")), 50);
    },
    async cleanUp(record) {
      events.push(`cleanUp ${record.fqdn}`);
    },
  };
  // A nameserver that never answers; the propagation wait would give up only after 3 s, long after the abort.
  const [silent] = (await freePorts(1)) as [number];
  const solver = new Dns01Solver({ providers: new Map([["recording", recording]]), nameservers: [`127.0.0.1:${silent}`], propagationTimeoutMs: 3000, intervalMs: 500 });
  const env: IssuerEnv = { readSecret: async () => undefined, writeSecret: async () => undefined, now: () => new Date(), clusterResourceNamespace: "cert-manager", signal: abandon.signal };
  const challenge = { domain: "web.example.com", value: "txt-value", spec: { provider: "recording", cnameStrategy: "None" as const, config: {} }, namespace: "shop" };
  await assert.rejects(
    solver.solve(challenge, env, async () => void events.push("validate")),
    /the shutdown grace period \(0 s\) is over/,
  );
  assert.deepEqual(events, ["present _acme-challenge.web.example.com.", "cleanUp _acme-challenge.web.example.com."]);
  await assert.rejects(solver.solve(challenge, env, async () => undefined), /grace period/, "nothing is presented once abandoned");
  assert.equal(events.length, 2);
});
