// The SigV4 signer against AWS's own Signature Version 4 test suite
// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html, also
// in awslabs/aws-c-auth tests/aws-signing-test-suite/v4): the example
// credentials, region us-east-1, service "service", 2015-08-30T12:36:00Z.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { amzDate, canonicalRequest, credentialScope, sha256Hex, signRequest, stringToSign } from "../../../../src/acme/dns01/providers/route53/sigv4.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const now = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
const scope = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

const vectors: { name: string; method: string; url: string; headers: Record<string, string>; body: string; authorization: string }[] = [
  {
    name: "get-vanilla",
    method: "GET",
    url: "https://example.amazonaws.com/",
    headers: {},
    body: "",
    authorization: `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
  },
  {
    name: "post-vanilla",
    method: "POST",
    url: "https://example.amazonaws.com/",
    headers: {},
    body: "",
    authorization: `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
  },
  {
    name: "get-vanilla-query-order-key-case",
    method: "GET",
    url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
    headers: {},
    body: "",
    authorization: `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
  },
  {
    name: "post-header-key-sort",
    method: "POST",
    url: "https://example.amazonaws.com/",
    headers: { "My-Header1": "value1" },
    body: "",
    authorization: `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c`,
  },
  {
    name: "post-x-www-form-urlencoded",
    method: "POST",
    url: "https://example.amazonaws.com/",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "Param1=value1",
    authorization: `AWS4-HMAC-SHA256 ${scope}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
  },
];

describe("SigV4 against the AWS test suite", () => {
  for (const v of vectors) {
    it(v.name, () => {
      const headers = signRequest({ method: v.method, url: v.url, headers: v.headers, body: v.body, region: "us-east-1", service: "service", credentials, now });
      assert.equal(headers.authorization, v.authorization);
      assert.equal(headers["x-amz-date"], "20150830T123600Z");
      assert.equal(headers.host, "example.amazonaws.com");
    });
  }

  it("get-vanilla: canonical request and string to sign", () => {
    const { text, signedHeaders } = canonicalRequest(
      "GET",
      new URL("https://example.amazonaws.com/"),
      { Host: "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z" },
      sha256Hex(""),
    );
    assert.equal(
      text,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(signedHeaders, "host;x-amz-date");
    assert.equal(
      stringToSign(amzDate(now), credentialScope("20150830", "us-east-1", "service"), text),
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    );
  });

  it("adds x-amz-security-token to what it signs for temporary credentials", () => {
    const headers = signRequest({ method: "GET", url: "https://route53.amazonaws.com/", region: "us-east-1", service: "route53", credentials: { ...credentials, sessionToken: "TOKEN" }, now });
    assert.equal(headers["x-amz-security-token"], "TOKEN");
    assert.match(headers.authorization!, /SignedHeaders=host;x-amz-date;x-amz-security-token,/);
  });
});
