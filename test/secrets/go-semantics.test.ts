// How sops sees values, pinned against Go itself: go-yaml v3 scalar typing
// (the GO_YAML_V3 table's third column is what Go printed: the type and
// sops' ToBytes of each plain scalar), Go float and time formatting, which
// values a crypt rule encrypts and with what AAD, and the translation of the
// rules' RE2 regexes (the GO_REGEXP table's third column is what Go's
// regexp printed: 1 = MatchString true, per subject; INVALID = does not
// compile). Where the translation refuses as unsupported, the test says so
// explicitly instead of accepting a silent difference. The sops interop
// test re-checks typing end to end.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { GitcertError } from "../../src/diagnostics.ts";
import { DEFAULT_CRYPT_RULE, aadOf, cryptRuleOf, encryptionPredicate } from "../../src/secrets/crypt-rule.ts";
import { canonicalRfc3339, floatYamlText, formatFloatGo, formatLastModified, toBytes } from "../../src/secrets/go-values.ts";
import { translateRe2 } from "../../src/secrets/re2.ts";
import { plainWouldRetype, resolvePlain, resolveTagged } from "../../src/secrets/yaml-resolve.ts";

// [plain scalar, yaml.v3 type, sops ToBytes of the value]
const GO_YAML_V3: [string, string, string][] = [
  ["0777", "int", "511"],
  ["0778", "float", "778"],
  ["09", "float", "9"],
  ["0x1F", "int", "31"],
  ["0X1f", "int", "31"],
  ["-0x1F", "int", "-31"],
  ["+0x1F", "int", "31"],
  ["0o17", "int", "15"],
  ["0O17", "int", "15"],
  ["0b101", "int", "5"],
  ["-0b101", "int", "-5"],
  ["1_000", "int", "1000"],
  ["_1000", "str", "_1000"],
  ["1__0", "int", "10"],
  ["1_000.5", "float", "1000.5"],
  ["yes", "str", "yes"],
  ["no", "str", "no"],
  ["on", "str", "on"],
  ["off", "str", "off"],
  ["y", "str", "y"],
  ["n", "str", "n"],
  ["True", "bool", "True"],
  ["TRUE", "bool", "True"],
  ["true", "bool", "True"],
  ["tRUE", "str", "tRUE"],
  ["False", "bool", "False"],
  ["null", "null", ""],
  ["Null", "null", ""],
  ["NULL", "null", ""],
  ["~", "null", ""],
  [".inf", "float", "+Inf"],
  [".Inf", "float", "+Inf"],
  ["-.inf", "float", "-Inf"],
  ["+.INF", "float", "+Inf"],
  [".nan", "float", "NaN"],
  [".NaN", "float", "NaN"],
  [".5", "float", "0.5"],
  [".5_0", "float", "0.5"],
  ["._5", "str", "._5"],
  [".", "str", "."],
  ["-.5", "float", "-0.5"],
  ["+.5", "float", "0.5"],
  ["1.", "float", "1"],
  ["1.0", "float", "1"],
  ["3.140", "float", "3.14"],
  ["1e3", "float", "1000"],
  ["1E3", "float", "1000"],
  ["1e+3", "float", "1000"],
  ["1e-7", "float", "0.0000001"],
  ["1e21", "float", "1000000000000000000000"],
  ["1e400", "str", "1e400"],
  ["-1e400", "str", "-1e400"],
  [".1e400", "str", ".1e400"],
  ["-0", "int", "0"],
  ["-0.0", "float", "-0"],
  ["+0", "int", "0"],
  ["0", "int", "0"],
  ["00", "int", "0"],
  ["9223372036854775807", "int", "9223372036854775807"],
  ["9223372036854775808", "uint64", "9223372036854775808"],
  ["-9223372036854775808", "int", "-9223372036854775808"],
  ["-9223372036854775809", "float", "-9223372036854776000"],
  ["18446744073709551615", "uint64", "18446744073709551615"],
  ["18446744073709551616", "float", "18446744073709552000"],
  ["0xFFFFFFFFFFFFFFFF", "uint64", "18446744073709551615"],
  ["0x10000000000000000", "str", "0x10000000000000000"],
  ["2024-01-01", "time", "2024-01-01T00:00:00Z"],
  ["2024-1-1", "time", "2024-01-01T00:00:00Z"],
  ["2024-13-01", "str", "2024-13-01"],
  ["2024-02-30", "str", "2024-02-30"],
  ["2024-02-29", "time", "2024-02-29T00:00:00Z"],
  ["2023-02-29", "str", "2023-02-29"],
  ["2024-01-01T10:20:30Z", "time", "2024-01-01T10:20:30Z"],
  ["2024-01-01t10:20:30Z", "time", "2024-01-01T10:20:30Z"],
  ["2024-01-01T10:20:30.123000Z", "time", "2024-01-01T10:20:30.123Z"],
  ["2024-01-01T10:20:30,5Z", "time", "2024-01-01T10:20:30.5Z"],
  ["2024-01-01T10:20:30+02:00", "time", "2024-01-01T10:20:30+02:00"],
  ["2024-01-01T10:20:30+00:00", "time", "2024-01-01T10:20:30Z"],
  ["2024-01-01T10:20:30-00:00", "time", "2024-01-01T10:20:30Z"],
  ["2024-01-01 10:20:30", "time", "2024-01-01T10:20:30Z"],
  ["2024-01-01 10:20:30.5", "time", "2024-01-01T10:20:30.5Z"],
  ["2024-01-01 10:20:30 +02:00", "str", "2024-01-01 10:20:30 +02:00"],
  ["2024-01-01T1:2:3Z", "time", "2024-01-01T01:02:03Z"],
  ["2024-01-01T24:00:00Z", "str", "2024-01-01T24:00:00Z"],
  ["20240-01-01", "str", "20240-01-01"],
  ["1:20", "str", "1:20"],
  ["12:30:45", "str", "12:30:45"],
  ["1.2.3", "str", "1.2.3"],
  ["3.10.2", "str", "3.10.2"],
  ["+", "str", "+"],
  ["abc", "str", "abc"],
  ["0.1", "float", "0.1"],
  ["123456789012345678901234567890", "float", "123456789012345680000000000000"],
  ["1_2_3", "int", "123"],
  ["0x_1F", "int", "31"],
  ["0_777", "int", "511"],
  ["12e", "str", "12e"],
  ["1e", "str", "1e"],
  [".e3", "str", ".e3"],
  ["1.5e3_0", "float", "1500000000000000000000000000000"],
];

