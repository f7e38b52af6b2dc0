// Secrets never leave gitcert in an error message, a diagnostic or a log
// line, whatever encoding the server or proxy that echoed them chose.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redact, redactedExcerpt } from "../src/redact.ts";

describe("redact", () => {
  const cases: Array<{ text: string; secrets?: string[]; want: string }> = [
    {
      text: "fatal: unable to access 'https://bot:ghp_abcdef123456@github.com/o/r.git/': 403",
      want: "fatal: unable to access 'https://***@github.com/o/r.git/': 403",
    },
    { text: "ssh://git@host:22/repo and http://u@h/x", want: "ssh://***@host:22/repo and http://***@h/x" },
    { text: "header Authorization: Basic eC1hY2Nlc3M6dG9rZW4= sent", want: "header Authorization: Basic *** sent" },
    { text: "authorization: Bearer abc.def.ghi", want: "authorization: Bearer ***" },
    { text: "token s3cr3t-value in the middle, s3cr3t-value again", secrets: ["s3cr3t-value"], want: "token *** in the middle, *** again" },
    { text: "encoded a%2Fb%2Bc-secret", secrets: ["a/b+c-secret"], want: "encoded ***" },
    { text: "nothing to hide at https://github.com/o/r.git@v1", want: "nothing to hide at https://github.com/o/r.git@v1" },
    { text: "short secrets are not masked: ab", secrets: ["ab"], want: "short secrets are not masked: ab" },
    { text: '{"echo":"tok/en+secret\\\\x"}', secrets: ["tok/en+secret\\x"], want: '{"echo":"***"}' },
    { text: '{"echo":"tok\\/en-secret"}', secrets: ["tok/en-secret"], want: '{"echo":"***"}' },
    { text: '{"headers":{"Authorization":"Bearer abcdefghijkl"}}', want: '{"headers":{"Authorization":"Bearer ***"}}' },
    { text: "upstream said: bearer AbCdEfGhIjKlMnOp rejected", want: "upstream said: Bearer *** rejected" },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.text), () => assert.equal(redact(c.text, c.secrets), c.want));
  }
});

describe("redactedExcerpt", () => {
  it("redacts before it cuts, so a secret across the cut leaves no half behind", () => {
    const secret = "cf-token-0123456789abcdefghijklmnopqrstuvwxyz";
    const body = `${"x".repeat(190)} echo ${secret} end`;
    const excerpt = redactedExcerpt(body, [secret], 200);
    assert.ok(!excerpt.includes(secret.slice(0, 8)), excerpt);
    assert.ok(excerpt.endsWith("…"));
    assert.equal(redactedExcerpt("  short body  ", [secret], 200), "short body");
  });
});
