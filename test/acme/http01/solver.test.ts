// The HTTP-01 solver composes the registered routes: gitcert's listener
// first, so the answer is there before any traffic is routed to it; every
// route taken down again in reverse order, whatever the validation did; a
// route that cannot be taken down is a warning, not a failed issuance.
import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { http01Routes, Http01Server, solveHttp01, type Http01Route, type Http01RouteContext } from "../../../src/acme/http01/index.ts";
import { certificateSpec } from "../../fixtures/certificate-spec.ts";

const challenge = { identifier: "web.example.com", token: "tok-0123456789abcdef0123456789", keyAuthorization: "tok-0123456789abcdef0123456789.thumb" };
const context: Http01RouteContext = {
  solver: { ingress: { ingressClassName: "nginx" } },
  certificate: { name: "web", namespace: "shop", labels: {}, spec: certificateSpec(), source: { file: "apps/web.yaml", line: 1 } },
  issuer: { kind: "ClusterIssuer", name: "le", namespace: "", spec: {}, source: { file: "platform/issuers.yaml", line: 1 } },
};

function fetchChallenge(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: `/.well-known/acme-challenge/${challenge.token}`, headers: { host: challenge.identifier }, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A route as the cluster work will add one, recording what it is asked to do. */
function recordingRoute(events: string[], fail: { present?: boolean; cleanUp?: boolean } = {}): Http01Route {
  return {
    name: "recording",
    handles: (ctx) => ctx.solver.ingress !== undefined,
    async present(c, ctx) {
      events.push(`present ${c.identifier} via ${ctx.solver.ingress?.ingressClassName}`);
      if (fail.present) throw new Error(`no route for ${c.token}`);
    },
    async cleanUp(c) {
      events.push(`cleanUp ${c.identifier}`);
      if (fail.cleanUp) throw new Error(`the API refused to delete the route for ${c.token}`);
    },
  };
}

test("without a cluster the registry has gitcert's own listener alone, answering while the challenge is open", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const routes = http01Routes({ listener });
  assert.deepEqual(routes.map((r) => r.name), ["listener"]);
  let answered: { status: number; body: string } | undefined;
  await solveHttp01({ routes, selfCheck: false }, challenge, context, async () => {
    answered = await fetchChallenge(listener.port!);
  });
  assert.deepEqual(answered, { status: 200, body: challenge.keyAuthorization });
  assert.equal(listener.listening, false, "closed again once the challenge is done");
});

test("routes are presented in order and taken down in reverse, also when validation fails", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const events: string[] = [];
  const routes = [...http01Routes({ listener }), recordingRoute(events)];
  await assert.rejects(
    solveHttp01({ routes, selfCheck: false }, challenge, context, async () => {
      events.push(`validate: listener ${listener.listening ? "answering" : "closed"}`);
      throw new Error("the CA said invalid");
    }),
    /the CA said invalid/,
  );
  assert.deepEqual(events, ["present web.example.com via nginx", "validate: listener answering", "cleanUp web.example.com"]);
  assert.equal(listener.listening, false);
});

test("abandoned while waiting for the CA (the shutdown's grace period over): the wait is given up at once and every route taken down", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const events: string[] = [];
  const routes = [...http01Routes({ listener }), recordingRoute(events)];
  const abandon = new AbortController();
  const solving = solveHttp01({ routes, selfCheck: false }, challenge, context, () => {
    events.push("validate: waiting for a CA that never answers");
    abandon.abort(new Error("the shutdown grace period (0 s) is over"));
    return new Promise(() => undefined);
  }, abandon.signal);
  await assert.rejects(solving, /the shutdown grace period \(0 s\) is over/);
  assert.deepEqual(events, ["present web.example.com via nginx", "validate: waiting for a CA that never answers", "cleanUp web.example.com"]);
  assert.equal(listener.listening, false);
  await assert.rejects(solveHttp01({ routes, selfCheck: false }, challenge, context, async () => undefined, abandon.signal), /grace period/, "nothing is presented once abandoned");
  assert.equal(events.length, 3);
});

test("a route that cannot be presented fails the challenge and takes down what was presented before it", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const events: string[] = [];
  let validated = false;
  await assert.rejects(
    solveHttp01({ routes: [...http01Routes({ listener }), recordingRoute(events, { present: true })], selfCheck: false }, challenge, context, async () => {
      validated = true;
    }),
    /no route for/,
  );
  assert.equal(validated, false, "the CA is not asked to validate what cannot be reached");
  assert.deepEqual(events, ["present web.example.com via nginx"], "a present that failed is not cleaned up");
  assert.equal(listener.listening, false, "the listener presented before it is taken down");
});

test("a route that cannot be taken down is a warning without the token; the issuance stands", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const warnings: string[] = [];
  const routes = [...http01Routes({ listener }), recordingRoute([], { cleanUp: true })];
  await solveHttp01({ routes, selfCheck: false, onWarning: (m) => warnings.push(m) }, challenge, context, async () => {});
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^HTTP-01 cleanup of the recording route for web\.example\.com failed: the API refused/);
  assert.ok(!warnings[0]!.includes(challenge.token));
  assert.equal(listener.listening, false, "the listener is still taken down");
});

test("without a cluster, a solver that asks for an Ingress gets a warning saying none was made, and a failed self-check says so too", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const warnings: string[] = [];
  const routes = http01Routes({ listener });
  // Nothing listens on the port the self-check fetches from: nobody routed the traffic.
  const selfCheck = { port: 9, nameservers: [], timeoutMs: 200, intervalMs: 100 };
  const failure = await solveHttp01({ routes, selfCheck, onWarning: (m) => warnings.push(m) }, { ...challenge, identifier: "127.0.0.1" }, context, async () => {
    assert.fail("the CA is not asked to validate");
  }).catch((err: Error) => err);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Certificate shop\/web: the HTTP-01 solver asks for a temporary challenge Ingress of class nginx in shop, but no cluster is configured/);
  assert.match(String(failure), /self-check .* failed.*Note: Certificate shop\/web: the HTTP-01 solver asks for a temporary challenge Ingress/s);
});

test("a solver that asks for no route (http01: {}) is the user's routing: no warning", async () => {
  const listener = new Http01Server({ address: "127.0.0.1", port: 0 });
  const warnings: string[] = [];
  await solveHttp01({ routes: http01Routes({ listener }), selfCheck: false, onWarning: (m) => warnings.push(m) }, challenge, { ...context, solver: {} }, async () => {});
  assert.deepEqual(warnings, []);
});