function describeResolved(s: string): [string, string] {
  const r = resolvePlain(s);
  if (r.type === "null") return ["null", ""];
  if (r.type === "uint64") return ["uint64", r.value.toString()];
  return [r.type, Buffer.from(toBytes(r)).toString("utf8")];
}

describe("resolvePlain matches go-yaml v3", () => {
  for (const [scalar, type, bytes] of GO_YAML_V3) {
    it(`${JSON.stringify(scalar)} is ${type} ${bytes}`, () => {
      assert.deepEqual(describeResolved(scalar), [type, bytes]);
    });
  }
});

describe("resolveTagged", () => {
  const cases: [Parameters<typeof resolveTagged>[0], string, string | undefined][] = [
    ["str", "0777", "str"],
    ["str", "true", "str"],
    ["int", "0x10", "int"],
    ["int", "abc", undefined],
    ["float", "5", "float"],
    ["bool", "True", "bool"],
    ["bool", "yes", undefined],
    ["null", "~", "null"],
    ["timestamp", "2024-01-01", "time"],
  ];
  for (const [tag, text, type] of cases) {
    it(`!!${tag} ${text} → ${type ?? "refused"}`, () => {
      assert.equal(resolveTagged(tag, text)?.type, type);
    });
  }
  it("!!float widens an int", () => {
    assert.deepEqual(resolveTagged("float", "5"), { type: "float", value: 5 });
  });
});

