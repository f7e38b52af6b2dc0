// The Route 53 provider against a double of the documented REST/XML API that
// verifies every SigV4 signature with the test secret.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createRoute53Provider, route53Provider } from "../../../../src/acme/dns01/providers/route53/index.ts";
import { GitcertError } from "../../../../src/diagnostics.ts";
import { configProblems, context } from "../helpers.ts";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY, startRoute53Double } from "./route53-double.ts";
import type { Route53Double } from "./route53-double.ts";

let double: Route53Double;
const provider = createRoute53Provider({ changePollIntervalMs: 20, changeTimeoutMs: 2000, requestTimeoutMs: 2000 });

before(async () => {
  double = await startRoute53Double([
    { id: "ZALPHA", name: "alpha.test" },
    // Two zones named example.test: the private one sorts first, so with one
    // zone per page the public one is only on the second page.
    { id: "Z0PRIVATE", name: "example.test", private: true },
    { id: "Z1PUBLIC", name: "example.test" },
    { id: "ZINTERNAL", name: "internal.test", private: true },
    { id: "ZOMEGA", name: "omega.test" },
  ]);
});

after(async () => {
  await double?.close();
});

beforeEach(() => {
  for (const sets of double.records.values()) sets.length = 0;
  double.requests.length = 0;
  double.rejections.length = 0;
  double.maxZonesPerPage = 1;
  double.pendingPolls = 1;
});

function ctx(extra: Record<string, unknown> = {}, secret = TEST_SECRET_KEY) {
  return context(route53Provider, 
    { region: "eu-west-1", accessKeyID: TEST_ACCESS_KEY, secretAccessKeySecretRef: { name: "aws", key: "secret-access-key" }, endpoint: double.url, ...extra },
    { "aws/secret-access-key": `${secret}\n`, "aws/access-key-id": TEST_ACCESS_KEY },
  );
}

const record = (value: string, domain = "www.example.test") => ({ domain, fqdn: `_acme-challenge.${domain.replace(/^\*\./, "")}.`, value });

