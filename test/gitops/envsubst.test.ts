import { test } from "node:test";
import assert from "node:assert/strict";
import { substitute, VARIABLE_NAME, type VariableValue } from "../../src/gitops/envsubst.ts";

const vars: Record<string, VariableValue> = {
  DOMAIN: { kind: "value", value: "example.com" },
  EMPTY: { kind: "value", value: "" },
  ENV: { kind: "value", value: "Prod" },
  PATH_VAR: { kind: "value", value: "a/b/c.tar.gz" },
  TOKEN: { kind: "sealed" },
  REMOTE: { kind: "unseen" },
};
const lookup = (name: string) => vars[name];

// Each row: input, expected text (or error), and the variables reported.
const cases: Array<{ in: string; out?: string; error?: RegExp; missing?: string[]; sealed?: string[]; unseen?: string[] }> = [
  { in: "www.${DOMAIN}", out: "www.example.com" },
  { in: "$DOMAIN stays", out: "$DOMAIN stays" },
  { in: "$${DOMAIN} is escaped", out: "${DOMAIN} is escaped" },
  { in: "price: $$5", out: "price: $5" },
  { in: "$$${DOMAIN}", out: "$example.com" },
  { in: "a $ b", out: "a $ b" },
  { in: "${UNSET}", out: "", missing: ["UNSET"] },
  { in: "${UNSET:=fallback.example}", out: "fallback.example" },
  { in: "${UNSET:-x}${UNSET=y}", out: "xy" },
  { in: "${EMPTY:=d}", out: "d" },
  { in: "${EMPTY}", out: "" },
  { in: "${DOMAIN:=other}", out: "example.com" },
  { in: "${UNSET:=${DOMAIN}}", out: "example.com" },
  { in: "${UNSET:=${ALSO_UNSET}}", out: "", missing: ["ALSO_UNSET"] },
  { in: "${ENV,,}.${DOMAIN}", out: "prod.example.com" },
  { in: "${ENV^^} ${ENV,}", out: "PROD prod" },
  { in: "${#DOMAIN}", out: "11" },
  { in: "${DOMAIN:4}|${DOMAIN:0:7}", out: "ple.com|example" },
  { in: "${PATH_VAR#*/}|${PATH_VAR##*/}", out: "b/c.tar.gz|c.tar.gz" },
  { in: "${PATH_VAR%.*}|${PATH_VAR%%.*}", out: "a/b/c.tar|a/b/c" },
  { in: "${DOMAIN/example/test}|${PATH_VAR//\\//-}", out: "test.com|a-b-c.tar.gz" },
  { in: "${DOMAIN:1}:x", out: "xample.com:x" },
  { in: "${UNSET,,}", out: "", missing: ["UNSET"] },
  { in: "${TOKEN}.x", out: ".x", sealed: ["TOKEN"] },
  { in: "${REMOTE}", out: "", unseen: ["REMOTE"] },
  { in: "${DOMAIN", error: /missing closing brace/ },
  { in: "${}", error: /variable name/ },
  { in: "${DOMAIN-x}", error: /missing closing brace/ },
  { in: "${DOMAIN/x}", error: /bad substitution/ },
];

for (const c of cases) {
  test(`substitute(${JSON.stringify(c.in)})`, () => {
    const r = substitute(c.in, lookup);
    if (c.error) {
      assert.match(r.error ?? "", c.error);
      assert.equal(r.text, undefined);
      return;
    }
    assert.equal(r.error, undefined);
    assert.equal(r.text, c.out);
    assert.deepEqual(r.missing, c.missing ?? []);
    assert.deepEqual(r.sealed, c.sealed ?? []);
    assert.deepEqual(r.unseen, c.unseen ?? []);
  });
}

test("variable names Flux accepts", () => {
  for (const ok of ["DOMAIN", "_x", "cluster_env", "Ünïcode1"]) assert.ok(VARIABLE_NAME.test(ok), ok);
  for (const bad of ["1abc", "a-b", "a.b", ""]) assert.ok(!VARIABLE_NAME.test(bad), bad);
});