describe("plainWouldRetype", () => {
  const quoted = ["1_000", "0o17", "0777", "2024-01-01", "2024-13-45", "true", "True", "null", "", "~", "1e3", ".inf", "yes", "on", "N", "1:20", "<<", "-0x1F", "1e400"];
  const plain = ["v1", "Secret", "kubernetes.io/tls", "abc", "3.10.2", "age1qqq", "^(data|stringData)$", "_unencrypted", "tRUE", "1.2.3"];
  for (const s of quoted) it(`${JSON.stringify(s)} is quoted`, () => assert.equal(plainWouldRetype(s), true));
  for (const s of plain) it(`${JSON.stringify(s)} stays plain`, () => assert.equal(plainWouldRetype(s), false));
});

describe("Go float formatting", () => {
  const cases: [number, string, string][] = [
    // [value, FormatFloat(f,'f',-1,64), YAML text read back as the same float]
    [3.14, "3.14", "3.14"],
    [5, "5", "5.0"],
    [1e21, "1000000000000000000000", "1e+21"],
    [1e-7, "0.0000001", "1e-7"],
    [-2.5e-10, "-0.00000000025", "-2.5e-10"],
    [123456789.125, "123456789.125", "123456789.125"],
    [0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"],
    [-0, "-0", "-0.0"],
    [NaN, "NaN", ".nan"],
    [Infinity, "+Inf", ".inf"],
    [-Infinity, "-Inf", "-.inf"],
  ];
  for (const [f, go, yaml] of cases) {
    it(`${f}`, () => {
      assert.equal(formatFloatGo(f), go);
      assert.equal(floatYamlText(f), yaml);
      const back = resolvePlain(yaml);
      assert.equal(back.type, "float");
      assert.ok(back.type === "float" && Object.is(back.value, f));
    });
  }
});

describe("lastmodified", () => {
  it("is whole seconds with Z", () => {
    assert.equal(formatLastModified(new Date("2025-07-06T17:19:51.789Z")), "2025-07-06T17:19:51Z");
  });
  const aad: [string, string | undefined][] = [
    ["2025-07-06T17:19:51Z", "2025-07-06T17:19:51Z"],
    ["2025-07-06T17:19:51.123456Z", "2025-07-06T17:19:51Z"],
    ["2025-07-06T19:19:51+02:00", "2025-07-06T19:19:51+02:00"],
    ["2025-07-06T17:19:51+00:00", "2025-07-06T17:19:51Z"],
    ["2025-07-06 17:19:51", undefined],
    ["2025-13-06T17:19:51Z", undefined],
  ];
  for (const [text, expected] of aad) {
    it(`AAD of ${text}`, () => assert.equal(canonicalRfc3339(text), expected));
  }
});

describe("aadOf", () => {
  const cases: [string[], string][] = [
    [["stringData", "password"], "stringData:password:"],
    [["a", "b"], "a:b:"], // also every item of a.b: [x, y]: list indices are not in the path
    [["a", "b", "c"], "a:b:c:"], // a.b[i].c
    [[], ":"], // a top-level comment
  ];
  for (const [path, aad] of cases) it(`${JSON.stringify(path)} → ${aad}`, () => assert.equal(aadOf(path), aad));
});

describe("cryptRuleOf", () => {
  it("defaults to unencrypted_suffix _unencrypted", () => {
    assert.deepEqual(cryptRuleOf({}), DEFAULT_CRYPT_RULE);
    assert.deepEqual(cryptRuleOf({ encryptedRegex: "" }), DEFAULT_CRYPT_RULE);
  });
  it("takes the one rule given", () => {
    assert.deepEqual(cryptRuleOf({ encryptedRegex: "^data$" }), { kind: "encrypted_regex", value: "^data$" });
  });
  it("refuses two rules", () => {
    assert.throws(
      () => cryptRuleOf({ encryptedRegex: "^data$", unencryptedSuffix: "_plain" }),
      (e: unknown) => e instanceof GitcertError && e.code === "SopsRuleInvalid",
    );
  });
});

describe("encryptionPredicate, per path component", () => {
  const cases: [string, Parameters<typeof cryptRuleOf>[0], string[], boolean][] = [
    ["default: encrypted", {}, ["data", "tls.key"], true],
    ["default: _unencrypted leaf", {}, ["password_unencrypted"], false],
    ["default: _unencrypted ancestor", {}, ["config_unencrypted", "nested", "x"], false],
    ["encrypted_regex matches leaf", { encryptedRegex: "^(data|stringData)$" }, ["data"], true],
    ["encrypted_regex matches ancestor", { encryptedRegex: "^(data|stringData)$" }, ["stringData", "a", "b"], true],
    ["encrypted_regex matches nowhere", { encryptedRegex: "^(data|stringData)$" }, ["metadata", "name"], false],
    ["encrypted_regex hits a nested key named data", { encryptedRegex: "^(data|stringData)$" }, ["metadata", "annotations", "data"], true],
    ["encrypted_regex is unanchored", { encryptedRegex: "data" }, ["metadata"], true],
    ["unencrypted_regex", { unencryptedRegex: "^public" }, ["public_key"], false],
    ["unencrypted_regex elsewhere", { unencryptedRegex: "^public" }, ["private_key"], true],
    ["encrypted_suffix", { encryptedSuffix: "_secret" }, ["db_secret", "password"], true],
    ["encrypted_suffix absent", { encryptedSuffix: "_secret" }, ["db", "password"], false],
    ["unencrypted_suffix", { unencryptedSuffix: "_plain" }, ["a_plain"], false],
    ["top-level comment path", { encryptedRegex: "^data$" }, [], false],
    ["invalid RE2 never matches (encrypted_regex)", { encryptedRegex: "(?=data)" }, ["data"], false],
    ["invalid RE2 never matches (unencrypted_regex)", { unencryptedRegex: "(" }, ["("], true],
  ];
  for (const [name, fields, path, expected] of cases) {
    it(name, () => assert.equal(encryptionPredicate(cryptRuleOf(fields))(path), expected));
  }
  it("refuses a valid RE2 it cannot translate", () => {
    assert.throws(
      () => encryptionPredicate(cryptRuleOf({ encryptedRegex: "(?i:data)" })),
      (e: unknown) => e instanceof GitcertError && e.code === "SopsUnsupportedRegex",
    );
  });
});

const GO_REGEXP: [string, string[], string][] = [
  ["^(data|stringData)$", ["data", "stringData", "metadata", "data2", "Data"], "11000"],
  ["data", ["data", "metadata", "xdatax", "Data"], "1110"],
  ["(?i)^data$", ["DATA", "data", "Data", "xdata"], "1110"],
  ["^tls\\.(crt|key)$", ["tls.crt", "tls.key", "tlsxcrt", "tls.crtx"], "1100"],
  ["\\s", ["a b", "a\u000bb", "a b", "ab", "a\tb"], "10001"],
  ["\\S", [" ", "\u000b", "x"], "011"],
  ["^.$", ["a", "\n", "\r", " ", "é", "😀"], "101111"],
  ["(?s)^.$", ["\n", "a"], "11"],
  ["[]a]", ["]", "a", "b"], "110"],
  ["[^]a]", ["]", "a", "b"], "001"],
  ["[[:alpha:]]+$", ["abc", "123", "a1"], "100"],
  ["^[[:^alpha:]]+$", ["abc", "123"], "01"],
  ["(?P<name>ab)c", ["abc", "ab"], "10"],
  ["(?<name>ab)c", ["abc", "ab"], "10"],
  ["a{2,3}", ["a", "aa", "aaa"], "011"],
  ["a{,3}", ["a{,3}", "aaa"], "10"],
  ["a{1001}", ["a"], "INVALID"],
  ["a{2}{3}", ["aaaaaa"], "INVALID"],
  ["a**", ["a"], "INVALID"],
  ["(?=a)", ["a"], "INVALID"],
  ["(a)\\1", ["aa"], "INVALID"],
  ["\\101", ["A", "B"], "10"],
  ["\\0", ["\u0000", "0"], "10"],
  ["\\x41\\x{42}", ["AB", "ab"], "10"],
  ["\\Qa.b\\E$", ["a.b", "axb"], "10"],
  ["\\pL+$", ["abc", "123", "éü"], "101"],
  ["\\p{Greek}", ["α", "a"], "10"],
  ["\\PL", ["a", "1"], "01"],
  ["\\-\\#\\:", ["-#:", "x"], "10"],
  ["[\\-a]", ["-", "a", "b"], "110"],
  ["[a-c-e]", ["b", "-", "e", "d"], "1110"],
  ["\\Aab\\z", ["ab", "ab\n", "xab"], "100"],
  ["ab$", ["ab", "ab\n"], "10"],
  ["(?m)^b$", ["a\nb\nc", "abc"], "10"],
  ["(?i:ab)c", ["ABc"], "1"],
  ["x(?i)y", ["xY"], "1"],
  ["(?U)a+", ["aaa"], "1"],
  ["[", ["["], "INVALID"],
  ["(", ["("], "INVALID"],
  ["]", ["]", "a"], "10"],
  ["}", ["}"], "1"],
  ["a/b", ["a/b"], "1"],
  ["\\k", ["k"], "INVALID"],
  ["_unencrypted$", ["pw_unencrypted", "pw"], "10"],
  ["^(?:password|token)$", ["password", "token", "tokens"], "110"],
  ["\\bfoo\\b", ["a foo b", "afoob"], "10"],
  ["[\\d\\s]+$", ["1 2", "a"], "10"],
  ["[\\S]", ["a"], "1"],
  ["\\w+", ["abc_1", "!!"], "10"],
  ["[a\\]]", ["]", "a"], "11"],
  ["x*", ["", "y"], "11"],
  ["", ["", "y"], "11"],
  ["^$", ["", "y"], "10"],
  ["a|", ["b"], "1"],
  ["[[:word:]]", ["_", "!"], "10"],
  ["[[:foo:]]", ["f"], "INVALID"],
  ["\\8", ["8"], "INVALID"],
  ["\\12", ["\n", "12"], "10"],
  ["a++", ["a"], "INVALID"],
  ["a*?b", ["aab"], "1"],
  ["[a-]", ["-"], "1"],
  ["[z-a]", ["a"], "INVALID"],
  ["\\p{^Greek}", ["α", "a"], "01"],
];

// Valid RE2 with no faithful JavaScript (Node 20) spelling.
const UNSUPPORTED = new Set(["^[[:^alpha:]]+$", "(?i:ab)c", "x(?i)y", "[\\S]"]);

describe("translateRe2 agrees with Go regexp", () => {
  for (const [pattern, subjects, go] of GO_REGEXP) {
    it(`${JSON.stringify(pattern)}`, () => {
      const t = translateRe2(pattern);
      if (UNSUPPORTED.has(pattern)) {
        assert.equal(t.ok ? "translated" : t.reason, "unsupported");
        assert.notEqual(go, "INVALID");
        return;
      }
      if (go === "INVALID") {
        assert.equal(t.ok ? "translated" : t.reason, "invalid");
        return;
      }
      assert.ok(t.ok, `did not translate: ${t.ok ? "" : t.detail}`);
      assert.equal(subjects.map((s) => (t.regex.test(s) ? "1" : "0")).join(""), go);
    });
  }
});
