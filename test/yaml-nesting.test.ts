import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_YAML_NESTING, yamlNestingProblem } from "../src/yaml-nesting.ts";

const ROOT = join(import.meta.dirname, "..");

describe("yamlNestingProblem", () => {
  it("lets real manifests through, however they are written", () => {
    const manifest = [
      "apiVersion: cert-manager.io/v1",
      "kind: Certificate",
      "metadata: {name: web, labels: {app: web}}",
      "spec:",
      "  dnsNames: [a.example.com, '[not a bracket', \"{nor this\"]",
      "  subject:",
      "    organizations:",
      "      - - nested once",
      "  note: |",
      "    [[[[[[ text in a block scalar",
      "---",
      "- ? complex",
      "  : key",
    ].join("\n");
    assert.equal(yamlNestingProblem(manifest), undefined);
    assert.equal(yamlNestingProblem(`a: ${"[".repeat(MAX_YAML_NESTING)}${"]".repeat(MAX_YAML_NESTING)}\n`), undefined);
  });

  it("finds flow, inline block and complex-key nesting past the limit, and names the line", () => {
    const cases = {
      flow: `# comment\nkind: X\nspec: ${"[".repeat(MAX_YAML_NESTING + 1)}\n`,
      "flow maps": `# comment\nkind: X\nspec: ${"{a: ".repeat(MAX_YAML_NESTING + 1)}\n`,
      "inline sequences": `# comment\nkind: X\nspec:\n${"- ".repeat(MAX_YAML_NESTING + 1)}x\n`,
      "complex keys": `# comment\nkind: X\nspec:\n${"? ".repeat(MAX_YAML_NESTING + 1)}x\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const problem = yamlNestingProblem(text);
      assert.ok(problem, name);
      assert.equal(problem.line, name.startsWith("flow") ? 3 : 4, name);
      assert.match(problem.message, new RegExp(`more than ${MAX_YAML_NESTING} levels deep at line ${problem.line}`));
    }
  });

  it("keeps a process alive that the yaml library alone would abort", () => {
    // yaml 2.x exhausts V8's regexp zone on this sequence and the process
    // dies with a fatal OOM; gitcert must report the files and go on.
    const script = `
      import { parseManifests } from "./src/manifests/parse.ts";
      const codes = [20_000, 100_000, 400_000].map((n) =>
        parseManifests({ path: "deep.yaml", text: "a: " + "[".repeat(n) + "\\n" }).diagnostics.map((d) => d.code).join(","));
      console.log(JSON.stringify(codes));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr.slice(0, 500));
    assert.deepEqual(JSON.parse(run.stdout), ["YAMLTooDeep", "YAMLTooDeep", "YAMLTooDeep"]);
  });
});
