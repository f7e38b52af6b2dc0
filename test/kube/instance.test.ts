// The instance label: one repository, one value, however its URL is written.
import assert from "node:assert/strict";
import { test } from "node:test";
import { instanceOf } from "../../src/kube/instance.ts";

test("one repository gives one instance label, whichever way its URL is written; another repository or branch another", () => {
  const of = (repo: string, branch = "main") => instanceOf({ instance: "", repo, branch });
  const ours = of("https://git.example.com/platform/cluster.git");
  assert.match(ours, /^[0-9a-f]{16}$/);
  for (const same of ["ssh://git@git.example.com/platform/cluster.git", "git@git.example.com:platform/cluster.git", "https://bot@git.example.com/platform/cluster", "HTTPS://git.example.com/platform/cluster.git/"]) {
    assert.equal(of(same), ours, same);
  }
  assert.notEqual(of("https://git.example.com/platform/other.git"), ours);
  assert.notEqual(of("https://git.example.com/platform/cluster.git", "staging"), ours);
  assert.notEqual(of("ssh://git@git.example.com:2222/platform/cluster.git"), of("ssh://git@git.example.com:2223/platform/cluster.git"), "a port is part of the host");
  assert.equal(instanceOf({ instance: "team-a", repo: "whatever", branch: "main" }), "team-a");
});
