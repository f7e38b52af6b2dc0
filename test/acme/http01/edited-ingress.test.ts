// Edit in place adds the challenge path to the user's Ingress and removes
// exactly it again: whatever the Ingress looked like, it ends as it began.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterObject } from "../../../src/acme/http01/index.ts";
import { addChallengePath, removeChallengePath } from "../../../src/acme/http01/routes/edited-ingress.ts";

const PATH = "/.well-known/acme-challenge/tok";
const challenge = { path: PATH, pathType: "Exact", backend: { service: { name: "cm-acme-http-solver-1", port: { number: 80 } } } };
const own = { path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } };

const ingress = (spec: Record<string, unknown>): ClusterObject => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "web", namespace: "shop" }, spec });

const cases = [
  { name: "a rule for the host: the path goes first in it", spec: { rules: [{ host: "web.example.com", http: { paths: [own] } }] }, host: "web.example.com", addedRule: false, first: ["web.example.com", PATH] },
  { name: "no rule for the host: a rule of its own", spec: { rules: [{ host: "other.example.com", http: { paths: [own] } }] }, host: "web.example.com", addedRule: true, first: ["other.example.com", "/"] },
  { name: "no rules at all (a default backend only)", spec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } }, host: "web.example.com", addedRule: true, first: ["web.example.com", PATH] },
  { name: "an IP identifier: the rule without a host", spec: { rules: [{ http: { paths: [own] } }] }, host: undefined, addedRule: false, first: ["", PATH] },
];

for (const c of cases) {
  test(`edit in place: ${c.name}; removal restores the Ingress exactly`, () => {
    const object = ingress(structuredClone(c.spec));
    const before = structuredClone(object);
    const added = addChallengePath(object, c.host, challenge);
    assert.deepEqual(added, { changed: true, addedRule: c.addedRule });
    const rule = (object.spec as { rules: Array<{ host?: string; http: { paths: Array<{ path: string }> } }> }).rules[0]!;
    assert.deepEqual([rule.host ?? "", rule.http.paths[0]!.path], c.first);
    assert.deepEqual(addChallengePath(object, c.host, challenge), { changed: false, addedRule: false }, "adding again changes nothing");
    assert.equal(removeChallengePath(object, c.host, PATH, challenge.backend.service.name, added.addedRule), true);
    assert.deepEqual(object, before);
  });
}

test("edit in place: a path of the same text to another backend (the user's own) is never removed", () => {
  const users = { ...challenge, backend: { service: { name: "their-solver", port: { number: 8089 } } } };
  const object = ingress({ rules: [{ host: "web.example.com", http: { paths: [users, own] } }] });
  const before = structuredClone(object);
  assert.equal(removeChallengePath(object, "web.example.com", PATH, "cm-acme-http-solver-1", false), false);
  assert.deepEqual(object, before);
});