describe("route53 against the API double", () => {
  it("finds the public zone on the second page, UPSERTs the quoted value and waits for INSYNC", async () => {
    await provider.present(record("value-1"), ctx());
    assert.deepEqual(double.records.get("Z1PUBLIC"), [{ name: "_acme-challenge.www.example.test.", type: "TXT", ttl: 10, values: ['"value-1"'] }]);
    assert.deepEqual(double.records.get("Z0PRIVATE"), []);
    assert.deepEqual(double.rejections, []);

    const lists = double.requests.filter((r) => r.url.startsWith("/2013-04-01/hostedzonesbyname"));
    assert.deepEqual(
      lists.map((r) => new URL(r.url, "http://x").searchParams.get("dnsname")),
      ["_acme-challenge.www.example.test", "www.example.test", "example.test", "example.test"],
    );
    assert.equal(new URL(lists[3]!.url, "http://x").searchParams.get("hostedzoneid"), "Z1PUBLIC");

    const post = double.requests.find((r) => r.method === "POST")!;
    assert.equal(post.url, "/2013-04-01/hostedzone/Z1PUBLIC/rrset/");
    assert.match(post.body, /<Action>UPSERT<\/Action>/);
    assert.match(post.headers.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIAGITCERTTEST00001\/\d{8}\/us-east-1\/route53\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
    assert.equal(double.requests.filter((r) => r.url.startsWith("/2013-04-01/change/")).length, 2, "PENDING once, then INSYNC");
  });

  it("keeps the apex and wildcard values in one record set and removes them one by one", async () => {
    const apex = record("apex-value", "both.example.test");
    const wildcard = record("wildcard-value", "*.both.example.test");
    await Promise.all([provider.present(apex, ctx({ hostedZoneID: "Z1PUBLIC" })), provider.present(wildcard, ctx({ hostedZoneID: "Z1PUBLIC" }))]);
    await provider.present(wildcard, ctx({ hostedZoneID: "Z1PUBLIC" })); // idempotent
    const set = () => double.records.get("Z1PUBLIC")!.find((s) => s.name === "_acme-challenge.both.example.test.");
    assert.deepEqual(set()?.values.sort(), ['"apex-value"', '"wildcard-value"']);

    await provider.cleanUp(apex, ctx({ hostedZoneID: "Z1PUBLIC" }));
    assert.deepEqual(set()?.values, ['"wildcard-value"']);
    await provider.cleanUp(wildcard, ctx({ hostedZoneID: "Z1PUBLIC" }));
    assert.equal(set(), undefined);
    await provider.cleanUp(wildcard, ctx({ hostedZoneID: "Z1PUBLIC" })); // already gone
    assert.deepEqual(double.rejections, []);
  });

  it("uses a configured hostedZoneID (with or without /hostedzone/) without listing zones", async () => {
    await provider.present(record("v"), ctx({ hostedZoneID: "/hostedzone/Z1PUBLIC" }));
    assert.equal(double.requests.filter((r) => r.url.includes("hostedzonesbyname")).length, 0);
    assert.equal(double.records.get("Z1PUBLIC")!.length, 1);
  });

  it("reads the access key id from a Secret too", async () => {
    const c = ctx({ accessKeyID: undefined, accessKeyIDSecretRef: { name: "aws", key: "access-key-id" } });
    await provider.present(record("from-secret"), c);
    assert.deepEqual(double.rejections, []);
  });

  it("reports a signature the API refuses, without the secret", async () => {
    const wrong = "WrongSecretKeyThatIsNotTheRealOne/0000000";
    const err = await provider.present(record("v"), ctx({}, wrong)).then(
      () => assert.fail("accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GitcertError);
    assert.equal(err.code, "Dns01ProviderError");
    assert.match(err.message, /HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match/);
    assert.ok(!err.message.includes(wrong) && !err.message.includes(TEST_SECRET_KEY));
    assert.deepEqual(double.rejections, ["SignatureDoesNotMatch"]);
  });

  it("says when only private zones match", async () => {
    await assert.rejects(provider.present(record("v", "host.internal.test"), ctx()), (e: unknown) => {
      assert.ok(e instanceof GitcertError);
      assert.equal(e.code, "Dns01ZoneNotFound");
      assert.match(e.message, /only private hosted zones for internal\.test\./);
      return true;
    });
  });

  it("gives up on a change that never gets INSYNC", async () => {
    double.pendingPolls = Infinity;
    const impatient = createRoute53Provider({ changePollIntervalMs: 20, changeTimeoutMs: 150 });
    await assert.rejects(impatient.present(record("v"), ctx({ hostedZoneID: "Z1PUBLIC" })), (e: unknown) => e instanceof GitcertError && e.code === "Dns01ProviderTimeout" && /still PENDING/.test(e.message));
  });

  it("surfaces the AWS error document", async () => {
    await assert.rejects(provider.present(record("v"), ctx({ hostedZoneID: "ZNOSUCH" })), /HTTP 404 NoSuchHostedZone: No hosted zone found with ID: ZNOSUCH/);
  });
});

describe("route53 config", () => {
  const ref = { name: "aws", key: "k" };
  const table: [string, Record<string, unknown>, RegExp | undefined][] = [
    ["access key id and secret ref", { region: "us-east-1", accessKeyID: "AKIA", secretAccessKeySecretRef: ref }, undefined],
    ["both from Secrets, with a zone id", { accessKeyIDSecretRef: ref, secretAccessKeySecretRef: ref, hostedZoneID: "Z1" }, undefined],
    ["no secret access key (ambient credentials)", { accessKeyID: "AKIA" }, /^secretAccessKeySecretRef: is required \(gitcert has no ambient AWS credentials\)$/],
    ["no access key id", { secretAccessKeySecretRef: ref }, /^accessKeyID: accessKeyID or accessKeyIDSecretRef is required/],
    ["both access key forms", { accessKeyID: "AKIA", accessKeyIDSecretRef: ref, secretAccessKeySecretRef: ref }, /not both/],
    ["assume role", { accessKeyID: "AKIA", secretAccessKeySecretRef: ref, role: "arn:aws:iam::1:role/x" }, /^role: assuming a role is not supported/],
    ["bad endpoint", { accessKeyID: "AKIA", secretAccessKeySecretRef: ref, endpoint: "route53.local" }, /^endpoint: must be an http\(s\) URL$/],
  ];
  for (const [what, cfg, problem] of table) {
    it(what, () => {
      const problems = configProblems(route53Provider, cfg);
      if (problem) assert.ok(problems.some((p) => problem.test(p)), `expected ${problem} in ${JSON.stringify(problems)}`);
      else assert.deepEqual(problems, []);
    });
  }
});
