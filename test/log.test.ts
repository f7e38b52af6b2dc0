import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger, StatusLine, textLine } from "../src/log.ts";

function collector() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join(""), chunks };
}

test("JSON lines for a pod: one object per line, secret fields redacted", () => {
  const out = collector();
  const log = createLogger("info", { destination: out.stream });
  log.info({ file: "apps/shop/certificate.yaml", token: "ghp_abc" }, "issued");
  log.debug("not at info");
  const lines = out.text().trim().split("\n");
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual({ ...entry, time: undefined }, { level: 30, time: undefined, file: "apps/shop/certificate.yaml", token: "<redacted>", msg: "issued" });
});

test("readable lines for a terminal: time, level, message, then the fields; secrets still redacted", () => {
  const out = collector();
  const log = createLogger("info", { format: "text", destination: out.stream });
  log.warn({ code: "InvalidYAML", file: "apps/my app.yaml", line: 3, identity: "AGE-SECRET-KEY-1XYZ" }, "Certificate shop/api: not valid YAML");
  assert.match(out.text(), /^\d\d:\d\d:\d\d WARN  Certificate shop\/api: not valid YAML code=InvalidYAML file="apps\/my app\.yaml" line=3 identity=<redacted>\n$/);
  assert.doesNotMatch(out.text(), /AGE-SECRET-KEY/);
});

test("a terminal line colours its level only when asked, and names an error by its message", () => {
  const line = JSON.stringify({ level: 50, time: Date.UTC(2026, 0, 1, 12, 0, 0), msg: "push failed", err: { type: "Error", message: "remote hung up", stack: "Error: remote hung up\n    at x" } });
  assert.match(textLine(line, true), /\x1b\[31mERROR\x1b\[0m push failed err="remote hung up"\n$/);
  assert.match(textLine(line, false), / ERROR push failed err="remote hung up"\n$/);
  assert.doesNotMatch(textLine(line), /at x/, "no stack trace on a terminal line");
  assert.equal(textLine("not json"), "not json\n");
});

test("log lines print above the status line, which is drawn again below them and cleared at the end", () => {
  const out = collector();
  const status = new StatusLine(out.stream);
  const log = createLogger("info", { format: "text", destination: out.stream, statusLine: status });
  status.set("1 of 3 done");
  log.info("pushed");
  status.set("2 of 3 done");
  status.clear();
  status.clear();
  const [first, logged, second, cleared, ...rest] = out.chunks;
  assert.equal(first, "\r\x1b[K1 of 3 done");
  assert.match(logged!, /^\r\x1b\[K\d\d:\d\d:\d\d INFO  pushed\n1 of 3 done$/);
  assert.equal(second, "\r\x1b[K2 of 3 done");
  assert.equal(cleared, "\r\x1b[K");
  assert.deepEqual(rest, [], "clearing twice writes nothing more");
});
